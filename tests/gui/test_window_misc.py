"""Layout memory, saved jobs, the keyboard, the worker, and a large plan in the window."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QThread
from PySide6.QtWidgets import QApplication

from s3desk.core import paths
from s3desk.core.errors import S3DeskError
from s3desk.core.jobs import Credentials, new_job
from s3desk.core.plan import Op
from s3desk.gui.window import settings_file
from s3desk.gui.worker import start_task
from tests.gui.conftest import dry_run
from tests.gui.factory import big_plan, mixed_plan


def test_window_size_and_splitter_are_remembered(qtbot, make_window) -> None:
    first = make_window()
    first.show()
    first.resize(1000, 700)
    first.splitter.setSizes([450, 500])
    sizes = first.splitter.sizes()
    first.close()
    assert Path(settings_file()).is_file()
    assert Path(settings_file()).parent == paths.state_dir()
    assert str(paths.state_dir()).startswith(str(Path.home()))  # the isolated test home

    second = make_window()
    second.show()
    assert (second.width(), second.height()) == (1000, 700)
    assert second.splitter.sizes() == sizes


def test_demo_windows_do_not_overwrite_the_layout(qtbot, make_window) -> None:
    first = make_window()
    first.show()
    first.resize(1010, 710)
    first.close()
    demo = make_window(remember_layout=False)
    demo.show()
    demo.resize(640, 480)
    demo.close()
    third = make_window()
    assert (third.width(), third.height()) == (1010, 710)


def test_saved_job_fills_the_form(qtbot, make_window, tmp_path) -> None:
    window = make_window()
    job = new_job(
        "site-prod",
        "site",
        str(tmp_path),
        "example-site",
        region="eu-west-1",
        credentials=Credentials.from_profile("deploy"),
        filters=[("include", "keep.psd")],
        max_delete=5,
    )
    window.use_job(job)
    values = window.form.values()
    assert (values.source, values.bucket, values.prefix) == (str(tmp_path), "example-site", "site/")
    assert (values.profile, values.region) == ("deploy", "eu-west-1")
    assert values.cache_control == "public,max-age=300"
    assert ".DS_Store" in values.excludes
    spec = window.form.spec()
    assert spec.options.delete is True
    assert spec.options.max_delete == 5
    assert spec.options.filters[-1] == ("include", "keep.psd")
    assert spec.options.filters[:-1] == tuple(f for f in job.filters if f[0] == "exclude")
    assert window.tabs.currentWidget() is window.splitter


def test_backup_job_cannot_turn_deletes_on(qtbot, make_window, tmp_path) -> None:
    window = make_window()
    window.use_job(new_job("nightly", "backup", str(tmp_path), "example-backups"))
    assert not window.form.delete_check.isEnabled()
    window.form.delete_check.setChecked(True)
    spec = window.form.spec()
    assert spec.options.delete is False
    assert spec.options.create_only is True
    assert spec.options.storage_class == "STANDARD_IA"


def test_keyboard_reaches_every_step(qtbot, window, planner) -> None:
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    planner.plan = mixed_plan()
    with qtbot.waitSignal(window.plan_finished):
        qtbot.keyClick(window, Qt.Key.Key_F5)
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is window.filter_edit
    for widget in (
        window.form.source_edit,
        window.form.bucket_combo,
        window.table,
        window.review_check,
        window.apply_button,
        window.unchanged_check,
        window.kind_combo,
    ):
        assert widget.focusPolicy() & Qt.FocusPolicy.TabFocus, widget
    texts = [
        window.dry_run_button.text(),
        window.apply_button.text(),
        window.review_check.text(),
        window.unchanged_check.text(),
        window.form.delete_check.text(),
    ]
    mnemonics = [t[t.index("&") + 1].lower() for t in texts]
    assert len(set(mnemonics)) == len(mnemonics)


def test_kind_filter_in_the_window(qtbot, window, planner) -> None:
    dry_run(qtbot, window, mixed_plan(), planner)
    assert window.rows_label.text() == "8 of 10 rows"
    window.kind_combo.setCurrentIndex(1)  # deletes
    assert window.rows_label.text() == "2 of 10 rows"
    window.unchanged_check.setChecked(True)
    assert window.rows_label.text() == "4 of 10 rows"


def test_large_plan_does_not_freeze_the_window(qtbot, window, planner) -> None:
    window.show()
    planner.plan = big_plan(100_000)
    started = time.perf_counter()
    with qtbot.waitSignal(window.plan_finished, timeout=30000):
        window.dry_run_button.click()
    QApplication.processEvents()
    shown = time.perf_counter() - started
    print(f"100k plan shown in {shown:.2f}s")
    assert window.proxy.rowCount() == 50_000
    first = window.proxy.index(0, 0)
    assert window.proxy.data(first, Qt.ItemDataRole.UserRole + 1) == Op.DELETE


def test_worker_reports_on_the_gui_thread(qtbot) -> None:
    gui_thread = QThread.currentThread()
    seen: list[object] = []

    def work(task):
        task.report(threading.current_thread().name)
        return 42

    def on_success(value: object) -> None:
        seen.append(("ok", value, QThread.currentThread() is gui_thread))

    task = start_task(
        "test",
        work,
        on_success=on_success,
        on_failure=lambda error: seen.append(("failed", error)),
        on_progress=lambda value: seen.append(("progress", value)),
    )
    with qtbot.waitSignal(task.succeeded, timeout=5000):
        pass
    assert seen[-1] == ("ok", 42, True)
    assert seen[0][0] == "progress" and seen[0][1] != "MainThread"


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyError("x"), S3DeskError("T", "M")])
def test_worker_turns_every_failure_into_an_error_for_people(qtbot, exc) -> None:
    def work(task):
        raise exc

    failures: list[S3DeskError] = []
    task = start_task("test", work, on_success=lambda v: None, on_failure=failures.append)
    with qtbot.waitSignal(task.failed, timeout=5000):
        pass
    assert isinstance(failures[0], S3DeskError)
    assert failures[0].title and failures[0].message
    assert not task.running


def test_a_production_job_turns_the_identity_bar_red(qtbot) -> None:
    from s3desk.gui.identity_bar import PRODUCTION_STYLE, IdentityBar

    bar = IdentityBar()
    qtbot.addWidget(bar)
    assert PRODUCTION_STYLE[0] not in bar.styleSheet()
    bar.set_production(True)
    assert PRODUCTION_STYLE[0] in bar.styleSheet()
    assert "PRODUCTION" in bar.who_text()
    bar.set_production(False)
    assert "PRODUCTION" not in bar.who_text()
