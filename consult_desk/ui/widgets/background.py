"""Work off the GUI thread: one job at a time, whose result comes back as a signal.

The services open a session of their own for every call (SQLAlchemy's pool hands each thread
its own connection), so a report can be built while the window stays responsive. A job cannot
be stopped halfway (a query or a PDF being laid out), but ``cancel`` abandons it: its result is
thrown away when it arrives, and the next job waits for it on the runner's single thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal

log = logging.getLogger(__name__)


class _Relay(QObject):
    """Carries a job's outcome from the worker thread back to the runner (queued)."""

    finished = Signal(int, object)
    failed = Signal(int, object)


class _Job(QRunnable):
    def __init__(self, number: int, work: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self._number = number
        self._work = work
        self._relay = relay

    def run(self) -> None:
        try:
            result = self._work()
        except Exception as error:  # reported to the page; a bug is logged there too
            self._relay.failed.emit(self._number, error)
        else:
            self._relay.finished.emit(self._number, result)


class BackgroundRunner(QObject):
    """Runs ``work`` callables on one worker thread.

    - ``finished(result)`` / ``failed(exception)`` arrive on the GUI thread, only for the job
      started last and not cancelled.
    - ``busy_changed(bool)`` says whether the page waits for a result.
    """

    finished = Signal(object)
    failed = Signal(object)
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)  # ReportLab and PDFium keep global state
        self._relay = _Relay(self)
        queued = Qt.ConnectionType.QueuedConnection
        self._relay.finished.connect(self._finished, queued)
        self._relay.failed.connect(self._failed, queued)
        self._current = 0  # the job whose result is wanted; 0: none
        self._started = 0

    def start(self, work: Callable[[], Any]) -> None:
        """Run ``work``; a job still running is abandoned (its result will be ignored)."""
        self._started += 1
        self._current = self._started
        self._pool.start(_Job(self._started, work, self._relay))
        self.busy_changed.emit(True)

    def cancel(self) -> None:
        if self._current:
            self._current = 0
            self.busy_changed.emit(False)

    def busy(self) -> bool:
        return bool(self._current)

    def wait(self, msecs: int = -1) -> bool:
        """Block until every job has ended (tests, closing the window)."""
        return self._pool.waitForDone(msecs)

    def _finished(self, number: int, result: object) -> None:
        if number == self._current:
            self._current = 0
            self.busy_changed.emit(False)
            self.finished.emit(result)

    def _failed(self, number: int, error: object) -> None:
        if number != self._current:
            log.info("an abandoned background job failed: %s", type(error).__name__)
            return
        self._current = 0
        self.busy_changed.emit(False)
        self.failed.emit(error)
