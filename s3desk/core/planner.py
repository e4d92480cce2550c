"""Making a plan: scan the source, list the prefix, compare, and apply the guards.

The scan and the listing run at the same time; files whose content must be read are hashed on
several threads. Nothing here writes to the bucket.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from typing import Any

from s3desk.core.compare import MODES, HeadInfo, Verdict, compare
from s3desk.core.direct import DirectEndpoint
from s3desk.core.errors import S3DeskError, UsageError, explain
from s3desk.core.filters import Filters
from s3desk.core.hashing import HashCache, Hasher
from s3desk.core.identity import Identity, identify
from s3desk.core.listing import RemoteObject, list_prefix
from s3desk.core.mime import content_type as guess_content_type
from s3desk.core.plan import Action, Headers, Op, Options, Plan
from s3desk.core.review import guard_reasons
from s3desk.core.scan import LocalFile, ScanResult, resolve_source, scan
from s3desk.core.session import Connection, make_client
from s3desk.core.target import MAX_KEY_BYTES, Target

logger = logging.getLogger(__name__)

MAX_DELETE_LIMIT = 1_000_000_000
_HEADER_TEXT = re.compile(r"^[\x20-\x7e]+$")
STORAGE_CLASSES = (
    "STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER",
    "DEEP_ARCHIVE", "REDUCED_REDUNDANCY", "EXPRESS_ONEZONE",
)  # fmt: skip
HASH_BATCH = 128
HEAD_WORKERS = 16
FUTURE_SLACK_SECONDS = 60


class Cancelled(S3DeskError):
    def __init__(self) -> None:
        super().__init__("Cancelled", "The dry run was cancelled; nothing was planned.")


Lister = Callable[[Any, Target], Iterable[RemoteObject]]


def make_plan(
    source: str | os.PathLike[str],
    target: Target,
    options: Options,
    connection: Connection,
    *,
    identity: Identity | None = None,
    cancel: threading.Event | None = None,
    hash_cache: HashCache | None = None,
    lister: Lister | None = None,
    job: str | None = None,
) -> Plan:
    """Compare the source folder with the target prefix and return the plan.

    Raises:
        S3DeskError: the source is missing, unreadable, or empty with deletes on; the listing
            failed; the credentials cannot be used. A failure never yields a partial plan.
    """
    check_options(options)
    root = resolve_source(source)
    connection = connection.for_endpoint(target.endpoint_url, target.region)
    direct = None if lister else DirectEndpoint.for_connection(connection, target)
    try:
        scanned, client, remote, identity = _gather(
            root, target, options, connection, identity, lister or default_lister(target), direct
        )
        plan = _build(root, target, options, (scanned, client, remote, identity),
                      hash_cache, cancel, job)  # fmt: skip
    finally:
        if direct is not None:
            direct.close()
    _log_plan(plan)
    return plan


def _build(
    root: str,
    target: Target,
    options: Options,
    gathered: tuple[ScanResult, Any, list[RemoteObject], Identity],
    hash_cache: HashCache | None,
    cancel: threading.Event | None,
    job: str | None,
) -> Plan:
    scanned, client, remote, identity = gathered
    _raise_if_cancelled(cancel)
    _refuse_empty_source(scanned, remote, target, options)
    cache = hash_cache if hash_cache is not None else HashCache()
    builder = _Builder(target, options, scanned, remote, client, Hasher(cache), cancel)
    actions = builder.build()
    cache.save()
    plan = _with_guards(
        Plan(
            target=target,
            source=root,
            options=options,
            identity=identity,
            actions=actions,
            warnings=tuple(scanned.warnings + builder.warnings),
            job=job,
        ),
        remote_count=len(remote),
    )
    return plan


def default_lister(target: Target) -> Lister:
    """The cheap listing parser on S3-compatible servers (path-style URLs); botocore's own on
    AWS, where it follows regional endpoints and redirects."""
    if target.is_custom_endpoint:
        from s3desk.core.fastlist import list_prefix_fast

        return list_prefix_fast
    return list_prefix


def check_options(options: Options) -> None:
    if options.compare not in MODES:
        raise UsageError(f"--compare must be one of {', '.join(MODES)}, not {options.compare!r}.")
    if not 0 <= options.max_delete <= MAX_DELETE_LIMIT:
        raise UsageError(f"--max-delete must be between 0 and {MAX_DELETE_LIMIT:,}.")
    for name, value in (("--cache-control", options.cache_control),
                        ("--content-type", options.content_type)):  # fmt: skip
        if value and not _HEADER_TEXT.match(value):
            raise UsageError(f"{name} may hold only printable ASCII on one line.")
    if options.storage_class and options.storage_class not in STORAGE_CLASSES:
        raise UsageError(
            f"--storage-class {options.storage_class!r} is not one of {', '.join(STORAGE_CLASSES)}."
        )
    if options.create_only and (options.delete or options.delete_excluded):
        raise UsageError("This job is append-only (a backup): it can never delete.")
    Filters(options.filters)


def _gather(
    root: str,
    target: Target,
    options: Options,
    connection: Connection,
    identity: Identity | None,
    lister: Lister,
    direct: DirectEndpoint | None,
) -> tuple[ScanResult, Any, list[RemoteObject], Identity]:
    """Scan the source while the identity and the listing are fetched on other threads.

    A scan error wins over the others (it is raised before their results are read); then an
    identity error, which says more about credentials than a refused listing does.
    """
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="s3desk-plan") as pool:
        if direct is not None:
            listing = pool.submit(lambda: (direct, list(direct.list(target))))
            who = pool.submit(direct.identify) if identity is None else None
        else:
            listing = pool.submit(_list_remote, connection, target, lister)
            who = pool.submit(identify, connection) if identity is None else None
        scanned = scan(root, Filters(options.filters), follow_symlinks=options.follow_symlinks)
        identity = identity or who.result()  # type: ignore[union-attr]
        client, remote = _listing_result(listing, target)
    return scanned, client, remote, identity


def _list_remote(
    connection: Connection, target: Target, lister: Lister
) -> tuple[Any, list[RemoteObject]]:
    client = make_client(connection)
    return client, list(lister(client, target))


def _listing_result(listing: Any, target: Target) -> tuple[Any, list[RemoteObject]]:
    try:
        return listing.result()
    except S3DeskError:
        raise
    except Exception as exc:
        raise explain(exc, operation="s3:ListBucket", bucket=target.bucket) from exc


def _refuse_empty_source(
    scanned: ScanResult, remote: list[RemoteObject], target: Target, options: Options
) -> None:
    """An empty source with deletes on is how whole backups are lost (an unmounted disk)."""
    if not options.delete or scanned.files or options.allow_empty_source:
        return
    filters = Filters(options.filters)
    at_risk = [o for o in remote if filters.included(target.relative(o.key))]
    share = f"100% of the destination ({len(at_risk)} objects)" if at_risk else "nothing"
    if scanned.excluded:
        what = f"every one of its {scanned.excluded} files is excluded by the filters"
    else:
        what = "it holds no files"
    raise S3DeskError(
        "Source folder is empty",
        f"The source {scanned.root} has nothing to upload: {what}. With deletes on, this plan "
        f"deletes {share} under {target.url}. Nothing was planned. Check the folder (or its "
        "disk) and the filters; to empty the prefix on purpose, use --allow-empty-source.",
        code="SourceEmpty",
    )


def _raise_if_cancelled(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled()


@dataclass
class _Remote:
    """The remote objects, sorted into what can be matched to a local file and what cannot."""

    by_name: dict[str, list[RemoteObject]] = field(default_factory=dict)  # NFC relative path
    markers: list[RemoteObject] = field(default_factory=list)
    excluded: list[RemoteObject] = field(default_factory=list)
    # Some servers (rclone) store a folder marker `dir/` as a file `dir`.
    marker_files: list[RemoteObject] = field(default_factory=list)


class _Builder:
    def __init__(
        self,
        target: Target,
        options: Options,
        scanned: ScanResult,
        remote: list[RemoteObject],
        client: Any,
        hasher: Hasher,
        cancel: threading.Event | None,
    ) -> None:
        self.target = target
        self.options = options
        self.scanned = scanned
        self.remote = remote
        self.client = client
        self.hasher = hasher
        self.cancel = cancel
        self.filters = Filters(options.filters)
        self.warnings: list[str] = []
        self.now = time.time()

    def build(self) -> tuple[Action, ...]:
        remote = self._sort_remote()
        actions = self._conflicts(remote)
        actions += self._compare_files(remote)
        _raise_if_cancelled(self.cancel)
        actions = self._metadata_updates(actions)
        actions += self._deletes(remote, actions)
        actions.sort(key=lambda a: a.key.encode("utf-8"))
        return tuple(actions)

    def _sort_remote(self) -> _Remote:
        sorted_remote = _Remote()
        for obj in self.remote:
            relative = self.target.relative(obj.key)
            if relative == "":
                continue  # the prefix's own folder marker
            if relative.endswith("/"):
                self._sort_marker(obj, relative, sorted_remote)
            elif unmatchable(relative):
                self._warn(obj.key, "no local file can have this name; left untouched")
            elif obj.size == 0 and relative in self.scanned.dirs:
                self._warn(obj.key, "a zero-byte object has the name of a local folder")
                sorted_remote.marker_files.append(obj)
            elif not self.filters.included(relative):
                sorted_remote.excluded.append(obj)
            else:
                name = unicodedata.normalize("NFC", relative)
                sorted_remote.by_name.setdefault(name, []).append(obj)
        return sorted_remote

    def _sort_marker(self, obj: RemoteObject, relative: str, remote: _Remote) -> None:
        if obj.size > 0:
            self._warn(obj.key, f"a key ending in '/' holds {obj.size} bytes; left untouched")
        elif unmatchable(relative.rstrip("/")):
            self._warn(obj.key, "no local folder can have this name; left untouched")
        elif self.filters.included(relative) and self.filters.included(relative.rstrip("/")):
            remote.markers.append(obj)
        # An excluded marker is left alone, like any excluded object.

    def _conflicts(self, remote: _Remote) -> list[Action]:
        actions = [
            _remote_action(
                Op.CONFLICT,
                obj,
                "a zero-byte object has this folder's name (a folder marker this server stores "
                "as a file); files cannot be written under it until it is removed by hand",
            )
            for obj in remote.marker_files
        ]
        for name, objects in remote.by_name.items():
            if len(objects) > 1:
                for obj in objects:
                    actions.append(
                        _remote_action(
                            Op.CONFLICT,
                            obj,
                            f"{len(objects)} keys spell '{name}' (NFC and NFD forms); "
                            "resolve by hand",
                            self.scanned.files.get(name),
                        )
                    )
        return actions

    def _compare_files(self, remote: _Remote) -> list[Action]:
        uploads, pairs = [], []
        for name, local in self.scanned.files.items():
            objects = remote.by_name.get(name)
            self._warn_future(local)
            if objects is None:
                uploads.append(self._upload(local))
            elif len(objects) == 1:
                pairs.append((local, objects[0]))
        return uploads + self._compare_pairs(pairs)

    def _upload(self, local: LocalFile) -> Action:
        key = self.target.key_for(unicodedata.normalize("NFC", local.path))
        if len(key.encode("utf-8")) > MAX_KEY_BYTES:
            raise UsageError(
                f"{local.path}: its key would be longer than {MAX_KEY_BYTES} bytes, which S3 "
                "refuses. Rename the file or exclude it (--exclude).",
                title="Key too long",
            )
        return _local_action(Op.UPLOAD, key, local, "new file", self._headers(local.path))

    def _compare_pairs(self, pairs: list[tuple[LocalFile, RemoteObject]]) -> list[Action]:
        """Compare here what needs no reading (sizes differ, or the hash is cached), and the
        rest on several threads, in batches: reading and hashing release the GIL."""
        quick, slow = [], []
        for pair in pairs:
            (quick if self._needs_no_read(*pair) else slow).append(pair)
        return self._compare_batch(quick) + self._compare_slow(slow)

    def _needs_no_read(self, local: LocalFile, obj: RemoteObject) -> bool:
        if local.size != obj.size or self.options.compare == "size":
            return True
        return not obj.is_multipart and self.hasher.has_md5(
            local.abspath, local.size, local.stamp_ns, local.inode
        )

    def _compare_slow(self, pairs: list[tuple[LocalFile, RemoteObject]]) -> list[Action]:
        if not pairs:
            return []
        batches = [pairs[i : i + HASH_BATCH] for i in range(0, len(pairs), HASH_BATCH)]
        if len(batches) == 1:
            return self._compare_batch(batches[0])
        workers = min(len(batches), (os.cpu_count() or 2) * 2)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="s3desk-hash") as pool:
            results = list(pool.map(self._compare_batch, batches))
        return [action for batch in results for action in batch]

    def _compare_batch(self, pairs: list[tuple[LocalFile, RemoteObject]]) -> list[Action]:
        _raise_if_cancelled(self.cancel)
        return [self._compare_one(local, obj) for local, obj in pairs]

    def _compare_one(self, local: LocalFile, obj: RemoteObject) -> Action:
        try:
            verdict = compare(local, obj, self.options.compare, self.hasher, self._head)
        except OSError as exc:
            self._warn(local.path, f"cannot be read ({exc.strerror}); left as it is")
            return _pair_action(Op.SKIP, obj, local, "cannot be read here; remote copy kept")
        if verdict.same:
            return _pair_action(Op.SKIP, obj, local, verdict.reason, verdict)
        if self.options.create_only:
            reason = f"{verdict.reason}; append-only job, the object is not overwritten"
            return _pair_action(Op.CONFLICT, obj, local, reason, verdict)
        action = _pair_action(Op.UPDATE, obj, local, verdict.reason, verdict)
        return _with_headers(action, self._headers(local.path))

    def _head(self, key: str) -> HeadInfo | None:
        """HeadObject for a listed key; None when it is refused or fails (state unknown)."""
        try:
            return HeadInfo.from_response(
                self.client.head_object(Bucket=self.target.bucket, Key=key)
            )
        except Exception as exc:
            logger.debug("HeadObject %s failed: %s", key, exc)
            return None

    def _headers(self, path: str) -> Headers:
        return headers_for(path, self.options)

    def _metadata_updates(self, actions: list[Action]) -> list[Action]:
        """Unchanged objects whose stored headers differ from the rules get a metadata copy."""
        if not wants_header_check(self.options) or self.options.create_only:
            return actions
        unchanged = [i for i, a in enumerate(actions) if a.op is Op.SKIP and a.path is not None]
        with ThreadPoolExecutor(max_workers=HEAD_WORKERS, thread_name_prefix="s3desk-head") as pool:
            heads = list(pool.map(lambda i: self._head(actions[i].key), unchanged))
        for index, info in zip(unchanged, heads, strict=True):
            action = actions[index]
            wanted = self._headers(action.path or "")
            if info is None:
                self._warn(action.key, "stored headers could not be read; not checked")
                continue
            difference = header_difference(info, wanted)
            if difference:
                actions[index] = _with_headers(
                    Action(**{**action.__dict__, "op": Op.METADATA, "reason": difference}), wanted
                )
        return actions

    def _deletes(self, remote: _Remote, actions: list[Action]) -> list[Action]:
        if not self.options.delete:
            return []
        deletes = []
        for name, objects in remote.by_name.items():
            if name in self.scanned.files or len(objects) > 1:
                continue
            deletes.append(self._delete_or_keep(objects[0], name))
        if self.options.delete_excluded:
            deletes += [
                _remote_action(Op.DELETE, o, "excluded (--delete-excluded)")
                for o in remote.excluded
            ]
        deleted = {a.key for a in deletes if a.op is Op.DELETE}
        kept = [o.key for o in self.remote if o.key not in deleted]
        return deletes + self._marker_deletes(remote.markers, kept)

    def _delete_or_keep(self, obj: RemoteObject, name: str) -> Action:
        if self.scanned.is_protected(name):
            return _remote_action(Op.SKIP, obj, "the local entry could not be read; kept")
        return _remote_action(Op.DELETE, obj, "no local file")

    def _marker_deletes(self, markers: list[RemoteObject], kept: list[str]) -> list[Action]:
        """A folder marker goes only when its folder is gone here and nothing is left under it."""
        actions = []
        remaining = set(kept)
        for marker in sorted(markers, key=lambda o: o.key.encode("utf-8"), reverse=True):
            folder = unicodedata.normalize("NFC", self.target.relative(marker.key))
            if folder.rstrip("/") in self.scanned.dirs or self.scanned.is_protected(folder):
                continue
            if any(k != marker.key and k.startswith(marker.key) for k in remaining):
                continue
            remaining.discard(marker.key)
            actions.append(_remote_action(Op.DELETE, marker, "empty folder marker"))
        return actions

    def _warn_future(self, local: LocalFile) -> None:
        if local.mtime_ns / 1e9 > self.now + FUTURE_SLACK_SECONDS:
            self._warn(local.path, "its modification time is in the future")

    def _warn(self, where: str, message: str) -> None:
        self.warnings.append(f"{where}: {message}")
        logger.warning("%s: %s", where, message, extra={"console": False})


def unmatchable(relative: str) -> bool:
    """True for keys no local file can produce: a leading '/', '//', '.' or '..' segments."""
    if relative.startswith("/") or "//" in relative:
        return True
    return any(part in (".", "..") for part in relative.split("/"))


def headers_for(path: str, options: Options) -> Headers:
    """The headers an upload of `path` gets: the first matching header rule, then the job's
    options, then the fixed content-type table."""
    cache_control, content_type = options.cache_control, options.content_type
    for pattern, rule_cache, rule_type in options.header_rules:
        if fnmatchcase(path, pattern):
            cache_control = rule_cache or cache_control
            content_type = rule_type or content_type
            break
    guessed, encoding = guess_content_type(path)
    return Headers(
        cache_control=cache_control or None,
        content_type=content_type or guessed,
        content_encoding=encoding if not content_type else None,
        storage_class=options.storage_class,
    )


def wants_header_check(options: Options) -> bool:
    return bool(options.header_rules or options.cache_control or options.content_type)


def header_difference(info: HeadInfo, wanted: Headers) -> str:
    """Words for how the stored headers differ from the wanted ones, or ''."""
    pairs = [
        ("cache-control", info.cache_control, wanted.cache_control),
        ("content-type", info.content_type, wanted.content_type),
    ]
    if wanted.storage_class:
        pairs.append(("storage class", info.storage_class or "STANDARD", wanted.storage_class))
    changes = [
        f"{name} {old or '(none)'} → {new or '(none)'}"
        for name, old, new in pairs
        if (old or None) != (new or None)
    ]
    return "headers differ: " + ", ".join(changes) if changes else ""


def _local_action(op: Op, key: str, local: LocalFile, reason: str, headers: Headers) -> Action:
    return Action(
        op=op,
        key=key,
        path=local.disk_path,
        size=local.size,
        reason=reason,
        mtime_ns=local.mtime_ns,
        ctime_ns=local.ctime_ns,
        headers=headers,
    )


def _pair_action(
    op: Op, obj: RemoteObject, local: LocalFile, reason: str, verdict: Verdict | None = None
) -> Action:
    return Action(
        op=op,
        key=obj.key,
        path=local.disk_path,
        size=local.size,
        remote_size=obj.size,
        remote_etag=obj.etag,
        reason=reason,
        mtime_ns=local.mtime_ns,
        ctime_ns=local.ctime_ns,
        md5=verdict.md5 if verdict else None,
    )


def _remote_action(
    op: Op, obj: RemoteObject, reason: str, local: LocalFile | None = None
) -> Action:
    return Action(
        op=op,
        key=obj.key,
        path=local.disk_path if local else None,
        size=local.size if local else None,
        remote_size=obj.size,
        remote_etag=obj.etag,
        reason=reason,
    )


def _with_headers(action: Action, headers: Headers) -> Action:
    return Action(**{**action.__dict__, "headers": headers})


def _with_guards(plan: Plan, *, remote_count: int) -> Plan:
    """Block a plan whose deletes exceed --max-delete or half of the objects under the prefix."""
    plan = replace(plan, remote_objects=remote_count)
    reasons = guard_reasons(plan)
    if not reasons:
        return plan
    for reason in reasons:
        logger.warning("plan blocked: %s", reason)
    return replace(plan, blocked=True, block_reasons=tuple(reasons))


def _log_plan(plan: Plan) -> None:
    summary = plan.summary
    logger.info(
        "plan made: %d uploads, %d updates, %d metadata, %d deletes, %d unchanged to %s%s",
        summary.upload,
        summary.update,
        summary.metadata,
        summary.delete,
        summary.skip,
        plan.target.url,
        " (blocked)" if plan.blocked else "",
    )
