"""F17: download names outside ASCII, in RFC 6266 form, encoded once and covered by the
signature; a real GET returns exactly that Content-Disposition."""

from __future__ import annotations

import pytest

from s3desk.core.errors import UsageError
from s3desk.core.session import Connection
from s3desk.core.share import SigningCredentials, content_disposition, presign_get
from tests.servers import Server
from tests.share.support import IDENTITY, LONG_TERM, fetch, query, raw_query

CASES = {
    "Test®.txt": "attachment; filename=\"Test_.txt\"; filename*=UTF-8''Test%C2%AE.txt",
    "Отчёт 2024.pdf": (
        'attachment; filename="_____ 2024.pdf"; '
        "filename*=UTF-8''%D0%9E%D1%82%D1%87%D1%91%D1%82%202024.pdf"
    ),
    'a"b;c.txt': "attachment; filename=\"a_b;c.txt\"; filename*=UTF-8''a%22b%3Bc.txt",
    "😀 photo.jpg": (
        "attachment; filename=\"_ photo.jpg\"; filename*=UTF-8''%F0%9F%98%80%20photo.jpg"
    ),
}


@pytest.mark.parametrize(("name", "expected"), CASES.items())
def test_header_value_is_an_ascii_fallback_plus_filename_star(name: str, expected: str) -> None:
    assert content_disposition(name) == expected


def test_a_plain_ascii_name_needs_no_filename_star() -> None:
    assert content_disposition("report-2024.pdf") == 'attachment; filename="report-2024.pdf"'


def test_quote_and_percent_never_reach_the_quoted_fallback() -> None:
    value = content_disposition('x"y%41.txt')
    assert value == "attachment; filename=\"x_y_41.txt\"; filename*=UTF-8''x%22y%2541.txt"


def test_a_backslash_is_read_as_a_folder_separator() -> None:
    assert content_disposition("C:\\Users\\me\\report.pdf") == 'attachment; filename="report.pdf"'


def test_folders_and_control_characters_are_dropped_from_the_name() -> None:
    assert content_disposition("reports/2024/q1\r\n.pdf") == 'attachment; filename="q1.pdf"'
    with pytest.raises(UsageError):
        content_disposition("reports/")


def sign(name: str, **kwargs):
    return presign_get(
        Connection(), "example-bucket", "files/7f3a.bin", identity_arn=IDENTITY,
        filename=name, region="us-east-1", credentials=LONG_TERM, **kwargs,
    )  # fmt: skip


def test_in_the_url_it_appears_once_with_rfc_3986_encoding() -> None:
    link = sign("Test®.txt")
    expected = (
        "response-content-disposition=attachment%3B%20filename%3D%22Test_.txt%22%3B%20"
        "filename%2A%3DUTF-8%27%27Test%25C2%25AE.txt"
    )
    parts = raw_query(link.url)
    assert parts.count(expected) == 1
    assert sum(p.startswith("response-content-disposition=") for p in parts) == 1


@pytest.mark.parametrize("name", CASES)
def test_the_url_is_plain_ascii_and_decodes_to_the_header(name: str) -> None:
    link = sign(name)
    assert link.url.isascii()
    assert all(0x21 <= ord(ch) <= 0x7E for ch in link.url)
    assert query(link.url)["response-content-disposition"] == CASES[name]
    assert link.content_disposition == CASES[name]


def test_the_default_name_is_the_keys_last_part() -> None:
    link = sign("")
    assert link.filename == "7f3a.bin"
    assert link.content_disposition == 'attachment; filename="7f3a.bin"'


@pytest.mark.integration
def test_a_real_get_returns_exactly_that_header_and_the_object(s3_server: Server) -> None:
    s3_server.make_bucket("shares")
    body = b"quarterly numbers\n" * 100
    s3_server.client().put_object(Bucket="shares", Key="files/7f3a.bin", Body=body)
    connection = Connection(endpoint_url=s3_server.endpoint_url)
    credentials = SigningCredentials(s3_server.access_key, s3_server.secret_key)
    for name, expected in CASES.items():
        link = presign_get(
            connection, "shares", "files/7f3a.bin", identity_arn=IDENTITY, filename=name,
            credentials=credentials,
        )  # fmt: skip
        got = fetch(link.url)
        assert (got.status, got.body) == (200, body), name
        headers = {k.lower(): v for k, v in got.headers.items()}
        assert headers["content-disposition"] == expected
