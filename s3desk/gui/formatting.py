"""Numbers and plans in words, for the window."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from s3desk.core.plan import Op, Plan

_UNITS = ("B", "kB", "MB", "GB", "TB", "PB")


def tr(text: str) -> str:
    return QCoreApplication.translate("s3desk", text)


def format_bytes(size: int | None) -> str:
    """Sizes in decimal units as file managers show them: 4.1 MB, 512 B."""
    if size is None:
        return ""
    value = float(size)
    for unit in _UNITS:
        if value < 1000 or unit == _UNITS[-1]:
            if unit == "B":
                return f"{int(value)} B"
            return f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"  # pragma: no cover - the loop always returns


def counted(count: int, one: str, many: str) -> str:
    """`one` or `many` (both with a `{count}` placeholder), translated, with the count filled."""
    return tr(one if count == 1 else many).format(count=count)


_OP_WORDS = (
    (Op.UPLOAD, "{count} upload", "{count} uploads"),
    (Op.UPDATE, "{count} update", "{count} updates"),
    (Op.METADATA, "{count} header change", "{count} header changes"),
    (Op.DELETE, "{count} delete", "{count} deletes"),
    (Op.CONFLICT, "{count} conflict", "{count} conflicts"),
)


def summary_text(plan: Plan) -> str:
    """One line for the plan: "12 uploads (4.1 MB), 3 updates, 2 deletes to s3://b/p/"."""
    counts = dict.fromkeys(Op, 0)
    sizes = dict.fromkeys(Op, 0)
    for action in plan.actions:
        counts[action.op] += 1
        sizes[action.op] += action.size or 0
    parts = []
    for op, one, many in _OP_WORDS:
        if not counts[op]:
            continue
        part = counted(counts[op], one, many)
        if op in (Op.UPLOAD, Op.UPDATE):
            part += f" ({format_bytes(sizes[op])})"
        parts.append(part)
    if not parts:
        return tr("No changes to {url}: the bucket already matches the folder.").format(
            url=plan.target.url
        )
    return tr("{changes} to {url}").format(changes=", ".join(parts), url=plan.target.url)
