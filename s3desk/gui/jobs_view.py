"""The list of saved jobs and the job editor.

The editor checks each field as the user types (bucket naming rules, prefix rules, the folder
exists, header rules and filters) and allows saving only when nothing is wrong. Keys typed here
go straight to the system keyring; their fields are masked and emptied once saved. Selecting a
job emits `job_selected(Job)`, which the main window connects to fill its form.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QColor, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from s3desk.core import jobs, secrets
from s3desk.core.errors import S3DeskError, UsageError
from s3desk.core.filters import EXCLUDE, INCLUDE
from s3desk.core.jobs import Credentials, CredentialSource, Job, Kind
from s3desk.core.session import StaticKeys
from s3desk.core.target import Target, bucket_problem, prefix_problem

logger = logging.getLogger(__name__)

PROBLEM_STYLE = "color: #b00020;"
STORAGE_CLASSES = ("", "STANDARD", "STANDARD_IA", "INTELLIGENT_TIERING", "ONEZONE_IA",
                   "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE")  # fmt: skip


def available_profiles() -> list[str]:
    """Profile names from the AWS config files, as botocore reads them."""
    try:
        import boto3

        return sorted(boto3.Session().available_profiles)
    except Exception as exc:  # a broken AWS config must not stop the window
        logger.warning("cannot read AWS profiles: %s", exc)
        return []


def parse_filters(text: str) -> tuple[tuple[str, str], ...]:
    """Filters typed one a line as `exclude PATTERN` or `include PATTERN`, in order.

    Raises:
        UsageError: a line starts with another word or has no pattern.
    """
    rules = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        kind, _, pattern = line.strip().partition(" ")
        if kind not in (EXCLUDE, INCLUDE) or not pattern.strip():
            raise UsageError(f"line {number}: write 'exclude PATTERN' or 'include PATTERN'")
        rules.append((kind, pattern.strip()))
    return tuple(rules)


def parse_header_rules(text: str) -> tuple[jobs.HeaderRule, ...]:
    """Header rules typed one a line as `GLOB=cache-control;content-type`."""
    rules = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                rules.append(jobs.parse_header_rule(line))
            except UsageError as exc:
                raise UsageError(f"line {number}: {exc.message}") from exc
    return tuple(rules)


def endpoint_problem(url: str) -> str:
    """Why `url` cannot be an endpoint, or an empty string (empty means AWS)."""
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "write it as https://host:port"
    return ""


@dataclass(frozen=True)
class Problems:
    """What is wrong with the editor's fields, by field name (empty text: nothing)."""

    by_field: dict[str, str]

    def __bool__(self) -> bool:
        return any(self.by_field.values())

    def get(self, name: str) -> str:
        return self.by_field.get(name, "")


