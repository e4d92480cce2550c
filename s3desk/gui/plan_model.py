"""The diff table: a model over a plan's actions, and the proxy that filters it.

Rows are kept in review order (deletes first, then conflicts, updates, header changes, uploads,
unchanged; by key within each). Sorting by a column is done by the model itself with Python's
sort on plain keys, because a proxy sort would call back into Python for every comparison and
freeze the window on 100,000 rows. The proxy only filters.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import IntEnum

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont

from s3desk.core.plan import Action, Op, Plan
from s3desk.gui.formatting import format_bytes, tr
from s3desk.gui.icons import icon

logger = logging.getLogger(__name__)

Index = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    ACTION = 0
    KEY = 1
    LOCAL_SIZE = 2
    REMOTE_SIZE = 3
    REASON = 4
    HEADERS = 5
    STATUS = 6


HEADERS = {
    Column.ACTION: "Action",
    Column.KEY: "Key",
    Column.LOCAL_SIZE: "Local size",
    Column.REMOTE_SIZE: "Remote size",
    Column.REASON: "Reason",
    Column.HEADERS: "Headers",
    Column.STATUS: "Status",
}

# Review order: what can lose data first.
OP_RANK = {
    Op.DELETE: 0,
    Op.CONFLICT: 1,
    Op.UPDATE: 2,
    Op.METADATA: 3,
    Op.UPLOAD: 4,
    Op.SKIP: 5,
}

OP_LABELS = {
    Op.DELETE: "Delete",
    Op.CONFLICT: "Conflict",
    Op.UPDATE: "Update",
    Op.METADATA: "Headers",
    Op.UPLOAD: "Upload",
    Op.SKIP: "Unchanged",
}


@dataclass(frozen=True)
class Look:
    """How the rows of one kind of action are drawn."""

    background: str | None
    foreground: str
    icon: str
    bold: bool = False


OP_LOOKS = {
    Op.DELETE: Look("#f8d0d0", "#8b0000", "delete", bold=True),
    Op.CONFLICT: Look("#ffe3c2", "#7a3300", "conflict", bold=True),
    Op.UPDATE: Look("#dceafb", "#0d3c75", "update"),
    Op.METADATA: Look("#ebe1f6", "#45246e", "metadata"),
    Op.UPLOAD: Look("#ddf2de", "#14521f", "upload"),
    Op.SKIP: Look(None, "#6b6b6b", "skip"),
}

# Outcomes of apply, as core.apply names them, and how the status column shows them.
OUTCOME_LOOKS = {
    "done": ("Done", "done", "#14521f"),
    "failed": ("Failed", "failed", "#8b0000"),
    "conflict": ("Conflict", "conflict", "#7a3300"),
    "changed since review": ("Changed since review", "changed", "#7a4b00"),
    "skipped": ("Skipped", "pending", "#6b6b6b"),
}

OP_ROLE = Qt.ItemDataRole.UserRole + 1
ACTION_ROLE = Qt.ItemDataRole.UserRole + 2


@dataclass(frozen=True)
class RowStatus:
    """The outcome of one action during apply."""

    outcome: str
    error: str = ""


def review_order(actions: tuple[Action, ...] | list[Action]) -> list[Action]:
    """Actions in review order: deletes first, then by rank, then by key."""
    return sorted(actions, key=lambda a: (OP_RANK.get(a.op, 9), a.key))


class PlanModel(QAbstractTableModel):
    """The actions of one plan, a row each, with the outcome of each once apply has run."""

    def __init__(self, parent=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self._plan: Plan | None = None
        self._rows: list[Action] = []
        self._row_of: dict[str, int] = {}
        self._status: dict[str, RowStatus] = {}
        self._bold = QFont()
        self._bold.setBold(True)
        self._brushes = {
            op: QBrush(QColor(look.background)) for op, look in OP_LOOKS.items() if look.background
        }
        self._pens = {op: QBrush(QColor(look.foreground)) for op, look in OP_LOOKS.items()}

    # --- our API ---

    @property
    def plan(self) -> Plan | None:
        return self._plan

    def set_plan(self, plan: Plan | None) -> None:
        """Show `plan` (or nothing), in review order, with no outcomes."""
        self.beginResetModel()
        self._plan = plan
        self._rows = review_order(plan.actions) if plan is not None else []
        self._reindex()
        self._status = {}
        self.endResetModel()

    def action_at(self, row: int) -> Action:
        return self._rows[row]

    def row_of(self, key: str) -> int:
        """The current row of `key`, or -1."""
        return self._row_of.get(key, -1)

    def status_of(self, key: str) -> RowStatus | None:
        return self._status.get(key)

    def set_status(self, key: str, status: RowStatus) -> None:
        """Record the outcome of the action for `key` and redraw its row."""
        row = self._row_of.get(key)
        if row is None:
            logger.warning("outcome for a key that is not in the plan: %s", key)
            return
        self._status[key] = status
        left = self.index(row, 0)
        right = self.index(row, len(Column) - 1)
        self.dataChanged.emit(left, right)

    def clear_status(self) -> None:
        if not self._status:
            return
        self._status = {}
        self._emit_column_changed(Column.STATUS)

    # --- Qt overrides ---

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(  # type: ignore[no-untyped-def]
        self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole
    ):
        horizontal = orientation == Qt.Orientation.Horizontal
        if horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(Column):
            return tr(HEADERS[Column(section)])
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(  # type: ignore[no-untyped-def]
        self, index: Index, role: int = Qt.ItemDataRole.DisplayRole
    ):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        action = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(action, column)
        if role == Qt.ItemDataRole.BackgroundRole:
            return self._brushes.get(action.op)
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._foreground(action, column)
        if role == Qt.ItemDataRole.FontRole:
            return self._bold if OP_LOOKS[action.op].bold else None
        if role == Qt.ItemDataRole.DecorationRole:
            return self._decoration(action, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(action, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (
            Column.LOCAL_SIZE,
            Column.REMOTE_SIZE,
        ):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == OP_ROLE:
            return str(action.op)
        if role == ACTION_ROLE:
            return action
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort rows by `column`, keeping persistent indexes (selection) on their actions.

        Ties are broken by key, so the same sort always gives the same order.
        """
        if not 0 <= column < len(Column):
            return
        key = self._sort_key(Column(column))
        self.layoutAboutToBeChanged.emit()
        old_rows = self._rows
        keyed = [(key(action), row) for row, action in enumerate(old_rows)]
        # Rows with nothing in the column (a delete's local size) go last either way.
        filled = sorted(
            (item for item in keyed if item[0] is not None),
            key=lambda item: item[0],
            reverse=order == Qt.SortOrder.DescendingOrder,
        )
        order_of = [row for _, row in filled] + [row for k, row in keyed if k is None]
        self._rows = [old_rows[row] for row in order_of]
        new_row = [0] * len(old_rows)
        for new, old in enumerate(order_of):
            new_row[old] = new
        self._move_persistent_indexes(new_row)
        self._reindex()
        self.layoutChanged.emit()

    # --- helpers ---

    def _reindex(self) -> None:
        self._row_of = {action.key: row for row, action in enumerate(self._rows)}

    def _move_persistent_indexes(self, new_row: list[int]) -> None:
        old = self.persistentIndexList()
        if not old:
            return
        new = [self.index(new_row[i.row()], i.column()) for i in old]
        self.changePersistentIndexList(old, new)

    def _emit_column_changed(self, column: Column) -> None:
        if self._rows:
            top = self.index(0, column)
            bottom = self.index(len(self._rows) - 1, column)
            self.dataChanged.emit(top, bottom)

    def _sort_key(self, column: Column):  # type: ignore[no-untyped-def]
        status = self._status
        keys = {
            Column.ACTION: lambda a: (OP_RANK.get(a.op, 9), a.key),
            Column.KEY: lambda a: a.key,
            Column.LOCAL_SIZE: lambda a: None if a.size is None else (a.size, a.key),
            Column.REMOTE_SIZE: lambda a: None if a.remote_size is None else (a.remote_size, a.key),
            Column.REASON: lambda a: (a.reason, a.key),
            Column.HEADERS: lambda a: (_headers_text(a), a.key),
            Column.STATUS: lambda a: (
                status[a.key].outcome if a.key in status else "~",
                a.key,
            ),
        }
        return keys[column]

    def _text(self, action: Action, column: int) -> str | None:
        if column == Column.ACTION:
            return tr(OP_LABELS.get(action.op, str(action.op)))
        if column == Column.KEY:
            return action.key
        if column == Column.LOCAL_SIZE:
            return format_bytes(action.size)
        if column == Column.REMOTE_SIZE:
            return format_bytes(action.remote_size)
        if column == Column.REASON:
            return action.reason
        if column == Column.HEADERS:
            return _headers_text(action)
        if column == Column.STATUS:
            status = self._status.get(action.key)
            if status is None:
                return ""
            return tr(OUTCOME_LOOKS.get(status.outcome, (status.outcome,))[0])
        return None

    def _foreground(self, action: Action, column: int) -> QBrush | None:
        if column == Column.STATUS:
            status = self._status.get(action.key)
            if status is not None and status.outcome in OUTCOME_LOOKS:
                return QBrush(QColor(OUTCOME_LOOKS[status.outcome][2]))
        return self._pens.get(action.op)

    def _decoration(self, action: Action, column: int):  # type: ignore[no-untyped-def]
        if column == Column.ACTION:
            return icon(OP_LOOKS[action.op].icon)
        if column == Column.STATUS:
            status = self._status.get(action.key)
            if status is not None and status.outcome in OUTCOME_LOOKS:
                return icon(OUTCOME_LOOKS[status.outcome][1])
        return None

    def _tooltip(self, action: Action, column: int) -> str | None:
        if column == Column.STATUS:
            status = self._status.get(action.key)
            return status.error or None if status else None
        if column == Column.KEY and action.path:
            return tr("Local file: {path}").format(path=action.path)
        if column == Column.REASON:
            return action.reason or None
        if column == Column.HEADERS:
            return _headers_text(action, named=True) or None
        return None


