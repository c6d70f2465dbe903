"""The Ray engine: the same `Worker` as the local engine, one per Ray actor, on one machine or
a cluster.

Why actors: an actor loads its models once and keeps them for every clip it is given (a task
would reload them). Each actor asks Ray for ``threads`` CPUs, and for one GPU when the cluster
has GPUs and the command tracks with SAM 2 (render, export; the face detector runs on CPU).
Ray restarts an actor whose process or node died and re-runs its clip (``max_restarts`` /
``max_task_retries``); after that the clip is reported failed and a fresh actor takes its place.
A clip that fails on its own (a garbage file) is not retried: the `Worker` turns it into a
``failed`` result, which is an answer, not a crash.

Without an address Ray starts a private instance on this machine (and stops it at the end);
with ``--ray-address`` it joins a running cluster (``ray start --head`` …). Every node must
have rotokit installed and see the input and output paths (shared storage): nothing is copied.
Progress and Ctrl-C go through two small methods the actor serves beside the running clip
(``max_concurrency=2``): ``poll`` returns its frame progress, ``stop`` sets its cancel flag.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from app.batch.jobs import BatchOptions
from app.batch.local import Events, Task
from app.batch.report import ClipResult
from app.errors import Cancelled, RotokitError

__all__ = ["run_ray", "MAX_RETRIES", "connect"]

#: how often Ray re-runs a clip whose actor or node died before reporting it failed
MAX_RETRIES = 2
_POLL_S = 0.5
_STOP_WAIT_S = 60.0


class _BatchActor:
    """A `Worker` inside a Ray actor (the class is wrapped by ``ray.remote`` in `run_ray`)."""

    def __init__(self, options: BatchOptions) -> None:
        from app.batch.worker import Worker

        self._worker = Worker(options)
        self._cancel = threading.Event()
        self._progress: tuple[int, int, int] | None = None

    def process(self, task: Task) -> tuple[str, ClipResult | None]:
        def progress(done: int, total: int) -> None:
            self._progress = (task.index, done, total)

        try:
            return "result", self._worker.process(
                task.clip, task.output, task.fingerprint, progress, self._cancel
            )
        except Cancelled:
            return "cancelled", None
        finally:
            self._progress = None

    def poll(self) -> tuple[int, int, int] | None:
        return self._progress

    def stop(self) -> None:
        self._cancel.set()


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise RotokitError(
            "--engine ray needs Ray: pip install 'rotokit[ray]' (or pip install 'ray>=2.40')"
        ) from None
    return ray


def connect(address: str | None) -> None:
    """Connect to (or start) Ray; the caller shuts it down."""
    ray = _import_ray()
    if not ray.is_initialized():
        try:
            ray.init(
                address=address,
                include_dashboard=False,
                log_to_driver=False,
                logging_level=logging.ERROR,
                configure_logging=True,
            )
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = f"the Ray cluster at {address}" if address else "a local Ray instance"
            raise RotokitError(f"cannot connect to {where}: {exc}".replace("\n", " ")) from None


def _failed(task: Task, options: BatchOptions, exc: BaseException) -> ClipResult:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ClipResult(
        input=str(task.clip.path),
        output=str(task.output),
        status="failed",
        error=(
            f"{task.clip.path}: Ray gave up after {MAX_RETRIES} retries "
            f"({type(exc).__name__}: {first})"
        ),
        fingerprint=task.fingerprint,
        options=options.options_key(),
    )


def run_ray(
    options: BatchOptions,
    tasks: list[Task],
    jobs: int | None,
    events: Events,
    address: str | None = None,
) -> None:
    """Make every task's output on Ray actors; returns when each has a result.

    ``jobs``: number of actors (default: the cluster's CPUs / threads per clip). Raises
    `KeyboardInterrupt` after Ctrl-C stopped every running clip.
    """
    if not tasks:
        return
    ray = _import_ray()
    connect(address)
    try:
        resources = ray.cluster_resources()
        threads = max(1, options.threads)
        gpus = 1 if options.kind != "anonymize" and resources.get("GPU", 0) >= 1 else 0
        if jobs is None:
            jobs = max(1, int(resources.get("CPU", 1)) // threads)
        jobs = max(1, min(jobs, len(tasks)))
        actor_cls = ray.remote(
            num_cpus=threads,
            num_gpus=gpus,
            max_concurrency=2,
            max_restarts=MAX_RETRIES,
            max_task_retries=MAX_RETRIES,
        )(_BatchActor)
        _drive(ray, actor_cls, options, list(tasks), jobs, events)
    finally:
        ray.shutdown()


def _drive(
    ray: Any, actor_cls: Any, options: BatchOptions, todo: list[Task], jobs: int, events: Events
) -> None:
    free = [actor_cls.remote(options) for _ in range(jobs)]
    inflight: dict[Any, tuple[Any, Task]] = {}
    polled = time.monotonic()
    try:
        while todo or inflight:
            while free and todo:
                actor, task = free.pop(), todo.pop(0)
                inflight[actor.process.remote(task)] = (actor, task)
            ready, _ = ray.wait(list(inflight), num_returns=1, timeout=_POLL_S)
            for ref in ready:
                actor, task = inflight.pop(ref)
                try:
                    kind, result = ray.get(ref)
                except ray.exceptions.RayError as exc:
                    events.finished(task.index, _failed(task, options, exc))
                    ray.kill(actor, no_restart=True)
                    free.append(actor_cls.remote(options))  # a fresh actor takes its place
                    continue
                free.append(actor)
                if kind == "result":
                    events.finished(task.index, result)
            if time.monotonic() - polled >= _POLL_S:
                polled = time.monotonic()
                _poll(ray, [a for a, _ in inflight.values()], events)
    except BaseException:
        for actor, _ in inflight.values():
            actor.stop.remote()  # every running clip stops at its next frame, atomically
        deadline = time.monotonic() + _STOP_WAIT_S
        while inflight and time.monotonic() < deadline:
            ready, _ = ray.wait(list(inflight), num_returns=1, timeout=0.5)
            for ref in ready:
                _, task = inflight.pop(ref)
                try:
                    kind, result = ray.get(ref)
                except ray.exceptions.RayError:
                    continue
                if kind == "result":
                    events.finished(task.index, result)
        raise


def _poll(ray: Any, actors: list[Any], events: Events) -> None:
    """Frame progress of every running clip (best effort: a restarting actor just skips a beat)."""
    try:
        for state in ray.get([a.poll.remote() for a in actors], timeout=_POLL_S):
            if state is not None:
                events.progress(*state)
    except ray.exceptions.RayError:
        pass
