"""Issue 5's story from the demo: copy a link for a private report, download it over HTTP."""

from __future__ import annotations

import urllib.request

from PySide6.QtGui import QGuiApplication

from s3desk.core.audit import audit_path, read_entries
from s3desk.demo import start_demo
from s3desk.gui.app import _demo_window


def test_demo_share_tab_copies_a_link_that_downloads(qtbot, tmp_path) -> None:
    demo = start_demo(tmp_path / "demo")
    try:
        window = _demo_window(demo, remember_layout=False)
        qtbot.addWidget(window)
        qtbot.waitUntil(lambda: window.share_view is not None, timeout=20_000)
        view = window.share_view
        key = demo.description.share_prefix + "q3-board-report.pdf"
        qtbot.waitUntil(lambda: view.select_key(key), timeout=20_000)
        with qtbot.waitSignal(view.link_copied, timeout=20_000) as copied:
            view.copy_link()
        link = copied.args[0]
        assert QGuiApplication.clipboard().text() == link.url
        assert "X-Amz-Expires=900" in link.url  # 15 minutes by default
        with urllib.request.urlopen(link.url, timeout=10) as response:
            body = response.read()
            disposition = response.headers["Content-Disposition"]
        assert body.startswith(b"%PDF-1.4")
        assert disposition == 'attachment; filename="q3-board-report.pdf"'
        assert read_entries()[0].key == key
        logged = audit_path().read_text(encoding="utf-8")
        signature = link.url.split("X-Amz-Signature=")[1].split("&")[0]
        assert signature not in logged and "X-Amz-Signature" not in logged
        window.close()
    finally:
        demo.stop()
