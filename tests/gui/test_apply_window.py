"""A full dry run and apply through the window, against moto's server on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from s3desk.core.session import StaticKeys
from s3desk.gui.plan_model import Column
from s3desk.gui.sync_form import FormValues
from s3desk.gui.window import MainWindow

pytestmark = pytest.mark.integration

BUCKET = "gui-apply"


def _prepare(server, tmp_path: Path) -> Path:
    server.make_bucket(BUCKET)
    client = server.client()
    client.put_object(Bucket=BUCKET, Key="site/old.txt", Body=b"old page")
    client.put_object(Bucket=BUCKET, Key="site/keep.txt", Body=b"same")
    client.put_object(Bucket=BUCKET, Key="site/change.txt", Body=b"before")
    client.put_object(Bucket=BUCKET, Key="elsewhere/untouched.txt", Body=b"x")
    source = tmp_path / "build"
    source.mkdir()
    (source / "keep.txt").write_bytes(b"same")
    (source / "change.txt").write_bytes(b"after, longer")
    (source / "new1.txt").write_bytes(b"new one")
    (source / "new2.bin").write_bytes(bytes(range(256)) * 400)
    return source


def _window(qtbot, server, source: Path) -> MainWindow:
    window = MainWindow(remember_layout=False)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.identity_checked, timeout=15000):
        window.fill(
            FormValues(
                source=str(source),
                endpoint_url=server.endpoint_url,
                region="us-east-1",
                bucket=BUCKET,
                prefix="site/",
                delete=True,
                keys=StaticKeys(server.access_key, server.secret_key),
            )
        )
    assert window.identity_bar.planning_allowed, window.identity_bar.problem
    with qtbot.waitSignal(window.plan_finished, timeout=30000):
        window.dry_run_button.click()
    return window


def _status(window: MainWindow, key: str) -> str:
    row = window.model.row_of(key)
    return window.model.index(row, Column.STATUS).data()


def _apply(qtbot, window: MainWindow):
    window.review_check.setChecked(True)
    assert window.apply_button.isEnabled()
    progress = []
    window.apply_panel.files_bar.valueChanged.connect(progress.append)
    with qtbot.waitSignal(window.apply_finished, timeout=60000) as blocker:
        qtbot.mouseClick(window.apply_button, Qt.MouseButton.LeftButton)
        assert not window.apply_button.isEnabled()
        assert not window.review_check.isEnabled()
    return blocker.args[0], progress


def test_full_apply_shows_progress_and_outcomes(qtbot, moto_server, tmp_path) -> None:
    source = _prepare(moto_server, tmp_path)
    window = _window(qtbot, moto_server, source)
    assert window.summary_label.text() == (
        "2 uploads (102.4 kB), 1 update (13 B), 1 delete to s3://gui-apply/site/"
    )
    assert window.identity_bar.state == "verified"
    assert moto_server.endpoint_url in window.identity_bar.where_label.text()
    assert sorted(
        window.form.bucket_combo.itemText(i) for i in range(window.form.bucket_combo.count())
    ) in ([], [BUCKET])

    result, progress = _apply(qtbot, window)

    assert result.ok, result.results
    assert window.apply_panel.files_bar.value() == window.apply_panel.files_bar.maximum() == 4
    assert progress and progress[-1] == 4
    assert window.apply_panel.bytes_bar.value() == 1000
    assert not window.table.isColumnHidden(Column.STATUS)
    for key in ("site/old.txt", "site/change.txt", "site/new1.txt", "site/new2.bin"):
        assert _status(window, key) == "Done", key
    assert _status(window, "site/keep.txt") == ""
    text = window.result_label.text()
    assert "4 done" in text
    assert "s3://gui-apply/site/ now holds 4 objects" in text
    # The plan is used up: no second apply of the same plan.
    assert not window.review_check.isEnabled()
    assert not window.apply_button.isEnabled()

    listed = moto_server.client().list_objects_v2(Bucket=BUCKET, Prefix="site/")
    assert sorted(o["Key"] for o in listed["Contents"]) == [
        "site/change.txt",
        "site/keep.txt",
        "site/new1.txt",
        "site/new2.bin",
    ]


def test_object_changed_after_review_is_shown_as_a_conflict(qtbot, moto_server, tmp_path) -> None:
    source = _prepare(moto_server, tmp_path)
    window = _window(qtbot, moto_server, source)
    # Someone else writes the key between the review and apply.
    moto_server.client().put_object(Bucket=BUCKET, Key="site/change.txt", Body=b"someone else")

    result, _ = _apply(qtbot, window)

    assert not result.ok
    assert _status(window, "site/change.txt") == "Conflict"
    row = window.model.row_of("site/change.txt")
    assert window.model.index(row, Column.STATUS).data(Qt.ItemDataRole.ToolTipRole)
    assert _status(window, "site/new1.txt") == "Done"
    assert "1 conflict" in window.result_label.text()
    body = moto_server.client().get_object(Bucket=BUCKET, Key="site/change.txt")["Body"].read()
    assert body == b"someone else"  # never silently overwritten


def test_missing_bucket_is_a_readable_message(qtbot, moto_server, tmp_path) -> None:
    window = MainWindow(remember_layout=False)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.identity_checked, timeout=15000):
        window.fill(
            FormValues(
                source=str(tmp_path),
                endpoint_url=moto_server.endpoint_url,
                region="us-east-1",
                bucket="no-such-bucket-here",
                keys=StaticKeys(moto_server.access_key, moto_server.secret_key),
            )
        )
    (tmp_path / "a.txt").write_text("a")
    with qtbot.waitSignal(window.plan_failed, timeout=30000):
        window.dry_run_button.click()
    assert window.error_panel.title_label.text() == "Bucket not found"
    assert "no-such-bucket-here" in window.error_panel.message_label.text()
    assert "Traceback" not in window.error_panel.message_label.text()
    assert not window.apply_button.isEnabled()


def test_unreachable_endpoint_turns_the_identity_bar_red(qtbot, tmp_path) -> None:
    from tests.servers import free_port

    window = MainWindow(remember_layout=False)
    qtbot.addWidget(window)
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with qtbot.waitSignal(window.identity_checked, timeout=60000):
        window.fill(
            FormValues(
                source=str(tmp_path),
                endpoint_url=closed,
                region="us-east-1",
                bucket="anything",
                keys=StaticKeys("AKIAEXAMPLE", "not-a-secret"),
            )
        )
    assert window.identity_bar.state == "unknown"
    assert "Endpoint unreachable" in window.identity_bar.who_text()
    assert not window.dry_run_button.isEnabled()


def test_server_without_sts_gives_an_amber_unverified_identity(
    qtbot, rclone_server, tmp_path
) -> None:
    rclone_server.make_bucket("no-sts")
    source = tmp_path / "src"  # tmp_path also holds the server's own folder
    source.mkdir()
    (source / "a.txt").write_text("a")
    window = MainWindow(remember_layout=False)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.identity_checked, timeout=30000):
        window.fill(
            FormValues(
                source=str(source),
                endpoint_url=rclone_server.endpoint_url,
                region="us-east-1",
                bucket="no-sts",
                keys=StaticKeys(rclone_server.access_key, rclone_server.secret_key),
            )
        )
    assert window.identity_bar.state == "unverified", window.identity_bar.problem
    assert rclone_server.access_key in window.identity_bar.who_text()
    assert "#fff3cd" in window.identity_bar.styleSheet()
    with qtbot.waitSignal(window.plan_finished, timeout=30000):
        window.dry_run_button.click()
    assert window.summary_label.text() == "1 upload (1 B) to s3://no-sts/"


def test_share_job_opens_the_share_view(qtbot, moto_server, tmp_path) -> None:
    pytest.importorskip("s3desk.gui.share_view")
    from s3desk.core.jobs import new_job

    moto_server.make_bucket("share-bucket")
    job = new_job(
        "reports",
        "share",
        str(tmp_path),
        "share-bucket",
        region="us-east-1",
        endpoint_url=moto_server.endpoint_url,
    )
    window = MainWindow(remember_layout=False)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.identity_checked, timeout=15000):
        window.use_job(job)
    assert window.tabs.currentWidget() is window.share_tab
    assert window.share_view is not None
    assert window.share_view.target.prefix == "assets/private-reports/"
    assert window.share_hint.isHidden()
