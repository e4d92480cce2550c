"""Small panels of the window: the error message, and the apply progress."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from s3desk.core.errors import S3DeskError
from s3desk.gui.formatting import format_bytes

logger = logging.getLogger(__name__)


class ErrorPanel(QFrame):
    """An error in words: a title, what to do, and the technical details only on request."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorPanel")
        self.setStyleSheet(
            "#errorPanel { background: #fdecea; border: 1px solid #e57373; border-radius: 6px; }"
            " #errorPanel QLabel { color: #611a15; }"
        )
        self.title_label = QLabel(self)
        font = self.title_label.font()
        font.setBold(True)
        self.title_label.setFont(font)
        self.message_label = QLabel(self)
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details_button = QPushButton(self.tr("Show details"), self)
        self.details_button.setCheckable(True)
        self.close_button = QPushButton(self.tr("Dismiss"), self)
        self.details_view = QPlainTextEdit(self)
        self.details_view.setReadOnly(True)
        self.details_view.setMaximumHeight(120)
        self.details_view.hide()

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.details_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title_label)
        layout.addWidget(self.message_label)
        layout.addWidget(self.details_view)
        layout.addLayout(buttons)
        self.details_button.toggled.connect(self._toggle_details)
        self.close_button.clicked.connect(self.hide)
        self.hide()

    def show_error(self, error: S3DeskError) -> None:
        self.title_label.setText(error.title)
        self.message_label.setText(error.message)
        details = error.details or ""
        self.details_view.setPlainText(details)
        self.details_button.setVisible(bool(details))
        self.details_button.setChecked(False)
        self.show()

    @property
    def title(self) -> str:
        return self.title_label.text() if self.isVisible() else ""

    def _toggle_details(self, shown: bool) -> None:
        self.details_view.setVisible(shown)
        self.details_button.setText(self.tr("Hide details") if shown else self.tr("Show details"))


class ApplyPanel(QFrame):
    """Progress of apply in files and bytes, and its cancel button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.files_bar = QProgressBar(self)
        self.files_bar.setAccessibleName(self.tr("Files applied"))
        self.bytes_bar = QProgressBar(self)
        self.bytes_bar.setAccessibleName(self.tr("Bytes sent"))
        self.bytes_bar.setRange(0, 1000)
        self.cancel_button = QPushButton(self.tr("Stop applying"), self)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel(self.tr("Files"), self), 0, 0)
        layout.addWidget(self.files_bar, 0, 1)
        layout.addWidget(QLabel(self.tr("Bytes"), self), 1, 0)
        layout.addWidget(self.bytes_bar, 1, 1)
        layout.addWidget(self.cancel_button, 0, 2, 2, 1)
        layout.setColumnStretch(1, 1)
        self.hide()

    def start(self, files_total: int, bytes_total: int) -> None:
        self.show_progress(0, files_total, 0, bytes_total)
        self.cancel_button.setEnabled(True)
        self.show()

    def show_progress(self, files_done: int, files_total: int, done: int, total: int) -> None:
        self.files_bar.setRange(0, max(files_total, 1))
        self.files_bar.setValue(min(files_done, max(files_total, 1)))
        self.files_bar.setFormat(
            self.tr("{done} of {total} files").format(done=files_done, total=files_total)
        )
        # QProgressBar holds an int: show bytes as thousandths of the total.
        self.bytes_bar.setValue(1000 if total <= 0 else min(1000, done * 1000 // total))
        self.bytes_bar.setFormat(
            self.tr("{done} of {total}").format(done=format_bytes(done), total=format_bytes(total))
        )
