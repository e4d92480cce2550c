"""Header rules, the metadata update of unchanged objects, and append-only (backup) plans."""

from __future__ import annotations

import pytest

from s3desk.core.apply import apply_plan, check_applicable
from s3desk.core.errors import S3DeskError, UsageError
from s3desk.core.plan import Action, Op, Options
from s3desk.core.planner import headers_for
from s3desk.core.session import Connection
from tests.unit.conftest import BUCKET, ops, write

RULES = (("*.html", "no-cache", ""), ("assets/*", "max-age=31536000, immutable", ""))


def test_first_matching_header_rule_wins() -> None:
    options = Options(cache_control="public,max-age=300", header_rules=RULES)
    assert headers_for("index.html", options).cache_control == "no-cache"
    assert headers_for("assets/a.html", options).cache_control == "no-cache"
    assert headers_for("assets/logo.svg", options).cache_control == "max-age=31536000, immutable"
    assert headers_for("assets/logo.svg", options).content_type == "image/svg+xml"
    assert headers_for("robots.txt", options).cache_control == "public,max-age=300"


def test_header_rule_may_set_the_content_type() -> None:
    options = Options(header_rules=(("*.json.gz", "", "application/gzip"),))
    headers = headers_for("data.json.gz", options)
    assert (headers.content_type, headers.content_encoding) == ("application/gzip", None)


def test_uploads_show_and_get_the_headers_of_the_rules(s3, src, plan_for) -> None:
    write(src, "index.html", "<h1>hi</h1>")
    write(src, "assets/logo.svg", "<svg/>")
    plan = plan_for(src, header_rules=RULES, storage_class="STANDARD_IA")
    headers = {a.key: a.headers for a in plan.actions}
    assert headers["index.html"].cache_control == "no-cache"
    assert headers["assets/logo.svg"].storage_class == "STANDARD_IA"
    assert apply_plan(plan, Connection(region="us-east-1")).ok
    head = s3.head_object(Bucket=BUCKET, Key="assets/logo.svg")
    assert head["CacheControl"] == "max-age=31536000, immutable"
    assert head["ContentType"] == "image/svg+xml"
    assert head["StorageClass"] == "STANDARD_IA"


def test_unchanged_object_with_other_headers_gets_a_metadata_update(s3, src, plan_for) -> None:
    write(src, "index.html", "<h1>hi</h1>")
    write(src, "about.html", "<h1>about</h1>")
    s3.put_object(
        Bucket=BUCKET, Key="index.html", Body=b"<h1>hi</h1>", ContentType="text/html",
        ContentLanguage="en", Metadata={"owner": "web-team"}, CacheControl="max-age=60",
    )  # fmt: skip
    s3.put_object(
        Bucket=BUCKET, Key="about.html", Body=b"<h1>about</h1>", ContentType="text/html",
        CacheControl="no-cache",
    )  # fmt: skip
    plan = plan_for(src, header_rules=RULES)
    assert ops(plan) == {"skip": ["about.html"], "metadata": ["index.html"]}
    action = next(a for a in plan.actions if a.op is Op.METADATA)
    assert "cache-control max-age=60 → no-cache" in action.reason
    assert apply_plan(plan, Connection(region="us-east-1")).ok
    head = s3.head_object(Bucket=BUCKET, Key="index.html")
    assert head["CacheControl"] == "no-cache"
    assert head["ContentType"] == "text/html"  # everything else kept
    assert head["ContentLanguage"] == "en"
    assert head["Metadata"] == {"owner": "web-team"}
    body = s3.get_object(Bucket=BUCKET, Key="index.html")["Body"].read()
    assert body == b"<h1>hi</h1>"
    assert plan_for(src, header_rules=RULES).summary.changes == 0


def test_without_header_options_no_object_is_headed(s3, src, plan_for, monkeypatch) -> None:
    write(src, "index.html", "x")
    s3.put_object(Bucket=BUCKET, Key="index.html", Body=b"x", CacheControl="anything")
    from s3desk.core import planner

    heads = []
    real = planner._Builder._head
    monkeypatch.setattr(planner._Builder, "_head", lambda self, k: heads.append(k) or real(self, k))
    assert ops(plan_for(src)) == {"skip": ["index.html"]}
    assert heads == []


def test_metadata_update_conflicts_when_the_object_changed(s3, src, plan_for) -> None:
    write(src, "index.html", "<h1>hi</h1>")
    s3.put_object(Bucket=BUCKET, Key="index.html", Body=b"<h1>hi</h1>")
    plan = plan_for(src, cache_control="no-cache")
    assert ops(plan) == {"metadata": ["index.html"]}
    s3.put_object(Bucket=BUCKET, Key="index.html", Body=b"<h1>changed</h1>")
    result = apply_plan(plan, Connection(region="us-east-1"))
    assert [str(r.outcome) for r in result.results] == ["conflict"]
    assert "CacheControl" not in s3.head_object(Bucket=BUCKET, Key="index.html")


def test_backup_plan_never_overwrites_or_deletes(s3, src, plan_for) -> None:
    write(src, "db.dump", "new bytes")
    write(src, "new.dump", "n")
    s3.put_object(Bucket=BUCKET, Key="db.dump", Body=b"old bytes")
    plan = plan_for(src, create_only=True, storage_class="STANDARD_IA")
    assert ops(plan) == {"conflict": ["db.dump"], "upload": ["new.dump"]}
    assert "append-only" in plan.actions[0].reason
    assert apply_plan(plan, Connection(region="us-east-1")).ok
    assert s3.get_object(Bucket=BUCKET, Key="db.dump")["Body"].read() == b"old bytes"


def test_backup_refuses_deletes_whatever_the_options_say(s3, src, plan_for) -> None:
    write(src, "a", "a")
    with pytest.raises(UsageError, match="append-only"):
        plan_for(src, create_only=True, delete=True)


def test_edited_backup_plan_with_an_overwrite_is_refused_before_writing(s3, src, plan_for):
    write(src, "a", "a")
    plan = plan_for(src, create_only=True)
    edited = plan.with_actions((Action(Op.UPDATE, "a", "a", 1, 1, "etag"),))
    with pytest.raises(S3DeskError, match="append-only"):
        check_applicable(edited, None)
