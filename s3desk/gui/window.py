"""The review window: who and where, what to sync, dry run, review, confirm, apply.

The window holds no rules of its own: the plan, its guards and apply come from `s3desk.core`.
It only decides when the review can be confirmed (the gate) and shows what happened.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from s3desk.core import paths
from s3desk.core.errors import S3DeskError, explain
from s3desk.core.identity import Identity
from s3desk.core.plan import Op, Plan
from s3desk.core.session import Connection
from s3desk.gui.formatting import format_bytes, summary_text
from s3desk.gui.icons import icon
from s3desk.gui.identity_bar import IdentityBar
from s3desk.gui.panels import ApplyPanel, ErrorPanel
from s3desk.gui.plan_model import Column, PlanFilter, PlanModel, RowStatus
from s3desk.gui.sync_form import FormValues, SyncForm, SyncSpec
from s3desk.gui.worker import Task, start_task

logger = logging.getLogger(__name__)

Planner = Callable[..., Plan]
Applier = Callable[..., Any]

KIND_CHOICES: tuple[tuple[str, frozenset[Op] | None], ...] = (
    ("All changes", None),
    ("Deletes", frozenset({Op.DELETE})),
    ("Updates", frozenset({Op.UPDATE, Op.METADATA})),
    ("Uploads", frozenset({Op.UPLOAD})),
    ("Conflicts", frozenset({Op.CONFLICT})),
)


def default_planner(*args: Any, **kwargs: Any) -> Plan:
    from s3desk.core.planner import make_plan

    return make_plan(*args, **kwargs)


def default_applier(*args: Any, **kwargs: Any) -> Any:
    from s3desk.core.apply import apply_plan

    return apply_plan(*args, **kwargs)


def default_identify(connection: Connection) -> Identity:
    from s3desk.core.identity import identify

    return identify(connection)


def list_bucket_names(connection: Connection) -> list[str]:
    from s3desk.core.session import make_client

    reply = make_client(connection).list_buckets()
    return sorted(bucket["Name"] for bucket in reply.get("Buckets", ()))


def _importable(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:
        return False


def _optional_view(module: str, class_name: str, parent: QWidget) -> Any:
    """An instance of a view another part of s3desk provides, or None when it is absent or
    fails to open (the review window must open regardless)."""
    if not _importable(module):
        return None
    try:
        import importlib

        view_class = getattr(importlib.import_module(module), class_name)
        return view_class(parent=parent)
    except Exception:
        logger.exception("could not open %s.%s", module, class_name)
        return None


def settings_file() -> str:
    """Window layout is machine state: it lives in the state folder, not with the settings."""
    return str(paths.state_dir() / "window.ini")


class MainWindow(QMainWindow):
    """The review window.

    Signals:
        identity_checked: the identity bar has a new state.
        plan_finished: a dry run produced a plan (shown in the table).
        plan_failed: a dry run failed or was cancelled (shown as a message).
        apply_finished: apply ended; carries the ApplyResult or the S3DeskError.
        review_changed: the gate may have changed (checkbox, Apply button).
    """

    identity_checked = Signal()
    plan_finished = Signal(object)
    plan_failed = Signal(object)
    apply_finished = Signal(object)
    review_changed = Signal()

    def __init__(
        self,
        *,
        planner: Planner = default_planner,
        applier: Applier = default_applier,
        identify: Callable[[Connection], Identity] = default_identify,
        list_buckets: Callable[[Connection], list[str]] = list_bucket_names,
        remember_layout: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._remember_layout = remember_layout
        self._auto_started = False
        self._planner, self._applier, self._identify = planner, applier, identify
        self._list_buckets = list_buckets
        self._plan: Plan | None = None
        self._plan_spec: SyncSpec | None = None
        self._applied = False
        self._plan_task: Task | None = None
        self._apply_task: Task | None = None
        self._identity_task: Task | None = None
        self._identity_generation = 0
        self.setWindowTitle(self.tr("s3desk — review before you publish"))
        self.setWindowIcon(icon("s3desk"))
        self._build()
        self._connect()
        if remember_layout:
            self._restore_layout()
        self._update_all()

    # --- building ---

    def _build(self) -> None:
        self.identity_bar = IdentityBar(self)
        self.form = SyncForm(self)
        form_scroll = QScrollArea(self)
        form_scroll.setWidgetResizable(True)
        form_scroll.setFrameShape(QFrame.Shape.NoFrame)
        form_side = QWidget(self)
        form_layout = QVBoxLayout(form_side)
        form_layout.setContentsMargins(0, 0, 0, 0)
        form_layout.addWidget(self.form)
        self.note_label = QLabel(form_side)
        self.note_label.setObjectName("noteLabel")
        self.note_label.setWordWrap(True)
        self.note_label.setStyleSheet(
            "#noteLabel { background: #eef4ea; color: #23401c; border: 1px solid #a8c79a;"
            " border-radius: 4px; padding: 8px; }"
        )
        self.note_label.hide()
        form_layout.addWidget(self.note_label)
        form_layout.addStretch(1)
        form_scroll.setWidget(form_side)
        form_scroll.setMinimumWidth(320)
        form_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(form_scroll)
        self.splitter.addWidget(self._build_review())
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([350, 930])

        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.splitter, icon("dry-run"), self.tr("Sync"))
        self._add_optional_tabs()

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.addWidget(self.identity_bar)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.resize(1280, 800)

    def _build_review(self) -> QWidget:
        review = QWidget(self)
        self.dry_run_button = QPushButton(icon("dry-run"), self.tr("&Dry run"), review)
        self.dry_run_button.setToolTip(self.tr("Compare the folder with the bucket (F5)"))
        self.cancel_button = QPushButton(icon("cancel"), self.tr("Ca&ncel"), review)
        self.cancel_button.setToolTip(self.tr("Stop the dry run (Esc)"))
        self.busy_bar = QProgressBar(review)
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setMaximumWidth(160)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setAccessibleName(self.tr("Dry run in progress"))
        self.busy_bar.hide()
        self.state_label = QLabel(review)
        actions = QHBoxLayout()
        actions.addWidget(self.dry_run_button)
        actions.addWidget(self.cancel_button)
        actions.addWidget(self.busy_bar)
        actions.addWidget(self.state_label, 1)

        self.error_panel = ErrorPanel(review)
        self.summary_label = QLabel(review)
        self.summary_label.setObjectName("summaryLabel")
        self.summary_label.setWordWrap(True)
        font = self.summary_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.summary_label.setFont(font)
        self.notice_label = QLabel(review)
        self.notice_label.setObjectName("noticeLabel")
        self.notice_label.setWordWrap(True)
        self.notice_label.setStyleSheet(
            "#noticeLabel { background: #fff3cd; color: #5c4300; border: 1px solid #e0b341;"
            " border-radius: 4px; padding: 6px; }"
        )
        self.notice_label.hide()

        layout = QVBoxLayout(review)
        layout.setContentsMargins(6, 0, 0, 0)
        layout.addLayout(actions)
        layout.addWidget(self.error_panel)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.notice_label)
        layout.addLayout(self._build_filter_row(review))
        layout.addWidget(self._build_table(review), 1)
        layout.addLayout(self._build_gate(review))
        self.apply_panel = ApplyPanel(review)
        layout.addWidget(self.apply_panel)
        self.result_label = QLabel(review)
        self.result_label.setObjectName("resultLabel")
        self.result_label.setWordWrap(True)
        self.result_label.hide()
        layout.addWidget(self.result_label)
        return review

    def _build_filter_row(self, parent: QWidget) -> QHBoxLayout:
        self.kind_combo = QComboBox(parent)
        for label, kinds in KIND_CHOICES:
            self.kind_combo.addItem(self.tr(label), kinds)
        self.kind_combo.setAccessibleName(self.tr("Show actions of kind"))
        self.filter_edit = QLineEdit(parent)
        self.filter_edit.setPlaceholderText(self.tr("Filter by key (Ctrl+F)"))
        self.filter_edit.setClearButtonEnabled(True)
        self.unchanged_check = QCheckBox(self.tr("Show &unchanged"), parent)
        self.rows_label = QLabel(parent)
        row = QHBoxLayout()
        show_label = QLabel(self.tr("Sh&ow"), parent)
        show_label.setBuddy(self.kind_combo)
        row.addWidget(show_label)
        row.addWidget(self.kind_combo)
        row.addWidget(self.filter_edit, 1)
        row.addWidget(self.unchanged_check)
        row.addWidget(self.rows_label)
        return row

    def _build_table(self, parent: QWidget) -> QTableView:
        self.model = PlanModel(self)
        self.proxy = PlanFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView(parent)
        self.table.setObjectName("planTable")
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(False)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.verticalHeader().hide()
        # Fixed row heights: measuring 100,000 rows would freeze the window.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        for column, width in (
            (Column.ACTION, 100),
            (Column.KEY, 245),
            (Column.LOCAL_SIZE, 80),
            (Column.REMOTE_SIZE, 95),
            (Column.REASON, 225),
            (Column.HEADERS, 260),
            (Column.STATUS, 150),
        ):
            self.table.setColumnWidth(column, width)
        # The status column appears when apply starts, next to the action, where it is seen.
        header.moveSection(header.visualIndex(Column.STATUS), Column.ACTION + 1)
        self.table.setColumnHidden(Column.STATUS, True)
        header.setSortIndicator(Column.ACTION, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.table.setAccessibleName(self.tr("Changes in the plan"))
        return self.table

    def _build_gate(self, parent: QWidget) -> QVBoxLayout:
        self.blocked_label = QLabel(parent)
        self.blocked_label.setObjectName("blockedLabel")
        self.blocked_label.setWordWrap(True)
        self.blocked_label.setStyleSheet(
            "#blockedLabel { background: #fbdada; color: #7f0000; border: 1px solid #d32f2f;"
            " border-radius: 4px; padding: 6px; font-weight: bold; }"
        )
        self.delete_count_edit = QLineEdit(parent)
        self.delete_count_edit.setPlaceholderText(self.tr("number of deletes"))
        self.delete_count_edit.setMaximumWidth(180)
        self.delete_count_edit.setAccessibleName(self.tr("Type the number of deletes"))
        blocked_row = QHBoxLayout()
        blocked_row.addWidget(self.blocked_label, 1)
        blocked_row.addWidget(self.delete_count_edit)

        self.review_check = QCheckBox(parent)
        self.review_check.setObjectName("reviewCheck")
        self.apply_button = QPushButton(icon("apply"), self.tr("&Apply"), parent)
        self.apply_button.setToolTip(self.tr("Apply exactly the reviewed plan"))
        self.gate_hint = QLabel(parent)
        self.gate_hint.setObjectName("gateHint")
        self.gate_hint.setWordWrap(True)
        self.gate_hint.setStyleSheet("#gateHint { color: #555555; }")
        confirm_row = QHBoxLayout()
        confirm_row.addWidget(self.review_check, 1)
        confirm_row.addWidget(self.apply_button)
        self.review_check.setStyleSheet("#reviewCheck { font-weight: bold; }")
        gate = QVBoxLayout()
        gate.addLayout(blocked_row)
        gate.addLayout(confirm_row)
        gate.addWidget(self.gate_hint)
        return gate

    def _add_optional_tabs(self) -> None:
        """Jobs, share links and permissions are separate widgets, embedded when present."""
        self.jobs_view = _optional_view("s3desk.gui.jobs_view", "JobsView", self)
        if self.jobs_view is not None:
            self.tabs.addTab(self.jobs_view, self.tr("Jobs"))
            self.jobs_view.job_selected.connect(self.use_job)
        self.share_tab = QWidget(self)
        share_layout = QVBoxLayout(self.share_tab)
        self.share_hint = QLabel(
            self.tr("Choose a share job under Jobs to make short-lived links to its files."),
            self.share_tab,
        )
        self.share_hint.setWordWrap(True)
        share_layout.addWidget(self.share_hint)
        share_layout.addStretch(1)
        self.share_view: QWidget | None = None
        self._pending_share_target: Any = None  # a Target, once a share job is chosen
        if _importable("s3desk.gui.share_view"):
            self.tabs.addTab(self.share_tab, self.tr("Share links"))
        self.permissions_view = _optional_view(
            "s3desk.gui.permissions_view", "PermissionsView", self
        )
        if self.permissions_view is not None:
            self.tabs.addTab(self.permissions_view, self.tr("Permissions"))

    def use_job(self, job: Any) -> None:
        """Fill the form from a saved job (`core.jobs.Job`) and show its other views."""
        from s3desk.gui.sync_form import values_from_job

        try:
            values = values_from_job(job)
        except S3DeskError as error:
            self.error_panel.show_error(error)
            self.tabs.setCurrentWidget(self.splitter)
            return
        logger.info("job chosen: %s", job.name)
        self.identity_bar.set_production(bool(getattr(job, "production", False)))
        if self.permissions_view is not None:
            try:
                self.permissions_view.set_job(job)  # type: ignore[attr-defined]
            except Exception:  # a broken optional view must not stop the review
                logger.exception("permissions view refused job %s", job.name)
        is_share = str(getattr(job, "kind", "")) == "share"
        self._pending_share_target = job.target_for_today() if is_share else None
        self.fill(values)
        self.tabs.setCurrentWidget(self.share_tab if is_share else self.splitter)

    def offer_share(self, target: Any) -> None:
        """Open the Share links tab on a share prefix (a Target) once the identity is known."""
        self._pending_share_target = target
        self._open_share_view()

    def _open_share_view(self) -> None:
        """Build the share view for the chosen share prefix, once its signer is known."""
        target, identity = self._pending_share_target, self.identity_bar.identity
        if target is None or identity is None:
            return
        self._pending_share_target = None
        from s3desk.gui.share_view import ShareView

        if self.share_view is not None:
            self.share_view.deleteLater()
        try:
            view = ShareView(self.form.connection(), target, identity.arn, self)
        except Exception as exc:  # a broken optional view must not stop the review
            logger.exception("share view could not open")
            self.error_panel.show_error(explain(exc))
            return
        self.share_view = view
        self.share_tab.layout().insertWidget(0, view, 1)
        self.share_hint.hide()

    def _connect(self) -> None:
        self.form.spec_changed.connect(self._on_spec_changed)
        self.form.connection_changed.connect(self.refresh_identity)
        self.identity_checked.connect(self._open_share_view)
        self.dry_run_button.clicked.connect(self.start_dry_run)
        self.cancel_button.clicked.connect(self.cancel_dry_run)
        self.apply_button.clicked.connect(self.start_apply)
        self.apply_panel.cancel_button.clicked.connect(self.cancel_apply)
        self.review_check.toggled.connect(self._update_gate)
        self.delete_count_edit.textChanged.connect(self._update_gate)
        self.kind_combo.currentIndexChanged.connect(self._on_kind_chosen)
        self.filter_edit.textChanged.connect(self.proxy.set_text)
        self.unchanged_check.toggled.connect(self.proxy.set_show_unchanged)
        for signal in (self.proxy.rowsInserted, self.proxy.rowsRemoved, self.proxy.modelReset):
            signal.connect(self._update_rows_label)
        self.proxy.layoutChanged.connect(self._update_rows_label)
        QShortcut(QKeySequence(Qt.Key.Key_F5), self, self.start_dry_run)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self._cancel_running)
        QShortcut(QKeySequence.StandardKey.Find, self, self._focus_filter)

    # --- our API ---

    @property
    def plan(self) -> Plan | None:
        return self._plan

    def fill(self, values: FormValues) -> None:
        """Fill the form (from a saved job or the demo); the identity is checked again."""
        self.form.fill(values)

    def set_note(self, text: str) -> None:
        """A note under the form (the demo says where its server is)."""
        self.note_label.setText(text)
        self.note_label.setVisible(bool(text))

    def refresh_identity(self) -> None:
        """Ask who the credentials are, off the GUI thread; newer requests win."""
        self._identity_generation += 1
        generation = self._identity_generation
        connection = self.form.connection()
        self.identity_bar.set_checking()
        self._update_all()

        def work(task: Task) -> tuple[Identity, str | None]:
            identity = self._identify(connection)
            return identity, connection.region or connection.session().region_name

        self._identity_task = start_task(
            "identity",
            work,
            on_success=lambda result: self._on_identity(generation, connection, result),
            on_failure=lambda error: self._on_identity_error(generation, error),
            parent=self,
        )

    def start_dry_run(self) -> None:
        if self.running or not self.identity_bar.planning_allowed:
            return
        try:
            spec = self.form.spec()
        except S3DeskError as error:
            self.error_panel.show_error(error)
            return
        self.error_panel.hide()
        self._set_plan(None, None)
        identity = self.identity_bar.identity

        def work(task: Task) -> Plan:
            return self._planner(
                spec.source,
                spec.target,
                spec.options,
                spec.connection,
                identity=identity,
                cancel=task.cancel,
            )

        logger.info("dry run started for %s", spec.target.url)
        self._plan_task = start_task(
            "dry run",
            work,
            on_success=lambda plan: self._on_plan(plan, spec),
            on_failure=self._on_plan_error,
            parent=self,
        )
        self.state_label.setText(self.tr("Dry run: comparing the folder with the bucket…"))
        self._update_all()

    def start_dry_run_once(self) -> None:
        """Start the first dry run when the identity is known (the demo starts this way)."""
        if not self._auto_started and self.identity_bar.planning_allowed:
            self._auto_started = True
            self.start_dry_run()

    def cancel_dry_run(self) -> None:
        if self._plan_task is not None and self._plan_task.running:
            self._plan_task.request_cancel()
            self.state_label.setText(self.tr("Cancelling the dry run…"))

    def start_apply(self) -> None:
        """Apply exactly the reviewed plan, if the gate is open."""
        plan = self._plan
        if plan is None or self.gate_problem() is not None or not self.review_check.isChecked():
            return
        spec = self._plan_spec
        assert spec is not None
        allow_deletes = plan.summary.delete if plan.blocked else None
        self.model.clear_status()
        self.table.setColumnHidden(Column.STATUS, False)
        self.error_panel.hide()
        self.result_label.hide()
        changes = plan.changes
        self.apply_panel.start(
            len(changes), sum(a.size or 0 for a in changes if a.op in (Op.UPLOAD, Op.UPDATE))
        )

        def work(task: Task) -> Any:
            return self._applier(
                plan,
                spec.connection,
                on_progress=task.report,
                on_result=task.report,
                cancel=task.cancel,
                allow_deletes=allow_deletes,
            )

        logger.info("apply started: %d changes to %s", len(changes), plan.target.url)
        self._apply_task = start_task(
            "apply",
            work,
            on_success=self._on_applied,
            on_failure=self._on_apply_error,
            on_progress=self._on_apply_progress,
            parent=self,
        )
        self.state_label.setText(self.tr("Applying the reviewed plan…"))
        self._update_all()

    def cancel_apply(self) -> None:
        if self._apply_task is not None and self._apply_task.running:
            self._apply_task.request_cancel()
            self.apply_panel.cancel_button.setEnabled(False)
            self.state_label.setText(self.tr("Stopping after the files in flight…"))

    @property
    def running(self) -> bool:
        return any(
            task is not None and task.running for task in (self._plan_task, self._apply_task)
        )

    def gate_problem(self) -> str | None:
        """Why the review cannot be confirmed now, or None when it can."""
        plan = self._plan
        if self._plan_task is not None and self._plan_task.running:
            return self.tr("A dry run is running.")
        if self._apply_task is not None and self._apply_task.running:
            return self.tr("Apply is running.")
        if plan is None:
            return self.tr("Run a dry run to see what would change.")
        if self._applied:
            return self.tr("This plan has been applied. Run a dry run again to see what is left.")
        if not plan.changes:
            return self.tr("Nothing to apply: the bucket already matches the folder.")
        stale = self.stale_reasons()
        if stale:
            return self.tr(
                "This plan is out of date: the {what} changed since the dry run. "
                "Run the dry run again."
            ).format(what=", ".join(stale))
        if plan.blocked and self.delete_count_edit.text().strip() != str(plan.summary.delete):
            return self.tr("This plan is blocked: type the number of deletes to go on.")
        return None

    def stale_reasons(self) -> list[str]:
        """What changed in the form since the plan was made (empty: the plan is current)."""
        if self._plan is None or self._plan_spec is None:
            return []
        current = self.form.spec_or_none()
        if current is None:
            return ["form"]
        return current.differences(self._plan_spec)

    # --- results from the workers ---

    def _on_identity(
        self, generation: int, connection: Connection, result: tuple[Identity, str | None]
    ) -> None:
        if generation != self._identity_generation:
            return
        identity, region = result
        self.identity_bar.set_identity(identity)
        self.identity_bar.set_resolved_region(region)
        self._update_all()
        self.identity_checked.emit()
        start_task(
            "list buckets",
            lambda task: self._list_buckets(connection),
            on_success=lambda names: self._on_buckets(generation, names),
            on_failure=lambda error: logger.info("buckets not listed: %s", error),
            parent=self,
        )

    def _on_identity_error(self, generation: int, error: S3DeskError) -> None:
        if generation != self._identity_generation:
            return
        self.identity_bar.set_unknown(f"{error.title}: {error.message}")
        self._update_all()
        self.identity_checked.emit()

    def _on_buckets(self, generation: int, names: list[str]) -> None:
        if generation == self._identity_generation:
            self.form.set_bucket_choices(names)

    def _on_plan(self, plan: Plan, spec: SyncSpec) -> None:
        self._set_plan(plan, spec)
        self.state_label.setText(self.tr("Dry run finished. Review the changes below."))
        self._update_all()
        self.plan_finished.emit(plan)

    def _on_plan_error(self, error: S3DeskError) -> None:
        if error.code == "Cancelled" or error.title == "Cancelled":
            self.state_label.setText(self.tr("Dry run cancelled; nothing was planned."))
        else:
            self.state_label.setText(self.tr("The dry run failed."))
            self.error_panel.show_error(error)
        self._update_all()
        self.plan_failed.emit(error)

    def _on_apply_progress(self, value: Any) -> None:
        from s3desk.core.apply import ActionResult, Progress

        if isinstance(value, ActionResult):
            self.model.set_status(value.action.key, RowStatus(str(value.outcome), value.error))
        elif isinstance(value, Progress):
            self.apply_panel.show_progress(
                value.files_done, value.files_total, value.bytes_done, value.bytes_total
            )

    def _on_applied(self, result: Any) -> None:
        from s3desk.core.apply import Outcome

        self._applied = True
        for item in result.results:
            self.model.set_status(item.action.key, RowStatus(str(item.outcome), item.error))
        counts = [
            self.tr("{count} {outcome}").format(count=result.count(o), outcome=self.tr(str(o)))
            for o in Outcome
            if result.count(o)
        ]
        text = self.tr("Apply finished: {counts}.").format(counts=", ".join(counts) or "0 done")
        if result.prefix_objects is not None:
            text += " " + self.tr("{url} now holds {objects} objects ({size}).").format(
                url=self._plan.target.url if self._plan else "",
                objects=result.prefix_objects,
                size=format_bytes(result.prefix_bytes or 0),
            )
        text += " " + self.tr("Guarantee: {guarantee}.").format(guarantee=result.guarantee)
        colour = "#14521f" if result.ok else "#7a3300"
        self.result_label.setStyleSheet(f"#resultLabel {{ color: {colour}; font-weight: bold; }}")
        self.result_label.setText(text)
        self.result_label.show()
        self.apply_panel.cancel_button.setEnabled(False)
        self.state_label.setText(self.tr("Apply finished."))
        self._update_all()
        self.apply_finished.emit(result)

    def _on_apply_error(self, error: S3DeskError) -> None:
        self.error_panel.show_error(error)
        self.apply_panel.cancel_button.setEnabled(False)
        self.state_label.setText(self.tr("Apply stopped before writing anything."))
        self._update_all()
        self.apply_finished.emit(error)

    # --- state ---

    def _set_plan(self, plan: Plan | None, spec: SyncSpec | None) -> None:
        self._plan, self._plan_spec, self._applied = plan, spec, False
        self.model.set_plan(plan)
        self.review_check.setChecked(False)
        self.delete_count_edit.clear()
        self.result_label.hide()
        self.apply_panel.hide()

    def _on_spec_changed(self) -> None:
        self.identity_bar.set_where(self.form.values())
        self._update_all()

    def _update_all(self) -> None:
        planning = self._plan_task is not None and self._plan_task.running
        applying = self._apply_task is not None and self._apply_task.running
        self.identity_bar.set_where(self.form.values())
        self.dry_run_button.setEnabled(
            self.identity_bar.planning_allowed and not planning and not applying
        )
        self.cancel_button.setVisible(planning)
        self.busy_bar.setVisible(planning)
        self.form.setEnabled(not applying)
        self._update_summary()
        self._update_gate()
        self._update_rows_label()

    def _update_summary(self) -> None:
        plan = self._plan
        if plan is None:
            self.summary_label.setText(self.tr("No plan yet."))
            self.summary_label.setStyleSheet("")
            self.notice_label.hide()
            return
        self.summary_label.setText(summary_text(plan))
        notices = list(plan.warnings[:5])
        if len(plan.warnings) > 5:
            notices.append(
                self.tr("… and {count} more warnings").format(count=len(plan.warnings) - 5)
            )
        stale = self.stale_reasons()
        if stale and not self._applied:
            notices.insert(
                0,
                self.tr("Stale plan: the {what} changed since the dry run.").format(
                    what=", ".join(stale)
                ),
            )
        self.notice_label.setText("\n".join(notices))
        self.notice_label.setVisible(bool(notices))
        colour = "#7a7a7a" if stale else "#1d2733"
        self.summary_label.setStyleSheet(f"#summaryLabel {{ color: {colour}; }}")

    def _update_gate(self) -> None:
        plan = self._plan
        blocked = plan is not None and plan.blocked and not self._applied
        self.blocked_label.setVisible(blocked)
        self.delete_count_edit.setVisible(blocked)
        if blocked and plan is not None:
            self.blocked_label.setText(
                self.tr(
                    "Blocked by a guard: {reasons}. To go on, type the number of deletes ({count}):"
                ).format(reasons="; ".join(plan.block_reasons), count=plan.summary.delete)
            )
        problem = self.gate_problem()
        changes = len(plan.changes) if plan is not None else 0
        url = plan.target.url if plan is not None else ""
        if plan is not None and changes:
            text = self.tr("I have &reviewed these {count} changes to {url}").format(
                count=changes, url=url
            )
        else:
            text = self.tr("I have &reviewed the changes")
        self.review_check.setText(text)
        if problem is not None and self.review_check.isChecked():
            blocked_signals = self.review_check.blockSignals(True)
            self.review_check.setChecked(False)
            self.review_check.blockSignals(blocked_signals)
        self.review_check.setEnabled(problem is None)
        confirmed = problem is None and self.review_check.isChecked()
        self.apply_button.setEnabled(confirmed)
        if problem is None and not confirmed:
            problem_text = self.tr(
                "Look through every change, then tick the box: Apply stays disabled until then."
            )
        else:
            problem_text = problem or ""
        self.gate_hint.setText(problem_text)
        self.gate_hint.setVisible(bool(problem_text))
        self.review_changed.emit()

    def _update_rows_label(self) -> None:
        total = self.model.rowCount()
        shown = self.proxy.rowCount()
        self.rows_label.setText(self.tr("{shown} of {total} rows").format(shown=shown, total=total))

    # --- small slots ---

    def _on_kind_chosen(self, index: int) -> None:
        self.proxy.set_kinds(self.kind_combo.itemData(index))
        self._update_rows_label()

    def _cancel_running(self) -> None:
        self.cancel_dry_run()
        self.cancel_apply()

    def _focus_filter(self) -> None:
        self.filter_edit.setFocus()
        self.filter_edit.selectAll()

    # --- layout memory ---

    def _settings(self) -> QSettings:
        return QSettings(settings_file(), QSettings.Format.IniFormat)

    def _restore_layout(self) -> None:
        settings = self._settings()
        geometry = settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        size = settings.value("window/size")
        if size is not None:
            # restoreGeometry clamps to the screen it guesses; the size itself is kept too.
            self.resize(size)
        splitter = settings.value("window/splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)

    def save_layout(self) -> None:
        settings = self._settings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/size", self.size())
        settings.setValue("window/splitter", self.splitter.saveState())
        settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._remember_layout:
            self.save_layout()
        for task in (self._plan_task, self._apply_task):
            if task is not None and task.running:
                task.request_cancel()
        super().closeEvent(event)
