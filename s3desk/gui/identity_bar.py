"""The bar at the top of the window: who the credentials are, and where a change goes."""

from __future__ import annotations

import html
import logging
from enum import StrEnum

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

from s3desk.core.identity import Identity
from s3desk.core.target import is_custom_endpoint
from s3desk.gui.sync_form import FormValues

logger = logging.getLogger(__name__)


class IdentityState(StrEnum):
    CHECKING = "checking"
    VERIFIED = "verified"  # STS answered
    UNVERIFIED = "unverified"  # the endpoint has no STS: the access key stands for the principal
    UNKNOWN = "unknown"  # no identity: planning is disabled


STYLES = {
    IdentityState.CHECKING: ("#eceff1", "#37474f", "#b0bec5"),
    IdentityState.VERIFIED: ("#e8f0fa", "#0d2c4f", "#9db9dc"),
    IdentityState.UNVERIFIED: ("#fff3cd", "#5c4300", "#e0b341"),
    IdentityState.UNKNOWN: ("#fbdada", "#7f0000", "#d32f2f"),
}
# A job marked production: red whatever the identity state, so nobody mistakes it for staging.
PRODUCTION_STYLE = ("#f8d0d0", "#7f0000", "#c62828")


class IdentityBar(QFrame):
    """Account, principal, endpoint (when not AWS), region, bucket, prefix and source folder."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("identityBar")
        self.state = IdentityState.CHECKING
        self.identity: Identity | None = None
        self.problem = ""
        self._values = FormValues()
        self._resolved_region: str | None = None
        self.production = False
        self.who_label = QLabel(self)
        self.who_label.setTextFormat(Qt.TextFormat.RichText)
        self.who_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.where_label = QLabel(self)
        self.where_label.setTextFormat(Qt.TextFormat.RichText)
        self.where_label.setWordWrap(True)
        self.where_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(24)
        layout.addWidget(self.who_label)
        layout.addWidget(self.where_label, 1)
        self._render()

    @property
    def planning_allowed(self) -> bool:
        return self.state in (IdentityState.VERIFIED, IdentityState.UNVERIFIED)

    def set_checking(self) -> None:
        self.state, self.identity, self.problem = IdentityState.CHECKING, None, ""
        self._render()

    def set_identity(self, identity: Identity) -> None:
        verified = identity.verified
        self.state = IdentityState.VERIFIED if verified else IdentityState.UNVERIFIED
        self.identity, self.problem = identity, ""
        self._render()

    def set_unknown(self, problem: str) -> None:
        self.state, self.identity, self.problem = IdentityState.UNKNOWN, None, problem
        self._render()

    def set_production(self, production: bool) -> None:
        """Mark the target as production (a job's flag): the bar turns red and says so."""
        self.production = production
        self._render()

    def set_resolved_region(self, region: str | None) -> None:
        """The region the profile resolves to, shown when the form leaves it empty."""
        self._resolved_region = region
        self._render()

    def set_where(self, values: FormValues) -> None:
        self._values = values
        self._render()

    def who_text(self) -> str:
        """The identity part, as plain text (for tests and the accessible name)."""
        return self.who_label.text()

    def _render(self) -> None:
        background, foreground, border = PRODUCTION_STYLE if self.production else STYLES[self.state]
        self.setStyleSheet(
            f"#identityBar {{ background: {background}; border: 2px solid {border};"
            f" border-radius: 6px; }} #identityBar QLabel {{ color: {foreground}; }}"
        )
        self.who_label.setText(self._who_html())
        self.where_label.setText(self._where_html())
        self.setAccessibleName(f"{self.who_label.text()} — {self.where_label.text()}")

    def _who_html(self) -> str:
        who = self._identity_html()
        if self.production:
            return self.tr("<b>PRODUCTION</b><br>{who}").format(who=who)
        return who

    def _identity_html(self) -> str:
        if self.state is IdentityState.CHECKING:
            return self.tr("<b>Checking who you are…</b>")
        if self.state is IdentityState.UNKNOWN:
            return self.tr("<b>Identity unknown</b> — planning is disabled.<br>{problem}").format(
                problem=html.escape(self.problem)
            )
        identity = self.identity
        assert identity is not None
        if self.state is IdentityState.UNVERIFIED:
            return self.tr(
                "<b>Identity not verified</b> (no STS at this endpoint)<br>"
                "Principal <b>{principal}</b>"
            ).format(principal=html.escape(identity.principal))
        return self.tr("Account <b>{account}</b><br>Principal <b>{principal}</b>").format(
            account=html.escape(identity.account), principal=html.escape(identity.principal)
        )

    def _where_html(self) -> str:
        values = self._values
        parts = []
        if is_custom_endpoint(values.endpoint_url or None):
            parts.append((self.tr("Endpoint"), values.endpoint_url))
        region = values.region or self._resolved_region or self.tr("from profile")
        parts.append((self.tr("Region"), region))
        parts.append((self.tr("Bucket"), values.bucket or "—"))
        parts.append((self.tr("Prefix"), values.prefix or "/"))
        parts.append((self.tr("Source"), values.source or "—"))
        return " &nbsp;·&nbsp; ".join(
            f"{html.escape(name)} <b>{html.escape(value)}</b>" for name, value in parts
        )
