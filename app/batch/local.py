"""The local engine: N worker processes, each loading its models once, taking clips from a queue.

Processes (not threads) because the face detector and the tracking model each use their own
thread pools and hold the GIL between calls; `bench/batch.py` measures 1 vs 2 workers. The
workers ignore SIGINT: the coordinator catches Ctrl-C (and SIGTERM), sets one shared cancel
flag, and every running clip stops at its next frame through the single-clip code's own cancel
path (atomic writers: no partial output). A worker whose coordinator vanished (``kill -9``)
cancels itself the same way. A worker that dies mid-clip (crash, out of memory) fails that
clip, is replaced, and the batch goes on.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

from app.batch.inputs import Clip
from app.batch.jobs import BatchOptions, remove_partials
from app.batch.report import ClipResult
from app.errors import Cancelled, RotokitError

if TYPE_CHECKING:
    from multiprocessing.context import SpawnProcess
    from multiprocessing.queues import Queue
    from multiprocessing.synchronize import Event

    #: what a worker tells the coordinator: (kind, worker id, payload of that kind)
    Message = tuple[str, int, Any]

__all__ = ["Task", "Events", "run_local"]

_PROGRESS_EVERY_S = 0.25  # a worker reports frame progress at most this often
_STOP_WAIT_S = 60.0  # after Ctrl-C: how long running clips get to clean up before a hard stop


@dataclass(frozen=True)
class Task:
    """One clip to make: its place in the batch, input, output and fingerprint."""

    index: int
    clip: Clip
    output: Path
    fingerprint: str


class Events(Protocol):
    """What an engine tells the coordinator (always called on the coordinator's main thread)."""

    def progress(self, index: int, done: int, total: int) -> None: ...

    def finished(self, index: int, result: ClipResult) -> None: ...


def _watch_parent(parent: int, cancel: Event) -> None:
    while not cancel.is_set():
        if os.getppid() != parent:  # the coordinator is gone: stop, leave no partial output
            cancel.set()
            return
        time.sleep(0.5)


def _progress_sender(events: Queue[Message], wid: int, index: int) -> Callable[[int, int], None]:
    """Progress callback for one task: at most one event per `_PROGRESS_EVERY_S`, plus the end."""
    last = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= _PROGRESS_EVERY_S or done >= total:
            last = now
            events.put(("progress", wid, (index, done, total)))

    return progress


def _worker_main(
    wid: int,
    options: BatchOptions,
    tasks: Queue[Task | None],
    events: Queue[Message],
    cancel: Event,
    parent: int,
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the coordinator decides; see `cancel`
    threading.Thread(target=_watch_parent, args=(parent, cancel), daemon=True).start()
    try:
        from app.batch.worker import Worker

        worker = Worker(options)
    except Exception as exc:  # noqa: BLE001 - reported to the coordinator, which stops the batch
        events.put(("fatal", wid, f"cannot start a batch worker: {exc}"))
        return
    # The clip functions take a threading.Event and only call is_set(); the shared
    # multiprocessing Event answers it the same way across processes.
    clip_cancel = cast("threading.Event", cancel)
    while not cancel.is_set():
        try:
            task = tasks.get(timeout=0.2)
        except queue.Empty:
            continue
        if task is None:
            break
        events.put(("started", wid, task.index))
        progress = _progress_sender(events, wid, task.index)
        try:
            result = worker.process(task.clip, task.output, task.fingerprint, progress, clip_cancel)
        except Cancelled:
            events.put(("cancelled", wid, task.index))
            break
        events.put(("result", wid, (task.index, result)))
    events.put(("exit", wid, None))


def _crashed(task: Task, options: BatchOptions, code: int | None) -> ClipResult:
    how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
    return ClipResult(
        input=str(task.clip.path),
        output=str(task.output),
        status="failed",
        error=f"{task.clip.path}: the worker process died ({how}) while making this clip",
        fingerprint=task.fingerprint,
        options=options.options_key(),
    )


def run_local(options: BatchOptions, tasks: list[Task], jobs: int, events: Events) -> None:
    """Make every task's output on `jobs` worker processes; returns when each has a result.

    Raises `KeyboardInterrupt` after Ctrl-C has stopped every worker (finished clips are
    reported first) and `RotokitError` if a worker cannot start at all.
    """
    if not tasks:
        return
    ctx = mp.get_context("spawn")  # torch, OpenCV and FFmpeg thread pools do not survive fork
    task_q: Queue[Task | None] = ctx.Queue()
    event_q: Queue[Message] = ctx.Queue()
    cancel = ctx.Event()
    by_index = {t.index: t for t in tasks}
    for task in tasks:
        task_q.put(task)
    jobs = max(1, min(jobs, len(tasks)))
    procs: dict[int, SpawnProcess] = {}
    running: dict[int, int] = {}  # worker id -> task index
    pending = set(by_index)
    next_id = [jobs]

    def start(wid: int) -> None:
        proc = ctx.Process(
            target=_worker_main,
            name=f"rotokit-batch-{wid}",
            args=(wid, options, task_q, event_q, cancel, os.getpid()),
            daemon=True,
        )
        proc.start()
        procs[wid] = proc

    def handle(kind: str, wid: int, payload: Any) -> None:
        if kind == "started":
            running[wid] = payload
        elif kind == "progress":
            events.progress(*payload)
        elif kind == "result":
            index, result = payload
            running.pop(wid, None)
            pending.discard(index)
            events.finished(index, result)
        elif kind == "cancelled":
            running.pop(wid, None)
        elif kind == "fatal":
            raise RotokitError(payload)

    def reap() -> None:
        """Fail the clip of a worker that died without a word, and start another worker."""
        for wid, proc in list(procs.items()):
            if proc.is_alive() or proc.exitcode == 0:
                continue
            del procs[wid]
            index = running.pop(wid, None)
            if index is not None:
                pending.discard(index)
                remove_partials(by_index[index].output)
                events.finished(index, _crashed(by_index[index], options, proc.exitcode))
            if pending and not cancel.is_set():
                start(next_id[0])  # takes the dead worker's place (and its end-of-queue marker)
                next_id[0] += 1

    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM = Ctrl-C
    try:
        for wid in range(jobs):
            start(wid)
        for _ in range(jobs):
            task_q.put(None)
        checked = time.monotonic()
        while pending:
            try:
                handle(*event_q.get(timeout=0.5))
            except queue.Empty:
                pass
            if time.monotonic() - checked > 1.0:
                checked = time.monotonic()
                reap()
                if pending and not any(p.is_alive() for p in procs.values()):
                    raise RotokitError("every batch worker stopped before the batch was done")
    except BaseException:
        cancel.set()  # Ctrl-C, SIGTERM or an error: stop every clip at its next frame
        deadline = time.monotonic() + _STOP_WAIT_S
        while any(p.is_alive() for p in procs.values()) and time.monotonic() < deadline:
            try:
                kind, wid, payload = event_q.get(timeout=0.2)
                if kind == "result":  # finished just before the stop: keep it in the report
                    index, result = payload
                    pending.discard(index)
                    events.finished(index, result)
            except queue.Empty:
                pass
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
        for proc in procs.values():
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
                proc.join()
        task_q.cancel_join_thread()
