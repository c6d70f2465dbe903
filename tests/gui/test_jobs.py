"""The job builder: callbacks on the GUI thread, in order, one outcome; failures never vanish."""

from __future__ import annotations

import threading

import pytest

from app.errors import Cancelled
from app.gui.jobs import JobBuilder
from app.gui.workers import BusyError, JobRunner

pytestmark = pytest.mark.qt


@pytest.fixture
def runner(qtbot):
    r = JobRunner()
    yield r
    r.shutdown(5_000)


def counting(n: int, gate: threading.Event | None = None):
    def job(cancel, progress):
        for i in range(n):
            if gate is not None:
                gate.wait(10)
            progress(i + 1, n)
            yield i

    return job


def test_callbacks_run_on_the_gui_thread_in_order(qtbot, runner, errors):
    seen: list[tuple[str, object, bool]] = []
    main = threading.main_thread()

    def note(kind):
        return lambda *a: seen.append((kind, a, threading.current_thread() is main))

    handle = (
        JobBuilder(runner, counting(3), name="count")
        .on_progress(note("progress"))
        .on_item(note("item"))
        .on_success(note("success"))
        .on_cancel(note("cancel"))
        .on_failure(note("failure"))
        .on_end(note("end"))
        .launch()
    )
    qtbot.waitUntil(lambda: not handle.running, timeout=10_000)
    assert all(on_main for _k, _a, on_main in seen)
    assert [k for k, _a, _m in seen if k in ("item", "success", "cancel", "failure", "end")] == [
        "item",
        "item",
        "item",
        "success",
        "end",
    ]
    assert [a for k, a, _m in seen if k == "progress"] == [(1, 3), (2, 3), (3, 3)]
    assert [a for k, a, _m in seen if k == "item"] == [(0,), (1,), (2,)]
    assert handle.wait(0) and not runner.busy and not errors


def test_cancel_ends_as_cancelled_not_success(qtbot, runner):
    gate = threading.Event()
    outcome: list[str] = []
    handle = (
        JobBuilder(runner, counting(1000, gate))
        .on_success(lambda: outcome.append("success"))
        .on_cancel(lambda: outcome.append("cancel"))
        .on_end(lambda: outcome.append("end"))
        .launch()
    )
    assert handle.running and runner.busy
    handle.cancel()
    gate.set()
    assert handle.wait(10)  # the job stopped (generator closed) before its outcome is handled
    qtbot.waitUntil(lambda: not handle.running, timeout=10_000)
    assert outcome == ["cancel", "end"] and not runner.busy


def test_cancelled_raised_by_the_core_is_a_cancel(qtbot, runner):
    def job(cancel, progress):
        yield 1
        raise Cancelled("stopped")

    outcome: list[str] = []
    handle = (
        JobBuilder(runner, job)
        .on_cancel(lambda: outcome.append("cancel"))
        .on_failure(lambda exc: outcome.append(f"failure {exc}"))
        .launch()
    )
    qtbot.waitUntil(lambda: not handle.running, timeout=10_000)
    assert outcome == ["cancel"]


def test_a_failure_without_a_handler_is_reported_not_dropped(qtbot, runner, errors):
    def job(cancel, progress):
        raise ValueError("frame 7 is corrupt")
        yield  # pragma: no cover - a generator

    handle = JobBuilder(runner, job, name="export").launch()
    qtbot.waitUntil(lambda: not handle.running, timeout=10_000)
    assert [(title, str(exc)) for title, exc in errors] == [("Export", "frame 7 is corrupt")]
    assert not runner.busy


def test_a_failure_handler_replaces_the_report(qtbot, runner, errors):
    def job(cancel, progress):
        raise ValueError("bad")
        yield  # pragma: no cover - a generator

    got: list[BaseException] = []
    handle = JobBuilder(runner, job).on_failure(got.append).launch()
    qtbot.waitUntil(lambda: not handle.running, timeout=10_000)
    assert [str(e) for e in got] == ["bad"] and not errors


def test_one_mutating_job_at_a_time_and_when_idle_follows_its_end(qtbot, runner):
    gate = threading.Event()
    first = JobBuilder(runner, counting(2, gate)).launch()
    with pytest.raises(BusyError):
        JobBuilder(runner, counting(1)).launch()
    quick = JobBuilder(runner, counting(1), mutating=False).launch()  # beside it: allowed
    later: list[bool] = []
    runner.when_idle(lambda: later.append(runner.busy))
    qtbot.wait(50)
    assert later == []  # still running: not called, and nothing polls
    gate.set()
    qtbot.waitUntil(lambda: bool(later), timeout=10_000)
    assert later == [False] and not first.running
    qtbot.waitUntil(lambda: not quick.running, timeout=10_000)
    done: list[int] = []
    runner.when_idle(lambda: done.append(1))  # idle now: at once
    assert done == [1]


def test_launch_off_the_gui_thread_is_refused(qtbot, runner):
    caught: list[BaseException] = []

    def launch() -> None:
        try:
            JobBuilder(runner, counting(1), mutating=False).launch()
        except RuntimeError as exc:
            caught.append(exc)

    t = threading.Thread(target=launch)
    t.start()
    t.join(10)
    assert caught and "GUI thread" in str(caught[0])
