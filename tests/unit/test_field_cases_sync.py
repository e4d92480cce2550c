"""Field cases F01-F13 of shared/cases/field-cases.md, each asserting the expected result."""

from __future__ import annotations

import hashlib
import os
import unicodedata
from pathlib import Path
from urllib.parse import quote

import pytest

from s3desk.core.apply import Outcome, apply_plan
from s3desk.core.errors import S3DeskError
from s3desk.core.listing import RemoteObject
from s3desk.core.plan import Op
from s3desk.core.session import Connection
from tests.unit.conftest import BUCKET, ops, utc, write


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def fixed_listing(*objects: RemoteObject):
    return lambda client, target: iter(objects)


def apply(plan):
    return apply_plan(plan, Connection(region="us-east-1"))


# F01: a same-size edit whose mtime is older than the upload time.
F01_REMOTE = RemoteObject(
    "test", 2, "b026324c6904b2a9cb4b88d6d61c81d1", utc("2024-05-01T10:00:05Z")
)


def test_f01_checksum_uploads_a_same_size_edit(s3, src, plan_for) -> None:
    write(src, "test", "2\n", mtime="2024-05-01T10:00:01Z")
    plan = plan_for(src, lister=fixed_listing(F01_REMOTE))
    assert ops(plan) == {"update": ["test"]}
    assert plan.actions[0].md5 == "26ab0db90d72e28ad0ba1e22ee510510"


def test_f01_mtime_rule_skips_but_never_calls_it_identical(s3, src, plan_for) -> None:
    write(src, "test", "2\n", mtime="2024-05-01T10:00:01Z")
    plan = plan_for(src, lister=fixed_listing(F01_REMOTE), compare="mtime")
    assert ops(plan) == {"skip": ["test"]}
    reason = plan.actions[0].reason
    assert "same size, remote newer" in reason and "not verified" in reason
    assert "identical" not in reason


def test_f01_size_only_skips(s3, src, plan_for) -> None:
    write(src, "test", "2\n", mtime="2024-05-01T10:00:01Z")
    assert ops(plan_for(src, lister=fixed_listing(F01_REMOTE), compare="size")) == {
        "skip": ["test"]
    }


# F02: an mtime in the future must not cause an endless upload loop.
def test_f02_future_mtime_with_matching_etag_is_skipped_and_warned(s3, src, plan_for) -> None:
    sfo, clip = b"S" * 4912, b"\1" * 1048576
    write(src, "game/PARAM.SFO", sfo, mtime="2099-05-01T07:53:05Z")
    write(src, "old/clip.mov", clip, mtime="2076-01-01T00:00:00Z")
    listing = fixed_listing(
        RemoteObject("game/PARAM.SFO", 4912, md5(sfo), utc("2024-05-01T04:02:03Z")),
        RemoteObject("old/clip.mov", 1048576, md5(clip), utc("2024-04-01T00:00:00Z")),
    )
    plan = plan_for(src, lister=listing, compare="mtime")
    assert ops(plan) == {"skip": ["game/PARAM.SFO", "old/clip.mov"]}
    assert sum("in the future" in w for w in plan.warnings) == 2


@pytest.mark.parametrize("mode", ["mtime", "checksum"])
def test_f02_after_one_upload_a_second_dry_run_plans_nothing(s3, src, plan_for, mode) -> None:
    write(src, "old/clip.mov", b"\2" * 4096, mtime="2076-01-01T00:00:00Z")
    first = plan_for(src, compare=mode)
    assert ops(first) == {"upload": ["old/clip.mov"]}
    assert apply(first).ok
    assert plan_for(src, compare=mode).summary.changes == 0


# F03: NFD file names against NFC keys.
CAFE_NFD = unicodedata.normalize("NFD", "café.txt")
RESUME_NFD = unicodedata.normalize("NFD", "résumé.pdf")


def test_f03_nfd_names_match_nfc_keys(s3, src, plan_for) -> None:
    assert CAFE_NFD.encode().hex() == "63616665cc812e747874"
    write(src, f"test/{CAFE_NFD}", b"hello", mtime="2024-05-01T09:00:00Z")
    write(src, f"test/{RESUME_NFD}", b"r" * 9000)
    s3.put_object(Bucket=BUCKET, Key="test/café.txt", Body=b"hello")
    plan = plan_for(src, delete=True)
    assert ops(plan) == {"skip": ["test/café.txt"], "upload": ["test/résumé.pdf"]}
    upload = next(a for a in plan.actions if a.op is Op.UPLOAD)
    assert quote(upload.key) == "test/r%C3%A9sum%C3%A9.pdf"  # written in NFC
    assert apply(plan).ok
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert sorted(keys) == ["test/café.txt", "test/résumé.pdf"]
    assert all(unicodedata.is_normalized("NFC", k) for k in keys)


