import os
from pathlib import Path

import pytest

from s3desk.core.filters import Filters
from s3desk.core.hashing import HashCache, Hasher, MiB, md5_file, multipart_etags
from s3desk.core.mime import content_type


def test_filters_last_match_wins_in_order() -> None:
    rules = Filters([("exclude", "*"), ("include", "*.txt")])
    assert rules.included("notes.txt")
    assert rules.included("deep/keep.txt")
    assert not rules.included("img.png")
    reversed_rules = Filters([("include", "*.txt"), ("exclude", "*")])
    assert not reversed_rules.included("notes.txt")


def test_filter_star_crosses_folders_like_aws_cli() -> None:
    rules = Filters([("exclude", "folder/*"), ("exclude", "*.py")])
    assert not rules.included("folder/x.bin")
    assert not rules.included("folder/deep/y.bin")
    assert not rules.included("src/app.py")
    assert rules.included("folder.txt")


def test_no_filters_include_everything() -> None:
    assert Filters().included("anything/at/all")


# F10: the same content type on every OS, from the app's own table.
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("app.js", ("text/javascript", None)),
        ("mod.mjs", ("text/javascript", None)),
        ("main.wasm", ("application/wasm", None)),
        ("img.webp", ("image/webp", None)),
        ("icon.svg", ("image/svg+xml", None)),
        ("data.json", ("application/json", None)),
        ("font.woff", ("font/woff", None)),
        ("font.woff2", ("font/woff2", None)),
        ("style.css", ("text/css", None)),
        ("index.html", ("text/html", None)),
        ("blob.xyz", ("application/octet-stream", None)),
        ("data.json.gz", ("application/json", "gzip")),
        ("site.webmanifest", ("application/manifest+json", None)),
        ("app.js.map", ("application/json", None)),
        ("IMG.WEBP", ("image/webp", None)),
    ],
)
def test_f10_content_type_table(name: str, expected: tuple[str, str | None]) -> None:
    assert content_type(name) == expected


def test_f10_system_mime_table_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    import mimetypes

    # A machine whose tables say .js is text/plain (the Windows registry case).
    monkeypatch.setitem(mimetypes.types_map, ".js", "text/plain")
    monkeypatch.setitem(mimetypes.types_map, ".xyz", "text/plain")
    assert content_type("app.js") == ("text/javascript", None)
    assert content_type("blob.xyz") == ("application/octet-stream", None)


def test_f09_multipart_etags_for_common_part_sizes(tmp_path: Path) -> None:
    big = tmp_path / "big.iso"
    big.write_bytes(b"\0" * 20971520)
    assert md5_file(str(big)) == "8f4e33f3dc3e414ff94e5fb6905cba8c"
    etags = multipart_etags(str(big), [8 * MiB, 16 * MiB])
    assert etags[8 * MiB] == "5452e5568d20a60209babc69a7b95911-3"
    assert etags[16 * MiB] == "eaf28a4ad227a3cd1b5362b5b0fd5d40-2"


def _identity(path: Path) -> tuple[int, int, int]:
    info = path.stat()
    return info.st_size, info.st_mtime_ns, info.st_ino


def test_hash_cache_serves_second_read_and_is_invalidated(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"one")
    cache_file = tmp_path / "cache.sqlite"
    first = Hasher(HashCache(cache_file))
    assert first.md5(str(path), *_identity(path)) == md5_file(str(path))
    first.cache.save()  # type: ignore[union-attr]

    # A new process reads the saved cache: a stale stored value proves it is used.
    cache = HashCache(cache_file)
    cache.put(str(path), "md5", *_identity(path), "cached-value")
    assert Hasher(cache).md5(str(path), *_identity(path)) == "cached-value"

    size, mtime, inode = _identity(path)
    assert cache.get(str(path), "md5", size + 1, mtime, inode) is None
    assert cache.get(str(path), "md5", size, mtime + 1, inode) is None
    assert cache.get(str(path), "md5", size, mtime, inode + 1) is None


def test_hash_cache_survives_restart(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"two")
    cache = HashCache(tmp_path / "c.sqlite")
    cache.put(str(path), "md5", *_identity(path), "abc")
    cache.save()
    assert HashCache(tmp_path / "c.sqlite").get(str(path), "md5", *_identity(path)) == "abc"


def test_replaced_file_with_same_size_and_mtime_is_rehashed(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"aaa")
    cache = HashCache(tmp_path / "c.sqlite")
    hasher = Hasher(cache)
    before = hasher.md5(str(path), *_identity(path))
    stat = path.stat()
    replacement = tmp_path / "new.txt"
    replacement.write_bytes(b"bbb")
    os.utime(replacement, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    os.replace(replacement, path)  # a new inode, same size and mtime
    assert hasher.md5(str(path), *_identity(path)) != before
