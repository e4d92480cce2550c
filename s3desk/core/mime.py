"""Content types from a fixed table, the same on every machine.

The operating system's MIME tables differ (on Windows `.js` can be `text/plain` from the
registry), and browsers refuse scripts and styles served with the wrong type, so the types a
website depends on are fixed here. File contents are never sniffed.
"""

from __future__ import annotations

import mimetypes
from pathlib import PurePosixPath

WEB_TYPES: dict[str, str] = {
    ".html": "text/html",
    ".htm": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".wasm": "application/wasm",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".ico": "image/vnd.microsoft.icon",
    ".xml": "application/xml",
    ".webmanifest": "application/manifest+json",
    ".txt": "text/plain",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".pdf": "application/pdf",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".zip": "application/zip",
    ".gz": "application/gzip",
}

DEFAULT_TYPE = "application/octet-stream"

# A compressed file keeps the type of what it holds, and says how it is encoded, so that a
# browser decompresses `data.json.gz` into JSON. Never the inner type without the encoding.
ENCODINGS = {".gz": "gzip", ".br": "br"}


def content_type(path: str) -> tuple[str, str | None]:
    """The Content-Type and Content-Encoding for a file name.

    Returns:
        (content type, content encoding or None). `data.json.gz` gives
        (`application/json`, `gzip`); a bare `x.gz` gives (`application/gzip`, None).
    """
    suffixes = [s.lower() for s in PurePosixPath(path).suffixes]
    if len(suffixes) >= 2 and suffixes[-1] in ENCODINGS:
        inner = _type_for(suffixes[-2])
        if inner != DEFAULT_TYPE:
            return inner, ENCODINGS[suffixes[-1]]
    return _type_for(suffixes[-1] if suffixes else ""), None


def _type_for(suffix: str) -> str:
    if suffix in WEB_TYPES:
        return WEB_TYPES[suffix]
    # Limitation: types outside the fixed table come from Python's own table, with the
    # system's files ignored, so they are the same on every machine but not exhaustive.
    guessed = _PORTABLE.types_map[1].get(suffix)
    return guessed or DEFAULT_TYPE


_PORTABLE = mimetypes.MimeTypes(filenames=())
