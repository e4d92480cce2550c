"""The Share view, offscreen, against moto's server on 127.0.0.1."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from s3desk.core import audit
from s3desk.core.session import Connection
from s3desk.core.target import Target
from s3desk.gui.share_view import ObjectListModel, ShareView
from tests.servers import Server
from tests.share.support import IDENTITY, fetch, query

pytestmark = pytest.mark.integration

PREFIX = "assets/private-reports/"
KEYS = [f"{PREFIX}{name}" for name in
        ("2024/q1.pdf", "2024/q2.pdf", "Отчёт.pdf", "notes.txt", "summary.pdf")]  # fmt: skip


@pytest.fixture
def shares(moto_server: Server) -> Server:
    moto_server.make_bucket("shares")
    client = moto_server.client()
    for key in KEYS:
        client.put_object(Bucket="shares", Key=key, Body=f"body of {key}".encode())
    client.put_object(Bucket="shares", Key=f"{PREFIX}2024/", Body=b"")  # a folder marker
    client.put_object(Bucket="shares", Key="site/index.html", Body=b"<html>")
    return moto_server


def make_view(qtbot, server: Server, **kwargs) -> ShareView:
    view = ShareView(
        Connection(endpoint_url=server.endpoint_url),
        Target(bucket="shares", prefix=PREFIX),
        IDENTITY,
        page_size=2,
        **kwargs,
    )
    qtbot.addWidget(view)
    load_all(qtbot, view)  # every test starts with the listing at rest
    return view


def load_all(qtbot, view: ShareView) -> None:
    # The list view itself may ask for more pages to fill its viewport; either way, each
    # click below starts at once (the GUI thread runs nothing in between), so no wait is lost.
    while True:
        qtbot.waitUntil(lambda: not view.model.loading, timeout=20000)
        if not view.model.has_more:
            return
        view.load_more_button.click()
        assert view.model.loading


def shown(view: ShareView) -> list[str]:
    return [view.proxy.index(row, 0).data() for row in range(view.proxy.rowCount())]


def test_the_model_loads_one_page_per_request_without_markers(qtbot, shares: Server) -> None:
    model = ObjectListModel(
        Connection(endpoint_url=shares.endpoint_url),
        Target(bucket="shares", prefix=PREFIX),
        page_size=2,
    )
    pages = []
    while model.canFetchMore():
        with qtbot.waitSignal(model.page_loaded, timeout=20000):
            model.fetchMore()
        pages.append([model.index(row).data() for row in range(model.rowCount())])
    # Six keys in pages of two; the folder marker `2024/` on the first page is left out.
    assert pages == [
        ["2024/q1.pdf"],
        ["2024/q1.pdf", "2024/q2.pdf", "notes.txt"],
        ["2024/q1.pdf", "2024/q2.pdf", "notes.txt", "summary.pdf", "Отчёт.pdf"],
    ]
    assert not model.has_more
    item = model.index(4).data(Qt.ItemDataRole.UserRole)
    assert (item.key, item.size) == (
        f"{PREFIX}Отчёт.pdf",
        len(f"body of {PREFIX}Отчёт.pdf".encode()),
    )


def test_the_view_lists_every_file_under_the_prefix(qtbot, shares: Server) -> None:
    view = make_view(qtbot, shares)
    load_all(qtbot, view)
    assert sorted(shown(view)) == sorted(key[len(PREFIX) :] for key in KEYS)
    assert not view.load_more_button.isEnabled()
    assert view.list_status.text() == "5 files"


def test_search_filters_the_loaded_files(qtbot, shares: Server) -> None:
    view = make_view(qtbot, shares)
    load_all(qtbot, view)
    view.search_edit.setText("PDF")
    assert sorted(shown(view)) == ["2024/q1.pdf", "2024/q2.pdf", "summary.pdf", "Отчёт.pdf"]
    view.search_edit.setText("отч")
    assert shown(view) == ["Отчёт.pdf"]


def test_copy_link_puts_a_working_url_on_the_clipboard_and_records_it(
    qtbot, shares: Server
) -> None:
    view = make_view(qtbot, shares)
    load_all(qtbot, view)
    assert view.expiry_combo.currentText() == "15 minutes"
    assert [view.expiry_combo.itemData(i) for i in range(view.expiry_combo.count())] == [
        300, 900, 3600, 86400, 604800,
    ]  # fmt: skip
    assert not view.copy_button.isEnabled()
    assert view.select_key(f"{PREFIX}Отчёт.pdf")
    assert view.copy_button.isEnabled()
    view.expiry_combo.setCurrentIndex(view.expiry_combo.findData(3600))

    with qtbot.waitSignal(view.link_copied, timeout=20000) as copied:
        view.copy_button.click()
    link = copied.args[0]
    url = QGuiApplication.clipboard().text()
    assert url == link.url
    assert query(url)["X-Amz-Expires"] == "3600"
    got = fetch(url)
    assert got.body == f"body of {PREFIX}Отчёт.pdf".encode()
    assert got.headers["Content-Disposition"].startswith('attachment; filename="_____.pdf"')
    assert view.expiry_label.isVisibleTo(view)
    assert view.expiry_label.text() == (
        f"Link copied. It works until {link.expires_at:%Y-%m-%d %H:%M:%S} UTC (1 hour)."
    )

    assert [(e.key, e.identity_arn, e.expires_in) for e in audit.read_entries()] == [
        (f"{PREFIX}Отчёт.pdf", IDENTITY, 3600)
    ]
    assert view.history_table.rowCount() == 1
    assert view.history_table.item(0, 2).text() == f"{PREFIX}Отчёт.pdf"
    assert query(url)["X-Amz-Signature"] not in audit.audit_path().read_text(encoding="utf-8")


def test_a_refused_link_shows_the_guards_words(qtbot, shares: Server) -> None:
    # The combo offers 7 days at most; a longer choice slipped in must meet core's guard.
    view = make_view(qtbot, shares)
    load_all(qtbot, view)
    view.select_key(f"{PREFIX}notes.txt")
    view.expiry_combo.addItem("8 days", 691200)
    view.expiry_combo.setCurrentIndex(view.expiry_combo.count() - 1)
    with qtbot.waitSignal(view.share_failed, timeout=20000) as failed:
        view.copy_button.click()
    assert failed.args[0].title == "Expiry refused"
    assert view.error_label.isVisibleTo(view)
    assert "at most 7 days" in view.error_label.text()
    assert audit.read_entries() == []
    assert view.copy_button.isEnabled()


def test_the_upload_form_makes_a_link_under_the_prefix(qtbot, shares: Server) -> None:
    view = make_view(qtbot, shares)
    view.upload_name_edit.setText("../Scan 7.png")
    view.upload_size_spin.setValue(5)
    with qtbot.waitSignal(view.upload_link_made, timeout=20000) as made:
        view.upload_button.click()
    link = made.args[0]
    assert link.key.startswith(f"{PREFIX}incoming/") and link.key.endswith("/Scan-7.png")
    assert ["content-length-range", 1, 5_000_000] in link.policy()["conditions"]
    assert {"Content-Type": "image/png"} in link.policy()["conditions"]
    assert json.loads(QGuiApplication.clipboard().text())["fields"]["key"] == link.key
    assert "curl -F" in view.upload_result.toPlainText()
    assert view.history_table.item(0, 1).text() == "upload"


def test_a_refused_listing_is_shown_not_treated_as_empty(qtbot, moto_server: Server) -> None:
    view = make_view(qtbot, moto_server)  # the bucket does not exist
    qtbot.waitUntil(lambda: view.error_label.isVisibleTo(view), timeout=20000)
    assert "Bucket not found" in view.error_label.text()
    assert not view.model.has_more


def test_the_model_passes_qtmodeltester(qtmodeltester, shares: Server, qtbot) -> None:
    model = ObjectListModel(
        Connection(endpoint_url=shares.endpoint_url), Target(bucket="shares", prefix=PREFIX)
    )
    with qtbot.waitSignal(model.page_loaded, timeout=20000):
        model.fetchMore()
    assert model.rowCount() == 5
    qtmodeltester.check(model)
