"""Run an iterator's steps on a helper thread, a few items ahead of the consumer.

Why: a render is decode → effects → encode, one frame at a time. FFmpeg, OpenCV and NumPy
release the GIL in their heavy calls, so stages on separate threads overlap on separate cores
(bench/render.py measures the difference). Exceptions raised by the producer reach the
consumer at the item where they happened; leaving the ``with`` block early (an error or a
cancel) stops the producer and closes its iterator on its own thread.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar, cast

__all__ = ["ahead"]

T = TypeVar("T")

_DONE = object()
_POLL_S = 0.1  # how often a blocked producer checks whether the consumer has gone


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


@contextmanager
def ahead(
    items: Iterable[T], *, depth: int = 2, name: str = "rotokit-ahead"
) -> Iterator[Iterator[T]]:
    """Iterate `items` on a daemon thread, at most `depth` items ahead of the consumer."""
    if depth < 1:
        raise ValueError("depth must be at least 1")
    source = iter(items)  # here, so a non-iterable fails in the caller's thread
    buffer: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                buffer.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in source:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            put(_Failure(exc))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=produce, name=name, daemon=True)

    def consume() -> Iterator[T]:
        while True:
            item = buffer.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.exc
            yield cast(T, item)  # everything else in the queue came from `source`

    worker.start()
    try:
        yield consume()
    finally:
        stop.set()
        worker.join()
