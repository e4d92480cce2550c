"""The review gate: Apply is enabled only for a current, non-empty, reviewed plan."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from s3desk.core.errors import S3DeskError
from s3desk.core.plan import Op
from s3desk.gui.identity_bar import IdentityState
from tests.gui.conftest import dry_run
from tests.gui.factory import action, mixed_plan, plan_of


def _gate_open(window) -> bool:
    return window.review_check.isEnabled()


def _confirm(qtbot, window) -> None:
    assert window.review_check.isEnabled()
    window.review_check.setChecked(True)
    assert window.apply_button.isEnabled()


def test_no_plan_keeps_apply_disabled(window) -> None:
    assert window.plan is None
    assert not window.review_check.isEnabled()
    window.review_check.setChecked(True)  # even when forced, the gate clears it
    window.delete_count_edit.setText("1")
    assert not window.review_check.isChecked()
    assert not window.apply_button.isEnabled()
    assert "dry run" in window.gate_hint.text()


def test_empty_plan_keeps_apply_disabled(qtbot, window, planner) -> None:
    dry_run(qtbot, window, plan_of([action(Op.SKIP, "site/a", 5, 5)]), planner)
    assert window.plan is not None
    assert not window.review_check.isEnabled()
    assert not window.apply_button.isEnabled()
    assert window.summary_label.text().startswith("No changes")


def test_running_dry_run_clears_the_gate(qtbot, window, planner) -> None:
    dry_run(qtbot, window, mixed_plan(), planner)
    _confirm(qtbot, window)

    planner.hold = True
    planner.release.clear()
    window.dry_run_button.click()
    assert planner.started.wait(5)
    assert window.running
    assert not window.review_check.isChecked()
    assert not window.review_check.isEnabled()
    assert not window.apply_button.isEnabled()
    assert window.busy_bar.isVisible() or not window.isVisible()
    assert not window.cancel_button.isHidden()
    assert window.model.rowCount() == 0  # the old plan is gone while the new one is made

    with qtbot.waitSignal(window.plan_finished, timeout=5000):
        planner.release.set()
    assert window.review_check.isEnabled()
    assert not window.review_check.isChecked()
    assert not window.apply_button.isEnabled()


def test_reviewed_plan_enables_apply(qtbot, window, planner) -> None:
    dry_run(qtbot, window, mixed_plan(), planner)
    assert window.review_check.text().replace("&", "") == (
        "I have reviewed these 8 changes to s3://demo-bucket/site/"
    )
    assert not window.apply_button.isEnabled()
    _confirm(qtbot, window)
    window.review_check.setChecked(False)
    assert not window.apply_button.isEnabled()


STALE_CHANGES = [
    ("source folder", lambda w, tmp: w.form.source_edit.setText(str(tmp))),
    ("target", lambda w, tmp: w.form.bucket_combo.setCurrentText("other-bucket")),
    ("target", lambda w, tmp: w.form.prefix_edit.setText("public/")),
    ("endpoint", lambda w, tmp: w.form.endpoint_edit.setText("http://127.0.0.1:9")),
    ("region", lambda w, tmp: w.form.region_edit.setText("eu-west-1")),
    ("profile", lambda w, tmp: w.form.profile_combo.setCurrentText("deploy")),
    ("options", lambda w, tmp: w.form.delete_check.setChecked(False)),
    ("options", lambda w, tmp: w.form.excludes_edit.setText("*.psd")),
    ("options", lambda w, tmp: w.form.cache_edit.setText("no-cache")),
    ("options", lambda w, tmp: w.form.storage_combo.setCurrentIndex(2)),
]


@pytest.mark.parametrize(
    ("what", "change"),
    STALE_CHANGES,
    ids=[
        "source",
        "bucket",
        "prefix",
        "endpoint",
        "region",
        "profile",
        "deletes",
        "excludes",
        "cache-control",
        "storage-class",
    ],
)
def test_stale_plan_clears_the_gate(qtbot, window, planner, tmp_path, what, change) -> None:
    dry_run(qtbot, window, mixed_plan(), planner)
    _confirm(qtbot, window)
    change(window, tmp_path)
    assert window.stale_reasons() == [what]
    assert not window.review_check.isChecked()
    assert not window.review_check.isEnabled()
    assert not window.apply_button.isEnabled()
    assert what in window.gate_hint.text()
    assert "Stale plan" in window.notice_label.text()


def test_blocked_plan_needs_the_exact_delete_count(qtbot, window, planner) -> None:
    plan = mixed_plan(blocked=True)
    dry_run(qtbot, window, plan, planner)
    assert window.blocked_label.isVisibleTo(window)
    assert "25 deletes" in window.blocked_label.text()
    assert not window.review_check.isEnabled()

    for wrong in ("", "1", "3", "two", "2 "):
        window.delete_count_edit.setText(wrong)
        if wrong.strip() == "2":
            continue
        assert not window.review_check.isEnabled(), wrong
        assert not window.apply_button.isEnabled()

    window.delete_count_edit.setText("2")
    assert window.review_check.isEnabled()
    _confirm(qtbot, window)

    window.delete_count_edit.setText("20")
    assert not window.review_check.isChecked()
    assert not window.apply_button.isEnabled()


def test_blocked_plan_passes_the_typed_count_to_apply(
    qtbot, make_window, planner, tmp_path
) -> None:
    calls = []

    def applier(plan, connection, **kwargs):
        calls.append(kwargs["allow_deletes"])
        raise S3DeskError("Stopped", "test applier")

    window = make_window(applier=applier)
    with qtbot.waitSignal(window.identity_checked):
        window.fill(
            __import__("s3desk.gui.sync_form", fromlist=["FormValues"]).FormValues(
                source=str(tmp_path), bucket="demo-bucket", prefix="site/", delete=True
            )
        )
    dry_run(qtbot, window, mixed_plan(blocked=True), planner)
    window.delete_count_edit.setText("2")
    _confirm(qtbot, window)
    with qtbot.waitSignal(window.apply_finished):
        qtbot.mouseClick(window.apply_button, Qt.MouseButton.LeftButton)
    assert calls == [2]
    assert (
        window.error_panel.title == "Stopped" or window.error_panel.title_label.text() == "Stopped"
    )


def test_unknown_identity_disables_planning(qtbot, make_window) -> None:
    def no_credentials(connection):
        raise S3DeskError("No credentials", "No AWS credentials were found.", code="NoCredentials")

    window = make_window(identify=no_credentials)
    with qtbot.waitSignal(window.identity_checked):
        window.form.refresh_connection_now()
    assert window.identity_bar.state is IdentityState.UNKNOWN
    assert "Identity unknown" in window.identity_bar.who_text()
    assert "No credentials" in window.identity_bar.who_text()
    assert "#fbdada" in window.identity_bar.styleSheet()
    assert not window.dry_run_button.isEnabled()


def test_unverified_identity_is_amber_and_allows_planning(qtbot, make_window) -> None:
    from s3desk.core.identity import Identity

    unverified = Identity(account="", arn="access key AKIAEXAMPLE", verified=False)
    window = make_window(identify=lambda connection: unverified)
    with qtbot.waitSignal(window.identity_checked):
        window.form.endpoint_edit.setText("http://127.0.0.1:9000")
    assert window.identity_bar.state is IdentityState.UNVERIFIED
    assert "not verified" in window.identity_bar.who_text()
    assert "#fff3cd" in window.identity_bar.styleSheet()
    assert "http://127.0.0.1:9000" in window.identity_bar.where_label.text()
    assert window.dry_run_button.isEnabled()


def test_identity_bar_refreshes_when_the_profile_changes(
    qtbot, make_window, tmp_path, monkeypatch
) -> None:
    from s3desk.core.identity import Identity

    config = tmp_path / "aws-config"
    config.write_text("[profile deploy]\nregion = eu-north-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.delenv("AWS_DEFAULT_REGION")

    seen = []

    def identify(connection):
        seen.append(connection.profile)
        return Identity(
            account="111122223333", arn=f"arn:aws:iam::111122223333:user/{connection.profile}"
        )

    window = make_window(identify=identify)
    with qtbot.waitSignal(window.identity_checked):
        window.form.profile_combo.setCurrentText("deploy")
    assert seen[-1] == "deploy"
    assert "user/deploy" in window.identity_bar.who_text()
    assert "111122223333" in window.identity_bar.who_text()
    assert "eu-north-1" in window.identity_bar.where_label.text()
    assert window.form.bucket_combo.count() in (0, 2)
    qtbot.waitUntil(lambda: window.form.bucket_combo.count() == 2)


def test_planning_errors_are_readable_messages(qtbot, window, planner) -> None:
    planner.error = S3DeskError(
        "Bucket not found",
        "The bucket demo-bucket does not exist.",
        code="NoSuchBucket",
        details="NoSuchBucket: 404",
    )
    with qtbot.waitSignal(window.plan_failed):
        window.dry_run_button.click()
    assert window.error_panel.title_label.text() == "Bucket not found"
    assert "does not exist" in window.error_panel.message_label.text()
    assert window.error_panel.details_view.isHidden()
    window.error_panel.details_button.click()
    assert not window.error_panel.details_view.isHidden()
    assert window.error_panel.details_view.toPlainText() == "NoSuchBucket: 404"


def test_unexpected_errors_never_show_a_traceback(qtbot, window, planner) -> None:
    planner.error = ZeroDivisionError("division by zero")
    with qtbot.waitSignal(window.plan_failed):
        window.dry_run_button.click()
    shown = window.error_panel.title_label.text() + window.error_panel.message_label.text()
    assert "Unexpected error" in shown
    assert "Traceback" not in shown + window.error_panel.details_view.toPlainText()
    assert not window.running
    assert window.dry_run_button.isEnabled()


def test_cancel_stops_the_dry_run(qtbot, window, planner) -> None:
    planner.hold = True
    window.dry_run_button.click()
    assert planner.started.wait(5)
    with qtbot.waitSignal(window.plan_failed, timeout=5000):
        window.cancel_button.click()
    assert "cancelled" in window.state_label.text()
    assert window.error_panel.isHidden()
    assert window.plan is None
    assert not window.apply_button.isEnabled()


def test_form_errors_are_shown_before_planning(qtbot, window, planner) -> None:
    window.form.bucket_combo.setCurrentText("Not_A_Bucket")
    window.dry_run_button.click()
    assert "not valid" in window.error_panel.message_label.text()
    assert planner.calls == []


def test_outcomes_show_as_they_arrive_and_apply_can_be_cancelled(
    qtbot, make_window, planner, tmp_path
) -> None:
    from s3desk.core.apply import ActionResult, ApplyResult, Outcome, Progress
    from s3desk.gui.plan_model import Column
    from s3desk.gui.sync_form import FormValues

    plan = mixed_plan()
    first = next(a for a in plan.actions if a.key == "site/a.html")

    def applier(plan, connection, *, on_progress, on_result, cancel, allow_deletes):
        on_result(ActionResult(first, Outcome.DONE))
        on_progress(Progress(1, 8, 1500, 2_002_510))
        assert cancel.wait(10), "never cancelled"
        rest = [
            ActionResult(a, Outcome.SKIPPED, "cancelled") for a in plan.changes if a is not first
        ]
        return ApplyResult((ActionResult(first, Outcome.DONE), *rest), "test", None, None)

    window = make_window(applier=applier)
    with qtbot.waitSignal(window.identity_checked):
        window.fill(FormValues(source=str(tmp_path), bucket="demo-bucket", prefix="site/"))
    dry_run(qtbot, window, plan, planner)
    window.review_check.setChecked(True)
    window.apply_button.click()

    row = window.model.row_of("site/a.html")
    qtbot.waitUntil(lambda: window.model.index(row, Column.STATUS).data() == "Done")
    qtbot.waitUntil(lambda: window.apply_panel.files_bar.value() == 1)
    assert window.apply_panel.files_bar.format() == "1 of 8 files"
    assert window.running
    assert window.form.isEnabled() is False
    with qtbot.waitSignal(window.apply_finished, timeout=5000):
        window.apply_panel.cancel_button.click()
    other = window.model.row_of("site/old.html")
    assert window.model.index(other, Column.STATUS).data() == "Skipped"
    assert "1 done" in window.result_label.text()
    assert "7 skipped" in window.result_label.text()
    assert window.form.isEnabled()
