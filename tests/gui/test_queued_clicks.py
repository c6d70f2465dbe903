"""Clicks made while tracking runs are shown as queued, then applied (issue 13 #10)."""

from __future__ import annotations

import pytest

from tests.gui.conftest import wait_idle

pytestmark = pytest.mark.qt


def test_clicks_during_tracking_are_shown_queued_then_applied(qtbot, make_window, clip, errors):
    w = make_window()
    assert w.open_path(str(clip))
    ed = w.editor
    ed.set_range(0, 60)
    ed.click(480, 220, 1)
    wait_idle(qtbot, ed)
    first = ed.active
    seen = []
    ed.progress.connect(lambda d, t: seen.append(d))
    ed.propagate("forward")
    qtbot.waitUntil(lambda: len(seen) >= 2, timeout=60_000)
    ed.set_active(-1)
    ed.show_frame(50)
    ed.click(250, 230, 1)  # a new object, clicked while the dog is being tracked
    ed.click(260, 240, 1)
    assert ed.runner.busy  # still tracking: nothing was applied yet...
    second = ed.active
    assert second != first and ed.document.store.get(50, second) is None
    assert w.transport.queued.isVisible() and w.transport.queued.text().startswith(
        "2 clicks queued"
    )
    assert "queued" in w.statusBar().currentMessage()
    ed.stop()
    wait_idle(qtbot, ed)
    qtbot.waitUntil(
        lambda: ed.document.store.get(50, second) is not None, timeout=60_000
    )  # ...now it is
    wait_idle(qtbot, ed)
    assert not w.transport.queued.isVisible()
    assert [len(p.points) for p in ed.document.project.object(second).prompts] == [1, 1]
    assert not errors, errors
