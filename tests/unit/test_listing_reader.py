"""The regular-expression reader of ListObjectsV2 pages gives exactly what ElementTree gives,
and hands every page it is not sure of to ElementTree."""

from __future__ import annotations

import pytest

from s3desk.core import fastlist
from s3desk.core.errors import S3DeskError
from s3desk.core.fastlist import RawPage, parse_page, read_page
from s3desk.core.target import Target

NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'


def page(contents: str, *, truncated: bool = False, token: str = "", extra: str = "") -> bytes:
    more = f"<NextContinuationToken>{token}</NextContinuationToken>" if token else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<ListBucketResult {NS}><Name>b</Name><Prefix>site/</Prefix>{extra}"
        f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>{more}"
        f"{contents}</ListBucketResult>"
    ).encode()


def item(key: str, size: int = 3, etag: str = '"abc"', order: str = "KLESC") -> str:
    fields = {
        "K": f"<Key>{key}</Key>",
        "L": "<LastModified>2026-01-02T03:04:05.678Z</LastModified>",
        "E": f"<ETag>{etag}</ETag>",
        "S": f"<Size>{size}</Size>",
        "C": "<StorageClass>STANDARD_IA</StorageClass>",
        "O": "<Owner><ID>owner</ID><DisplayName>me</DisplayName></Owner>",
    }
    return "<Contents>" + "".join(fields[f] for f in order) + "</Contents>"


PLAIN_PAGES = {
    "simple": page(item("site/a.txt") + item("site/b.txt", 0, "&quot;e-2&quot;")),
    "escapes": page(item("site/a&amp;b &lt;c&gt; &quot;q&quot; &apos;s&apos; &#233;.txt")),
    "unicode": page(item("site/ünïcödé/çafé 😀.html")),
    "url encoded": page(
        item("site/with+space%2Bplus%25.txt"), extra="<EncodingType>url</EncodingType>"
    ),
    "no storage class": page(item("site/a.txt", order="KLES")),
    "owner and AWS order": page(item("site/a.txt", order="KLEOSC")),
    "continues": page(item("site/a.txt"), truncated=True, token="tok/en=="),
    "escaped token": page(item("site/a.txt"), truncated=True, token="a&amp;b"),
    "empty": page(""),
}
TREE_ONLY_PAGES = {
    "size before key": page(item("site/a.txt", order="SKLEC") + item("site/b.txt", order="SKLEC")),
    "cdata": page(
        "<Contents><Key><![CDATA[site/a.txt]]></Key><LastModified>2026-01-02T03:04:05Z"
        "</LastModified><ETag>e</ETag><Size>1</Size></Contents>"
    ),
    "comment": page(item("site/a.txt") + "<!-- a comment -->"),
    "prefixed": (
        b'<?xml version="1.0" encoding="UTF-8"?><s3:ListBucketResult xmlns:s3="http://s3.amazonaws'
        b'.com/doc/2006-03-01/"><s3:IsTruncated>false</s3:IsTruncated><s3:Contents><s3:Key>site/a'
        b"</s3:Key><s3:LastModified>2026-01-02T03:04:05Z</s3:LastModified><s3:ETag>e</s3:ETag>"
        b"<s3:Size>1</s3:Size></s3:Contents></s3:ListBucketResult>"
    ),
    "carriage return": page(item("site/a\r\nb.txt")),
    "attribute": page(item("site/a.txt").replace("<Contents>", '<Contents x="1">')),
    "latin-1": page(item("site/caf\xe9.txt"))
    .decode()
    .replace("UTF-8", "ISO-8859-1")
    .encode("latin-1"),
}


@pytest.mark.parametrize("name", PLAIN_PAGES)
def test_plain_reader_agrees_with_elementtree(name: str) -> None:
    body = PLAIN_PAGES[name]
    plain, tree = fastlist._plain_page(body), fastlist._tree_page(body)

    def rows(found: fastlist._Page) -> list[tuple[str, ...]]:  # a missing class is STANDARD
        return [(*row[:4], row[4] or "STANDARD") for row in found.rows]

    assert rows(plain) == rows(tree)
    assert (plain.encoded, plain.truncated) == (tree.encoded, tree.truncated)
    assert plain.token == (tree.token or None)


@pytest.mark.parametrize("name", TREE_ONLY_PAGES)
def test_unusual_pages_go_to_elementtree(name: str) -> None:
    body = TREE_ONLY_PAGES[name]
    with pytest.raises(fastlist._NotPlain):
        fastlist._plain_page(body)
    objects, _ = parse_page(body)  # and ElementTree reads them
    assert [o.key for o in objects][:1] in (["site/a.txt"], ["site/a"], ["site/a\nb.txt"],
                                            ["site/café.txt"])  # fmt: skip


def test_objects_are_decoded_like_botocore() -> None:
    objects, token = parse_page(PLAIN_PAGES["url encoded"])
    assert [o.key for o in objects] == ["site/with space+plus%.txt"]
    objects, token = parse_page(PLAIN_PAGES["simple"])
    assert [(o.key, o.size, o.etag, o.storage_class) for o in objects] == [
        ("site/a.txt", 3, "abc", "STANDARD_IA"),
        ("site/b.txt", 0, "e-2", "STANDARD_IA"),
    ]
    assert objects[1].is_multipart and token is None
    objects, token = parse_page(PLAIN_PAGES["escaped token"])
    assert token == "a&b"


def test_a_page_missing_a_size_is_never_read_as_partial() -> None:
    body = page(item("site/a.txt", order="KLEC"))
    with pytest.raises(fastlist._NotPlain):
        fastlist._plain_page(body)


def test_a_truncated_page_without_token_is_an_error() -> None:
    with pytest.raises(S3DeskError) as caught:
        parse_page(page(item("site/a.txt"), truncated=True))
    assert caught.value.code == "ListingIncomplete"


TARGET = Target("bucket", "site/")


def test_fetched_pages_follow_the_token_the_page_gives() -> None:
    body = page(item("site/a.txt"), truncated=True, token="next")
    assert read_page(RawPage(body, fastlist.token_hint(body)), TARGET)[1] is True
    with pytest.raises(S3DeskError):  # the fetcher went on from something else
        read_page(RawPage(body, "other"), TARGET)
    last = page(item("site/b.txt"), token="stale")  # a token, but not truncated: the end
    assert read_page(RawPage(last, "stale"), TARGET)[1] is False


def test_raw_pages_stop_when_asked() -> None:
    import threading

    bodies = iter([page(item("site/a"), truncated=True, token=f"t{i}") for i in range(5)])
    stop = threading.Event()
    fetched = []
    for _raw in fastlist.raw_pages(lambda token: (fetched.append(token), next(bodies))[1], stop):
        if len(fetched) == 2:
            stop.set()
    assert fetched == [None, "t0"]