class JobEditor(QWidget):
    """The fields of one job, checked as the user types.

    Signals:
        validity_changed(bool): whether the fields now make a valid job.
    """

    validity_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.original: Job | None = None  # the saved job being edited; None for a new one
        self.taken_names: set[str] = set()
        self._filling = False
        self._kind_shown = Kind.SITE
        self._problem_labels: dict[str, QLabel] = {}
        self._build()
        self._connect()
        self.keyring_problem = secrets.backend_problem()
        self._offer_credentials()
        self.validate()

    # --- building ---

    def _build(self) -> None:
        self.name_edit = QLineEdit(self)
        self.name_edit.setPlaceholderText(self.tr("e.g. site-prod"))
        self.kind_combo = QComboBox(self)
        for kind in Kind:
            self.kind_combo.addItem(self.kind_label(kind), kind.value)
        self.source_edit = QLineEdit(self)
        self.source_edit.setPlaceholderText(self.tr("Folder with the files"))
        self.browse_button = QToolButton(self)
        self.browse_button.setText(self.tr("Choose…"))
        self.endpoint_edit = QLineEdit(self)
        self.endpoint_edit.setPlaceholderText(self.tr("AWS (leave empty), or https://host:port"))
        self.region_edit = QLineEdit(self)
        self.region_edit.setPlaceholderText(self.tr("from the profile, e.g. eu-west-1"))
        self.bucket_edit = QLineEdit(self)
        self.prefix_edit = QLineEdit(self)
        self._build_credentials()
        self._build_rules()

        layout = QFormLayout()
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        source_row = QHBoxLayout()
        source_row.setContentsMargins(0, 0, 0, 0)
        source_row.addWidget(self.source_edit, 1)
        source_row.addWidget(self.browse_button)
        self._add_row(layout, self.tr("&Name"), self.name_edit, "name")
        self._add_row(layout, self.tr("&Kind"), self.kind_combo, "kind")
        self._add_row(
            layout, self.tr("&Source folder"), source_row, "source", buddy=self.source_edit
        )
        self._add_row(layout, self.tr("&Endpoint"), self.endpoint_edit, "endpoint")
        self._add_row(layout, self.tr("Re&gion"), self.region_edit, "region")
        self._add_row(layout, self.tr("&Bucket"), self.bucket_edit, "bucket")
        self._add_row(layout, self.tr("P&refix"), self.prefix_edit, "prefix")
        self._add_row(layout, self.tr("&Credentials"), self.credentials_combo, "credentials")
        self._add_row(layout, self.tr("&Profile"), self.profile_combo, "profile")
        self._add_row(layout, self.tr("Access &key id"), self.access_key_edit, "keys")
        layout.addRow(self.tr("Secret &access key"), self.secret_edit)
        layout.addRow(self.tr("Session &token"), self.token_edit)
        layout.addRow("", self.keyring_note)
        layout.addRow("", self.production_check)
        layout.addRow("", self.delete_check)
        layout.addRow(self.tr("Delete &limit"), self.max_delete_spin)
        self._add_row(layout, self.tr("Cac&he-Control"), self.cache_edit, "cache_control")
        self._add_row(layout, self.tr("Content-T&ype"), self.content_type_edit, "content_type")
        layout.addRow(self.tr("S&torage class"), self.storage_combo)
        self._add_row(layout, self.tr("&Filters"), self.filters_edit, "filters")
        self._add_row(layout, self.tr("Header r&ules"), self.header_rules_edit, "header_rules")

        self.save_button = QPushButton(self.tr("&Save job"), self)
        self.revert_button = QPushButton(self.tr("Re&vert"), self)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)
        outer = QVBoxLayout(self)
        outer.addLayout(layout)
        outer.addLayout(buttons)

    def _build_credentials(self) -> None:
        self.credentials_combo = QComboBox(self)
        self.credentials_combo.addItem(
            self.tr("Default (environment or default profile)"), CredentialSource.DEFAULT.value
        )
        self.credentials_combo.addItem(self.tr("AWS profile"), CredentialSource.PROFILE.value)
        self.credentials_combo.addItem(
            self.tr("Keys kept in the system keyring"), CredentialSource.KEYRING.value
        )
        self.profile_combo = QComboBox(self)
        self.profile_combo.setEditable(True)
        self.profile_combo.addItems(available_profiles())
        self.profile_combo.setCurrentText("")
        self.access_key_edit = QLineEdit(self)
        self.secret_edit = QLineEdit(self)
        self.token_edit = QLineEdit(self)
        for edit in (self.secret_edit, self.token_edit):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_edit.setPlaceholderText(self.tr("only for temporary keys"))
        self.keyring_note = QLabel(self)
        self.keyring_note.setWordWrap(True)

    def _build_rules(self) -> None:
        self.production_check = QCheckBox(self.tr("&Production (shows a red identity bar)"))
        self.delete_check = QCheckBox(self.tr("&Delete remote files that are not in the folder"))
        self.max_delete_spin = QSpinBox(self)
        self.max_delete_spin.setRange(0, 1_000_000)
        self.max_delete_spin.setSuffix(self.tr(" deletes before asking"))
        self.cache_edit = QLineEdit(self)
        self.cache_edit.setPlaceholderText(self.tr("e.g. public,max-age=300"))
        self.content_type_edit = QLineEdit(self)
        self.content_type_edit.setPlaceholderText(self.tr("guessed from each file's name"))
        self.storage_combo = QComboBox(self)
        for name in STORAGE_CLASSES:
            self.storage_combo.addItem(name or self.tr("bucket default"), name)
        self.filters_edit = QPlainTextEdit(self)
        self.filters_edit.setPlaceholderText(self.tr("exclude *.tmp\ninclude keep.tmp"))
        self.filters_edit.setToolTip(self.tr("One a line, in order; the last match wins."))
        self.filters_edit.setFixedHeight(90)
        self.header_rules_edit = QPlainTextEdit(self)
        self.header_rules_edit.setPlaceholderText(
            self.tr(
                "*.html=no-cache\nassets/*=max-age=31536000, immutable\n*.json=;application/json"
            )
        )
        self.header_rules_edit.setToolTip(
            self.tr("GLOB=Cache-Control;Content-Type, one a line; the first match wins.")
        )
        self.header_rules_edit.setFixedHeight(90)

    def _add_row(
        self,
        layout: QFormLayout,
        label: str,
        field: QWidget | QHBoxLayout,
        name: str,
        buddy: QWidget | None = None,
    ) -> None:
        """A labelled row, and under it a row that shows the field's problem."""
        caption = QLabel(label, self)
        target = buddy or (field if isinstance(field, QWidget) else None)
        if target is not None:
            caption.setBuddy(target)
        layout.addRow(caption, field)
        problem = QLabel(self)
        problem.setObjectName(f"problem_{name}")
        problem.setStyleSheet(PROBLEM_STYLE)
        problem.setWordWrap(True)
        problem.hide()
        layout.addRow("", problem)
        self._problem_labels[name] = problem

    def kind_label(self, kind: Kind) -> str:
        labels = {
            Kind.SITE: self.tr("Site deploy"),
            Kind.IMAGES: self.tr("Image upload"),
            Kind.BACKUP: self.tr("Backup"),
            Kind.SHARE: self.tr("Share links"),
        }
        return labels[kind]

    def _connect(self) -> None:
        for edit in (
            self.name_edit, self.source_edit, self.endpoint_edit, self.region_edit,
            self.bucket_edit, self.prefix_edit, self.access_key_edit, self.secret_edit,
            self.token_edit, self.cache_edit, self.content_type_edit,
        ):  # fmt: skip
            edit.textChanged.connect(self.validate)
        for text_edit in (self.filters_edit, self.header_rules_edit):
            text_edit.textChanged.connect(self.validate)
        self.profile_combo.currentTextChanged.connect(self.validate)
        self.credentials_combo.currentIndexChanged.connect(self._on_credentials_changed)
        self.kind_combo.currentIndexChanged.connect(self._on_kind_changed)
        self.browse_button.clicked.connect(self._choose_folder)
        self.revert_button.clicked.connect(self._revert)

    def _offer_credentials(self) -> None:
        """Offer keyring keys only when a secure keyring exists; say why not otherwise."""
        model = self.credentials_combo.model()
        index = self.credentials_combo.findData(CredentialSource.KEYRING.value)
        if isinstance(model, QStandardItemModel):
            item: QStandardItem = model.item(index)
            item.setEnabled(not self.keyring_problem)
        self.keyring_note.setText(self.keyring_problem)
        self.keyring_note.setStyleSheet(PROBLEM_STYLE)
        self.keyring_note.setVisible(bool(self.keyring_problem))
        self._on_credentials_changed()

    # --- our API ---

    def kind(self) -> Kind:
        return Kind(self.kind_combo.currentData())

    def credential_source(self) -> CredentialSource:
        return CredentialSource(self.credentials_combo.currentData())

    def fill(self, job: Job, *, new: bool = False) -> None:
        """Show `job`; with `new`, it is a new job (its name may not be a saved one's)."""
        self._filling = True
        try:
            self.original = None if new else job
            self.name_edit.setText(job.name)
            self.kind_combo.setCurrentIndex(self.kind_combo.findData(job.kind.value))
            self.source_edit.setText(job.source)
            self.endpoint_edit.setText(job.target.endpoint_url or "")
            self.region_edit.setText(job.target.region or "")
            self.bucket_edit.setText(job.target.bucket)
            self.prefix_edit.setText(job.target.prefix)
            self._fill_credentials(job.credentials)
            self.production_check.setChecked(job.production)
            self.delete_check.setChecked(job.delete)
            self.max_delete_spin.setValue(job.max_delete)
            self.cache_edit.setText(job.cache_control or "")
            self.content_type_edit.setText(job.content_type or "")
            self.storage_combo.setCurrentIndex(
                max(self.storage_combo.findData(job.storage_class or ""), 0)
            )
            self.filters_edit.setPlainText("\n".join(f"{k} {p}" for k, p in job.filters))
            self.header_rules_edit.setPlainText("\n".join(str(r) for r in job.header_rules))
        finally:
            self._filling = False
        self._apply_kind_rules()
        self.validate()

    def fill_new(self, kind: Kind, taken_names: set[str]) -> None:
        """Start a new job of `kind` with that kind's defaults."""
        self.taken_names = set(taken_names)
        name = _free_name(kind.value, self.taken_names)
        template = jobs.new_job(name, kind, "", "example-bucket")
        self.fill(template, new=True)
        self.bucket_edit.clear()
        self.source_edit.clear()
        self.name_edit.setFocus()
        self.name_edit.selectAll()

    def _fill_credentials(self, creds: Credentials) -> None:
        self.credentials_combo.setCurrentIndex(self.credentials_combo.findData(creds.source.value))
        self.profile_combo.setCurrentText(creds.profile or "")
        self.clear_keys()
        if creds.source is CredentialSource.KEYRING:
            self.access_key_edit.setPlaceholderText(self.tr("kept in the keyring; type to replace"))
            self.secret_edit.setPlaceholderText(self.tr("kept in the keyring; type to replace"))

    def clear_keys(self) -> None:
        """Empty the key fields (after saving, or when another job is shown)."""
        for edit in (self.access_key_edit, self.secret_edit, self.token_edit):
            edit.clear()
        self.access_key_edit.setPlaceholderText(self.tr("e.g. AKIA…"))
        self.secret_edit.setPlaceholderText("")

    def typed_keys(self) -> StaticKeys | None:
        """The keys typed into the masked fields, or None when none were typed."""
        access, secret = self.access_key_edit.text().strip(), self.secret_edit.text().strip()
        token = self.token_edit.text().strip()
        if not (access or secret or token):
            return None
        return StaticKeys(access, secret, token or None)

    def problems(self) -> Problems:
        """What is wrong with the fields now, by field."""
        found: dict[str, str] = {}
        name = self.name_edit.text().strip()
        found["name"] = jobs.name_problem(name)
        if (
            not found["name"]
            and name in self.taken_names
            and (self.original is None or self.original.name != name)
        ):
            found["name"] = self.tr("a job with this name exists")
        found["source"] = jobs.source_problem(self.source_edit.text())
        found["endpoint"] = endpoint_problem(self.endpoint_edit.text().strip())
        bucket = self.bucket_edit.text().strip()
        found["bucket"] = bucket_problem(bucket) if bucket else self.tr("type the bucket name")
        found["prefix"] = prefix_problem(self.prefix_edit.text().strip())
        found.update(self._credential_problems())
        found["cache_control"] = jobs.header_values_problem(self.cache_edit.text().strip(), None)
        found["content_type"] = jobs.header_values_problem(
            None, self.content_type_edit.text().strip() or None
        )
        found["filters"] = _problem_of(parse_filters, self.filters_edit.toPlainText())
        found["header_rules"] = _problem_of(
            parse_header_rules, self.header_rules_edit.toPlainText()
        )
        return Problems(found)

    def _credential_problems(self) -> dict[str, str]:
        source = self.credential_source()
        found = {"credentials": "", "profile": "", "keys": ""}
        if source is CredentialSource.PROFILE and not self.profile_combo.currentText().strip():
            found["profile"] = self.tr("choose or type a profile name")
        if source is not CredentialSource.KEYRING:
            return found
        if self.keyring_problem:
            found["credentials"] = self.keyring_problem
            return found
        keys = self.typed_keys()
        keeps_saved = (
            self.original is not None
            and self.original.credentials.source is CredentialSource.KEYRING
        )
        if keys is None:
            if not keeps_saved:
                found["keys"] = self.tr("type the access key id and the secret access key")
            return found
        try:
            secrets.check_keys(keys)
        except UsageError as exc:
            found["keys"] = exc.message
        return found

    def validate(self) -> bool:
        """Show each field's problem under it; True when the fields make a valid job."""
        if self._filling:
            return False
        problems = self.problems()
        for name, label in self._problem_labels.items():
            text = problems.get(name)
            label.setText(text)
            label.setVisible(bool(text))
        valid = not problems
        self.save_button.setEnabled(valid)
        self.validity_changed.emit(valid)
        return valid

    def shown_problem(self, name: str) -> str:
        """The problem shown under the field `name`, or an empty string."""
        label = self._problem_labels[name]
        return label.text() if label.isVisibleTo(self) else ""

    def job(self) -> Job:
        """The job the fields describe (names the keyring entry; keys are saved apart).

        Raises:
            UsageError: a field is wrong.
        """
        name = self.name_edit.text().strip()
        source = self.credential_source()
        if source is CredentialSource.KEYRING:
            creds = Credentials.from_keyring(secrets.entry_for_job(name))
        elif source is CredentialSource.PROFILE:
            creds = Credentials.from_profile(self.profile_combo.currentText().strip())
        else:
            creds = Credentials()
        target = Target(
            bucket=self.bucket_edit.text().strip(),
            prefix=self.prefix_edit.text().strip(),
            region=self.region_edit.text().strip() or None,
            endpoint_url=self.endpoint_edit.text().strip() or None,
        )
        return Job(
            name=name,
            kind=self.kind(),
            source=str(Path(self.source_edit.text().strip()).expanduser()),
            target=target,
            credentials=creds,
            filters=parse_filters(self.filters_edit.toPlainText()),
            header_rules=parse_header_rules(self.header_rules_edit.toPlainText()),
            production=self.production_check.isChecked(),
            delete=self.delete_check.isChecked() and self.delete_check.isEnabled(),
            cache_control=self.cache_edit.text().strip() or None,
            content_type=self.content_type_edit.text().strip() or None,
            storage_class=self.storage_combo.currentData() or None,
            max_delete=self.max_delete_spin.value(),
        )

    # --- slots ---

    def _on_credentials_changed(self) -> None:
        source = self.credential_source()
        self.profile_combo.setEnabled(source is CredentialSource.PROFILE)
        for edit in (self.access_key_edit, self.secret_edit, self.token_edit):
            edit.setEnabled(source is CredentialSource.KEYRING and not self.keyring_problem)
        self.validate()

    def _on_kind_changed(self) -> None:
        if self._filling:
            return
        self._carry_defaults(jobs.KINDS[self._kind_shown], jobs.KINDS[self.kind()])
        self._apply_kind_rules()
        self.validate()

    def _carry_defaults(self, old: jobs.KindRules, new: jobs.KindRules) -> None:
        """Replace the old kind's defaults with the new kind's where the user kept them."""
        self._filling = True
        try:
            if self.prefix_edit.text().strip() == old.prefix:
                self.prefix_edit.setText(new.prefix)
            if self.cache_edit.text().strip() == (old.cache_control or ""):
                self.cache_edit.setText(new.cache_control or "")
            if (self.storage_combo.currentData() or "") == (old.storage_class or ""):
                index = self.storage_combo.findData(new.storage_class or "")
                self.storage_combo.setCurrentIndex(max(index, 0))
            if self.filters_edit.toPlainText().strip() == _filters_text(old.excludes):
                self.filters_edit.setPlainText(_filters_text(new.excludes))
            if self.delete_check.isChecked() == old.delete:
                self.delete_check.setChecked(new.delete)
        finally:
            self._filling = False

    def _apply_kind_rules(self) -> None:
        """Deletes only where the kind allows them; a backup never deletes."""
        self._kind_shown = self.kind()
        rules = jobs.KINDS[self._kind_shown]
        self.delete_check.setEnabled(rules.delete_allowed)
        if not rules.delete_allowed:
            self.delete_check.setChecked(False)
            self.delete_check.setToolTip(self.tr("This kind of job never deletes."))
        else:
            self.delete_check.setToolTip("")

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, self.tr("Choose the source folder"), self.source_edit.text()
        )
        if folder:
            self.source_edit.setText(folder)

    def _revert(self) -> None:
        if self.original is not None:
            self.fill(self.original)


