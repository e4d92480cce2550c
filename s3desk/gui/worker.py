"""The one way the window runs slow work: off the GUI thread, always reporting back.

A `Task` runs a function on Qt's thread pool. It ends with exactly one of `succeeded(result)`
or `failed(error)`, delivered on the GUI thread; `failed` always carries an `S3DeskError`
(unknown exceptions are mapped by `core.errors.explain`, with the traceback logged, never
shown). The function gets a `Cancel` it may poll, and a `report` callable whose values arrive
on the GUI thread as `progressed(value)`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from s3desk.core.errors import S3DeskError, explain

logger = logging.getLogger(__name__)


# Enough threads that a slow dry run never holds up an identity check or a bucket listing
# (Qt's global pool has as many threads as cores, two on a small machine).
MAX_THREADS = 8
_pool: QThreadPool | None = None


def pool() -> QThreadPool:
    """The thread pool of the window's tasks, made on first use."""
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(MAX_THREADS)
    return _pool


class Cancel(threading.Event):
    """Set by the GUI thread to ask the work to stop; the work polls `is_set()`."""


class Task(QObject):
    """One piece of work on the thread pool; emits exactly one of succeeded or failed."""

    succeeded = Signal(object)
    failed = Signal(object)
    progressed = Signal(object)
    # Emitted on the pool thread; queued to this object, which lives on the GUI thread, and
    # re-emitted there as the public signals, so every receiver runs on the GUI thread.
    _ended = Signal(bool, object)
    _reported = Signal(object)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.cancel = Cancel()
        self.running = False
        self._ended.connect(self._on_ended)
        self._reported.connect(self.progressed)

    def report(self, value: object) -> None:
        """Send a progress value to the GUI thread (callable from the work)."""
        self._reported.emit(value)

    def _on_ended(self, ok: bool, value: object) -> None:
        self.running = False
        logger.debug("task ended: %s (%s)", self.name, "ok" if ok else "failed")
        (self.succeeded if ok else self.failed).emit(value)

    def request_cancel(self) -> None:
        logger.info("cancel requested: %s", self.name)
        self.cancel.set()

    def _run(self, work: Callable[[Task], Any]) -> None:
        try:
            result = work(self)
        except BaseException as exc:
            error = explain(exc)
            if error.code == "Unexpected":
                logger.error("%s failed", self.name, exc_info=exc)
            else:
                logger.info("%s failed: %s", self.name, error)
            if not error.details and not isinstance(exc, S3DeskError):
                error.details = f"{type(exc).__name__}: {exc}"
            self._deliver(False, error)
            return
        self._deliver(True, result)

    def _deliver(self, ok: bool, value: object) -> None:
        try:
            self._ended.emit(ok, value)
        except RuntimeError:  # the window that asked has closed and taken this task with it
            logger.debug("%s ended after its window closed", self.name)


class _Runnable(QRunnable):
    def __init__(self, task: Task, work: Callable[[Task], Any]) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._task = task
        self._work = work

    def run(self) -> None:
        self._task._run(self._work)


def start_task(
    name: str,
    work: Callable[[Task], Any],
    *,
    on_success: Callable[[Any], None],
    on_failure: Callable[[S3DeskError], None],
    on_progress: Callable[[Any], None] | None = None,
    parent: QObject | None = None,
) -> Task:
    """Run `work(task)` on the thread pool; the callbacks run on the GUI thread."""
    task = Task(name, parent)
    task.succeeded.connect(on_success)
    task.failed.connect(on_failure)
    if on_progress is not None:
        task.progressed.connect(on_progress)
    task.running = True
    logger.debug("task started: %s", name)
    pool().start(_Runnable(task, work))
    return task


def wait_for_tasks(timeout_ms: int = 10_000) -> bool:
    """Block until the pool is idle (on exit). True when every task ended in time."""
    return pool().waitForDone(timeout_ms)
