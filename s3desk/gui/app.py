"""Starting the window: `s3desk`, `s3desk gui`, `s3desk demo [--screenshot FILE.png]`."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from s3desk.core.errors import S3DeskError

logger = logging.getLogger(__name__)

APP_ID = "io.github.s3desk.S3Desk"
SCREENSHOT_SIZE = (1280, 800)
DRY_RUN_TIMEOUT_MS = 120_000


def ensure_app():  # type: ignore[no-untyped-def]
    """The QApplication of this process, created once."""
    from PySide6.QtWidgets import QApplication

    from s3desk.gui.icons import icon

    app = QApplication.instance()
    if app is None:
        install_message_handler()
        app = QApplication(sys.argv[:1])
        app.setApplicationName("s3desk")
        app.setApplicationDisplayName("s3desk")
        app.setDesktopFileName(APP_ID)
        app.setWindowIcon(icon("s3desk"))
    return app


# Qt messages that say nothing to a user: the offscreen platform cannot resize to hints.
QUIET_QT_MESSAGES = ("does not support propagateSizeHints",)


def install_message_handler() -> None:
    """Send Qt's own messages to our log instead of raw stderr."""
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    qt_logger = logging.getLogger("s3desk.qt")
    levels = {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.INFO,
        QtMsgType.QtWarningMsg: logging.WARNING,
        QtMsgType.QtCriticalMsg: logging.ERROR,
        QtMsgType.QtFatalMsg: logging.CRITICAL,
    }

    def handler(kind, context, message: str) -> None:  # type: ignore[no-untyped-def]
        level = levels.get(kind, logging.WARNING)
        if any(quiet in message for quiet in QUIET_QT_MESSAGES):
            level = logging.DEBUG
        qt_logger.log(level, "%s", message)

    qInstallMessageHandler(handler)


def check_fonts() -> list[str]:
    """The font families Qt found, after checking that the window's font can draw letters.

    An empty family list is not the only failure: with fontconfig but no font files, Qt lists
    fontconfig's aliases (Sans Serif, Serif, Monospace) that resolve to nothing, and still draws
    empty boxes. So the default font must also hold the glyphs of plain Latin letters.

    Raises:
        S3DeskError: no usable font; Qt would draw every character as an empty box, silently.
    """
    from PySide6.QtGui import QFontDatabase, QFontMetrics
    from PySide6.QtWidgets import QApplication

    families = QFontDatabase.families()
    metrics = QFontMetrics(QApplication.font())
    if not families or not all(metrics.inFont(letter) for letter in "Aa0"):
        logger.info("no usable font: families %s", families)
        raise S3DeskError(
            "No fonts found",
            "Qt found no usable font on this machine, so every letter would be drawn as an "
            "empty box. Install a font (on Debian or Ubuntu: apt install fonts-dejavu-core) "
            "and run again.",
            code="NoFonts",
        )
    return families


def run_window(args: argparse.Namespace) -> int:
    """Open the window on the profile, region and endpoint given on the command line."""
    from s3desk.gui.sync_form import FormValues
    from s3desk.gui.window import MainWindow

    problem = display_problem()
    if problem:
        raise S3DeskError("No display", problem, code="NoDisplay")
    app = ensure_app()
    window = MainWindow()
    window.fill(
        FormValues(
            profile=getattr(args, "profile", None) or "",
            region=getattr(args, "region", None) or "",
            endpoint_url=getattr(args, "endpoint_url", None) or "",
        )
    )
    window.show()
    return _exec(app)


