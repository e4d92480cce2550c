"""Each kind's defaults, the backup refusal, header rules and the options a job plans with."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from s3desk.core.errors import UsageError
from s3desk.core.filters import Filters
from s3desk.core.jobs import (
    Credentials,
    HeaderRule,
    Job,
    Kind,
    new_job,
    parse_header_rule,
)
from s3desk.core.plan import Options
from s3desk.core.target import Target


def make(kind: str, **kwargs: Any) -> Job:
    return new_job(f"{kind}-job", kind, "/data/out", "example-bucket", **kwargs)


def test_site_defaults() -> None:
    job = make("site")
    options = job.options()
    assert job.target.prefix == "site/"
    assert options.delete is True
    assert options.max_delete == Options().max_delete  # the guard is on
    assert options.cache_control == "public,max-age=300"
    assert options.storage_class is None
    assert options.create_only is False
    filters = Filters(options.filters)
    for clutter in (".DS_Store", "a/b/.DS_Store", "Thumbs.db", "img/Thumbs.db", "x.tmp", "d/y.tmp"):
        assert not filters.included(clutter), clutter
    for kept in ("index.html", "css/site.css", "DS_Store.txt", "a.psd"):
        assert filters.included(kept), kept


def test_images_defaults() -> None:
    options = make("images").options()
    assert make("images").target.prefix == "assets/images/"
    assert options.delete is False
    assert options.cache_control == "public,max-age=31536000,immutable"
    filters = Filters(options.filters)
    for excluded in ("logo.psd", "raw/hero.psd", "a/.DS_Store", "Thumbs.db", "b.tmp"):
        assert not filters.included(excluded), excluded
    assert filters.included("hero.webp")


def test_images_deletes_can_be_turned_on() -> None:
    assert make("images", delete=True).options().delete is True
    assert make("images").options(delete=True).delete is True


def test_backup_defaults() -> None:
    job = make("backup")
    options = job.options()
    assert job.target.prefix == "backups/{date}/"
    assert options.delete is False
    assert options.create_only is True
    assert options.storage_class == "STANDARD_IA"
    assert options.cache_control is None
    assert options.filters == (("exclude", "*.tmp"),)


def test_backup_prefix_expands_to_today_at_plan_time() -> None:
    job = make("backup")
    assert job.target_for_today(date(2024, 5, 1)).prefix == "backups/2024-05-01/"
    assert job.target_for_today().prefix == f"backups/{date.today().isoformat()}/"
    assert job.target.prefix == "backups/{date}/"  # the saved job keeps the placeholder


def test_other_kinds_keep_their_prefix_for_today() -> None:
    job = make("site", prefix="www")
    assert job.target_for_today(date(2024, 5, 1)) == job.target


def test_share_defaults() -> None:
    job = make("share")
    assert job.target.prefix == "assets/private-reports/"
    assert job.options().delete is False
    assert job.options().filters == ()


@pytest.mark.parametrize("how", ["new_job", "constructor", "options", "store"])
def test_backup_refuses_delete_whatever_is_asked(how: str, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="backup job never deletes"):
        if how == "new_job":
            make("backup", delete=True)
        elif how == "constructor":
            Job("b", Kind.BACKUP, "/d", Target("example-bucket", "backups/"), delete=True)
        elif how == "options":
            make("backup").options(delete=True)
        else:
            path = tmp_path / "jobs.toml"
            path.write_text(
                'schema_version = 1\n[jobs.b]\nkind = "backup"\nsource = "/d"\n'
                'bucket = "example-bucket"\ndelete = true\n'
            )
            from s3desk.core.jobs import load_jobs

            load_jobs(path)


def test_backup_is_create_only_even_when_built_otherwise() -> None:
    job = Job("b", Kind.BACKUP, "/d", Target("example-bucket", "b/"), create_only=False)
    assert job.options().create_only is True


def test_share_refuses_delete() -> None:
    with pytest.raises(UsageError, match="share job does not delete"):
        make("share", delete=True)


def test_site_delete_can_be_turned_off_for_one_plan() -> None:
    assert make("site").options(delete=False).delete is False


def test_user_filters_follow_the_kind_defaults_so_an_include_can_win() -> None:
    job = make("site", filters=[("include", "keep.tmp")])
    filters = Filters(job.options().filters)
    assert job.options().filters[-1] == ("include", "keep.tmp")
    assert filters.included("keep.tmp")
    assert not filters.included("other.tmp")


def test_header_rules_reach_the_options_in_order() -> None:
    rules = [
        parse_header_rule("*.html=no-cache"),
        parse_header_rule("assets/*=max-age=31536000, immutable"),
        parse_header_rule("*.json=;application/json"),
    ]
    options = make("site", header_rules=rules).options()
    assert options.header_rules == (
        ("*.html", "no-cache", ""),
        ("assets/*", "max-age=31536000, immutable", ""),
        ("*.json", "", "application/json"),
    )


def test_header_rule_content_type_may_carry_parameters() -> None:
    rule = parse_header_rule("*.html = no-cache ; text/html; charset=utf-8")
    assert rule == HeaderRule("*.html", "no-cache", "text/html; charset=utf-8")
    assert parse_header_rule(str(rule)) == rule


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("*.html", "no '='"),
        ("=no-cache", "pattern is empty"),
        ("*.html=", "neither Cache-Control nor Content-Type"),
        ("*.html=;html", "type/subtype"),
        ("*.html=no-cache\r\nX-Evil: 1", "printable ASCII"),
    ],
)
def test_bad_header_rules_are_refused(text: str, problem: str) -> None:
    with pytest.raises(UsageError, match=problem):
        parse_header_rule(text)


@pytest.mark.parametrize(
    ("cache_control", "content_type"),
    [("no-cache\n", None), (None, "text/html\n"), ("max-age=1", "text/html\r\nX-Evil: 1")],
)
def test_header_values_cannot_smuggle_a_line_break(
    cache_control: str | None, content_type: str | None
) -> None:
    with pytest.raises(UsageError, match="printable ASCII"):
        HeaderRule("*.html", cache_control, content_type)
    with pytest.raises(UsageError, match="printable ASCII"):
        make("site", cache_control=cache_control, content_type=content_type)


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("site-prod", True),
        ("a", True),
        ("x.y_z", True),
        ("", False),
        ("-x", False),
        ("a b", False),
        ("ab\n", False),
    ],
)
def test_job_names(name: str, ok: bool) -> None:
    if ok:
        assert Job(name, Kind.SITE, "/d", Target("example-bucket")).name == name
    else:
        with pytest.raises(UsageError, match="Job name"):
            Job(name, Kind.SITE, "/d", Target("example-bucket"))


def test_unknown_kind_and_bad_bucket_are_refused() -> None:
    with pytest.raises(UsageError, match="Unknown job kind"):
        make("mirror")
    with pytest.raises(UsageError, match="Bucket name"):
        new_job("j", "site", "/d", "Bad_Bucket")


def test_kind_defaults_can_be_changed() -> None:
    job = make(
        "images",
        prefix="/img/",
        cache_control="max-age=60",
        storage_class="STANDARD",
        production=True,
        credentials=Credentials.from_profile("deploy"),
    )
    assert job.target.prefix == "img/"
    assert job.options().cache_control == "max-age=60"
    assert job.options().storage_class == "STANDARD"
    assert job.production is True


def test_unknown_storage_class_is_refused() -> None:
    with pytest.raises(UsageError, match="Storage class"):
        make("site", storage_class="CHEAP")
