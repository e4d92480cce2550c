"""The Permissions view of a job: the IAM policy it needs (with Copy), a paste box that lints a
policy, and the checks before a dry run. Thin over core.policy and core.preflight."""

from __future__ import annotations

import json
import logging
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from s3desk.core import policy as iam
from s3desk.core.errors import S3DeskError
from s3desk.core.preflight import PreflightReport, Severity, run_preflight
from s3desk.core.session import Connection
from s3desk.core.target import Target
from s3desk.gui.worker import Task, start_task

logger = logging.getLogger(__name__)

SEVERITY_COLOURS = {
    Severity.ERROR: "#b71c1c",
    Severity.WARNING: "#8a5a00",
    Severity.INFO: "#37474f",
    Severity.OK: "#1b5e20",
}


class PermissionsView(QWidget):
    """Policy, lint and checks for one job. Give it a job with `set_job` (or `set_access`)."""

    policy_copied = Signal(str)
    lint_finished = Signal(list)  # list[policy.Finding]
    checks_finished = Signal(object)  # PreflightReport
    checks_failed = Signal(object)  # S3DeskError

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.access: iam.Access | None = None
        self.connection: Connection | None = None
        self.target: Target | None = None
        self.report: PreflightReport | None = None
        self.findings: list[iam.Finding] = []
        self._task: Task | None = None
        self._job: Any = None
        layout = QVBoxLayout(self)
        layout.addWidget(self._build_policy_box())
        layout.addWidget(self._build_lint_box())
        layout.addWidget(self._build_checks_box())
        self._show_policy()

    # -- building ----------------------------------------------------------------------

    def _build_policy_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("IAM policy this job needs"), self)
        self.policy_text = QPlainTextEdit(box)
        self.policy_text.setReadOnly(True)
        self.policy_text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.copy_button = QPushButton(self.tr("Copy policy"), box)
        self.copy_button.clicked.connect(self.copy_policy)
        self.policy_note = QLabel(box)
        self.policy_note.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.policy_note, 1)
        row.addWidget(self.copy_button)
        inner = QVBoxLayout(box)
        inner.addWidget(self.policy_text)
        inner.addLayout(row)
        return box

    def _build_lint_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Check a policy"), self)
        self.lint_input = QPlainTextEdit(box)
        self.lint_input.setPlaceholderText(self.tr("Paste an IAM policy (JSON) here."))
        self.lint_input.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.lint_button = QPushButton(self.tr("Check policy"), box)
        self.lint_button.clicked.connect(self.lint_pasted)
        self.lint_list = QListWidget(box)
        self.lint_list.setWordWrap(True)
        inner = QVBoxLayout(box)
        inner.addWidget(self.lint_input)
        inner.addWidget(self.lint_button)
        inner.addWidget(self.lint_list)
        return box

    def _build_checks_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Checks before a dry run"), self)
        self.checks_button = QPushButton(self.tr("Run checks"), box)
        self.checks_button.clicked.connect(self.run_checks)
        self.checks_list = QListWidget(box)
        self.checks_list.setWordWrap(True)
        inner = QVBoxLayout(box)
        inner.addWidget(self.checks_button)
        inner.addWidget(self.checks_list)
        return box

    # -- the job -----------------------------------------------------------------------

    def set_job(self, job: Any) -> None:
        """Show a saved job (s3desk.core.jobs.Job): its policy, and checks with its credentials.

        The credentials are resolved when the checks run, not now, so a keyring prompt comes
        only when the user asks for checks.
        """
        self._job = job
        self.set_access(iam.from_job(job), None, job.target_for_today())

    def set_access(
        self,
        access: iam.Access | None,
        connection: Connection | None = None,
        target: Target | None = None,
    ) -> None:
        """Show the policy for `access`; checks run against `target` with `connection`."""
        self.access = access
        self.connection = connection
        self.target = target
        self.report = None
        self.checks_list.clear()
        self._show_policy()

    def _show_policy(self) -> None:
        has_job = self.access is not None
        self.copy_button.setEnabled(has_job)
        self.checks_button.setEnabled(has_job and self.target is not None)
        if self.access is None:
            self.policy_text.setPlainText("")
            self.policy_note.setText(self.tr("Choose a job to see the policy it needs."))
            return
        self.policy_text.setPlainText(iam.to_json(iam.generate(self.access)))
        self.policy_note.setText(
            self.tr("Attach this policy to the user or role that runs {job}.").format(
                job=self.access.label
            )
        )

    def copy_policy(self) -> None:
        text = self.policy_text.toPlainText()
        if not text:
            return
        QGuiApplication.clipboard().setText(text)
        self.policy_copied.emit(text)

    # -- lint --------------------------------------------------------------------------

    def lint_pasted(self) -> None:
        """Lint the pasted policy against the current job and list what it finds."""
        self.lint_list.clear()
        try:
            document = iam.load_policy(self.lint_input.toPlainText())
            self.findings = iam.lint(document, self.access)
        except S3DeskError as error:
            self.findings = []
            self._add_item(self.lint_list, error.message, Severity.ERROR)
            self.lint_finished.emit(self.findings)
            return
        if not self.findings:
            self._add_item(
                self.lint_list, self.tr("No findings: none of the known pitfalls."), Severity.OK
            )
        for finding in self.findings:
            text = self.tr("{statement}: {problem}\nFix: {fix}").format(
                statement=finding.statement, problem=finding.problem, fix=finding.fix
            )
            self._add_item(self.lint_list, text, Severity.WARNING)
        self.lint_finished.emit(self.findings)

    # -- checks ------------------------------------------------------------------------

    def run_checks(self) -> None:
        """Run the checks off the GUI thread; the list fills when they end."""
        if self.target is None or (self._task is not None and self._task.running):
            return
        access, target = self.access, self.target
        connection = self.connection
        job = self._job
        self.checks_button.setEnabled(False)
        self.checks_list.clear()
        self._add_item(self.checks_list, self.tr("Checking…"), Severity.INFO)

        def work(task: Task) -> PreflightReport:
            used = connection or (job.connection() if job is not None else Connection())
            return run_preflight(used, target, access)

        self._task = start_task(
            "preflight checks",
            work,
            on_success=self.show_report,
            on_failure=self._checks_failed,
            parent=self,
        )

    def show_report(self, report: PreflightReport) -> None:
        self.report = report
        self.checks_button.setEnabled(True)
        self.checks_list.clear()
        for check in report.checks:
            text = f"{check.title}: {check.message}"
            if check.fix:
                text += "\n" + self.tr("What to do: {fix}").format(fix=check.fix)
            self._add_item(self.checks_list, text, check.severity)
        self.checks_finished.emit(report)

    def _checks_failed(self, error: S3DeskError) -> None:
        self.checks_button.setEnabled(True)
        self.checks_list.clear()
        self._add_item(self.checks_list, f"{error.title}: {error.message}", Severity.ERROR)
        self.checks_failed.emit(error)

    @staticmethod
    def _add_item(widget: QListWidget, text: str, severity: Severity) -> None:
        item = QListWidgetItem(text, widget)
        item.setForeground(QBrush(QColor(SEVERITY_COLOURS[severity])))
        item.setData(Qt.ItemDataRole.UserRole, str(severity))
        item.setToolTip(text)

    def policy_document(self) -> dict[str, Any]:
        """The policy shown, parsed (empty when no job is chosen)."""
        text = self.policy_text.toPlainText()
        return json.loads(text) if text else {}