def display_problem() -> str:
    """Why a window cannot open here, or ''. Without it Qt aborts the process."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return ""
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return ""
    return (
        "There is no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is "
        "set). Run it on a desktop, under xvfb-run, or try `s3desk demo --screenshot "
        "review.png`, which needs no display."
    )


def _exec(app) -> int:  # type: ignore[no-untyped-def]
    """Run the event loop; on exit, give running work a moment to notice its cancel."""
    from s3desk.gui.worker import wait_for_tasks

    code = app.exec()
    if not wait_for_tasks(10_000):
        logger.warning("work still running at exit")
    return code


def run_demo(args: argparse.Namespace) -> int:
    """The demo job in the window; with `--screenshot`, a picture of the review instead."""
    from s3desk.demo import start_demo

    screenshot = getattr(args, "screenshot", None)
    if screenshot:
        # No display needed: draw offscreen unless the caller chose a platform.
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    problem = "" if screenshot else display_problem()
    if problem:
        raise S3DeskError("No display", problem, code="NoDisplay")
    app = ensure_app()
    if screenshot:
        check_fonts()
    demo = start_demo()
    try:
        window = _demo_window(demo, remember_layout=not screenshot)
        if screenshot:
            return take_screenshot(window, Path(screenshot))
        window.show()
        return _exec(app)
    finally:
        demo.stop()


def _demo_window(demo, *, remember_layout: bool):  # type: ignore[no-untyped-def]
    from s3desk.gui.sync_form import FormValues
    from s3desk.gui.window import MainWindow

    window = MainWindow(remember_layout=remember_layout)
    title = window.tr("s3desk demo — a local S3 server, nothing leaves this machine")
    window.setWindowTitle(title)
    window.set_note(
        window.tr(
            "Demo: an S3 server runs inside s3desk at {endpoint}. Its bucket holds the "
            "previous release of a small site; the source folder is the new build, with pages "
            "changed, added and removed, and a Photoshop file that the job excludes. "
            "Nothing leaves this machine."
        ).format(endpoint=demo.endpoint_url)
    )
    # The first dry run starts by itself once the identity bar knows who the demo user is.
    window.identity_checked.connect(window.start_dry_run_once)
    window.offer_share(demo.share_target)
    window.fill(
        FormValues(
            source=str(demo.build_dir),
            endpoint_url=demo.endpoint_url,
            region="us-east-1",
            bucket=demo.description.bucket,
            prefix=demo.description.prefix,
            delete=True,
            excludes=demo.description.excludes,
            cache_control=demo.description.cache_control,
            keys=demo.keys,
        )
    )
    return window


def _stop_if_unknown(window, outcome: list[object], loop) -> None:  # type: ignore[no-untyped-def]
    if not window.identity_bar.planning_allowed:
        problem = window.identity_bar.problem
        outcome.append(S3DeskError("Demo identity unknown", problem, code="Identity"))
        loop.quit()


def take_screenshot(window, path: Path) -> int:  # type: ignore[no-untyped-def]
    """Show the window at a fixed size, wait for the dry run, and save it as a PNG."""
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    width, height = SCREENSHOT_SIZE
    window.resize(width, height)
    window.show()
    loop = QEventLoop()
    outcome: list[object] = []
    window.plan_finished.connect(lambda plan: (outcome.append(plan), loop.quit()))
    window.plan_failed.connect(lambda error: (outcome.append(error), loop.quit()))
    window.identity_checked.connect(lambda: _stop_if_unknown(window, outcome, loop))
    QTimer.singleShot(DRY_RUN_TIMEOUT_MS, loop.quit)
    if window.plan is None:
        loop.exec()
    if not outcome or isinstance(outcome[0], S3DeskError):
        error = outcome[0] if outcome else None
        window.close()
        if isinstance(error, S3DeskError):
            raise error
        raise S3DeskError("Demo dry run timed out", "The dry run did not finish in time.")
    window.resize(width, height)
    QApplication.processEvents()
    image = window.grab().toImage()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(path), "PNG"):
        window.close()
        raise S3DeskError("Screenshot not saved", f"Could not write {path}. Check the folder.")
    platform = QApplication.platformName()
    window.close()
    print(
        f"Screenshot of the review window saved to {path} ({image.width()}x{image.height()}, "
        f"Qt platform {platform})."
    )
    logger.info("demo screenshot saved to %s", path)
    return 0
