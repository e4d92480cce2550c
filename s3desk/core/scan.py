"""The local side: every file under the source folder, with paths as keys will spell them.

Paths are relative to the source, `/`-separated and in Unicode NFC, so how the source is spelled
(`dir`, `dir/`, `dir/.`) and how the file system spells names (NFD on macOS) never change the
plan. A path that could not be read is remembered, so that its remote copy is never deleted.
"""

from __future__ import annotations

import logging
import os
import stat as stat_module
import unicodedata
from dataclasses import dataclass, field

from s3desk.core.errors import S3DeskError, UsageError
from s3desk.core.filters import Filters

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LocalFile:
    """A regular file (or a followed link to one) under the source."""

    path: str  # relative, '/'-separated, NFC: what the key is made from
    abspath: str  # where to read it
    disk_path: str  # relative, as the file system spells it (NFD on macOS)
    size: int
    mtime_ns: int
    inode: int
    ctime_ns: int = 0

    @property
    def stamp_ns(self) -> int:
        """The later of mtime and ctime: a rewrite that puts the old mtime back still moves
        ctime, so hashes cached under this stamp go stale with any change of content."""
        return max(self.mtime_ns, self.ctime_ns)


@dataclass
class ScanResult:
    """What the scan found, and what it could not read."""

    root: str
    files: dict[str, LocalFile] = field(default_factory=dict)
    dirs: set[str] = field(default_factory=set)  # relative folders that exist ("a", "a/b")
    protected: set[str] = field(default_factory=set)  # paths whose remote copy must be kept
    protected_dirs: set[str] = field(default_factory=set)  # folders, same, with a trailing '/'
    warnings: list[str] = field(default_factory=list)
    excluded: int = 0  # files left out by the filters

    def is_protected(self, relative_path: str) -> bool:
        if relative_path in self.protected:
            return True
        return any(relative_path.startswith(folder) for folder in self.protected_dirs)


def resolve_source(source: str | os.PathLike[str]) -> str:
    """The absolute source folder, the same for `dir`, `dir/` and `dir/.`.

    Raises:
        S3DeskError: the folder does not exist, is not a folder, or cannot be read.
    """
    root = os.path.abspath(os.fspath(source))
    if not os.path.exists(root):
        raise S3DeskError(
            "Source folder not found",
            f"The source {root} does not exist (is the disk mounted?). Nothing was planned.",
            code="SourceMissing",
        )
    if not os.path.isdir(root):
        raise UsageError(f"The source {root} is not a folder.")
    return root


def scan(
    source: str | os.PathLike[str], filters: Filters | None = None, *, follow_symlinks: bool = False
) -> ScanResult:
    """Walk the source folder.

    Links are followed while their target stays inside the source; a link pointing outside is
    skipped with a warning unless `follow_symlinks`. Loops and broken links are warnings and
    never stop the walk.

    Raises:
        S3DeskError: the source itself is missing or unreadable (never treated as empty).
    """
    root = resolve_source(source)
    walk = _Walk(root, filters or Filters(), follow_symlinks)
    try:
        entries = list(os.scandir(root))
    except OSError as exc:
        raise S3DeskError(
            "Source folder unreadable",
            f"The source {root} cannot be read ({exc.strerror}). Nothing was planned.",
            code="SourceUnreadable",
        ) from exc
    walk.run(entries)
    logger.debug("scanned %d files under %s", len(walk.result.files), root)
    return walk.result


def _not_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


# A folder still to walk: its entries, its relative path with a trailing '/', and the real
# paths of the folders above it (for loop detection); None when there is nothing to walk.
_Pending = tuple[list[os.DirEntry[str]], str, tuple[str, ...]] | None


