"""Applying a plan: exactly its actions, each conditional on the state it was reviewed against.

- An upload is sent with `If-None-Match: *`, an update or delete with `If-Match: <etag>`; a
  precondition failure is a `conflict` for that key, and the rest goes on.
- On a custom endpoint, which may ignore those headers and answer success, each key is also
  checked with HeadObject just before it is written; the result says which guarantee held.
- A file whose size or mtime differs from the plan is not sent (`changed since review`).
- Deletes run last, and only when every write before them succeeded (a rule borrowed from
  rclone: never delete after an error).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from s3desk.core.compare import MD5_METADATA, MULTIPART_THRESHOLD, PART_SIZE, HeadInfo
from s3desk.core.direct import DirectEndpoint
from s3desk.core.errors import S3DeskError, explain
from s3desk.core.identity import identify
from s3desk.core.plan import Action, Headers, Op, Plan
from s3desk.core.review import check_identity, check_plan_shape, guard_reasons
from s3desk.core.session import Connection, make_client
from s3desk.core.wire import WireClient, WrongRoute, wire_enabled

logger = logging.getLogger(__name__)

WRITE_WORKERS = 16
PART_WORKERS = 4
PRECONDITION_CODES = ("PreconditionFailed", "ConditionalRequestConflict", "412", "409")


class Outcome(StrEnum):
    DONE = "done"
    FAILED = "failed"
    CONFLICT = "conflict"
    CHANGED = "changed since review"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class ActionResult:
    action: Action
    outcome: Outcome
    error: str = ""


@dataclass(frozen=True)
class Progress:
    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int


@dataclass(frozen=True)
class ApplyResult:
    results: tuple[ActionResult, ...]
    guarantee: str
    prefix_objects: int | None = None
    prefix_bytes: int | None = None

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome is outcome)

    @property
    def ok(self) -> bool:
        return all(r.outcome is Outcome.DONE for r in self.results)


class Blocked(S3DeskError):
    def __init__(self, plan: Plan) -> None:
        deletes = plan.summary.delete
        super().__init__(
            "Plan blocked by a guard",
            f"{'; '.join(plan.block_reasons)}. Nothing was written. To apply it anyway, confirm "
            f"the number of deletes ({deletes}; on the command line: --allow-deletes {deletes}).",
            code="Blocked",
        )


OUTSIDE_SOURCE = "the file is now a link pointing outside the source; make a new dry run"
GUARANTEE_CONDITIONAL = "conditional requests (If-None-Match / If-Match) held"
GUARANTEE_HEAD = (
    "each key was checked with HeadObject just before writing (this server may ignore "
    "conditional requests)"
)


def apply_plan(
    plan: Plan,
    connection: Connection,
    *,
    on_progress: Callable[[Progress], None] | None = None,
    on_result: Callable[[ActionResult], None] | None = None,
    cancel: threading.Event | None = None,
    allow_deletes: int | None = None,
) -> ApplyResult:
    """Perform the plan's changes and nothing else.

    Raises:
        S3DeskError: the plan is blocked and `allow_deletes` is not its delete count, or it
            asks an append-only job to overwrite or delete. Per-key failures are outcomes.
    """
    check_applicable(plan, allow_deletes)
    connection = connection.for_endpoint(plan.target.endpoint_url, plan.target.region)
    direct = DirectEndpoint.for_connection(connection, plan.target)
    try:
        check_identity(plan.identity, direct.identify() if direct else identify(connection))
        run = _Run(plan, lambda: make_client(connection), direct, on_progress, on_result, cancel)
        results = run.execute()
        objects, size = _prefix_total(run, plan, results)
    finally:
        if direct is not None:
            direct.close()
    result = ApplyResult(
        results=results,
        guarantee=GUARANTEE_HEAD if plan.target.is_custom_endpoint else GUARANTEE_CONDITIONAL,
        prefix_objects=objects,
        prefix_bytes=size,
    )
    _log_result(plan, result)
    return result


def check_applicable(plan: Plan, allow_deletes: int | None) -> None:
    """Refuse, before anything is written: a plan whose guards block it (computed again from
    its actions, never read from the file) without the right delete count; keys outside the
    target or files outside the source; an append-only job's overwrites or deletes."""
    reasons = guard_reasons(plan)
    if (plan.blocked or reasons) and allow_deletes != plan.summary.delete:
        plan = replace(plan, blocked=True, block_reasons=tuple(reasons or plan.block_reasons))
        logger.warning("apply refused: plan blocked (%s)", "; ".join(plan.block_reasons))
        raise Blocked(plan)
    check_plan_shape(plan)
    if plan.options.create_only and any(
        a.op in (Op.UPDATE, Op.METADATA, Op.DELETE) for a in plan.actions
    ):
        raise S3DeskError(
            "Append-only job",
            "This plan would overwrite or delete objects of an append-only (backup) job. "
            "Nothing was written.",
            code="CreateOnly",
        )


