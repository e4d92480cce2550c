"""The plan streams: the listing is compared chunk by chunk as it arrives, and files are read
while it is on its way. Whatever the chunks, the plan is the one a whole listing gives."""

from __future__ import annotations

import os
import threading
import time
import unicodedata
from pathlib import Path

import pytest

from s3desk.core import hashing, planner
from s3desk.core.errors import S3DeskError
from s3desk.core.listing import RemoteObject, list_prefix
from tests.unit.conftest import BUCKET, ops, write

NFC = unicodedata.normalize("NFC", "café.txt")
NFD = unicodedata.normalize("NFD", "café.txt")


def slow_lister(objects: list[RemoteObject], delay: float = 0.0):
    """A lister that hands over objects with a pause after each chunk's worth."""

    def lister(client, target):
        for index, obj in enumerate(objects):
            if delay and index and index % planner.LISTING_CHUNK == 0:
                time.sleep(delay)
            yield obj

    return lister


def test_nfc_and_nfd_spellings_in_different_chunks_are_both_conflicts(
    s3, src: Path, plan_for, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(planner, "LISTING_CHUNK", 2)
    write(src, NFC, "new")
    for name in ("a.txt", "b.txt", "c.txt"):
        write(src, name, name)
        s3.put_object(Bucket=BUCKET, Key=name, Body=name.encode())
    s3.put_object(Bucket=BUCKET, Key=NFC, Body=b"one")
    s3.put_object(Bucket=BUCKET, Key="z/filler.txt", Body=b"z")
    s3.put_object(Bucket=BUCKET, Key=NFD, Body=b"two")
    # The first spelling arrives in one chunk and is compared; the second arrives later.
    listed = sorted(list_prefix(s3, planner.Target(BUCKET)), key=lambda o: o.key != NFC)

    plan = plan_for(src, lister=slow_lister(listed), delete=True, max_delete=10)

    grouped = ops(plan)
    assert sorted(grouped["conflict"]) == sorted([NFC, NFD])
    assert grouped["skip"] == ["a.txt", "b.txt", "c.txt"]
    assert grouped["delete"] == ["z/filler.txt"]
    assert "update" not in grouped and "upload" not in grouped


def test_chunked_listing_gives_the_same_plan_as_one_chunk(
    s3, src: Path, plan_for, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(60):
        write(src, f"d{i % 4}/f{i:02d}.txt", f"local {i}")
        if i % 3 == 0:
            body = f"local {i}" if i % 2 else f"remote {i}"
            s3.put_object(Bucket=BUCKET, Key=f"d{i % 4}/f{i:02d}.txt", Body=body.encode())
    for i in range(5):
        s3.put_object(Bucket=BUCKET, Key=f"old/{i}.txt", Body=b"x")
    whole = plan_for(src, delete=True, max_delete=10)
    monkeypatch.setattr(planner, "LISTING_CHUNK", 7)
    chunked = plan_for(src, lister=slow_lister(list(list_prefix(s3, planner.Target(BUCKET))),
                                               delay=0.01), delete=True, max_delete=10)  # fmt: skip

    assert [(a.op, a.key, a.reason) for a in chunked.actions] == [
        (a.op, a.key, a.reason) for a in whole.actions
    ]
    assert chunked.summary.skip == 10 and chunked.summary.update == 10


def test_files_are_read_once_while_the_listing_is_on_its_way(
    s3, src: Path, plan_for, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a `touch` of every file, each file is read exactly once, and the next plan reads
    none (the hash cache knows them)."""
    for i in range(40):
        write(src, f"f{i:02d}.txt", f"same {i}")
        s3.put_object(Bucket=BUCKET, Key=f"f{i:02d}.txt", Body=f"same {i}".encode())
    listed = list(list_prefix(s3, planner.Target(BUCKET)))
    plan_for(src)
    for path in src.iterdir():
        os.utime(path)  # touched: same bytes, new mtime
    reads: list[str] = []
    real = hashing.md5_file
    monkeypatch.setattr(hashing, "md5_file", lambda path: reads.append(path) or real(path))
    monkeypatch.setattr(planner, "LISTING_CHUNK", 4)

    touched = plan_for(src, lister=slow_lister(listed, delay=0.02))
    assert touched.summary.skip == 40 and touched.summary.changes == 0
    assert sorted(reads) == sorted(str(p) for p in src.iterdir())  # each once
    reads.clear()
    again = plan_for(src, lister=slow_lister(listed))
    assert again.summary.skip == 40 and reads == []


def test_a_listing_that_fails_halfway_yields_no_plan(s3, src: Path, plan_for) -> None:
    write(src, "a.txt", "a")

    def failing(client, target):
        yield RemoteObject("a.txt", 1, "e", 1.7e9)
        raise S3DeskError("Listing refused", "stopped halfway", code="AccessDenied")

    with pytest.raises(S3DeskError) as caught:
        plan_for(src, lister=failing, delete=True)
    assert caught.value.code == "AccessDenied"


def test_cancel_during_the_listing_stops_the_plan(s3, src: Path, tmp_path: Path) -> None:
    from s3desk.core.hashing import HashCache
    from s3desk.core.plan import Options
    from s3desk.core.session import Connection
    from s3desk.core.target import Target
    from tests.unit.conftest import IDENTITY

    write(src, "a.txt", "a")
    cancel = threading.Event()

    def endless(client, target):
        for i in range(10**9):
            if i == 50:
                cancel.set()
            yield RemoteObject(f"k{i:09d}", 1, "e", 1.7e9)
            if cancel.is_set():
                time.sleep(0.001)
            if i > 100_000:
                raise AssertionError("the listing was not stopped")

    with pytest.raises(planner.Cancelled):
        planner.make_plan(src, Target(BUCKET), Options(), Connection(region="us-east-1"),
                          identity=IDENTITY, cancel=cancel, lister=endless,
                          hash_cache=HashCache(tmp_path / "h.sqlite"))  # fmt: skip


def test_switch_interval_is_put_back_after_a_plan(s3, src: Path, plan_for) -> None:
    """Planning shortens the GIL switch interval (so the listing thread is not starved while
    files are hashed) and always puts it back, after an error too."""
    import sys

    write(src, "a.txt", "a")
    before = sys.getswitchinterval()
    plan_for(src)
    assert sys.getswitchinterval() == before

    def failing(client, target):
        raise S3DeskError("Listing refused", "no", code="AccessDenied")
        yield

    with pytest.raises(S3DeskError):
        plan_for(src, lister=failing)
    assert sys.getswitchinterval() == before
