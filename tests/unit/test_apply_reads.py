"""What apply reads is what was reviewed: the real path of the opened file is checked after
reading it, so a folder swapped for a link to somewhere else is refused even when the file
itself is untouched."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from s3desk.core.apply import OUTSIDE_SOURCE, Outcome, apply_plan
from s3desk.core.session import Connection
from tests.unit.conftest import BUCKET, ops, write


def apply(plan):
    return apply_plan(plan, Connection(region="us-east-1"))


def test_folder_swapped_for_a_link_outside_is_refused(s3, src: Path, plan_for, tmp_path) -> None:
    write(src, "docs/a.txt", "reviewed")
    plan = plan_for(src)
    assert ops(plan) == {"upload": ["docs/a.txt"]}
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    # The very same file (same inode, size, mtime and ctime) now sits outside the source.
    shutil.move(str(src / "docs"), str(outside / "docs"))
    os.symlink(outside / "docs", src / "docs")

    result = apply(plan)

    assert [(r.outcome, r.error) for r in result.results] == [(Outcome.CHANGED, OUTSIDE_SOURCE)]
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET)


def test_file_swapped_for_a_link_outside_is_refused(s3, src: Path, plan_for, tmp_path) -> None:
    write(src, "a.txt", "reviewed")
    plan = plan_for(src)
    outside = tmp_path / "secret.txt"
    outside.write_text("reviewed")
    (src / "a.txt").unlink()
    os.symlink(outside, src / "a.txt")

    result = apply(plan)

    assert [r.outcome for r in result.results] == [Outcome.CHANGED]
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET)


def test_file_removed_after_review_is_reported(s3, src: Path, plan_for) -> None:
    write(src, "a.txt", "reviewed")
    plan = plan_for(src)
    (src / "a.txt").unlink()

    result = apply(plan)

    assert [r.outcome for r in result.results] == [Outcome.CHANGED]
    assert "gone or unreadable" in result.results[0].error


def test_untouched_files_are_uploaded_with_their_bytes(s3, src: Path, plan_for) -> None:
    write(src, "docs/a.txt", "reviewed")
    write(src, "b.bin", os.urandom(3000))
    plan = plan_for(src)

    result = apply(plan)

    assert result.ok
    for key in ("docs/a.txt", "b.bin"):
        stored = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        assert stored == (src / key).read_bytes()


def test_what_the_prefix_holds_after_apply_is_what_a_listing_says(s3, src: Path, plan_for) -> None:
    """Counted from the dry run's listing and what was done, not listed again."""
    write(src, "new.txt", "brand new")
    write(src, "changed.txt", "longer than before")
    write(src, "raced.txt", "mine")
    s3.put_object(Bucket=BUCKET, Key="changed.txt", Body=b"short")
    s3.put_object(Bucket=BUCKET, Key="raced.txt", Body=b"theirs")
    s3.put_object(Bucket=BUCKET, Key="gone.txt", Body=b"to be deleted")
    s3.put_object(Bucket=BUCKET, Key="keep/other.txt", Body=b"outside the filters")
    plan = plan_for(src, delete=True, max_delete=5, filters=(("exclude", "keep/*"),))
    assert plan.remote_bytes == 5 + 6 + 13 + 19
    s3.put_object(Bucket=BUCKET, Key="raced.txt", Body=b"someone else")  # a conflict now

    result = apply(plan)

    listed = s3.list_objects_v2(Bucket=BUCKET)["Contents"]
    assert [r.outcome for r in result.results].count(Outcome.CONFLICT) == 1
    # Exact, but for what another writer changed after the dry run (raced.txt grew by 6).
    racer = len(b"someone else") - len(b"theirs")
    assert result.prefix_objects == len(listed)
    assert result.prefix_bytes == sum(o["Size"] for o in listed) - racer