def test_f03_nfc_and_nfd_keys_for_one_name_are_a_conflict(s3, src, plan_for) -> None:
    write(src, "test/other.txt", b"o")
    s3.put_object(Bucket=BUCKET, Key="test/café.txt", Body=b"hello")
    s3.put_object(Bucket=BUCKET, Key=f"test/{CAFE_NFD}", Body=b"hello")
    plan = plan_for(src, delete=True)
    assert sorted(ops(plan)["conflict"]) == sorted(["test/café.txt", f"test/{CAFE_NFD}"])
    assert "delete" not in ops(plan)


# F04: S3's byte order differs from a directory walk; matching is by key, never by order.
F04_PATHS = [
    "a/b/c", "a/b./d", "dir/file1.txt", "dir-2/file2.txt", "dir_2/file3.txt",
    "test/test-0.txt", "test-123.txt", "test123.txt", "xyz/f.txt", "xyz2/g.txt",
]  # fmt: skip


def test_f04_walk_order_never_causes_uploads_or_deletes(s3, src, plan_for) -> None:
    for path in F04_PATHS:
        write(src, path, path, mtime="2024-01-01T00:00:00Z")
        s3.put_object(Bucket=BUCKET, Key=path, Body=path.encode())
    for mode in ("checksum", "mtime", "size"):
        plan = plan_for(src, delete=True, compare=mode)
        assert ops(plan) == {"skip": sorted(F04_PATHS, key=lambda p: p.encode())}


# F05: --delete never touches excluded objects.
def test_f05a_excluded_remote_file_is_not_deleted(s3, src, plan_for) -> None:
    write(src, "a.txt", "a")
    for key, body in (("a.txt", b"a"), ("b.py", b"b")):
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    plan = plan_for(src, delete=True, filters=(("exclude", "*.py"),))
    assert ops(plan) == {"skip": ["a.txt"]}


def test_f05b_excluded_folder_is_untouched(s3, src, plan_for) -> None:
    write(src, "index.html", "i")
    for key in ("index.html", "folder/x.bin", "folder/y.bin"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"i")
    plan = plan_for(src, delete=True, filters=(("exclude", "folder/*"),))
    assert ops(plan) == {"skip": ["index.html"]}


def test_f05c_filters_in_order_last_match_wins(s3, src, plan_for) -> None:
    for name in ("notes.txt", "img.png", "keep.txt"):
        write(src, name, name)
    for key in ("old.txt", "old.png"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"o")
    plan = plan_for(src, delete=True, filters=(("exclude", "*"), ("include", "*.txt")))
    assert ops(plan) == {"upload": ["keep.txt", "notes.txt"], "delete": ["old.txt"]}


def test_f05_delete_excluded_is_a_separate_explicit_option(s3, src, plan_for) -> None:
    write(src, "a.txt", "a")
    for key, body in (("a.txt", b"a"), ("b.py", b"b")):
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    plan = plan_for(src, delete=True, delete_excluded=True, filters=(("exclude", "*.py"),))
    assert ops(plan) == {"skip": ["a.txt"], "delete": ["b.py"]}


# F06: a missing, empty or unreadable source never wipes the destination.
@pytest.fixture
def f06_remote(s3):
    for key in ("photos/2019/a.jpg", "photos/2019/b.jpg", "photos/2020/c.jpg"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"jpg")
    return s3


def test_f06_missing_source_is_an_error(f06_remote, tmp_path, plan_for) -> None:
    with pytest.raises(S3DeskError, match="does not exist") as caught:
        plan_for(tmp_path / "Volumes/Backup/photos", "photos/", delete=True)
    assert caught.value.code == "SourceMissing"


def test_f06_empty_source_with_delete_is_an_error(f06_remote, src, plan_for) -> None:
    with pytest.raises(S3DeskError, match=r"100% of the destination \(3 objects\)") as caught:
        plan_for(src, "photos/", delete=True)
    assert caught.value.code == "SourceEmpty"


def test_f06_empty_source_on_purpose_is_blocked_with_the_share(f06_remote, src, plan_for) -> None:
    plan = plan_for(src, "photos/", delete=True, allow_empty_source=True)
    assert len(ops(plan)["delete"]) == 3
    assert plan.blocked
    assert "this plan deletes 100% of the destination (3 objects)" in plan.block_reasons