def _filters_text(excludes: tuple[str, ...]) -> str:
    return "\n".join(f"{EXCLUDE} {pattern}" for pattern in excludes)


def _problem_of(parse, text: str) -> str:  # type: ignore[no-untyped-def]
    try:
        parse(text)
    except UsageError as exc:
        return exc.message
    return ""


def _free_name(base: str, taken: set[str]) -> str:
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


class JobsView(QWidget):
    """Saved jobs beside the review: a list, "New job" by kind, and the editor.

    Signals:
        job_selected(Job): the user chose a saved job (or saved one); fill the form from it.
        job_saved(Job): a job was written to the jobs file.
        job_removed(str): the job of that name was removed.
    """

    job_selected = Signal(object)
    job_saved = Signal(object)
    job_removed = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, jobs_file: Path | None = None) -> None:
        super().__init__(parent)
        self.jobs_file = jobs_file
        self.saved: dict[str, Job] = {}
        self._build()
        self._connect()
        self.reload()

    def _build(self) -> None:
        self.job_list = QListWidget(self)
        self.job_list.setAccessibleName(self.tr("Saved jobs"))
        self.new_button = QToolButton(self)
        self.new_button.setText(self.tr("&New job"))
        self.new_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.new_button)
        self.new_actions: dict[Kind, QAction] = {}
        for kind in Kind:
            action = menu.addAction(self.tr("New {kind} job").format(kind=kind.value))
            action.setToolTip(jobs.KINDS[kind].summary)
            action.setData(kind.value)
            self.new_actions[kind] = action
        self.new_button.setMenu(menu)
        self.remove_button = QPushButton(self.tr("&Remove"), self)
        self.remove_button.setEnabled(False)
        self.status_label = QLabel(self)
        self.status_label.setWordWrap(True)

        top = QWidget(self)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.job_list, 1)
        row = QHBoxLayout()
        row.addWidget(self.new_button)
        row.addStretch(1)
        row.addWidget(self.remove_button)
        top_layout.addLayout(row)
        top_layout.addWidget(self.status_label)

        self.editor = JobEditor(self)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.editor)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(top)
        splitter.addWidget(scroll)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    def _connect(self) -> None:
        self.job_list.currentItemChanged.connect(self._on_current_changed)
        self.new_button.menu().triggered.connect(
            lambda action: self.new_job_from_kind(Kind(action.data()))
        )
        self.remove_button.clicked.connect(self._confirm_remove)
        self.editor.save_button.clicked.connect(self.save_current)

    # --- our API ---

    def reload(self, select: str | None = None) -> None:
        """Read the jobs file again and show its jobs; select `select` if given."""
        error = ""
        try:
            self.saved = jobs.load_jobs(self.jobs_file)
        except S3DeskError as exc:
            self.saved, error = {}, exc.message
        blocked = self.job_list.blockSignals(True)
        self.job_list.clear()
        for job in self.saved.values():
            self.job_list.addItem(self._item_for(job))
        self.job_list.blockSignals(blocked)
        self.editor.taken_names = set(self.saved)
        select = select or jobs.selected_job_name()
        if error:
            # Saving is refused too while the file is unreadable, so nothing overwrites it.
            self._show_status(error, error=True)
        elif select in self.saved:
            self.select(select)
        elif not self.saved:
            self.new_job_from_kind(Kind.SITE)

    def select(self, name: str) -> None:
        """Select the saved job called `name` (emits job_selected)."""
        for row in range(self.job_list.count()):
            if self.job_list.item(row).data(Qt.ItemDataRole.UserRole) == name:
                self.job_list.setCurrentRow(row)
                return

    def new_job_from_kind(self, kind: Kind) -> None:
        """Start a new job with the defaults of `kind` in the editor."""
        blocked = self.job_list.blockSignals(True)
        self.job_list.setCurrentRow(-1)
        self.job_list.blockSignals(blocked)
        self.remove_button.setEnabled(False)
        self.editor.fill_new(kind, set(self.saved))
        self._show_status(jobs.KINDS[kind].summary)

    def save_current(self) -> Job | None:
        """Save the job in the editor, and its typed keys to the keyring; None on a problem."""
        if not self.editor.validate():
            return None
        try:
            job = self.editor.job()
            self._save_keys(job)
            old = self.editor.original
            if old is not None and old.name != job.name:
                jobs.remove_job(old.name, path=self.jobs_file)
            jobs.add_job(job, replace=True, path=self.jobs_file)
        except S3DeskError as exc:
            self._show_status(exc.message, error=True)
            return None
        self.editor.clear_keys()
        self._show_status(self.tr("Saved job {name}.").format(name=job.name))
        self.job_saved.emit(job)
        self.reload(select=job.name)
        return job

    def remove(self, name: str) -> None:
        """Remove the saved job `name` and its keys, without asking."""
        try:
            jobs.remove_job(name, path=self.jobs_file)
        except S3DeskError as exc:
            self._show_status(exc.message, error=True)
            return
        self.job_removed.emit(name)
        self._show_status(self.tr("Removed job {name}.").format(name=name))
        self.reload()

    # --- helpers of the slots ---

    def _save_keys(self, job: Job) -> None:
        """Keep typed keys; a renamed job's kept keys move to its new entry."""
        old = self.editor.original
        if job.credentials.source is not CredentialSource.KEYRING:
            if old is not None and old.credentials.source is CredentialSource.KEYRING:
                secrets.delete_keys(old.credentials.entry or "")
            return
        entry = job.credentials.entry or secrets.entry_for_job(job.name)
        keys = self.editor.typed_keys()
        if keys is None and old is not None and old.credentials.entry != entry:
            keys = secrets.load_keys(old.credentials.entry or "")
        if keys is not None:
            secrets.store_keys(entry, keys)

    def _item_for(self, job: Job) -> QListWidgetItem:
        text = f"{job.name}  ·  {self.editor.kind_label(job.kind)}  ·  {job.target.url}"
        item = QListWidgetItem(text)
        item.setData(Qt.ItemDataRole.UserRole, job.name)
        item.setToolTip(f"{job.source} → {job.target.url}\n{job.credentials.describe()}")
        if job.production:
            item.setText(text + "  ·  " + self.tr("PRODUCTION"))
            item.setForeground(QColor("#b00020"))
        return item

    def _remember(self, name: str) -> None:
        """Keep the selection for the next start; machine state, so a failure only logs."""
        try:
            jobs.remember_selected(name)
        except OSError as exc:
            logger.warning("cannot remember the selected job: %s", exc)

    def _show_status(self, text: str, *, error: bool = False) -> None:
        self.status_label.setText(text)
        self.status_label.setStyleSheet(PROBLEM_STYLE if error else "")

    def _on_current_changed(
        self, current: QListWidgetItem | None, _previous: QListWidgetItem | None = None
    ) -> None:
        if current is None:
            return
        job = self.saved.get(current.data(Qt.ItemDataRole.UserRole))
        if job is None:
            return
        self.editor.taken_names = set(self.saved)
        self.editor.fill(job)
        self.remove_button.setEnabled(True)
        self._show_status(job.rules.summary)
        self._remember(job.name)
        self.job_selected.emit(job)

    def _confirm_remove(self) -> None:
        item = self.job_list.currentItem()
        if item is None:
            return
        name = item.data(Qt.ItemDataRole.UserRole)
        answer = QMessageBox.question(
            self,
            self.tr("Remove job"),
            self.tr("Remove the job {name} and any keys it keeps in the keyring?").format(
                name=name
            ),
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.remove(name)
