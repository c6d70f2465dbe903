"""One generic background worker over a generator, and the runner that owns its QThread.

Callers do not use these directly: `app.gui.jobs.JobBuilder` connects a job's callbacks and
launches it in one expression.

The job is a generator function ``job(cancel, progress)``: it yields results (emitted as
``item_ready``), may call ``progress(done, total)`` (emitted as ``progressed``) and must not touch
widgets (Anki: "Be careful not to call any UI routines in `op`"). The ``threading.Event`` is
checked after every item, as in the SAM 2 demo's ``propagate_in_video``; core functions that take
``cancel`` raise ``Cancelled`` themselves, which ends the job as cancelled, not failed.

Lifetime: the worker and thread are Python-owned and dropped once the thread has finished; we do
NOT connect ``thread.finished`` to ``worker.deleteLater`` (segfaulted 16/40 runs on this machine).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, SignalInstance, Slot

__all__ = ["GeneratorWorker", "JobRunner", "Job", "BusyError"]

log = logging.getLogger(__name__)

_ORPHANS: list[tuple[QThread, GeneratorWorker]] = []

QUICK_JOBS = frozenset({"predict"})

Job = Callable[[threading.Event, Callable[[int, int], None]], Iterator[Any]]


class BusyError(RuntimeError):
    """Another job that changes the document is still running."""


class GeneratorWorker(QObject):
    """Runs ``job`` on whatever thread it was moved to and reports through signals."""

    progressed = Signal(int, int)
    item_ready = Signal(object)
    failed = Signal(object)
    finished = Signal()
    cancelled = Signal()

    def __init__(self, job: Job) -> None:
        super().__init__()
        self._job = job
        self.cancel_event = threading.Event()
        self.on_done: Callable[[], None] | None = None
        self.done = threading.Event()  # set once the job no longer runs (generator closed)
        self.name = "job"
        self.handle: QObject | None = None  # the JobHandle relaying these signals (kept alive)
        self._thread: QThread | None = None

    @Slot()
    def request_cancel(self) -> None:
        self.cancel_event.set()

    @Slot()
    def run(self) -> None:
        from app.errors import Cancelled

        gen: Iterator[Any] | None = None
        outcome: tuple[SignalInstance, tuple[Any, ...]]
        try:
            gen = self._job(self.cancel_event, self.progressed.emit)
            for item in gen:
                self.item_ready.emit(item)
                if self.cancel_event.is_set():
                    break
            outcome = (self.cancelled, ()) if self.cancel_event.is_set() else (self.finished, ())
        except Cancelled:
            outcome = (self.cancelled, ())
        except BaseException as exc:  # noqa: BLE001 - reported on the main thread
            outcome = (self.failed, (exc,))
        close = getattr(gen, "close", None)
        if close is not None:
            try:
                close()
            except Exception:  # noqa: BLE001
                log.exception("closing job generator")
        # Free the document lock *before* the outcome reaches the main thread, so a slot on
        # ``finished`` may start the next job at once.
        if self.on_done is not None:
            self.on_done()
        self.done.set()
        signal, args = outcome
        signal.emit(*args)


class JobRunner(QObject):
    """Starts jobs on their own QThread; at most one *mutating* job at a time.

    Non-mutating jobs (a single-frame predict, an effects preview) may run beside it. The runner
    keeps Python references to every live worker/thread until the thread has stopped.
    """

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._live: list[tuple[QThread, GeneratorWorker]] = []
        self._when_idle: list[Callable[[], None]] = []
        self.current: GeneratorWorker | None = None

    @property
    def busy(self) -> bool:
        return self._lock.locked()

    def start(self, job: Job, *, mutating: bool = True, name: str = "job") -> GeneratorWorker:
        """Create the worker (not yet running): connect its signals, then call ``launch``."""
        if mutating and not self._lock.acquire(blocking=False):
            raise BusyError("another operation is still running; stop it or wait for it to finish")
        worker = GeneratorWorker(job)
        worker.name = name
        thread = QThread()
        thread.setObjectName(f"rotokit-{name}")
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        for sig in (worker.finished, worker.cancelled, worker.failed):
            sig.connect(thread.quit)
        # Bound slots of this main-thread QObject (not lambdas) so Qt queues them to our thread.
        thread.finished.connect(self._on_thread_done)
        self._live.append((thread, worker))
        worker._thread = thread
        if mutating:
            self.current = worker
            worker.on_done = self._lock.release
            # busy_changed(False) is emitted from the main thread once the outcome arrives.
            worker.finished.connect(self._on_mutating_done)
            worker.cancelled.connect(self._on_mutating_done)
            worker.failed.connect(self._on_mutating_failed)
            self.busy_changed.emit(True)
        return worker

    @staticmethod
    def launch(worker: GeneratorWorker) -> None:
        assert worker._thread is not None
        worker._thread.start()

    def when_idle(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` on the GUI thread once no mutating job runs (now, if none does).

        Driven by the running job's outcome signal, never by polling.
        """
        if not self.busy:
            callback()
        else:
            self._when_idle.append(callback)

    @Slot()
    def _on_mutating_done(self) -> None:
        if self.current is self.sender():
            self.current = None
            self.busy_changed.emit(False)
        while self._when_idle and not self.busy:  # a callback may start the next job
            self._when_idle.pop(0)()

    @Slot(object)
    def _on_mutating_failed(self, _exc: object) -> None:
        self._on_mutating_done()

    @property
    def only_quick_job(self) -> bool:
        """True when the running job is click feedback (a short predict), worth waiting for."""
        return self.current is not None and self.current.name in QUICK_JOBS

    def wait_quick(self, timeout_s: float = 10.0) -> bool:
        """Block briefly until a running *quick* job is done (True when nothing runs)."""
        if self.busy and not self.only_quick_job:
            return False
        if self._lock.acquire(timeout=timeout_s):
            self._lock.release()
            return True
        return False

    def cancel_current(self) -> None:
        if self.current is not None:
            self.current.request_cancel()

    def cancel_and_wait(self, timeout_s: float = 60.0) -> bool:
        """Stop the running mutating job and block until it no longer touches the document.

        The job stops at its next item (a real model's frame can take a second or more on a
        CPU); the lock is released only after its generator was closed, so once this returns
        True nothing of the old document (session, mask store) is in use by it.
        """
        if not self.busy:
            return True
        self.cancel_current()
        if self._lock.acquire(timeout=timeout_s):
            self._lock.release()
            return True
        return False

    @Slot()
    def _on_thread_done(self) -> None:
        thread = self.sender()
        self._live = [(t, w) for t, w in self._live if t is not thread]

    def shutdown(self, timeout_ms: int = 60_000) -> None:
        """Cancel everything and wait for the threads (closing the window).

        A job stops at its next frame; a real model's frame can take seconds on a CPU. A thread
        still running after the timeout is parked in ``_ORPHANS`` so Python never destroys a
        running QThread (Qt aborts the process on that).
        """
        for _thread, worker in list(self._live):
            worker.request_cancel()
        for thread, worker in list(self._live):
            thread.quit()
            if not thread.wait(timeout_ms):
                log.warning("job %s did not stop within %d ms", worker.name, timeout_ms)
                _ORPHANS.append((thread, worker))
        self._live.clear()
        self._when_idle.clear()
