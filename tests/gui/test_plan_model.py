"""The diff table's model and filter, without any window."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from s3desk.core.plan import Op
from s3desk.gui.formatting import format_bytes, summary_text
from s3desk.gui.plan_model import OP_LOOKS, Column, PlanFilter, PlanModel, RowStatus
from tests.gui.factory import action, big_plan, mixed_plan, plan_of


def _model(plan) -> tuple[PlanModel, PlanFilter]:
    model = PlanModel()
    model.set_plan(plan)
    proxy = PlanFilter()
    proxy.setSourceModel(model)
    return model, proxy


def _visible(proxy: PlanFilter, column: Column = Column.KEY) -> list[str]:
    return [proxy.index(r, column).data() for r in range(proxy.rowCount())]


def test_model_passes_qtmodeltester(qtmodeltester) -> None:
    model, proxy = _model(mixed_plan())
    qtmodeltester.check(model, force_py=True)
    qtmodeltester.check(proxy, force_py=True)


def test_empty_model_passes_qtmodeltester(qtmodeltester) -> None:
    model, _ = _model(None)
    qtmodeltester.check(model, force_py=True)


def test_deletes_come_first_and_unchanged_are_hidden(qapp) -> None:
    _, proxy = _model(mixed_plan())
    assert _visible(proxy)[:2] == ["site/old.html", "site/zz-old.js"]
    assert "site/same1.txt" not in _visible(proxy)
    proxy.set_show_unchanged(True)
    assert _visible(proxy)[-2:] == ["site/same1.txt", "site/same2.txt"]


def test_delete_rows_are_red_bold_and_carry_the_delete_icon(qapp) -> None:
    model, proxy = _model(mixed_plan())
    delete_icon = model.index(0, Column.ACTION).data(Qt.ItemDataRole.DecorationRole)
    upload_row = model.row_of("site/a.html")
    upload_icon = model.index(upload_row, Column.ACTION).data(Qt.ItemDataRole.DecorationRole)
    for column in Column:
        index = proxy.index(0, column)
        background = index.data(Qt.ItemDataRole.BackgroundRole).color()
        assert background == QColor(OP_LOOKS[Op.DELETE].background)
        assert background.red() > 200 and background.green() < 220 and background.blue() < 220
        assert index.data(Qt.ItemDataRole.FontRole).bold()
    assert proxy.index(0, Column.ACTION).data() == "Delete"
    assert not delete_icon.isNull()
    assert delete_icon.cacheKey() != upload_icon.cacheKey()
    upload_bg = model.index(upload_row, 0).data(Qt.ItemDataRole.BackgroundRole).color()
    assert upload_bg == QColor(OP_LOOKS[Op.UPLOAD].background)
    assert model.index(upload_row, 0).data(Qt.ItemDataRole.FontRole) is None


def test_filter_by_kind_and_text(qapp) -> None:
    _, proxy = _model(mixed_plan())
    proxy.set_kinds({Op.UPLOAD})
    assert _visible(proxy) == ["site/a.html", "site/b.bin", "site/c.txt"]
    proxy.set_text("B.B")
    assert _visible(proxy) == ["site/b.bin"]
    proxy.set_kinds(None)
    proxy.set_text("old")
    assert _visible(proxy) == ["site/old.html", "site/zz-old.js"]


def test_sorting_by_column_keeps_the_selection_on_its_action(qapp) -> None:
    _, proxy = _model(mixed_plan())
    from PySide6.QtCore import QPersistentModelIndex

    kept = QPersistentModelIndex(proxy.index(0, Column.KEY))
    assert kept.data() == "site/old.html"
    proxy.sort(Column.LOCAL_SIZE, Qt.SortOrder.DescendingOrder)
    assert _visible(proxy)[0] == "site/b.bin"
    assert kept.data() == "site/old.html"
    proxy.sort(Column.ACTION)
    assert _visible(proxy)[0] == "site/old.html"


def test_status_column_shows_outcomes(qapp) -> None:
    model, _ = _model(mixed_plan())
    row = model.row_of("site/index.html")
    model.set_status("site/index.html", RowStatus("conflict", "changed remotely"))
    index = model.index(row, Column.STATUS)
    assert index.data() == "Conflict"
    assert index.data(Qt.ItemDataRole.ToolTipRole) == "changed remotely"
    assert not index.data(Qt.ItemDataRole.DecorationRole).isNull()
    model.clear_status()
    assert model.index(row, Column.STATUS).data() == ""


def test_summary_line_matches_the_plan(qapp) -> None:
    text = summary_text(mixed_plan())
    assert text == (
        "3 uploads (2.0 MB), 2 updates (500 B), 1 header change, 2 deletes "
        "to s3://demo-bucket/site/"
    )
    one = plan_of([action(Op.DELETE, "site/x")], bucket="other-bucket", prefix="")
    assert summary_text(one) == "1 delete to s3://other-bucket/"
    none = plan_of([action(Op.SKIP, "site/x", 5, 5)])
    assert summary_text(none).startswith("No changes to s3://demo-bucket/site/")


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 B"), (999, "999 B"), (4_100_000, "4.1 MB"), (1500, "1.5 kB"), (None, "")],
)
def test_format_bytes(size, text) -> None:
    assert format_bytes(size) == text


def test_hundred_thousand_actions_stay_fast(qapp) -> None:
    plan = big_plan(100_000)
    started = time.perf_counter()
    _, proxy = _model(plan)
    assert proxy.rowCount() == 50_000
    loaded = time.perf_counter() - started

    started = time.perf_counter()
    proxy.set_text("file0999")
    assert proxy.rowCount() > 0
    proxy.set_text("")
    proxy.set_show_unchanged(True)
    proxy.sort(Column.KEY)
    assert proxy.rowCount() == 100_000
    refiltered = time.perf_counter() - started
    print(f"100k: load+filter {loaded:.2f}s, three refilters and a sort {refiltered:.2f}s")
    # Generous bounds for a loaded CI machine (unloaded: about 0.5 s and 1 s).
    assert loaded < 10
    assert refiltered < 20
