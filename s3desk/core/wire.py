"""A small S3 client for the three requests apply sends per small object: HEAD, PUT, DELETE.

botocore spends about 1.8 ms of CPU on each call (parameter validation, serialisation, event
hooks, signing, parsing), and apply's threads share one GIL, so 10,000 small uploads (a HEAD and
a PUT each on a custom endpoint) cost about 35 s of client CPU before the server does anything.
This module sends the same requests over a plain socket, one keep-alive HTTP/1.1 connection per
worker thread, with its own SigV4 signer: about 0.15 ms of CPU per request on this kind of
machine (0.3 ms through `http.client`, whose header parsing with the email package and reader
per answer cost as much as everything else; its exceptions are still the ones raised here).

Everything else is taken from the botocore client s3desk already built, so the two paths agree:

- the object URL (path style or virtual-host style, regional endpoints) and the signing region
  come from a HeadObject request that botocore builds and signs but never sends (`route_for`);
- a client with foreign event handlers (a mock, a plug-in) or a proxy stays on botocore;
- credentials are the client's own (`get_frozen_credentials()` per request, so refreshable
  credentials are refreshed when they expire);
- TLS is verified by the client's rule (its `verify` setting, AWS_CA_BUNDLE or `ca_bundle`,
  otherwise botocore's default bundle), with its client certificate if one is set;
- time-outs and the number of attempts are the client's config; retries follow botocore's
  standard mode (5xx, throttling codes, dropped connections; exponential backoff with jitter;
  a retry quota);
- errors are raised as botocore exceptions (`ClientError` with the same `Error` and
  `ResponseMetadata` fields, `EndpointConnectionError`, `SSLError`, ...), so
  `s3desk.core.errors.explain` gives the same words.

Requests are signed with SigV4: over HTTPS the payload is `UNSIGNED-PAYLOAD` (as botocore does;
Content-MD5 still protects the body). Over plain HTTP the body's SHA-256 is signed, unless a
Content-MD5 header (itself signed) already binds the body to the signature.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import http.client
import logging
import os
import random
import socket
import ssl
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

logger = logging.getLogger(__name__)

UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
READ_BUFFER = 64 * 1024
LARGE_BODY = 256 * 1024
MAX_LINE = 65536
MAX_HEADERS = 200
# Set to 0 to send every request through botocore (for comparison, or if a server disagrees).
SWITCH_ENV = "S3DESK_WIRE"
DEFAULT_ATTEMPTS = 3
MAX_BACKOFF = 20.0
THROTTLING_SCALE = 1.0
TRANSIENT_SCALE = 0.05
TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})
TRANSIENT_CODES = frozenset(
    {"RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"}
)
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
    }
)
# Answers that mean the request went to the wrong region or host; botocore follows them.
WRONG_ROUTE_CODES = frozenset(
    {"PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException"}
)

# The events on a request's way through botocore; a foreign handler on any of them means the
# client was customised, and the wire client leaves the requests to botocore.
HOOKED_EVENTS = (
    "provide-client-params",
    "before-parameter-build",
    "before-endpoint-resolution",
    "before-call",
    "request-created",
    "choose-signer",
    "before-sign",
    "before-send",
    "needs-retry",
    "after-call",
)

# PutObject parameters this client sends, and their headers.
PUT_HEADERS = {
    "ContentMD5": "Content-MD5",
    "IfNoneMatch": "If-None-Match",
    "IfMatch": "If-Match",
    "CacheControl": "Cache-Control",
    "ContentType": "Content-Type",
    "ContentEncoding": "Content-Encoding",
    "StorageClass": "x-amz-storage-class",
}

# HeadObject reply fields read from headers, named as botocore names them.
HEAD_FIELDS = {
    "etag": "ETag",
    "cache-control": "CacheControl",
    "content-type": "ContentType",
    "content-encoding": "ContentEncoding",
    "content-disposition": "ContentDisposition",
    "content-language": "ContentLanguage",
    "x-amz-storage-class": "StorageClass",
    "x-amz-server-side-encryption": "ServerSideEncryption",
    "x-amz-server-side-encryption-customer-algorithm": "SSECustomerAlgorithm",
    "x-amz-server-side-encryption-aws-kms-key-id": "SSEKMSKeyId",
    "x-amz-version-id": "VersionId",
}
META_PREFIX = "x-amz-meta-"

_CONNECTION_ERRORS = (
    ConnectionError,  # reset, refused, aborted, broken pipe
    http.client.RemoteDisconnected,
    http.client.BadStatusLine,
    http.client.IncompleteRead,
)


def wire_enabled() -> bool:
    """False when the environment turns the wire client off (S3DESK_WIRE=0)."""
    return os.environ.get(SWITCH_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


class ConnectTimeout(TimeoutError):
    """The connection could not be opened in time."""


class WrongRoute(Exception):
    """The server says the bucket lives elsewhere (another region or host); botocore's
    redirect handling should take over."""


@dataclass(frozen=True)
class Route:
    """Where one bucket's object requests go and how they are signed."""

    scheme: str
    host: str  # for the socket, without brackets
    port: int
    host_header: str  # as botocore signs it: no default port
    base_path: str  # "" for virtual-host style, "/bucket" for path style
    region: str | None  # None: unsigned requests
    service: str = "s3"  # the signing service ("sts" for GetCallerIdentity)

    @property
    def endpoint_url(self) -> str:
        return f"{self.scheme}://{self.host_header}"

    def path_for(self, key: str) -> str:
        """The request path of `key`, encoded as S3 wants it (and as botocore sends it)."""
        return f"{self.base_path}/{quote(key, safe='/~')}"


