"""A plan file is checked again at apply: an edited plan cannot write outside what was
reviewed, bypass a guard, or be applied with other credentials."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest

from s3desk.core.apply import Blocked, Outcome, apply_plan
from s3desk.core.errors import S3DeskError
from s3desk.core.identity import Identity
from s3desk.core.plan import Action, Op, Plan
from s3desk.core.session import Connection
from tests.unit.conftest import BUCKET, ops, write


def apply(plan: Plan, **kwargs):
    return apply_plan(plan, Connection(region="us-east-1"), **kwargs)


def edited(plan: Plan, **changes) -> Plan:
    action = replace(plan.actions[0], **changes)
    return plan.with_actions((action, *plan.actions[1:]))


@pytest.fixture
def reviewed(s3, src, plan_for, tmp_path):
    write(src, "page.html", "p")
    (tmp_path / "outside-secret.txt").write_text("secret")
    plan = plan_for(src, "site/")
    assert ops(plan) == {"upload": ["site/page.html"]}
    return plan


@pytest.mark.parametrize(
    "changes",
    [
        {"path": "../outside-secret.txt"},
        {"path": "/etc/hostname"},
        {"key": "important/evil.txt"},
        {"key": "site/../escaped.txt"},
        {"key": "site/"},
    ],
)
def test_edited_paths_and_keys_are_refused(reviewed, s3, changes) -> None:
    with pytest.raises(S3DeskError, match="Nothing was written"):
        apply(edited(reviewed, **changes))
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET)


def test_a_delete_outside_the_prefix_is_refused(reviewed, s3) -> None:
    s3.put_object(Bucket=BUCKET, Key="important/keep.txt", Body=b"k")
    plan = reviewed.with_actions(
        (*reviewed.actions, Action(Op.DELETE, "important/keep.txt", remote_etag="x"))
    )
    with pytest.raises(S3DeskError, match="outside"):
        apply(plan, allow_deletes=1)
    assert s3.get_object(Bucket=BUCKET, Key="important/keep.txt")["Body"].read() == b"k"


def test_guards_are_computed_again_not_read_from_the_file(s3, src, plan_for) -> None:
    write(src, "a.txt", "a")
    for key in ("a.txt", "b.txt", "c.txt"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"a")
    plan = plan_for(src, delete=True)
    assert plan.blocked
    unblocked = replace(plan, blocked=False, block_reasons=())
    with pytest.raises(Blocked):
        apply(unblocked)
    assert len(s3.list_objects_v2(Bucket=BUCKET)["Contents"]) == 3


def test_a_plan_is_applied_only_as_the_identity_it_was_made_as(reviewed, s3) -> None:
    other = replace(reviewed, identity=Identity("999999999999", "arn:aws:iam::999999999999:user/x"))
    with pytest.raises(S3DeskError, match="reviewed as arn:aws:iam::999999999999") as caught:
        apply(other)
    assert caught.value.code == "IdentityChanged"
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET)


def test_a_file_swapped_for_a_link_out_of_the_source_is_not_sent(reviewed, s3, src, tmp_path):
    page = src / "page.html"
    stat = page.stat()
    page.unlink()
    os.symlink(tmp_path / "outside-secret.txt", page)
    os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns), follow_symlinks=False)
    result = apply(reviewed)
    assert [r.outcome for r in result.results] == [Outcome.CHANGED]
    assert "link pointing outside" in result.results[0].error
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET)


def test_content_rewritten_with_the_old_mtime_is_not_taken_from_the_cache(s3, src, plan_for):
    path = write(src, "f.txt", "AAAA\n")
    assert apply(plan_for(src)).ok
    stat = path.stat()
    path.write_text("BBBB\n")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size, same mtime, same inode
    assert ops(plan_for(src)) == {"update": ["f.txt"]}


def test_excluded_folder_markers_are_never_deleted(s3, src, plan_for) -> None:
    write(src, "index.html", "i")
    for key in ("g/index.html", "g/dir/", "g/emptydir/"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"i" if key.endswith("html") else b"")
    for filters in ((("exclude", "*"), ("include", "*.html")), (("exclude", "emptydir/"),)):
        plan = plan_for(src, "g/", delete=True, filters=filters)
        assert "g/emptydir/" not in ops(plan).get("delete", []), filters


def test_a_name_that_is_not_utf8_is_a_warning_not_a_crash(s3, src, plan_for) -> None:
    write(src, "good.txt", "g")
    with open(os.path.join(os.fsencode(src), b"bad\xff.txt"), "wb") as handle:
        handle.write(b"x")
    plan = plan_for(src, delete=True)
    assert ops(plan) == {"upload": ["good.txt"]}
    assert any("not valid UTF-8" in w for w in plan.warnings)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"cache_control": "a\r\nX-Evil: 1"}, "printable ASCII"),
        ({"storage_class": "NOPE"}, "not one of"),
        ({"max_delete": 10**30}, "between 0 and"),
    ],
)
def test_bad_options_are_refused_at_plan_time(s3, src, plan_for, options, message) -> None:
    write(src, "a", "a")
    with pytest.raises(S3DeskError, match=message):
        plan_for(src, **options)
