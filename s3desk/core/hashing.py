"""MD5 and multipart ETags of local files, and a cache that keeps a second plan of an
unchanged tree from reading every file again.

The cache is keyed by path, size, mtime and inode: any change to one of them makes the entry
stale. It lives in the platformdirs cache folder and holds hashes only, never content.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from s3desk.core import paths

logger = logging.getLogger(__name__)

MiB = 1024 * 1024
READ_BLOCK = MiB
# Part sizes to try when an ETag says the object was uploaded in N parts: s3desk's own, then
# the defaults of common tools and consoles.
COMMON_PART_SIZES = (8 * MiB, 5 * MiB, 16 * MiB, 15 * MiB, 32 * MiB, 64 * MiB, 100 * MiB)
SCHEMA = 1


SMALL_FILE = MiB  # read in one call: a buffered file object costs more than the hashing


def md5_file(path: str) -> str:
    """The hex MD5 of a file's bytes."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        digest = hashlib.md5()
        while block := os.read(fd, SMALL_FILE):
            digest.update(block)
        return digest.hexdigest()
    finally:
        os.close(fd)


def md5_bytes(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def multipart_etags(path: str, part_sizes: Iterable[int]) -> dict[int, str]:
    """The S3 multipart ETag the file would have for each part size, in one read.

    The multipart ETag is the MD5 of the concatenated binary MD5s of the parts, followed by
    `-` and the number of parts.
    """
    sizes = sorted(set(part_sizes))
    digests: dict[int, list[bytes]] = {size: [] for size in sizes}
    current = {size: hashlib.md5() for size in sizes}
    filled = dict.fromkeys(sizes, 0)
    with open(path, "rb") as handle:
        while block := handle.read(READ_BLOCK):
            _feed(block, sizes, digests, current, filled)
    for size in sizes:
        if filled[size] or not digests[size]:
            digests[size].append(current[size].digest())
    return {
        size: f"{hashlib.md5(b''.join(parts)).hexdigest()}-{len(parts)}"
        for size, parts in digests.items()
    }


def _feed(block: bytes, sizes, digests, current, filled) -> None:  # type: ignore[no-untyped-def]
    for size in sizes:
        view = memoryview(block)
        while view:
            room = size - filled[size]
            chunk = view[:room]
            current[size].update(chunk)
            filled[size] += len(chunk)
            view = view[len(chunk) :]
            if filled[size] == size:
                digests[size].append(current[size].digest())
                current[size] = hashlib.md5()
                filled[size] = 0


def part_size_candidates(size: int, parts: int, own_part_size: int) -> list[int]:
    """Part sizes that split `size` bytes into exactly `parts` parts, most likely first."""
    preferred = (own_part_size, *COMMON_PART_SIZES)
    fits = [p for p in dict.fromkeys(preferred) if _part_count(size, p) == parts]
    # Also any whole number of MiB that fits, when only a few do (a tool's custom setting).
    low = -(-size // parts)
    high = size // (parts - 1) if parts > 1 else size
    whole = [m * MiB for m in range(-(-low // MiB), high // MiB + 1) if m * MiB >= 5 * MiB]
    whole = [p for p in whole if _part_count(size, p) == parts]
    if len(whole) <= 4:
        fits += [p for p in whole if p not in fits]
    return fits


def _part_count(size: int, part_size: int) -> int:
    return max(1, -(-size // part_size))


class HashCache:
    """Hashes of local files keyed by (path, size, mtime, inode), in SQLite.

    Reads are served from memory after one query; new hashes are written in one transaction
    by `save()`. Safe to use from several threads.
    """

    def __init__(self, file: Path | None = None) -> None:
        self.file = file or paths.cache_dir() / "hashes.sqlite"
        self._lock = threading.Lock()
        self._known: dict[tuple[str, str], tuple[int, int, int, str]] | None = None
        self._new: dict[tuple[str, str], tuple[int, int, int, str]] = {}

    def get(self, path: str, kind: str, size: int, mtime_ns: int, inode: int) -> str | None:
        known = self._load()
        entry = self._new.get((path, kind)) or known.get((path, kind))
        if entry and entry[:3] == (size, mtime_ns, inode):
            return entry[3]
        return None

    def put(self, path: str, kind: str, size: int, mtime_ns: int, inode: int, value: str) -> None:
        with self._lock:
            self._new[(path, kind)] = (size, mtime_ns, inode, value)

    def save(self) -> None:
        """Write the hashes computed since the last save. A cache that cannot be written is
        only slower, never wrong, so failures are logged and ignored."""
        with self._lock:
            rows = [(p, k, *v) for (p, k), v in self._new.items()]
            self._new = {}
        if not rows:
            return
        try:
            with self._connect() as db:
                db.executemany("INSERT OR REPLACE INTO hashes VALUES (?, ?, ?, ?, ?, ?)", rows)
        except (OSError, sqlite3.Error) as exc:
            logger.warning("hash cache not saved (%s); the next plan reads the files again", exc)
            return
        if self._known is not None:
            self._known.update({(r[0], r[1]): r[2:] for r in rows})

    def _load(self) -> dict[tuple[str, str], tuple[int, int, int, str]]:
        if self._known is not None:
            return self._known
        with self._lock:
            if self._known is None:
                self._known = self._read_all()
        return self._known

    def _read_all(self) -> dict[tuple[str, str], tuple[int, int, int, str]]:
        if not self.file.exists():
            return {}
        try:
            with self._connect() as db:
                rows = db.execute("SELECT path, kind, size, mtime_ns, inode, value FROM hashes")
                return {(r[0], r[1]): (r[2], r[3], r[4], r[5]) for r in rows}
        except sqlite3.Error as exc:
            logger.warning("hash cache unreadable (%s); starting a new one", exc)
            return {}

    def _connect(self) -> sqlite3.Connection:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.file, timeout=10)
        db.execute(
            "CREATE TABLE IF NOT EXISTS hashes (path TEXT, kind TEXT, size INTEGER, "
            "mtime_ns INTEGER, inode INTEGER, value TEXT, PRIMARY KEY (path, kind))"
        )
        db.execute(f"PRAGMA user_version = {SCHEMA}")
        return db


class Hasher:
    """Hashes files through the cache."""

    def __init__(self, cache: HashCache | None) -> None:
        self.cache = cache

    def has_md5(self, path: str, size: int, mtime_ns: int, inode: int) -> bool:
        """True when the MD5 is cached for exactly this size, stamp and inode."""
        return self.cache is not None and bool(self.cache.get(path, "md5", size, mtime_ns, inode))

    def md5(self, path: str, size: int, mtime_ns: int, inode: int) -> str:
        return self._cached(path, "md5", size, mtime_ns, inode, lambda: md5_file(path))

    def multipart_etag(
        self, path: str, size: int, mtime_ns: int, inode: int, part_sizes: list[int]
    ) -> dict[int, str]:
        found: dict[int, str] = {}
        missing = []
        for part_size in part_sizes:
            value = (
                self.cache.get(path, f"etag-{part_size}", size, mtime_ns, inode)
                if (self.cache)
                else None
            )
            if value:
                found[part_size] = value
            else:
                missing.append(part_size)
        if missing:
            computed = multipart_etags(path, missing)
            for part_size, value in computed.items():
                if self.cache:
                    self.cache.put(path, f"etag-{part_size}", size, mtime_ns, inode, value)
            found.update(computed)
        return found

    def _cached(
        self, path: str, kind: str, size: int, mtime_ns: int, inode: int, compute: Callable[[], str]
    ) -> str:
        if self.cache is not None:
            value = self.cache.get(path, kind, size, mtime_ns, inode)
            if value:
                return value
        value = compute()
        if self.cache is not None:
            self.cache.put(path, kind, size, mtime_ns, inode, value)
        return value


def file_identity(stat: os.stat_result) -> tuple[int, int, int]:
    return stat.st_size, stat.st_mtime_ns, stat.st_ino