PROBE_KEY = "s3desk-wire-route-probe"


class _Caught(Exception):
    def __init__(self, request: Any) -> None:
        super().__init__("request caught before sending")
        self.request = request


def route_for(client: Any, bucket: str) -> Route:
    """The route botocore itself would use for objects of `bucket`.

    botocore builds a HeadObject request for a probe key, signs it, and hands it to a handler
    that keeps it instead of sending it; its URL gives the scheme, host and path style, and its
    credential scope the signing region. (A presigned URL is not enough: botocore presigns
    with the global s3.amazonaws.com host where the request itself goes to the regional one.)
    """

    def catch(request: Any, **kwargs: Any) -> None:
        raise _Caught(request)

    event = "before-send.s3.HeadObject"
    client.meta.events.register_first(event, catch, unique_id="s3desk-wire-route")
    try:
        client.head_object(Bucket=bucket, Key=PROBE_KEY)
    except _Caught as caught:
        request = caught.request
    else:  # pragma: no cover - only if another handler answered first
        raise RuntimeError("botocore sent the probe request")
    finally:
        client.meta.events.unregister(event, unique_id="s3desk-wire-route")
    parts = urlsplit(request.url)
    if not parts.path.endswith("/" + PROBE_KEY):
        raise RuntimeError(f"unexpected object URL shape: {parts.scheme}://{parts.netloc}")
    default_port = 443 if parts.scheme == "https" else 80
    port = parts.port or default_port
    host = parts.hostname or ""
    shown = f"[{host}]" if ":" in host else host
    host_header = shown if port == default_port else f"{shown}:{port}"
    return Route(
        scheme=parts.scheme,
        host=host,
        port=port,
        host_header=host_header,
        base_path=parts.path[: -len(PROBE_KEY) - 1],
        region=_signing_region(request.headers.get("Authorization")),
    )


def _signing_region(authorization: str | bytes | None) -> str | None:
    """The region of a SigV4 Authorization header's credential scope; None when unsigned."""
    if not authorization:
        return None
    if isinstance(authorization, bytes):
        authorization = authorization.decode("ascii", "replace")
    scope = authorization.split("Credential=", 1)[1].split(",", 1)[0]
    return scope.split("/")[2]


