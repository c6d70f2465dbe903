"""Start a background job in one expression, Anki-style: callbacks first, then ``launch()``.

    handle = (
        JobBuilder(runner, job, name="export")
        .on_progress(dialog.on_progress)
        .on_item(show_result)
        .on_success(done)
        .on_failure(report)
        .on_cancel(cancelled)
        .launch()
    )

Every callback runs on the GUI thread: the worker's signals go to a `JobHandle` (a QObject that
lives on the GUI thread), never straight to a lambda, which PySide would call on the worker's
thread. All callbacks are connected before the thread starts, so no outcome can be missed.
A job without ``on_failure`` reports its error through `report_error` (never silently).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, QThread, Slot

from app.gui.workers import GeneratorWorker, Job, JobRunner

__all__ = ["JobBuilder", "JobHandle"]

T = TypeVar("T")

Progress = Callable[[int, int], None]
Outcome = Callable[[], None]
Callback = Callable[..., object]  # one of the above, an item or a failure callback


class JobHandle(QObject):
    """A launched job: ``cancel()`` it, ``wait()`` for it, ask whether it is ``running``.

    It also relays the worker's signals to the builder's callbacks on the GUI thread; the runner
    keeps it alive (with the worker) until the job's thread has stopped.
    """

    def __init__(
        self,
        worker: GeneratorWorker,
        callbacks: dict[str, list[Callback]],
    ) -> None:
        super().__init__()
        self.worker = worker
        self.name = worker.name
        self._callbacks = callbacks
        self._ended = False
        worker.progressed.connect(self._progressed)
        worker.item_ready.connect(self._item)
        worker.finished.connect(self._finished)
        worker.cancelled.connect(self._cancelled)
        worker.failed.connect(self._failed)

    @property
    def running(self) -> bool:
        """True until the job's outcome (success, cancel or failure) was handled here."""
        return not self._ended

    def cancel(self) -> None:
        """Ask the job to stop at its next item; ``on_cancel`` follows (or its real outcome)."""
        self.worker.request_cancel()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until the job no longer runs (its generator closed); False on timeout.

        The outcome callbacks run later, from the GUI thread's event loop.
        """
        return self.worker.done.wait(timeout_s)

    def _call(self, kind: str, *args: object) -> None:
        for callback in self._callbacks.get(kind, []):
            callback(*args)

    @Slot(int, int)
    def _progressed(self, done: int, total: int) -> None:
        self._call("progress", done, total)

    @Slot(object)
    def _item(self, item: object) -> None:
        self._call("item", item)

    def _end(self, kind: str, *args: object) -> None:
        self._ended = True
        self._call(kind, *args)
        self._call("end")

    @Slot()
    def _finished(self) -> None:
        self._end("success")

    @Slot()
    def _cancelled(self) -> None:
        self._end("cancel")

    @Slot(object)
    def _failed(self, exc: object) -> None:
        error = exc if isinstance(exc, BaseException) else RuntimeError(str(exc))
        if not self._callbacks.get("failure"):
            from app.gui.error_report import report_error

            report_error(None, error, self.name.capitalize())
        self._end("failure", error)


class JobBuilder(Generic[T]):
    """Collects the callbacks of one job, then starts it on the runner (`JobRunner`).

    ``job(cancel, progress)`` is a generator function run off the GUI thread: it yields items of
    type ``T`` (each goes to ``on_item``), may call ``progress(done, total)`` and must never touch
    a widget. ``mutating`` jobs (the default) hold the runner's document lock: ``launch`` raises
    `BusyError` while another one runs.
    """

    def __init__(
        self,
        runner: JobRunner,
        job: Callable[[threading.Event, Progress], Iterator[T]],
        *,
        name: str = "job",
        mutating: bool = True,
    ) -> None:
        self._runner = runner
        self._job: Job = job
        self.name = name
        self._mutating = mutating
        self._callbacks: dict[str, list[Callback]] = {}

    def _add(self, kind: str, callback: Callback) -> JobBuilder[T]:
        self._callbacks.setdefault(kind, []).append(callback)
        return self

    def on_progress(self, callback: Progress) -> JobBuilder[T]:
        """``callback(done, total)`` whenever the job reports progress."""
        return self._add("progress", callback)

    def on_item(self, callback: Callable[[T], None]) -> JobBuilder[T]:
        """``callback(item)`` for each item the job yields, in order."""
        return self._add("item", callback)

    def on_success(self, callback: Outcome) -> JobBuilder[T]:
        """The job ran to its end (after its last item)."""
        return self._add("success", callback)

    def on_cancel(self, callback: Outcome) -> JobBuilder[T]:
        """The job stopped because it was cancelled (``Cancelled`` or the cancel event)."""
        return self._add("cancel", callback)

    def on_failure(self, callback: Callable[[BaseException], None]) -> JobBuilder[T]:
        """The job raised; replaces the default report (`report_error`)."""
        return self._add("failure", callback)

    def on_end(self, callback: Outcome) -> JobBuilder[T]:
        """After any outcome (success, cancel or failure), after that outcome's callbacks."""
        return self._add("end", callback)

    def launch(self) -> JobHandle:
        """Start the job on its own thread; raises `BusyError` if a mutating job runs."""
        app = QCoreApplication.instance()
        if app is not None and QThread.currentThread() is not app.thread():
            # The handle must live on the GUI thread for the callbacks to run there.
            raise RuntimeError(f"bug: job {self.name!r} launched off the GUI thread")
        worker = self._runner.start(self._job, mutating=self._mutating, name=self.name)
        handle = JobHandle(worker, self._callbacks)
        worker.handle = handle  # kept alive with the worker until the thread has stopped
        self._runner.launch(worker)
        return handle
