"""The "what to sync" form: one widget that a person or a saved job fills.

It turns its fields into a `SyncSpec` (source, target, options, connection), the exact inputs of
a dry run; the window compares the spec a plan was made from with the current one to know when
a plan is stale.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QToolButton,
    QWidget,
)

from s3desk.core.errors import UsageError
from s3desk.core.plan import Options
from s3desk.core.session import Connection, StaticKeys
from s3desk.core.target import Target, bucket_problem, prefix_problem

logger = logging.getLogger(__name__)

STORAGE_CLASSES = (
    "",
    "STANDARD",
    "STANDARD_IA",
    "INTELLIGENT_TIERING",
    "ONEZONE_IA",
    "GLACIER_IR",
    "GLACIER",
    "DEEP_ARCHIVE",
    "REDUCED_REDUNDANCY",
)


@dataclass(frozen=True)
class FormValues:
    """Everything the form shows; what a saved job fills in."""

    source: str = ""
    profile: str = ""
    endpoint_url: str = ""
    region: str = ""
    bucket: str = ""
    prefix: str = ""
    delete: bool = False
    excludes: tuple[str, ...] = ()
    cache_control: str = ""
    storage_class: str = ""
    # Keys given by the program (the demo, or a job's keyring entry), never typed here.
    keys: StaticKeys | None = field(default=None, compare=False, repr=False)
    # What a saved job sets that the form does not show (header rules, content type, the
    # delete limit, append-only); the form's fields are laid over these.
    job_name: str = ""
    base_options: Options | None = None
    includes: tuple[str, ...] = ()
    delete_allowed: bool = True


def values_from_job(job: Any) -> FormValues:
    """The form's values for a saved job (`s3desk.core.jobs.Job`).

    Keys kept in the keyring are fetched here, so they stay in memory only.

    Raises:
        S3DeskError: the job's keys cannot be read from the keyring.
    """
    target = job.target_for_today()
    connection = job.connection()
    excludes = tuple(pattern for kind, pattern in job.filters if kind == "exclude")
    # Limitation: the form shows exclude patterns as one list and keeps a job's include
    # patterns after them, so a job that interleaves includes and excludes is planned with
    # its includes last (the usual `--exclude ... --include ...` order).
    includes = tuple(pattern for kind, pattern in job.filters if kind == "include")
    return FormValues(
        source=job.source,
        profile=connection.profile or "",
        endpoint_url=target.endpoint_url or "",
        region=target.region or "",
        bucket=target.bucket,
        prefix=target.prefix,
        delete=job.delete,
        excludes=excludes,
        cache_control=job.cache_control or "",
        storage_class=job.storage_class or "",
        keys=connection.keys,
        job_name=job.name,
        base_options=job.options(),
        includes=includes,
        delete_allowed=job.rules.delete_allowed and not job.create_only,
    )


@dataclass(frozen=True)
class SyncSpec:
    """The inputs of one dry run. Equal specs mean the plan still applies to the form."""

    source: str
    target: Target
    options: Options
    profile: str | None
    connection: Connection = field(compare=False, repr=False)

    def differences(self, other: SyncSpec | None) -> list[str]:
        """What changed from `other`, in words for the stale-plan message."""
        if other is None:
            return ["the form"]
        changed = []
        if self.source != other.source:
            changed.append("source folder")
        if self.target.endpoint_url != other.target.endpoint_url:
            changed.append("endpoint")
        if self.target.region != other.target.region:
            changed.append("region")
        if (self.target.bucket, self.target.prefix) != (other.target.bucket, other.target.prefix):
            changed.append("target")
        if self.options != other.options:
            changed.append("options")
        if self.profile != other.profile:
            changed.append("profile")
        return changed


def split_patterns(text: str) -> tuple[str, ...]:
    """Exclude patterns typed as a comma- or space-separated list."""
    return tuple(p for p in text.replace(",", " ").split() if p)


def available_profiles() -> list[str]:
    """Profile names from the AWS config files (botocore's own reading of them)."""
    try:
        import boto3

        return sorted(boto3.Session().available_profiles)
    except Exception as exc:  # a broken config file must not stop the window
        logger.warning("cannot read AWS profiles: %s", exc)
        return []


class SyncForm(QWidget):
    """Source folder, connection, bucket, prefix and options.

    Signals:
        spec_changed: any field changed (the window checks whether its plan is stale).
        connection_changed: profile, endpoint, region or keys changed (the identity bar
            refreshes); emitted once typing pauses.
    """

    spec_changed = Signal()
    connection_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._keys: StaticKeys | None = None
        self._job_values = FormValues()
        self._filling = False
        self._build()
        self._connect()

    # --- building ---

    def _build(self) -> None:
        self.source_edit = QLineEdit(self)
        self.source_edit.setPlaceholderText(self.tr("Folder with the files to publish"))
        self.source_edit.setMinimumWidth(120)
        self.browse_button = QToolButton(self)
        self.browse_button.setText(self.tr("Choose…"))
        self.browse_button.setToolTip(self.tr("Choose the source folder"))
        source_row = QHBoxLayout()
        source_row.setContentsMargins(0, 0, 0, 0)
        source_row.addWidget(self.source_edit, 1)
        source_row.addWidget(self.browse_button)

        self.profile_combo = QComboBox(self)
        self.profile_combo.setEditable(True)
        self.profile_combo.addItems(["", *available_profiles()])
        self.profile_combo.lineEdit().setPlaceholderText(self.tr("default credentials"))
        self.endpoint_edit = QLineEdit(self)
        self.endpoint_edit.setPlaceholderText(self.tr("AWS (leave empty), or https://host:port"))
        self.region_edit = QLineEdit(self)
        self.region_edit.setPlaceholderText(self.tr("from the profile, e.g. eu-west-1"))
        self.bucket_combo = QComboBox(self)
        self.bucket_combo.setEditable(True)
        self.bucket_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.bucket_combo.lineEdit().setPlaceholderText(self.tr("bucket name"))
        self.prefix_edit = QLineEdit(self)
        self.prefix_edit.setPlaceholderText(self.tr("e.g. site/ (empty: the whole bucket)"))
        self.delete_check = QCheckBox(self.tr("Dele&te what is not in the folder"))
        self.excludes_edit = QLineEdit(self)
        self.excludes_edit.setPlaceholderText(self.tr("e.g. *.psd, .DS_Store"))
        self.cache_edit = QLineEdit(self)
        self.cache_edit.setPlaceholderText(self.tr("e.g. public,max-age=300"))
        self.storage_combo = QComboBox(self)
        for name in STORAGE_CLASSES:
            self.storage_combo.addItem(name or self.tr("bucket default"), name)

        layout = QFormLayout(self)
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layout.addRow(self.tr("&Source folder"), source_row)
        layout.addRow(self.tr("&Profile"), self.profile_combo)
        layout.addRow(self.tr("&Endpoint"), self.endpoint_edit)
        layout.addRow(self.tr("Re&gion"), self.region_edit)
        layout.addRow(self.tr("&Bucket"), self.bucket_combo)
        layout.addRow(self.tr("Pre&fix"), self.prefix_edit)
        layout.addRow("", self.delete_check)
        layout.addRow(self.tr("E&xclude"), self.excludes_edit)
        layout.addRow(self.tr("Cac&he-Control"), self.cache_edit)
        layout.addRow(self.tr("Storage c&lass"), self.storage_combo)
        self._set_buddy(layout, 0, self.source_edit)

        self._connection_timer = QTimer(self)
        self._connection_timer.setSingleShot(True)
        self._connection_timer.setInterval(500)

    @staticmethod
    def _set_buddy(layout: QFormLayout, row: int, widget: QWidget) -> None:
        item = layout.itemAt(row, QFormLayout.ItemRole.LabelRole)
        if item is not None and item.widget() is not None:
            item.widget().setBuddy(widget)  # type: ignore[attr-defined]

    def _connect(self) -> None:
        for edit in (self.source_edit, self.prefix_edit, self.excludes_edit, self.cache_edit):
            edit.textChanged.connect(self._on_changed)
        self.bucket_combo.currentTextChanged.connect(self._on_changed)
        self.storage_combo.currentIndexChanged.connect(self._on_changed)
        self.delete_check.toggled.connect(self._on_changed)
        self.profile_combo.currentTextChanged.connect(self._on_connection_edited)
        self.endpoint_edit.textChanged.connect(self._on_connection_edited)
        self.region_edit.textChanged.connect(self._on_connection_edited)
        self._connection_timer.timeout.connect(self.connection_changed)
        self.browse_button.clicked.connect(self._choose_folder)

    # --- our API ---

    def values(self) -> FormValues:
        return FormValues(
            source=self.source_edit.text().strip(),
            profile=self.profile_combo.currentText().strip(),
            endpoint_url=self.endpoint_edit.text().strip(),
            region=self.region_edit.text().strip(),
            bucket=self.bucket_combo.currentText().strip(),
            prefix=self.prefix_edit.text().strip(),
            delete=self.delete_check.isChecked(),
            excludes=split_patterns(self.excludes_edit.text()),
            cache_control=self.cache_edit.text().strip(),
            storage_class=self.storage_combo.currentData() or "",
            keys=self._keys,
            job_name=self._job_values.job_name,
            base_options=self._job_values.base_options,
            includes=self._job_values.includes,
            delete_allowed=self._job_values.delete_allowed,
        )

    def fill(self, values: FormValues) -> None:
        """Show `values` (a saved job, or the demo's), then report one change."""
        self._filling = True
        try:
            self._keys = values.keys
            self._job_values = values
            self.source_edit.setText(values.source)
            self.profile_combo.setCurrentText(values.profile)
            self.endpoint_edit.setText(values.endpoint_url)
            self.region_edit.setText(values.region)
            self.bucket_combo.setCurrentText(values.bucket)
            self.prefix_edit.setText(values.prefix)
            self.delete_check.setChecked(values.delete and values.delete_allowed)
            self.delete_check.setEnabled(values.delete_allowed)
            self.delete_check.setToolTip(
                "" if values.delete_allowed else self.tr("This kind of job never deletes.")
            )
            self.excludes_edit.setText(", ".join(values.excludes))
            self.cache_edit.setText(values.cache_control)
            index = self.storage_combo.findData(values.storage_class)
            self.storage_combo.setCurrentIndex(max(index, 0))
        finally:
            self._filling = False
        self.spec_changed.emit()
        self.refresh_connection_now()

    def set_bucket_choices(self, names: list[str]) -> None:
        """Offer `names` (from ListBuckets) without changing what is typed."""
        typed = self.bucket_combo.currentText()
        blocked = self.bucket_combo.blockSignals(True)
        self.bucket_combo.clear()
        self.bucket_combo.addItems(names)
        self.bucket_combo.setCurrentText(typed)
        self.bucket_combo.blockSignals(blocked)

    def connection(self) -> Connection:
        values = self.values()
        return Connection(
            profile=values.profile or None,
            region=values.region or None,
            endpoint_url=values.endpoint_url or None,
            keys=values.keys,
        )

    def spec(self) -> SyncSpec:
        """The dry run's inputs.

        Raises:
            UsageError: a field is missing or invalid; the message names the field.
        """
        values = self.values()
        if not values.source:
            raise UsageError(self.tr("Choose the source folder first."), title="Source missing")
        if not values.bucket:
            raise UsageError(self.tr("Type or choose a bucket."), title="Bucket missing")
        problem = bucket_problem(values.bucket)
        if problem:
            raise UsageError(
                self.tr("Bucket name {name!r} is not valid: {problem}.").format(
                    name=values.bucket, problem=problem
                )
            )
        problem = prefix_problem(values.prefix)
        if problem:
            raise UsageError(
                self.tr("Prefix {prefix!r} is not valid: {problem}.").format(
                    prefix=values.prefix, problem=problem
                )
            )
        target = Target(
            bucket=values.bucket,
            prefix=values.prefix,
            region=values.region or None,
            endpoint_url=values.endpoint_url or None,
        )
        filters = tuple(("exclude", p) for p in values.excludes) + tuple(
            ("include", p) for p in values.includes
        )
        options = replace(
            values.base_options or Options(),
            delete=values.delete and values.delete_allowed,
            filters=filters,
            cache_control=values.cache_control or None,
            storage_class=values.storage_class or None,
        )
        return SyncSpec(
            source=values.source,
            target=target,
            options=options,
            profile=values.profile or None,
            connection=self.connection(),
        )

    def spec_or_none(self) -> SyncSpec | None:
        try:
            return self.spec()
        except UsageError:
            return None

    def refresh_connection_now(self) -> None:
        self._connection_timer.stop()
        self.connection_changed.emit()

    # --- slots ---

    def _on_changed(self) -> None:
        if not self._filling:
            self.spec_changed.emit()

    def _on_connection_edited(self) -> None:
        if self._filling:
            return
        self.spec_changed.emit()
        self._connection_timer.start()

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, self.tr("Choose the source folder"), self.source_edit.text()
        )
        if folder:
            self.source_edit.setText(folder)