class _Walk:
    def __init__(self, root: str, filters: Filters, follow_symlinks: bool) -> None:
        self.root = root
        self.real_root = os.path.realpath(root)
        self.filters = filters
        self.follow = follow_symlinks
        self.result = ScanResult(root=root)

    def run(self, entries: list[os.DirEntry[str]]) -> None:
        stack: list[tuple[list[os.DirEntry[str]], str, tuple[str, ...]]] = [
            (entries, "", (self.real_root,))
        ]
        while stack:
            entries, prefix, chain = stack.pop()
            for entry in entries:
                child = self._visit(entry, prefix, chain)
                if child is not None:
                    stack.append(child)

    def _visit(self, entry: os.DirEntry[str], prefix: str, chain: tuple[str, ...]) -> _Pending:
        if _not_utf8(entry.name):
            shown = entry.name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            self._warn(
                prefix + shown, "the name is not valid UTF-8, so it cannot be a key; skipped"
            )
            return None
        relative = prefix + unicodedata.normalize("NFC", entry.name)
        try:
            if entry.is_symlink():
                return self._visit_link(entry, relative, chain)
            if entry.is_dir(follow_symlinks=False):
                # Not a link, so its real path is its parent's real path and its name.
                real = os.path.join(chain[-1], entry.name)
                return self._enter(entry.path, relative, (*chain, real))
            if entry.is_file(follow_symlinks=False):
                self._add_file(entry.path, relative, entry.stat(follow_symlinks=False))
                return None
        except OSError as exc:
            self._unreadable(relative, exc)
            return None
        self._warn(relative, "not a regular file or folder; skipped")
        return None

    def _visit_link(
        self, entry: os.DirEntry[str], relative: str, chain: tuple[str, ...]
    ) -> _Pending:
        target = os.path.realpath(entry.path)
        if not os.path.exists(target):
            self._warn(relative, "broken link; skipped, and its remote copy is kept")
            self._protect(relative, is_dir=False)
            return None
        inside = target == self.real_root or target.startswith(self.real_root + os.sep)
        if not inside and not self.follow:
            self._warn(relative, "link points outside the source; skipped (--follow-symlinks)")
            self._protect(relative, is_dir=os.path.isdir(target))
            return None
        if os.path.isdir(target):
            if target in chain:
                self._warn(relative, "link loops back to a folder above it; skipped")
                self._protect(relative, is_dir=True)
                return None
            return self._enter(entry.path, relative, (*chain, target))
        if not inside:
            self._warn(relative, "link points outside the source; uploading its target")
        self._add_file(entry.path, relative, os.stat(entry.path))
        return None

    def _enter(self, path: str, relative: str, chain: tuple[str, ...]) -> _Pending:
        try:
            entries = list(os.scandir(path))
        except OSError as exc:
            self._unreadable(relative + "/", exc)
            return None
        self.result.dirs.add(relative)
        return entries, relative + "/", chain

    def _add_file(self, path: str, relative: str, info: os.stat_result) -> None:
        if not stat_module.S_ISREG(info.st_mode):
            self._warn(relative, "not a regular file; skipped")
            return
        if not self.filters.included(relative):
            self.result.excluded += 1
            return
        disk_path = path[len(self.root) + 1 :].replace(os.sep, "/")
        if disk_path == relative:
            disk_path = relative  # one string for both (they differ only on NFD file systems)
        self.result.files[relative] = LocalFile(
            relative, path, disk_path, info.st_size, info.st_mtime_ns, info.st_ino, info.st_ctime_ns
        )

    def _unreadable(self, relative: str, exc: OSError) -> None:
        self._warn(relative, f"cannot be read ({exc.strerror}); its remote copy is kept")
        self._protect(relative.rstrip("/"), is_dir=relative.endswith("/"))

    def _protect(self, relative: str, *, is_dir: bool) -> None:
        self.result.protected.add(relative)
        if is_dir:
            self.result.protected_dirs.add(relative + "/")

    def _warn(self, relative: str, message: str) -> None:
        self.result.warnings.append(f"{relative}: {message}")
        # Every front end shows plan warnings; the log file keeps them too.
        logger.warning("%s: %s", relative, message, extra={"console": False})
