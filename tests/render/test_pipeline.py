"""`ahead`: the helper thread a render's stages run on."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator

import pytest

from app.pipeline import ahead


def _helpers() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("test-ahead")]


def test_items_arrive_in_order_whatever_each_takes() -> None:
    rng = random.Random(4)

    def slow() -> Iterator[int]:
        for i in range(50):
            time.sleep(rng.random() / 1000)
            yield i

    with ahead(slow(), name="test-ahead") as items:
        assert list(items) == list(range(50))
    assert _helpers() == []


def test_producer_error_reaches_the_consumer_after_the_good_items() -> None:
    def failing() -> Iterator[int]:
        yield 1
        yield 2
        raise OSError("disk gone")

    got = []
    with pytest.raises(OSError, match="disk gone"), ahead(failing(), name="test-ahead") as items:
        for item in items:
            got.append(item)
    assert got == [1, 2]
    assert _helpers() == []


def test_leaving_early_stops_the_producer_and_closes_it_on_its_thread() -> None:
    produced: list[int] = []
    closed_on: list[str] = []

    def endless() -> Iterator[int]:
        try:
            i = 0
            while True:
                produced.append(i)
                yield i
                i += 1
        finally:
            closed_on.append(threading.current_thread().name)

    with ahead(endless(), depth=3, name="test-ahead-x") as items:
        for item in items:
            if item == 5:
                break
    assert closed_on == ["test-ahead-x"]
    assert len(produced) <= 5 + 1 + 3 + 1  # consumed, in hand, queued, blocked in put
    assert _helpers() == []


def test_depth_bounds_how_far_the_producer_runs_ahead() -> None:
    produced: list[int] = []

    def counting() -> Iterator[int]:
        for i in range(100):
            produced.append(i)
            yield i

    with ahead(counting(), depth=2, name="test-ahead") as items:
        next(items)
        time.sleep(0.3)
        assert len(produced) <= 1 + 2 + 1
        assert list(items) == list(range(1, 100))


def test_something_not_iterable_fails_at_once_in_the_caller() -> None:
    with pytest.raises(TypeError), ahead(42, name="test-ahead"):  # type: ignore[arg-type]
        pass
    assert _helpers() == []
