"""Fixtures for the wire client's tests: every loopback server over HTTP and HTTPS, and a small
scripted S3 server whose answers a test chooses (errors, throttling, dropped connections)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.servers import Server

SERVERS = ["moto_server", "rclone_server", "moto_server_https", "rclone_server_https"]


@pytest.fixture
def any_server(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Server:
    """Each test that takes this runs against moto and rclone, over HTTP and HTTPS (trusted
    through AWS_CA_BUNDLE, as a user of a private endpoint would)."""
    server: Server = request.getfixturevalue(request.param)
    if server.ca_bundle:
        monkeypatch.setenv("AWS_CA_BUNDLE", server.ca_bundle)
    return server


@dataclass
class Seen:
    """One request the scripted server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


# An answer: (status, headers, body), or "drop" to close the connection without answering.
Answer = tuple[int, dict[str, str], bytes] | str


@dataclass
class ScriptedServer:
    """Answers each request with the next scripted answer, then with `default`."""

    endpoint_url: str = ""
    script: list[Answer] = field(default_factory=list)
    default: Callable[[Seen], Answer] = lambda seen: (200, {"ETag": '"e"'}, b"")
    seen: list[Seen] = field(default_factory=list)
    close_after_each: bool = False  # answer, then close the kept-alive connection silently
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_answer(self, seen: Seen) -> Answer:
        with self.lock:
            self.seen.append(seen)
            return self.script.pop(0) if self.script else self.default(seen)


def error_body(code: str, message: str = "scripted") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
        f"<Message>{message}</Message></Error>"
    ).encode()


@pytest.fixture
def scripted_server() -> Iterator[ScriptedServer]:
    state = ScriptedServer()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            seen = Seen(self.command, self.path, dict(self.headers.items()), body)
            answer = state.next_answer(seen)
            if answer == "drop":
                self.close_connection = True
                return
            status, headers, payload = answer  # type: ignore[misc]
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
            if state.close_after_each:
                self.close_connection = True

        do_HEAD = do_PUT = do_DELETE = do_GET = _answer

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    state.endpoint_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