class WireClient:
    """HEAD, PUT and DELETE of single objects in one bucket, safe to share between threads.

    Each thread gets its own keep-alive connection. Make one with `for_client`.
    """

    def __init__(
        self,
        route: Route,
        credentials: Any,
        *,
        ssl_context: ssl.SSLContext | None = None,
        connect_timeout: float = 10,
        read_timeout: float = 60,
        attempts: int = DEFAULT_ATTEMPTS,
        user_agent: str = "s3desk-wire",
    ) -> None:
        self.route = route
        self._credentials = credentials
        self._ssl_context = ssl_context
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._attempts = max(1, attempts)
        self._user_agent = user_agent
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[Link] = []
        self._keys: dict[tuple[str, str], bytes] = {}
        self._quota = RetryQuota()

    @classmethod
    def for_client(cls, client: Any, bucket: str) -> WireClient | None:
        """A wire client with the route, credentials, TLS rule, time-outs and attempts of the
        botocore `client`; None when this client cannot stand in for it (a proxy, or a
        botocore without the private attributes read here), so the caller keeps botocore."""
        session = getattr(getattr(client, "_endpoint", None), "http_session", None)
        if session is None or not hasattr(session, "_verify"):
            logger.debug("wire client unavailable: botocore's HTTP session is not readable")
            return None
        if bucket.endswith("--x-s3") or ":" in bucket:
            # Limitation: directory buckets (S3 Express session auth) and ARNs stay on botocore.
            logger.debug("wire client unavailable for bucket %s", bucket)
            return None
        hooked = customised(client)
        if hooked:
            logger.debug("wire client unavailable: the client has event handlers (%s)", hooked)
            return None
        route = route_for(client, bucket)
        proxy_config = getattr(session, "_proxy_config", None)
        if proxy_config is not None and proxy_config.proxy_url_for(route.endpoint_url + "/"):
            # Limitation: requests through a proxy stay on botocore.
            logger.debug("wire client unavailable: a proxy is configured for %s", route.host)
            return None
        config = client.meta.config
        retries = getattr(config, "retries", None) or {}
        attempts = retries.get("total_max_attempts") or retries.get("max_attempts")
        if attempts is not None and "total_max_attempts" not in retries:
            attempts += 1  # botocore's max_attempts counts retries, not attempts
        context = None
        if route.scheme == "https":
            cert = (getattr(session, "_cert_file", None), getattr(session, "_key_file", None))
            context = tls_context(session._verify, cert)
        getter = getattr(client, "_get_credentials", None)
        credentials = getter() if (getter and route.region is not None) else None
        agent = f"{getattr(config, 'user_agent', None) or 'Botocore'} s3desk-wire"
        return cls(
            route,
            credentials,
            ssl_context=context,
            connect_timeout=config.connect_timeout or 60,
            read_timeout=config.read_timeout or 60,
            attempts=attempts or DEFAULT_ATTEMPTS,
            user_agent=agent,
        )

    # -- the three requests ------------------------------------------------------------

    def head_object(self, key: str) -> dict[str, Any]:
        """HeadObject: a dict shaped like boto3's reply (ETag, ContentLength, Metadata, ...).

        Raises:
            botocore.exceptions.ClientError: any answer but 200, with Code the status ("404",
                "403") as botocore gives it for a HEAD.
        """
        status, headers, _, pairs = self._send("HEAD", key, {}, b"", "HeadObject")
        return head_reply(status, headers, pairs)

    def put_object(self, key: str, body: bytes, **params: str) -> dict[str, Any]:
        """PutObject of a body held in memory; `params` are boto3's names (ContentMD5,
        IfNoneMatch, IfMatch, CacheControl, ContentType, ContentEncoding, StorageClass)."""
        unknown = set(params) - set(PUT_HEADERS)
        if unknown:
            raise TypeError(f"put_object does not send {sorted(unknown)}")
        headers = {PUT_HEADERS[name]: value for name, value in params.items() if value}
        status, reply, _, _ = self._send("PUT", key, headers, body, "PutObject")
        return {"ETag": reply.get("etag", ""), "ResponseMetadata": {"HTTPStatusCode": status}}

    def delete_object(self, key: str, *, IfMatch: str | None = None) -> dict[str, Any]:
        """DeleteObject, conditional on the ETag when `IfMatch` is given."""
        headers = {"If-Match": IfMatch} if IfMatch else {}
        status, _, _, _ = self._send("DELETE", key, headers, b"", "DeleteObject")
        return {"ResponseMetadata": {"HTTPStatusCode": status}}

    def request(
        self,
        method: str,
        path: str,
        operation: str,
        *,
        query: str = "",
        headers: dict[str, str] | None = None,
        body: bytes = b"",
    ) -> tuple[int, dict[str, str], bytes]:
        """Any other request (a listing page, STS): `path` already encoded, `query` already
        in SigV4's canonical form (names sorted, both parts percent-encoded). Retried and
        mapped to botocore exceptions like the others; returns status, headers, body."""
        status, reply, data, _ = self._send_path(
            method, path, query, headers or {}, body, operation
        )
        return status, reply, data

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()

    # -- sending, with retries ---------------------------------------------------------

    def _send(
        self, method: str, key: str, headers: dict[str, str], body: bytes, operation: str
    ) -> tuple[int, dict[str, str], bytes, list[tuple[str, str]]]:
        return self._send_path(method, self.route.path_for(key), "", headers, body, operation)

    def _send_path(
        self,
        method: str,
        path: str,
        query: str,
        headers: dict[str, str],
        body: bytes,
        operation: str,
    ) -> tuple[int, dict[str, str], bytes, list[tuple[str, str]]]:
        from botocore import exceptions as bex

        attempt = 0
        while True:
            attempt += 1
            fresh = self._local.__dict__.get("connection") is None
            try:
                status, reply, data, pairs = self._exchange(method, path, query, headers, body)
            except ssl.SSLCertVerificationError as exc:
                raise bex.SSLError(endpoint_url=self.route.endpoint_url, error=exc) from exc
            except (*_CONNECTION_ERRORS, TimeoutError, ssl.SSLError, OSError) as exc:
                self._drop_connection()
                # Limitation: as with botocore, a PUT retried after a dropped answer may meet its
                # own first attempt, and If-None-Match then reports it as a conflict.
                if not fresh and attempt == 1 and isinstance(exc, _CONNECTION_ERRORS):
                    # A kept-alive connection the server had closed: retry at once, uncounted.
                    logger.debug("%s %s: idle connection closed by the server", method, path)
                    attempt = 0
                    continue
                if attempt >= self._attempts or not self._quota.take(10):
                    raise self._connection_error(exc) from exc
                delay = backoff(attempt, TRANSIENT_SCALE)
                logger.debug("%s %s failed (%s); retry in %.2f s", method, path, exc, delay)
                time.sleep(delay)
                continue
            if status < 300:
                self._quota.release(attempt > 1)
                return status, reply, data, pairs
            error = client_error(status, reply, data, operation, head=method == "HEAD")
            code = error.response["Error"]["Code"]
            if status in (301, 307) or code in WRONG_ROUTE_CODES:
                raise WrongRoute(f"{operation} answered {status} {code}") from error
            retryable, scale = retry_kind(status, code)
            if not retryable or attempt >= self._attempts or not self._quota.take(5):
                raise error
            delay = backoff(attempt, scale, reply.get("x-amz-retry-after"))
            logger.debug("%s %s answered %s %s; retry in %.2f s", method, path, status, code, delay)
            time.sleep(delay)

    def _exchange(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes, list[tuple[str, str]]]:
        """One request on this thread's connection; the answer's status, headers (names in
        lower case), body (read in full so the connection can be used again), and headers as
        the server spelled them."""
        connection = self._connection()
        signed = self._signed_headers(method, path, query, headers, body)
        connection.send(method, f"{path}?{query}" if query else path, signed, body)
        status, pairs, data, will_close = connection.receive(method)
        reply = {name.lower(): value for name, value in pairs}
        if will_close:
            self._drop_connection()
        return status, reply, data, pairs

    def _connection(self) -> Link:
        connection = self._local.__dict__.get("connection")
        if connection is not None:
            return connection
        route = self.route
        try:
            sock = socket.create_connection((route.host, route.port), self._connect_timeout)
        except TimeoutError as exc:
            raise ConnectTimeout(str(exc)) from exc
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._ssl_context is not None:
                sock = self._ssl_context.wrap_socket(sock, server_hostname=route.host)
        except BaseException:
            sock.close()
            raise
        sock.settimeout(self._read_timeout)
        connection = Link(sock)
        self._local.connection = connection
        with self._lock:
            self._connections.append(connection)
        return connection

    def _drop_connection(self) -> None:
        connection = self._local.__dict__.pop("connection", None)
        if connection is None:
            return
        connection.close()
        with self._lock:
            if connection in self._connections:
                self._connections.remove(connection)

    def _connection_error(self, exc: BaseException) -> Exception:
        from botocore import exceptions as bex

        url = self.route.endpoint_url
        if isinstance(exc, ConnectTimeout):
            return bex.ConnectTimeoutError(endpoint_url=url, error=exc)
        if isinstance(exc, TimeoutError):
            return bex.ReadTimeoutError(endpoint_url=url, error=exc)
        if isinstance(exc, ssl.SSLError):
            return bex.SSLError(endpoint_url=url, error=exc)
        if isinstance(exc, ConnectionRefusedError | socket.gaierror):
            return bex.EndpointConnectionError(endpoint_url=url, error=exc)
        return bex.ConnectionClosedError(endpoint_url=url, error=exc)

    # -- signing -----------------------------------------------------------------------

    def _signed_headers(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> dict[str, str]:
        out = {"Host": self.route.host_header, **headers}
        if self.route.region is None:
            out["User-Agent"] = self._user_agent
            return out
        credentials = self._frozen_credentials()
        if self.route.scheme == "https" or "Content-MD5" in headers:
            # A signed Content-MD5 already binds the body to the signature; hashing it again
            # with SHA-256 cost a fifth of the client's CPU on large files over plain HTTP.
            payload = UNSIGNED_PAYLOAD
        else:
            payload = hashlib.sha256(body).hexdigest()
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        out["x-amz-date"] = stamp
        out["x-amz-content-sha256"] = payload
        if credentials.token:
            out["x-amz-security-token"] = credentials.token
        out["Authorization"] = self._authorization(
            method, path, out, payload, stamp, credentials, query
        )
        out["User-Agent"] = self._user_agent  # not signed, as botocore does not sign it
        return out

    def _authorization(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        payload: str,
        stamp: str,
        credentials: Any,
        query: str = "",
    ) -> str:
        canonical, signed = canonical_headers(headers)
        request = f"{method}\n{path}\n{query}\n{canonical}\n{signed}\n{payload}"
        day = stamp[:8]
        scope = f"{day}/{self.route.region}/{self.route.service}/aws4_request"
        to_sign = (
            f"AWS4-HMAC-SHA256\n{stamp}\n{scope}\n"
            f"{hashlib.sha256(request.encode('utf-8')).hexdigest()}"
        )
        key = self._signing_key(credentials.secret_key, day)
        signature = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
        return (
            f"AWS4-HMAC-SHA256 Credential={credentials.access_key}/{scope}, "
            f"SignedHeaders={signed}, Signature={signature}"
        )

    def _signing_key(self, secret: str, day: str) -> bytes:
        cached = self._keys.get((secret, day))
        if cached is not None:
            return cached
        key = signing_key(secret, day, self.route.region or "us-east-1", self.route.service)
        with self._lock:
            self._keys = {(secret, day): key}  # one day and one secret at a time
        return key

    def _frozen_credentials(self) -> Any:
        from botocore.exceptions import NoCredentialsError

        if self._credentials is None:
            raise NoCredentialsError()
        frozen = self._credentials.get_frozen_credentials()
        if not frozen.access_key or not frozen.secret_key:
            raise NoCredentialsError()
        return frozen


def customised(client: Any) -> str:
    """The first event handler on the client's HeadObject, PutObject or DeleteObject path that
    is not botocore's or boto3's own (a stub, a mock, a plug-in that rewrites requests), or "".

    Such a handler changes what botocore sends or answers, and the wire client would bypass
    it; moto's in-process mock is one, and is skipped only while it is switched off.
    """
    emitter = getattr(client.meta.events, "_emitter", None)
    handlers = getattr(emitter, "_handlers", None)
    if handlers is None or not hasattr(handlers, "prefix_search"):
        return "event handlers cannot be read"
    for event in HOOKED_EVENTS:
        for operation in ("HeadObject", "PutObject", "DeleteObject"):
            for handler in handlers.prefix_search(f"{event}.s3.{operation}"):
                if getattr(handler, "enabled", True) is False:
                    continue  # a mock that is not active
                module = _module_of(handler)
                if not module.startswith(("botocore.", "boto3.")):
                    return f"{event}: {module}"
    return ""


def _module_of(handler: Any) -> str:
    while isinstance(handler, functools.partial):
        handler = handler.func
    return getattr(handler, "__module__", None) or type(handler).__module__ or ""


class Link:
    """One kept-alive HTTP/1.1 connection: a request goes out in one write, and the answer is
    read with a buffered reader that lives as long as the connection (http.client parses
    headers with the email package and makes a reader per answer: most of its cost here)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.reader = sock.makefile("rb", buffering=READ_BUFFER)

    def send(self, method: str, path: str, headers: dict[str, str], body: bytes) -> None:
        lines = [f"{method} {path} HTTP/1.1"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if any("\r" in line or "\n" in line for line in lines):
            raise ValueError("a header value holds a line break; nothing was sent")
        if body or method in ("PUT", "POST"):
            lines.append(f"Content-Length: {len(body)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")
        if len(body) > LARGE_BODY:  # not copied into one buffer with its head
            self.sock.sendall(head)
            self.sock.sendall(memoryview(body))
        else:
            self.sock.sendall(head + body if body else head)

    def receive(self, method: str) -> tuple[int, list[tuple[str, str]], bytes, bool]:
        """(status, headers, body, the server will close the connection)."""
        while True:
            version, status = self._status_line()
            pairs = self._headers()
            if status != 100:
                break
        fields = {name.lower(): value for name, value in pairs}
        connection = fields.get("connection", "").lower()
        will_close = connection == "close" or (version == "HTTP/1.0" and connection != "keep-alive")
        if method == "HEAD" or status in (204, 304) or status < 200:
            return status, pairs, b"", will_close
        if "chunked" in fields.get("transfer-encoding", "").lower():
            return status, pairs, self._chunked(), will_close
        length = fields.get("content-length")
        if length is None:
            return status, pairs, self.reader.read(), True
        body = self.reader.read(int(length))
        if len(body) < int(length):
            raise http.client.IncompleteRead(body, int(length) - len(body))
        return status, pairs, body, will_close

    def close(self) -> None:
        self.reader.close()
        self.sock.close()

    def _status_line(self) -> tuple[str, int]:
        line = self.reader.readline(MAX_LINE + 1)
        if not line:
            raise http.client.RemoteDisconnected("the server closed the connection")
        parts = line.decode("iso-8859-1").split(None, 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
            raise http.client.BadStatusLine(line[:100].decode("iso-8859-1", "replace"))
        return parts[0], int(parts[1])

    def _headers(self) -> list[tuple[str, str]]:
        pairs = []
        while True:
            line = self.reader.readline(MAX_LINE + 1)
            if line in (b"\r\n", b"\n"):
                return pairs
            if not line or len(line) > MAX_LINE or len(pairs) > MAX_HEADERS:
                raise http.client.BadStatusLine("the answer's headers are cut short or too long")
            name, _, value = line.decode("iso-8859-1").partition(":")
            pairs.append((name.strip(), value.strip()))

    def _chunked(self) -> bytes:
        parts = []
        while True:
            size_line = self.reader.readline(MAX_LINE + 1)
            if not size_line:
                raise http.client.IncompleteRead(b"".join(parts))
            size = int(size_line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                self._headers()  # trailers, then the blank line
                return b"".join(parts)
            chunk = self.reader.read(size + 2)  # the chunk and its CRLF
            if len(chunk) < size + 2:
                raise http.client.IncompleteRead(chunk)
            parts.append(chunk[:size])


class RetryQuota:
    """botocore standard mode's retry budget: retries spend tokens, successes give a few back,
    so a server that keeps failing is not hammered by every thread at once."""

    def __init__(self, capacity: int = 500) -> None:
        self._capacity = capacity
        self._available = capacity
        self._lock = threading.Lock()

    def take(self, amount: int) -> bool:
        with self._lock:
            if self._available < amount:
                return False
            self._available -= amount
            return True

    def release(self, retried: bool) -> None:
        with self._lock:
            self._available = min(self._capacity, self._available + (5 if retried else 1))


def canonical_headers(headers: dict[str, str]) -> tuple[str, str]:
    """SigV4's canonical header block and signed-header list for every header given."""
    pairs = sorted((name.lower(), " ".join(str(value).split())) for name, value in headers.items())
    block = "".join(f"{name}:{value}\n" for name, value in pairs)
    return block, ";".join(name for name, _ in pairs)


def signing_key(secret: str, day: str, region: str, service: str = "s3") -> bytes:
    """SigV4's derived key for one day, region and service."""
    key = ("AWS4" + secret).encode("utf-8")
    for part in (day, region, service, "aws4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def tls_context(verify: Any, cert: tuple[str | None, str | None] = (None, None)) -> ssl.SSLContext:
    """An SSL context that verifies as botocore would with this `verify` value: False turns
    checking off, a path is a CA bundle (file) or CA folder, True is botocore's default bundle."""
    if verify is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        from botocore.httpsession import get_cert_path

        where = get_cert_path(verify)
        if where and os.path.isdir(where):
            context = ssl.create_default_context(capath=where)
        else:
            context = ssl.create_default_context(cafile=where or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    cert_file, key_file = cert
    if cert_file:
        context.load_cert_chain(cert_file, keyfile=key_file)
    return context


def head_reply(
    status: int, headers: dict[str, str], pairs: list[tuple[str, str]]
) -> dict[str, Any]:
    """A HeadObject reply shaped as boto3 gives it (only the fields s3desk reads); metadata
    names keep the server's spelling after the prefix, as botocore keeps it."""
    reply: dict[str, Any] = {
        field: headers[name] for name, field in HEAD_FIELDS.items() if name in headers
    }
    reply["ContentLength"] = int(headers.get("content-length", 0) or 0)
    reply["Metadata"] = {
        name[len(META_PREFIX) :]: value
        for name, value in pairs
        if name.lower().startswith(META_PREFIX)
    }
    reply["ResponseMetadata"] = {"HTTPStatusCode": status, "HTTPHeaders": headers}
    return reply


def client_error(
    status: int, headers: dict[str, str], body: bytes, operation: str, *, head: bool
) -> Any:
    """A botocore ClientError with the fields botocore's parser would fill in."""
    from botocore.exceptions import ClientError

    code, message = "", ""
    if body and not head:
        try:
            code, message = error_fields(ET.fromstring(body))
        except ET.ParseError:
            message = body[:200].decode("utf-8", "replace")
    parsed = {
        "Error": {
            "Code": code or str(status),
            "Message": message or http.client.responses.get(status, ""),
        },
        "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": headers},
    }
    return ClientError(parsed, operation)


def error_fields(root: ET.Element) -> tuple[str, str]:
    """Code and Message of an error document: S3's `<Error>` at the top, or the query
    protocol's `<ErrorResponse><Error>` (STS), with or without a namespace."""
    code = message = ""
    for element in root.iter():
        name = element.tag.rsplit("}", 1)[-1]
        if name == "Code" and not code:
            code = (element.text or "").strip()
        elif name == "Message" and not message:
            message = (element.text or "").strip()
    return code, message


def retry_kind(status: int, code: str) -> tuple[bool, float]:
    """(retry?, backoff scale) for an error answer, as botocore's standard mode decides."""
    if code in THROTTLING_CODES or status == 429:
        return True, THROTTLING_SCALE
    if status in TRANSIENT_STATUSES or code in TRANSIENT_CODES:
        return True, TRANSIENT_SCALE
    return False, 0.0


def backoff(attempt: int, scale: float, retry_after: str | None = None) -> float:
    """Truncated binary exponential backoff with full jitter (botocore's standard mode)."""
    delay = random.random() * min(scale * 2 ** (attempt - 1), MAX_BACKOFF)
    if retry_after:
        try:
            wanted = int(retry_after) / 1000
        except ValueError:
            return delay
        return max(delay, min(wanted, delay + 5))
    return delay