def test_f06_unreadable_source_is_an_error(f06_remote, src, plan_for, monkeypatch) -> None:
    real_scandir = os.scandir

    def refuse(path):
        if os.path.abspath(path) == str(src):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", refuse)
    with pytest.raises(S3DeskError, match="cannot be read") as caught:
        plan_for(src, "photos/", delete=True)
    assert caught.value.code == "SourceUnreadable"


def test_unreadable_subfolder_keeps_its_remote_copies(s3, src, plan_for, monkeypatch) -> None:
    write(src, "ok/a.txt", "a")
    write(src, "secret/b.txt", "b")
    for key in ("ok/a.txt", "secret/b.txt", "secret/deep/c.txt"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    real_scandir = os.scandir

    def refuse(path):
        if str(path).endswith("secret"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", refuse)
    plan = plan_for(src, delete=True)
    assert "delete" not in ops(plan)
    assert any("secret/" in w and "cannot be read" in w for w in plan.warnings)


def test_guard_blocks_more_than_max_delete(s3, src, plan_for) -> None:
    write(src, "keep.txt", "k")
    for i in range(30):
        s3.put_object(Bucket=BUCKET, Key=f"old/{i}.txt", Body=b"o")
    for i in range(40):
        s3.put_object(Bucket=BUCKET, Key=f"kept/{i}.txt", Body=b"o")
        write(src, f"kept/{i}.txt", "o")
    plan = plan_for(src, delete=True)
    assert plan.summary.delete == 30
    assert plan.blocked
    assert plan.block_reasons == ("30 deletes is more than --max-delete 20",)
    assert not plan_for(src, delete=True, max_delete=30).blocked


# F07: folder markers.
def test_f07_folder_markers(s3, src, plan_for) -> None:
    write(src, "www/index.html", "i" * 120)
    (src / "empty").mkdir()
    for key, body in (("site/www/", b""), ("site/www/index.html", b"i" * 120),
                      ("site/www/en/html/", b""), ("site/old/", b""), ("site/old/a.txt", b"abc"),
                      ("site/odd/", b"1")):  # fmt: skip
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    plan = plan_for(src, "site/", delete=True)
    assert ops(plan) == {
        "delete": ["site/old/", "site/old/a.txt", "site/www/en/html/"],
        "skip": ["site/www/index.html"],
    }
    assert any(w.startswith("site/odd/") for w in plan.warnings)
    assert not plan.blocked
    result = apply(plan)
    assert result.ok
    deletes = [r.action.key for r in result.results if r.action.op is Op.DELETE]
    assert deletes.index("site/old/a.txt") < deletes.index("site/old/")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert keys == ["site/odd/", "site/www/", "site/www/index.html"]  # no marker for empty/


def test_keys_no_local_file_can_produce_are_never_matched_or_deleted(s3, src, plan_for) -> None:
    write(src, "a.txt", "a")
    for key in ("p/a.txt", "p//double.txt", "p/./dot.txt", "p/../up.txt", "p/x/../y"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"a")
    plan = plan_for(src, "p/", delete=True)
    assert ops(plan) == {"skip": ["p/a.txt"]}
    assert len(plan.warnings) == 4


# F08: symlink loops, broken links, links out of the source.
@pytest.fixture
def f08_tree(src: Path) -> Path:
    write(src, "welcome", "welcome!")
    write(src, "subdir/welcome+again", "welcome!")
    os.symlink("../subdir/", src / "subdir/problematic-link")
    (src / "b/c/d").mkdir(parents=True)
    os.symlink("../../../a/b/test", src / "b/c/d/test")
    outside = src.parent / "outside-hosts"
    outside.write_text("127.0.0.1 localhost\n")
    os.symlink(outside, src / "hosts-link")
    return src


def test_f08_follow(s3, f08_tree, plan_for) -> None:
    s3.put_object(Bucket=BUCKET, Key="b/c/d/test", Body=b"0123456789")
    plan = plan_for(f08_tree, delete=True, follow_symlinks=True)
    assert ops(plan) == {
        "skip": ["b/c/d/test"],
        "upload": ["hosts-link", "subdir/welcome+again", "welcome"],
    }
    warnings = "\n".join(plan.warnings)
    assert "hosts-link: link points outside the source" in warnings
    assert "subdir/problematic-link: link loops" in warnings
    assert "b/c/d/test: broken link" in warnings
    assert apply(plan).ok
    body = s3.get_object(Bucket=BUCKET, Key="hosts-link")["Body"].read()
    assert body == b"127.0.0.1 localhost\n"


def test_f08_no_follow(s3, f08_tree, plan_for) -> None:
    s3.put_object(Bucket=BUCKET, Key="b/c/d/test", Body=b"0123456789")
    plan = plan_for(f08_tree, delete=True)
    assert ops(plan)["upload"] == ["subdir/welcome+again", "welcome"]
    assert "delete" not in ops(plan)
    warned = {w.split(":")[0] for w in plan.warnings}
    assert warned == {"hosts-link", "subdir/problematic-link", "b/c/d/test"}


def test_link_inside_the_source_is_followed(s3, src, plan_for) -> None:
    write(src, "docs/v2/index.html", "v2")
    os.symlink("docs/v2", src / "latest")
    assert ops(plan_for(src))["upload"] == ["docs/v2/index.html", "latest/index.html"]


# F09: ETags that are not an MD5.
def test_f09_multipart_and_kms_etags_are_skipped_not_verified(s3, src, plan_for) -> None:
    write(src, "big.iso", b"\0" * 20971520, mtime="2024-05-01T09:00:00Z")
    write(src, "kms.txt", "hello\n", mtime="2024-05-01T09:00:00Z")
    s3.put_object(Bucket=BUCKET, Key="kms.txt", Body=b"hello\n", ServerSideEncryption="aws:kms")
    listing = fixed_listing(
        RemoteObject("big.iso", 20971520, "5452e5568d20a60209babc69a7b95911-3",
                     utc("2024-05-01T10:00:00Z")),
        RemoteObject("kms.txt", 6, "3f9a0c7d1e2b4a6c8d0e1f2a3b4c5d6e", utc("2024-05-01T10:00:00Z")),
    )  # fmt: skip
    plan = plan_for(src, lister=listing)
    assert ops(plan) == {"skip": ["big.iso", "kms.txt"]}
    big, kms = plan.actions
    assert "multipart ETag verified, 8 MiB parts" in big.reason
    assert "not verified" in kms.reason and "KMS" in kms.reason


def test_f09_sixteen_mib_parts_are_recognised(s3, src, plan_for) -> None:
    write(src, "big.iso", b"\0" * 20971520)
    listing = fixed_listing(
        RemoteObject("big.iso", 20971520, "eaf28a4ad227a3cd1b5362b5b0fd5d40-2", 2e9)
    )
    plan = plan_for(src, lister=listing)
    assert ops(plan) == {"skip": ["big.iso"]}
    assert "16 MiB parts" in plan.actions[0].reason


def test_f09_unknown_part_size_falls_back_to_size_and_time(s3, src, plan_for) -> None:
    write(src, "big.bin", b"\3" * 12_000_000, mtime="2024-05-01T09:00:00Z")
    s3.put_object(Bucket=BUCKET, Key="big.bin", Body=b"x")
    listing = fixed_listing(
        RemoteObject("big.bin", 12_000_000, "0123456789abcdef0123456789abcdef-7",
                     utc("2024-05-01T10:00:00Z")),
    )  # fmt: skip
    plan = plan_for(src, lister=listing)
    assert ops(plan) == {"skip": ["big.bin"]}
    assert "unknown part size" in plan.actions[0].reason
    assert "not verified" in plan.actions[0].reason


def test_f09_own_multipart_upload_is_unchanged_on_the_next_plan(s3, src, plan_for) -> None:
    write(src, "video.mp4", os.urandom(9 * 1024 * 1024 + 5))
    first = plan_for(src)
    assert apply(first).ok
    head = s3.head_object(Bucket=BUCKET, Key="video.mp4")
    assert head["ETag"].strip('"').endswith("-2")
    assert head["Metadata"]["s3desk-md5"] == md5((src / "video.mp4").read_bytes())
    again = plan_for(src)
    assert ops(again) == {"skip": ["video.mp4"]}
    assert "verified" in again.actions[0].reason and "not verified" not in again.actions[0].reason


# F10: content types as uploaded.
def test_f10_uploads_carry_the_fixed_types(s3, src, plan_for) -> None:
    names = {"app.js": "text/javascript", "main.wasm": "application/wasm",
             "blob.xyz": "application/octet-stream", "style.css": "text/css"}  # fmt: skip
    for name in [*names, "data.json.gz"]:
        write(src, name, "x")
    assert apply(plan_for(src)).ok
    for name, expected in names.items():
        assert s3.head_object(Bucket=BUCKET, Key=name)["ContentType"] == expected
    gz = s3.head_object(Bucket=BUCKET, Key="data.json.gz")
    assert (gz["ContentType"], gz["ContentEncoding"]) == ("application/json", "gzip")


# F11: a file that changes between review and upload.
def test_f11_file_grown_after_review_is_not_uploaded(s3, src, plan_for) -> None:
    log = write(src, "app.log", b"l" * 194392, mtime="2024-05-01T10:00:00Z")
    plan = plan_for(src)
    assert ops(plan) == {"upload": ["app.log"]}
    write(src, "app.log", b"l" * 294032, mtime="2024-05-01T10:03:00Z")
    result = apply(plan)
    assert [r.outcome for r in result.results] == [Outcome.CHANGED]
    assert "make a new dry run" in result.results[0].error
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET)
    assert log.exists()


def test_f11_rewritten_during_upload_with_same_size_is_reported(s3, src, plan_for, monkeypatch):
    path = write(src, "db.log", b"a" * 194392)
    s3.put_object(Bucket=BUCKET, Key="db.log", Body=b"b" * 194392)
    plan = plan_for(src)
    assert ops(plan) == {"update": ["db.log"]}
    from s3desk.core import apply as apply_module

    real_put = apply_module._Run._put

    def rewrite_before_the_read(self, action, file_path):
        # The writer strikes after the dry run and the checks before the write, just
        # before the file is read: same size, mtime put back.
        stat = path.stat()
        with open(path, "r+b") as handle:
            handle.write(b"Z" * 4096)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        return real_put(self, action, file_path)

    monkeypatch.setattr(apply_module._Run, "_put", rewrite_before_the_read)
    result = apply(plan)
    assert [r.outcome for r in result.results] == [Outcome.CHANGED]
    stored = s3.get_object(Bucket=BUCKET, Key="db.log")["Body"].read()
    assert stored == b"b" * 194392  # the bucket keeps what it had; nothing half-written


def test_conflict_when_the_object_changed_in_the_bucket(s3, src, plan_for) -> None:
    write(src, "page.html", "new")
    write(src, "fresh.html", "fresh")
    s3.put_object(Bucket=BUCKET, Key="page.html", Body=b"old")
    plan = plan_for(src)
    s3.put_object(Bucket=BUCKET, Key="page.html", Body=b"someone else")
    s3.put_object(Bucket=BUCKET, Key="fresh.html", Body=b"raced")
    result = apply(plan)
    assert {r.action.key: r.outcome for r in result.results} == {
        "fresh.html": Outcome.CONFLICT,
        "page.html": Outcome.CONFLICT,
    }
    assert s3.get_object(Bucket=BUCKET, Key="page.html")["Body"].read() == b"someone else"


def test_deletes_wait_for_every_write(s3, src, plan_for) -> None:
    write(src, "page.html", "new")
    s3.put_object(Bucket=BUCKET, Key="page.html", Body=b"old")
    s3.put_object(Bucket=BUCKET, Key="gone.html", Body=b"bye")
    s3.put_object(Bucket=BUCKET, Key="kept.html", Body=b"k")
    write(src, "kept.html", "k")
    plan = plan_for(src, delete=True)
    s3.put_object(Bucket=BUCKET, Key="page.html", Body=b"raced")
    outcomes = {r.action.key: r.outcome for r in apply(plan).results}
    assert outcomes == {"page.html": Outcome.CONFLICT, "gone.html": Outcome.SKIPPED}
    assert s3.get_object(Bucket=BUCKET, Key="gone.html")["Body"].read() == b"bye"


def test_blocked_plan_is_refused_unless_the_count_is_confirmed(s3, src, plan_for) -> None:
    from s3desk.core.apply import Blocked

    write(src, "a.txt", "a")
    for key in ("a.txt", "b.txt", "c.txt"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"a")
    plan = plan_for(src, delete=True)
    assert plan.blocked  # 2 of 3 is more than half
    with pytest.raises(Blocked):
        apply_plan(plan, Connection(region="us-east-1"))
    with pytest.raises(Blocked):
        apply_plan(plan, Connection(region="us-east-1"), allow_deletes=1)
    assert apply_plan(plan, Connection(region="us-east-1"), allow_deletes=2).ok


def test_key_longer_than_1024_bytes_is_refused_naming_the_file(s3, src, plan_for) -> None:
    name = "/".join(["d" * 250, "é" * 120, "f" * 250, "e" * 250, "g" * 200 + ".txt"])
    write(src, name, "x")
    with pytest.raises(S3DeskError, match="longer than 1024 bytes") as caught:
        plan_for(src, "p/")
    assert "g" * 20 in caught.value.message


@pytest.mark.parametrize("spelling", ["{}", "{}/", "{}/."])
def test_source_spelling_never_changes_the_plan(s3, src, plan_for, spelling) -> None:
    write(src, "a/b.txt", "b")
    plan = plan_for(spelling.format(src))
    assert ops(plan) == {"upload": ["a/b.txt"]}
    assert plan.source == str(src)
