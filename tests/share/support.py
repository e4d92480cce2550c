"""Helpers shared by the share-link tests."""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from s3desk.core.share import SigningCredentials

LONG_TERM = SigningCredentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
IDENTITY = "arn:aws:iam::123456789012:user/alice"


def at(text: str) -> datetime:
    """A fixture time such as `2024-05-01T12:00:00Z` as an aware UTC datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def query(url: str) -> dict[str, str]:
    """The URL's query parameters, decoded once; each must appear exactly once."""
    params = parse_qs(urlsplit(url).query, keep_blank_values=True, strict_parsing=True)
    assert all(len(values) == 1 for values in params.values()), params
    return {name: values[0] for name, values in params.items()}


def raw_query(url: str) -> list[str]:
    """The URL's query as the raw `name=value` strings, still encoded."""
    return urlsplit(url).query.split("&")


@dataclass
class Fetched:
    status: int
    headers: dict[str, str]
    body: bytes


def fetch(url: str) -> Fetched:
    """GET `url` (a loopback server) and return the status, headers and body, errors too."""
    assert urlsplit(url).hostname == "127.0.0.1", url
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return Fetched(response.status, dict(response.headers.items()), response.read())
    except urllib.error.HTTPError as exc:
        return Fetched(exc.code, dict(exc.headers.items()), exc.read())