def _headers_text(action: Action, *, named: bool = False) -> str:
    """The headers an upload gets: values only in the cell, `name: value` lines as tooltip."""
    headers = action.headers.to_dict()
    if not headers or action.op in (Op.DELETE, Op.SKIP):
        return ""
    if named:
        return "\n".join(f"{name.replace('_', '-')}: {value}" for name, value in headers.items())
    return " · ".join(headers.values())


class PlanFilter(QSortFilterProxyModel):
    """Shows the rows of the chosen kinds whose key contains the filter text.

    Unchanged rows are hidden unless `show_unchanged` is on. Sorting is passed to the source
    model (see the module docstring).
    """

    def __init__(self, parent=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self._kinds: frozenset[Op] = frozenset(op for op in Op if op is not Op.SKIP)
        self._show_unchanged = False
        self._needle = ""
        self._plan_model: PlanModel | None = None

    def setSourceModel(self, model) -> None:  # type: ignore[no-untyped-def]
        self._plan_model = model if isinstance(model, PlanModel) else None
        super().setSourceModel(model)

    def set_kinds(self, kinds: frozenset[Op] | set[Op] | None) -> None:
        """Show only these kinds of action (None: every change)."""
        chosen = frozenset(kinds) if kinds else frozenset(op for op in Op if op is not Op.SKIP)
        if chosen != self._kinds:
            self._refilter(lambda: setattr(self, "_kinds", chosen))

    def set_show_unchanged(self, show: bool) -> None:
        if show != self._show_unchanged:
            self._refilter(lambda: setattr(self, "_show_unchanged", show))

    def set_text(self, text: str) -> None:
        needle = text.strip().lower()
        if needle != self._needle:
            self._refilter(lambda: setattr(self, "_needle", needle))

    @property
    def show_unchanged(self) -> bool:
        return self._show_unchanged

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self._plan_model
        if model is None:
            return True
        action = model.action_at(source_row)
        if action.op is Op.SKIP:
            if not self._show_unchanged:
                return False
        elif action.op not in self._kinds:
            return False
        return not self._needle or self._needle in action.key.lower()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        source = self.sourceModel()
        if source is not None:
            source.sort(column, order)

    def _refilter(self, change) -> None:  # type: ignore[no-untyped-def]
        """Apply `change` to the filter's state and re-run the filter over the rows."""
        if hasattr(self, "beginFilterChange"):  # Qt 6.9 and later
            self.beginFilterChange()
            change()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:  # pragma: no cover - older Qt
            change()
            self.invalidateRowsFilter()