# One step of apply for one action: its outcome and, when not done, why.
Step = Callable[[Action], tuple["Outcome", str]]


class _Run:
    def __init__(
        self,
        plan: Plan,
        make_client: Callable[[], Any],
        direct: DirectEndpoint | None,
        on_progress: Callable[[Progress], None] | None,
        on_result: Callable[[ActionResult], None] | None,
        cancel: threading.Event | None,
    ) -> None:
        self.plan = plan
        self.real_source = os.path.realpath(plan.source)
        self._make_client = make_client
        self._client: Any = None
        self._client_lock = threading.Lock()
        # Set when the plan's endpoint is reached without botocore (`s3desk.core.direct`).
        self.direct = direct
        self.bucket = plan.target.bucket
        self.check_first = plan.target.is_custom_endpoint
        self.on_progress = on_progress
        self.on_result = on_result
        self.cancel = cancel or threading.Event()
        self.lock = threading.Lock()
        changes = plan.changes
        self.files_total = len(changes)
        self.bytes_total = sum(a.size or 0 for a in changes if a.op in (Op.UPLOAD, Op.UPDATE))
        self.files_done = 0
        self.bytes_done = 0
        # HEAD, PUT and DELETE of single objects go through the wire client when it can stand
        # in for botocore; multipart uploads and copies stay on botocore.
        self.wire: WireClient | None = None
        self.wire_checked = False

    @property
    def client(self) -> Any:
        """The botocore client, made on first use: single PUTs, HEADs and DELETEs may never
        need it (see `s3desk.core.direct`)."""
        with self._client_lock:
            if self._client is None:
                self._client = self._make_client()
            return self._client

    def execute(self) -> tuple[ActionResult, ...]:
        writes = [a for a in self.plan.actions if a.op in (Op.UPLOAD, Op.UPDATE, Op.METADATA)]
        # Children before their folder markers: reverse byte order puts "a/b" before "a/".
        deletes = sorted(
            (a for a in self.plan.actions if a.op is Op.DELETE),
            key=lambda a: a.key.encode("utf-8"),
            reverse=True,
        )
        results = self._run_all(writes, self._write)
        if all(r.outcome is Outcome.DONE for r in results):
            results += self._run_all(deletes, self._delete)
        else:
            reason = "not run: an earlier upload or update did not succeed"
            results += [self._finish(a, Outcome.SKIPPED, reason) for a in deletes]
        return tuple(results)

    def _run_all(self, actions: list[Action], step: Step) -> list[ActionResult]:
        if not actions:
            return []
        self._open_wire()
        try:
            with ThreadPoolExecutor(WRITE_WORKERS, thread_name_prefix="s3desk-apply") as pool:
                return list(pool.map(lambda a: self._guarded(a, step), actions))
        finally:
            if self.wire is not None:
                self.wire.close()  # each worker thread's connection ends with the pool

    def _open_wire(self) -> None:
        if self.wire_checked:
            return
        self.wire_checked = True
        if not wire_enabled():
            return
        if self.direct is not None:
            self.wire = self.direct.objects
            return
        try:
            self.wire = WireClient.for_client(self.client, self.bucket)
        except Exception as exc:
            logger.warning("fast request path unavailable (%s); using botocore", exc)

    def _send(self, wire_call: Callable[[WireClient], Any], boto_call: Callable[[], Any]) -> Any:
        """One request through the wire client, or botocore when it is off or the server
        redirects (botocore follows a bucket's region; the wire client does not)."""
        wire = self.wire
        if wire is not None:
            try:
                return wire_call(wire)
            except WrongRoute as exc:
                logger.info("server redirected (%s); sending the rest through botocore", exc)
                self.wire = None
        return boto_call()

    def _guarded(self, action: Action, step) -> ActionResult:  # type: ignore[no-untyped-def]
        if self.cancel.is_set():
            return self._finish(action, Outcome.SKIPPED, "cancelled")
        try:
            outcome, message = step(action)
        except Exception as exc:
            outcome, message = _failure(exc, action, self.bucket)
        return self._finish(action, outcome, message)

    def _finish(self, action: Action, outcome: Outcome, error: str = "") -> ActionResult:
        result = ActionResult(action, outcome, error)
        log = logger.info if outcome is Outcome.DONE else logger.warning
        log("%s %s: %s%s", action.op, action.key, outcome, f" ({error})" if error else "")
        with self.lock:
            self.files_done += 1
            if outcome is Outcome.DONE and action.op in (Op.UPLOAD, Op.UPDATE):
                self.bytes_done += action.size or 0
            progress = Progress(self.files_done, self.files_total, self.bytes_done,
                                self.bytes_total)  # fmt: skip
        if self.on_result:
            self.on_result(result)
        if self.on_progress:
            self.on_progress(progress)
        return result

    # -- writes -------------------------------------------------------------------------

    def _write(self, action: Action) -> tuple[Outcome, str]:
        if action.op is Op.METADATA:
            return self._copy_metadata(action)
        multipart = (action.size or 0) > MULTIPART_THRESHOLD
        # A single PUT checks the file it opened after reading it (in `_put`); a multipart
        # upload checks before it starts, since it cannot be taken back cheaply.
        changed = self._local_change(action) if multipart else ""
        if changed:
            return Outcome.CHANGED, changed
        if self.check_first:
            conflict = self._remote_change(action)
            if conflict:
                return Outcome.CONFLICT, conflict
        path = os.path.join(self.plan.source, action.path or "")
        if multipart:
            return self._put_multipart(action, path)
        return self._put(action, path)

    def _local_change(self, action: Action) -> str:
        """Stat the file again: it must be exactly as it was when the plan was reviewed."""
        path = os.path.join(self.plan.source, action.path or "")
        if not self.plan.options.follow_symlinks and not self._inside(os.path.realpath(path)):
            return OUTSIDE_SOURCE
        try:
            info = os.stat(path)
        except OSError as exc:
            return f"the file is gone or unreadable ({exc.strerror}); make a new dry run"
        return _stat_change(action, info)

    def _opened_change(self, action: Action, path: str, handle: Any) -> str:
        """The same check on an open file, after reading it: its bytes are the ones read."""
        if not self.plan.options.follow_symlinks and not self._inside(_real_path(path, handle)):
            return OUTSIDE_SOURCE
        return _stat_change(action, os.fstat(handle.fileno()))

    def _inside(self, real: str) -> bool:
        return real == self.real_source or real.startswith(self.real_source + os.sep)

    def _remote_change(self, action: Action) -> str:
        """HeadObject just before writing: the key must be as the plan recorded it."""
        info, missing = self._head(action.key)
        if action.op is Op.UPLOAD:
            return "" if missing else "the key appeared in the bucket after the dry run"
        if missing:
            return "the object was removed from the bucket after the dry run"
        if info is None:
            return "the object's state could not be checked"
        if info.etag != action.remote_etag:
            return "the object changed in the bucket after the dry run"
        return ""

    def _head(self, key: str) -> tuple[HeadInfo | None, bool]:
        """(info, missing). A 403 is 'unknown', never 'absent'."""
        try:
            reply = self._send(
                lambda wire: wire.head_object(key),
                lambda: self.client.head_object(Bucket=self.bucket, Key=key),
            )
        except Exception as exc:
            status = getattr(exc, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status == 404:
                return None, True
            operation = f"s3:GetObject on {_arn(self.bucket, key)}, for the check before writing"
            raise explain(exc, operation=operation, bucket=self.bucket) from exc
        return HeadInfo.from_response(reply), False

    def _put(self, action: Action, path: str) -> tuple[Outcome, str]:
        try:
            with open(path, "rb") as handle:
                body = handle.read()
                changed = self._opened_change(action, path, handle)
        except OSError as exc:
            return Outcome.CHANGED, f"the file is gone or unreadable ({exc.strerror}); " + (
                "make a new dry run"
            )
        changed = changed or _digest_change(action, body)
        if changed:
            return Outcome.CHANGED, changed
        digest = hashlib.md5(body).digest()
        args = {
            "ContentMD5": base64.b64encode(digest).decode(),
            **_condition(action),
            **_header_args(action.headers),
        }
        self._send(
            lambda wire: wire.put_object(action.key, body, **args),
            lambda: self.client.put_object(Bucket=self.bucket, Key=action.key, Body=body, **args),
        )
        return Outcome.DONE, ""

    def _put_multipart(self, action: Action, path: str) -> tuple[Outcome, str]:
        md5 = action.md5 or _md5_of(path)
        created = self.client.create_multipart_upload(
            Bucket=self.bucket,
            Key=action.key,
            Metadata={MD5_METADATA: md5},
            **_header_args(action.headers),
        )
        upload_id = created["UploadId"]
        try:
            return self._send_parts(action, path, upload_id)
        except BaseException:
            self._abort(action.key, upload_id)
            raise

    def _send_parts(self, action: Action, path: str, upload_id: str) -> tuple[Outcome, str]:
        """Send the parts on a few threads, each with its Content-MD5, then check that the file
        did not change while it was read before completing the upload."""
        count = -(-(action.size or 0) // PART_SIZE)

        def send(number: int) -> dict[str, Any]:
            with open(path, "rb") as handle:
                handle.seek((number - 1) * PART_SIZE)
                data = handle.read(PART_SIZE)
            reply = self.client.upload_part(
                Bucket=self.bucket, Key=action.key, UploadId=upload_id, PartNumber=number,
                Body=data, ContentMD5=base64.b64encode(hashlib.md5(data).digest()).decode(),
            )  # fmt: skip
            return {"PartNumber": number, "ETag": reply["ETag"]}

        with ThreadPoolExecutor(PART_WORKERS, thread_name_prefix="s3desk-part") as pool:
            parts = list(pool.map(send, range(1, count + 1)))
        changed = self._local_change(action)
        if changed:
            self._abort(action.key, upload_id)
            return Outcome.CHANGED, f"{changed} (it changed while it was being sent)"
        self.client.complete_multipart_upload(
            Bucket=self.bucket,
            Key=action.key,
            UploadId=upload_id,
            MultipartUpload={"Parts": parts},
            **_condition(action),
        )
        return Outcome.DONE, ""

    def _abort(self, key: str, upload_id: str) -> None:
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except Exception as exc:
            logger.warning("could not abort the multipart upload of %s: %s", key, exc)

    def _copy_metadata(self, action: Action) -> tuple[Outcome, str]:
        """Copy the object onto itself with new headers; a REPLACE copy drops every header not
        sent again, so all the others are read first and sent again."""
        info, missing = self._head(action.key)
        if missing or info is None:
            return Outcome.CONFLICT, "the object was removed from the bucket after the dry run"
        if info.etag != action.remote_etag:
            return Outcome.CONFLICT, "the object changed in the bucket after the dry run"
        self.client.copy_object(
            Bucket=self.bucket,
            Key=action.key,
            CopySource={"Bucket": self.bucket, "Key": action.key},
            CopySourceIfMatch=f'"{action.remote_etag}"',
            MetadataDirective="REPLACE",
            **_kept_headers(info, action.headers),
        )
        return Outcome.DONE, ""

    # -- deletes ------------------------------------------------------------------------

    def _delete(self, action: Action) -> tuple[Outcome, str]:
        if self.check_first:
            conflict = self._remote_change(action)
            if conflict:
                return Outcome.CONFLICT, conflict
        condition = f'"{action.remote_etag}"'
        self._send(
            lambda wire: wire.delete_object(action.key, IfMatch=condition),
            lambda: self.client.delete_object(
                Bucket=self.bucket, Key=action.key, IfMatch=condition
            ),
        )
        return Outcome.DONE, ""


def _condition(action: Action) -> dict[str, str]:
    if action.op is Op.UPLOAD:
        return {"IfNoneMatch": "*"}
    return {"IfMatch": f'"{action.remote_etag}"'}


def _header_args(headers: Headers) -> dict[str, str]:
    args = {
        "CacheControl": headers.cache_control,
        "ContentType": headers.content_type,
        "ContentEncoding": headers.content_encoding,
        "StorageClass": headers.storage_class,
    }
    return {k: v for k, v in args.items() if v}


def _kept_headers(info: HeadInfo, wanted: Headers) -> dict[str, Any]:
    """Every header of the object, with the wanted ones replaced."""
    args: dict[str, Any] = {
        "CacheControl": wanted.cache_control,
        "ContentType": wanted.content_type or info.content_type,
        "ContentEncoding": wanted.content_encoding or info.content_encoding,
        "ContentDisposition": info.content_disposition,
        "ContentLanguage": info.content_language,
        "StorageClass": wanted.storage_class or info.storage_class,
        "Metadata": info.metadata,
    }
    if info.sse in ("aws:kms", "aws:kms:dsse"):
        args["ServerSideEncryption"] = info.sse
        args["SSEKMSKeyId"] = info.kms_key_id
    elif info.sse:
        args["ServerSideEncryption"] = info.sse
    return {k: v for k, v in args.items() if v}


def _stat_change(action: Action, info: os.stat_result) -> str:
    if (
        info.st_size != action.size
        or (action.mtime_ns is not None and info.st_mtime_ns != action.mtime_ns)
        or (action.ctime_ns is not None and info.st_ctime_ns != action.ctime_ns)
    ):
        return "the file changed after the dry run; make a new dry run"
    return ""


def _real_path(path: str, handle: Any) -> str:
    """Where the open file really is: on Linux the kernel's own record of the opened file
    (one call, and no gap between checking and reading); elsewhere the path resolved."""
    try:
        return os.readlink(f"/proc/self/fd/{handle.fileno()}")
    except OSError:
        return os.path.realpath(path)


def _digest_change(action: Action, body: bytes) -> str:
    if action.md5 and hashlib.md5(body).hexdigest() != action.md5:
        return "the file's content changed after the dry run; make a new dry run"
    return ""


def _md5_of(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "md5").hexdigest()


def _failure(exc: Exception, action: Action, bucket: str) -> tuple[Outcome, str]:
    response = getattr(exc, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    status = str(response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
    if code in PRECONDITION_CODES or status in ("412", "409"):
        return Outcome.CONFLICT, "the object changed in the bucket after the dry run"
    operation = f"{IAM_ACTIONS[action.op]} on {_arn(bucket, action.key)}"
    error = explain(exc, operation=operation, bucket=bucket)
    return Outcome.FAILED, f"{error.title}: {error.message}"


# The IAM action each kind of write needs (a metadata copy reads the object too).
IAM_ACTIONS = {
    Op.UPLOAD: "s3:PutObject",
    Op.UPDATE: "s3:PutObject",
    Op.METADATA: "s3:PutObject and s3:GetObject",
    Op.DELETE: "s3:DeleteObject",
}


def _arn(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{bucket}/{key}"


def _prefix_total(
    run: _Run, plan: Plan, results: tuple[ActionResult, ...]
) -> tuple[int | None, int | None]:
    """What the prefix holds now: the dry run's listing plus what was done. Listing again
    costs a round of requests (half a second on a server still settling its writes)."""
    if plan.remote_bytes is not None:
        return _after(plan.remote_objects, plan.remote_bytes, results)
    from s3desk.core.planner import default_lister

    try:
        if run.direct is not None:
            objects = list(run.direct.list(plan.target))
        else:
            objects = list(default_lister(plan.target)(run.client, plan.target))
    except S3DeskError as exc:
        logger.warning("could not list %s after apply: %s", plan.target.url, exc)
        return None, None
    return len(objects), sum(o.size for o in objects)


def _after(objects: int, size: int, results: tuple[ActionResult, ...]) -> tuple[int, int]:
    for result in results:
        if result.outcome is not Outcome.DONE:
            continue
        action = result.action
        if action.op is Op.UPLOAD:
            objects, size = objects + 1, size + (action.size or 0)
        elif action.op is Op.UPDATE:
            size += (action.size or 0) - (action.remote_size or 0)
        elif action.op is Op.DELETE:
            objects, size = objects - 1, size - (action.remote_size or 0)
    return objects, size


def _log_result(plan: Plan, result: ApplyResult) -> None:
    logger.info(
        "apply finished on %s: %d done, %d failed, %d conflicts, %d changed since review, "
        "%d skipped; %s",
        plan.target.url,
        result.count(Outcome.DONE),
        result.count(Outcome.FAILED),
        result.count(Outcome.CONFLICT),
        result.count(Outcome.CHANGED),
        result.count(Outcome.SKIPPED),
        result.guarantee,
    )
