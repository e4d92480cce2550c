"""The Share view: pick a file under the share prefix, copy a short-lived link to it.

The objects under the prefix load a page at a time, off the GUI thread, as the list is
scrolled; the search box filters what is loaded. "Copy link" signs a presigned GET (through
`core.share`, with its guards and audit record) on a worker thread, puts the URL on the
clipboard and shows when it stops working. A second form makes upload links, and the history
below lists the links signed for this prefix, read from the audit log.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QThreadPool,
    Signal,
)
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from s3desk.core import audit, share
from s3desk.core.errors import S3DeskError
from s3desk.core.listing import RemoteObject
from s3desk.core.session import Connection, make_client
from s3desk.core.target import Target
from s3desk.gui.formatting import format_bytes
from s3desk.gui.worker import Task, start_task

logger = logging.getLogger(__name__)

ObjectIndex = QModelIndex | QPersistentModelIndex
HISTORY_LIMIT = 200
CLOSE_WAIT_MS = 15_000
WARNING_STYLE = "color: #8a4b00;"
ERROR_STYLE = "color: #b00020;"


class ObjectListModel(QAbstractListModel):
    """The files under the share prefix, fetched one page at a time when a view asks for more.

    Rows show the key relative to the prefix; `Qt.UserRole` holds the `RemoteObject`.
    """

    page_loaded = Signal(int)  # rows added
    listing_failed = Signal(object)  # S3DeskError

    def __init__(
        self,
        connection: Connection,
        target: Target,
        *,
        page_size: int = 1000,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._connection = connection
        self._target = target
        self._page_size = page_size
        self._objects: list[RemoteObject] = []
        self._token: str | None = None
        self._more = True
        self._loading = False
        self._generation = 0
        self._client: Any = None
        self._task: Task | None = None

    @property
    def loading(self) -> bool:
        return self._loading

    @property
    def has_more(self) -> bool:
        return self._more

    # --- Qt overrides ---

    def rowCount(self, parent: ObjectIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._objects)

    def data(self, index: ObjectIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._objects):
            return None
        item = self._objects[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._target.relative(item.key)
        if role == Qt.ItemDataRole.ToolTipRole:
            modified = datetime.fromtimestamp(item.last_modified, UTC)
            return f"{item.key}\n{format_bytes(item.size)}, {share.format_time(modified)}"
        if role == Qt.ItemDataRole.UserRole:
            return item
        return None

    def canFetchMore(self, parent: ObjectIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._more and not self._loading

    def fetchMore(self, parent: ObjectIndex = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        self._loading = True
        generation, token = self._generation, self._token

        def work(task: Any) -> tuple[int, share.SharePage]:
            return generation, share.list_share_page(
                self._list_client(), self._target, token, page_size=self._page_size
            )

        self._task = start_task(
            "share listing", work, on_success=self._on_page, on_failure=self._on_error,
            parent=self,
        )  # fmt: skip

    # --- our API ---

    def reload(self) -> None:
        """Forget what was loaded and fetch the first page again."""
        self._generation += 1
        self.beginResetModel()
        self._objects, self._token, self._more, self._loading = [], None, True, False
        self.endResetModel()
        self.fetchMore()

    def _list_client(self) -> Any:
        # Made on the worker thread on first use; botocore clients are thread-safe to share.
        if self._client is None:
            self._client = make_client(self._connection)
        return self._client

    def _on_page(self, result: tuple[int, share.SharePage]) -> None:
        generation, page = result
        if generation != self._generation:
            return  # a page of a listing that was reloaded since
        self._loading = False
        self._token, self._more = page.next_token, page.next_token is not None
        if page.objects:
            first = len(self._objects)
            self.beginInsertRows(QModelIndex(), first, first + len(page.objects) - 1)
            self._objects.extend(page.objects)
            self.endInsertRows()
        logger.debug("share listing: %d objects, more: %s", len(self._objects), self._more)
        self.page_loaded.emit(len(page.objects))

    def _on_error(self, error: S3DeskError) -> None:
        self._loading = False
        self._more = False  # a failed listing stops; Reload tries again
        self.listing_failed.emit(error)


@dataclass(frozen=True)
class _Expiry:
    label: str
    seconds: int


def _expiry_choices(parent: QObject) -> list[_Expiry]:
    names = {
        300: parent.tr("5 minutes"),
        900: parent.tr("15 minutes"),
        3600: parent.tr("1 hour"),
        86400: parent.tr("1 day"),
        604800: parent.tr("7 days"),
    }
    return [_Expiry(names[seconds], seconds) for _, seconds in share.EXPIRY_CHOICES]


class ShareView(QWidget):
    """A share job's view: objects under its prefix, Copy link, upload links, history.

    Args:
        connection: how to reach S3, with the credentials that sign.
        target: the bucket and the share prefix; links are only signed under that prefix.
        identity_arn: who signs, as recorded in the audit log.
    """

    link_copied = Signal(object)  # ShareLink
    upload_link_made = Signal(object)  # UploadLink
    share_failed = Signal(object)  # S3DeskError

    def __init__(
        self,
        connection: Connection,
        target: Target,
        identity_arn: str,
        parent: QWidget | None = None,
        *,
        page_size: int = 1000,
        upload_folder: str = "incoming/",
    ) -> None:
        super().__init__(parent)
        self.connection = connection
        self.target = target
        self.identity_arn = identity_arn
        self._region: str | None = target.region
        self._busy = False
        self._task: Task | None = None
        self.model = ObjectListModel(connection, target, page_size=page_size, parent=self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._build(upload_folder)
        self._connect()
        self.refresh_history()
        self.model.fetchMore()

    # --- building ---

    def _build(self, upload_folder: str) -> None:
        layout = QVBoxLayout(self)
        where = QLabel(self.tr("Files under {url}").replace("{url}", self.target.url), self)
        where.setObjectName("shareWhere")
        layout.addWidget(where)
        layout.addLayout(self._build_search())
        self.list_view = QListView(self)
        self.list_view.setModel(self.proxy)
        self.list_view.setUniformItemSizes(True)
        self.list_view.setAccessibleName(self.tr("Files to share"))
        layout.addWidget(self.list_view, 1)
        self.list_status = QLabel(self)
        layout.addWidget(self.list_status)
        layout.addLayout(self._build_link_row())
        self.expiry_label = QLabel(self)
        self.expiry_label.setWordWrap(True)
        self.expiry_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.warning_label = QLabel(self)
        self.warning_label.setWordWrap(True)
        self.warning_label.setStyleSheet(WARNING_STYLE)
        self.error_label = QLabel(self)
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        for label in (self.expiry_label, self.warning_label, self.error_label):
            label.hide()
            layout.addWidget(label)
        layout.addWidget(self._build_upload_form(upload_folder))
        layout.addWidget(self._build_history())

    def _build_search(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.search_edit = QLineEdit(self)
        self.search_edit.setPlaceholderText(self.tr("Search the loaded files"))
        self.search_edit.setClearButtonEnabled(True)
        self.load_more_button = QPushButton(self.tr("Load more"), self)
        self.reload_button = QPushButton(self.tr("Reload"), self)
        row.addWidget(self.search_edit, 1)
        row.addWidget(self.load_more_button)
        row.addWidget(self.reload_button)
        return row

    def _build_link_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.expiry_combo = self._expiry_combo()
        self.filename_edit = QLineEdit(self)
        self.filename_edit.setPlaceholderText(self.tr("Saved as (default: the file's name)"))
        self.copy_button = QPushButton(self.tr("Copy link"), self)
        self.copy_button.setEnabled(False)
        self.copy_button.setDefault(True)
        row.addWidget(QLabel(self.tr("Link works for"), self))
        row.addWidget(self.expiry_combo)
        row.addWidget(self.filename_edit, 1)
        row.addWidget(self.copy_button)
        return row

    def _expiry_combo(self) -> QComboBox:
        combo = QComboBox(self)
        for choice in _expiry_choices(self):
            combo.addItem(choice.label, choice.seconds)
        combo.setCurrentIndex(combo.findData(share.DEFAULT_EXPIRY_SECONDS))
        return combo

    def _build_upload_form(self, upload_folder: str) -> QGroupBox:
        box = QGroupBox(self.tr("Upload link: let someone send a file in"), self)
        form = QFormLayout(box)
        self.upload_folder_edit = QLineEdit(upload_folder, box)
        self.upload_name_edit = QLineEdit(box)
        self.upload_name_edit.setPlaceholderText(self.tr("report.pdf"))
        self.upload_type_edit = QLineEdit(box)
        self.upload_type_edit.setPlaceholderText(self.tr("from the name, or like image/*"))
        self.upload_size_spin = QSpinBox(box)
        self.upload_size_spin.setRange(1, share.MAX_POST_BYTES // 1_000_000)
        self.upload_size_spin.setValue(share.DEFAULT_MAX_UPLOAD_BYTES // 1_000_000)
        self.upload_size_spin.setSuffix(" MB")
        self.upload_expiry_combo = self._expiry_combo()
        self.upload_button = QPushButton(self.tr("Make upload link"), box)
        self.upload_result = QPlainTextEdit(box)
        self.upload_result.setReadOnly(True)
        self.upload_result.setMaximumHeight(120)
        self.upload_result.hide()
        form.addRow(self.tr("Folder under the share prefix"), self.upload_folder_edit)
        form.addRow(self.tr("File name"), self.upload_name_edit)
        form.addRow(self.tr("Allowed type"), self.upload_type_edit)
        form.addRow(self.tr("Largest file"), self.upload_size_spin)
        form.addRow(self.tr("Link works for"), self.upload_expiry_combo)
        form.addRow(self.upload_button)
        form.addRow(self.upload_result)
        return box

    def _build_history(self) -> QGroupBox:
        box = QGroupBox(self.tr("Links signed for this prefix"), self)
        layout = QVBoxLayout(box)
        self.history_table = QTableWidget(0, 5, box)
        self.history_table.setHorizontalHeaderLabels(
            [self.tr("Signed"), self.tr("Kind"), self.tr("Key"), self.tr("Until"), self.tr("By")]
        )
        self.history_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.history_table.verticalHeader().hide()
        header = self.history_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.history_table.setWordWrap(False)
        layout.addWidget(self.history_table)
        return box

    def _connect(self) -> None:
        self.search_edit.textChanged.connect(self.proxy.setFilterFixedString)
        self.load_more_button.clicked.connect(self.load_more)
        self.reload_button.clicked.connect(self.reload)
        self.model.page_loaded.connect(self._update_list_status)
        self.model.modelReset.connect(self._update_list_status)
        self.model.listing_failed.connect(self._on_listing_failed)
        self.list_view.selectionModel().currentChanged.connect(self._on_current_changed)
        self.copy_button.clicked.connect(self.copy_link)
        self.upload_button.clicked.connect(self.make_upload_link)

    def closeEvent(self, event: QCloseEvent) -> None:
        # A listing or signing still running would report to this view after it is gone;
        # wait for it (they are short: one page, or one signature).
        if self.model.loading or self._busy:
            QThreadPool.globalInstance().waitForDone(CLOSE_WAIT_MS)
        super().closeEvent(event)

    # --- our API ---

    def load_more(self) -> None:
        """Fetch the next page of the listing (the list also asks when scrolled to its end)."""
        self.model.fetchMore(QModelIndex())

    def reload(self) -> None:
        """List the prefix again from its first page."""
        self.error_label.hide()
        self.model.reload()

    def selected_object(self) -> RemoteObject | None:
        index = self.list_view.currentIndex()
        return index.data(Qt.ItemDataRole.UserRole) if index.isValid() else None

    def select_key(self, key: str) -> bool:
        """Make the loaded object `key` the current one; False when it is not loaded."""
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            if index.data(Qt.ItemDataRole.UserRole).key == key:
                self.list_view.setCurrentIndex(index)
                return True
        return False

    def expiry_seconds(self) -> int:
        return int(self.expiry_combo.currentData())

    def copy_link(self) -> None:
        """Sign a link for the selected file on a worker thread; on success it is copied."""
        item = self.selected_object()
        if item is None or self._busy:
            return
        connection, target, region = self.connection, self.target, self._region
        expires_in, filename = self.expiry_seconds(), self.filename_edit.text().strip() or None

        def work(task: Any) -> share.ShareLink:
            return share.presign_get(
                connection, target.bucket, item.key, identity_arn=self.identity_arn,
                expires_in=expires_in, filename=filename, allowed_prefix=target.prefix,
                region=region,
            )  # fmt: skip

        self._start("share link", work, self._on_link)

    def make_upload_link(self) -> None:
        """Sign an upload link from the form on a worker thread and show it."""
        name = self.upload_name_edit.text().strip()
        if self._busy:
            return
        if not name:
            self._show_error(S3DeskError(self.tr("No file name"), self.tr("Type the file name.")))
            return
        prefix = self.target.prefix + self.upload_folder_edit.text().strip().lstrip("/")
        content_type = self.upload_type_edit.text().strip() or share.default_upload_type(name)
        max_bytes = self.upload_size_spin.value() * 1_000_000
        expires_in = int(self.upload_expiry_combo.currentData())
        connection, target, region = self.connection, self.target, self._region

        def work(task: Any) -> share.UploadLink:
            return share.presign_post(
                connection, target.bucket, prefix, name, identity_arn=self.identity_arn,
                content_type=content_type, max_bytes=max_bytes, expires_in=expires_in,
                allowed_prefix=target.prefix, region=region,
            )  # fmt: skip

        self._start("upload link", work, self._on_upload_link)

    def refresh_history(self) -> None:
        """Show the links signed for this bucket and prefix, newest first."""
        try:
            entries = audit.read_entries(limit=HISTORY_LIMIT)
        except S3DeskError as exc:
            self._show_error(exc)
            return
        mine = [
            e
            for e in entries
            if e.bucket == self.target.bucket and e.key.startswith(self.target.prefix)
        ]
        self.history_table.setRowCount(len(mine))
        for row, entry in enumerate(mine):
            kind = self.tr("download") if entry.kind == "download" else self.tr("upload")
            cells = (entry.time, kind, entry.key, entry.expires_at, entry.identity_arn)
            for column, text in enumerate(cells):
                self.history_table.setItem(row, column, QTableWidgetItem(text))

    # --- work and results ---

    def _start(self, name: str, work: Any, on_success: Any) -> None:
        self._busy = True
        self._set_buttons()
        self.error_label.hide()
        self._task = start_task(
            name, work, on_success=on_success, on_failure=self._on_share_error,
            parent=self,
        )  # fmt: skip

    def _on_link(self, link: share.ShareLink) -> None:
        self._done(link.region)
        QGuiApplication.clipboard().setText(link.url)
        self.expiry_label.setText(
            self.tr("Link copied. It works until {time} ({left}).")
            .replace("{time}", share.format_time(link.expires_at))
            .replace("{left}", share.describe_seconds(_seconds_left(link)))
        )
        self.expiry_label.show()
        self._show_warning(link.warning)
        self.link_copied.emit(link)

    def _on_upload_link(self, link: share.UploadLink) -> None:
        self._done(link.region)
        document = json.dumps({"url": link.url, "fields": link.fields}, indent=2)
        self.upload_result.setPlainText(document + "\n\n" + link.curl_command())
        self.upload_result.show()
        QGuiApplication.clipboard().setText(document)
        self.expiry_label.setText(
            self.tr("Upload link copied for {key}. It works until {time}.")
            .replace("{key}", link.key)
            .replace("{time}", share.format_time(link.expires_at))
        )
        self.expiry_label.show()
        self._show_warning(link.warning)
        self.upload_link_made.emit(link)

    def _done(self, region: str) -> None:
        self._busy = False
        self._region = region
        self._set_buttons()
        self.refresh_history()

    def _on_share_error(self, error: S3DeskError) -> None:
        self._busy = False
        self._set_buttons()
        self._show_error(error)
        self.share_failed.emit(error)

    def _show_error(self, error: S3DeskError) -> None:
        self.error_label.setText(f"{error.title}. {error.message}")
        self.error_label.setToolTip(error.details)
        self.error_label.show()

    def _show_warning(self, text: str) -> None:
        self.warning_label.setText(text)
        self.warning_label.setVisible(bool(text))

    def _on_listing_failed(self, error: S3DeskError) -> None:
        self._update_list_status()
        self._show_error(error)

    def _on_current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        self._set_buttons()

    def _set_buttons(self) -> None:
        self.copy_button.setEnabled(not self._busy and self.selected_object() is not None)
        self.upload_button.setEnabled(not self._busy)

    def _update_list_status(self, *args: object) -> None:
        count = self.model.rowCount()
        if self.model.has_more:
            text = self.tr("{count} files loaded; scroll or Load more for the rest")
        else:
            text = self.tr("{count} files")
        self.list_status.setText(text.replace("{count}", str(count)))
        self.load_more_button.setEnabled(self.model.has_more)


def _seconds_left(link: share.ShareLink) -> int:
    return int((link.expires_at - link.signed_at).total_seconds())
