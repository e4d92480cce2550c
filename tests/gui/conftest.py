"""Fixtures for the window's tests: a window whose outside world is replaced at its edges."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from s3desk.core.identity import Identity
from s3desk.core.plan import Plan
from s3desk.gui.sync_form import FormValues
from s3desk.gui.window import MainWindow
from tests.gui.factory import IDENTITY


class FakePlanner:
    """Returns `plan`; when `hold` is set, waits (polling cancel) until `release` is set."""

    def __init__(self) -> None:
        self.plan: Plan | None = None
        self.error: BaseException | None = None
        self.hold = False
        self.release = threading.Event()
        self.started = threading.Event()
        self.calls: list[tuple] = []

    def __call__(self, source, target, options, connection, *, identity=None, cancel=None):
        self.calls.append((source, target, options, connection, identity))
        self.started.set()
        if self.hold:
            while not self.release.wait(0.02):
                if cancel is not None and cancel.is_set():
                    from s3desk.core.planner import Cancelled

                    raise Cancelled()
        if self.error is not None:
            raise self.error
        assert self.plan is not None
        return self.plan


@pytest.fixture
def planner() -> FakePlanner:
    return FakePlanner()


@pytest.fixture
def make_window(qtbot, planner: FakePlanner) -> Callable[..., MainWindow]:
    def make(
        identify: Callable[[object], Identity] = lambda connection: IDENTITY,
        **kwargs,
    ) -> MainWindow:
        kwargs.setdefault("planner", planner)
        kwargs.setdefault("list_buckets", lambda connection: ["demo-bucket", "other-bucket"])
        window = MainWindow(identify=identify, **kwargs)
        qtbot.addWidget(window)
        return window

    return make


@pytest.fixture
def window(make_window, qtbot, tmp_path: Path) -> MainWindow:
    """A window whose form is filled and whose identity is known."""
    win = make_window()
    source = tmp_path / "src"
    source.mkdir()
    with qtbot.waitSignal(win.identity_checked, timeout=5000):
        win.fill(
            FormValues(
                source=str(source),
                bucket="demo-bucket",
                prefix="site/",
                delete=True,
                region="us-east-1",
            )
        )
    return win


def dry_run(qtbot, window: MainWindow, plan: Plan, planner: FakePlanner) -> None:
    """Run a dry run that returns `plan`, and wait until the window shows it."""
    planner.plan = plan
    with qtbot.waitSignal(window.plan_finished, timeout=5000):
        window.dry_run_button.click()
