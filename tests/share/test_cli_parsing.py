"""How `s3desk share` reads its arguments, without a server."""

from __future__ import annotations

import pytest

from s3desk.cli import build_parser
from s3desk.cli.share import split_s3_url
from s3desk.core.errors import UsageError
from s3desk.core.share import describe_seconds, redact


@pytest.mark.parametrize(
    ("url", "key"),
    [("s3://b-1/document+copy.pdf", "document+copy.pdf"),
     ("s3://b-1/100%25 done.txt", "100%25 done.txt"),
     ("s3://b-1/dir/ü.txt", "dir/ü.txt"),
     ("s3://b-1/a//b", "a//b")],
)  # fmt: skip
def test_the_key_is_taken_literally_never_url_decoded(url: str, key: str) -> None:
    assert split_s3_url(url) == ("b-1", key)


@pytest.mark.parametrize("url", ["https://b-1.s3.amazonaws.com/a.pdf", "b-1/a.pdf", "s3://B/a"])
def test_other_urls_are_usage_errors(url: str) -> None:
    with pytest.raises(UsageError):
        split_s3_url(url)


def test_share_is_a_registered_command_with_a_15_minute_default() -> None:
    args = build_parser().parse_args(["share", "s3://b-1/a.pdf"])
    assert args.command == "share"
    assert args.expires == "15m"
    assert not args.upload and args.job is None


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(300, "5 minutes"), (3600, "1 hour"), (90061, "1 day 1 hour"), (1, "1 second")],
)
def test_durations_in_words(seconds: int, words: str) -> None:
    assert describe_seconds(seconds) == words


def test_redact_drops_the_query() -> None:
    assert redact("https://h/b/k%20x?X-Amz-Signature=abc&X-Amz-Security-Token=t") == (
        "https://h/b/k%20x"
    )
