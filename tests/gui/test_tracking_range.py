"""Track ▸ forward / backward / both run from the playhead and stay inside the in/out range."""

from __future__ import annotations

import pytest

from tests.gui.conftest import wait_idle

pytestmark = pytest.mark.qt


def test_tracking_covers_exactly_the_range_from_the_playhead(qtbot, make_window, clip, errors):
    w = make_window()
    assert w.open_path(str(clip))
    ed = w.editor
    ed.set_range(3, 9)
    ed.show_frame(5)
    ed.click(480, 220, 1)
    wait_idle(qtbot, ed)
    obj = ed.active
    assert set(ed.document.store.frames_with_mask(obj)) == {5}  # the click's own frame
    progress: list[tuple[int, int]] = []
    ed.progress.connect(lambda done, total: progress.append((done, total)))

    ed.show_frame(7)
    assert ed.propagate("backward") is not None
    wait_idle(qtbot, ed)
    assert set(ed.document.store.frames_with_mask(obj)) == {3, 4, 5, 6, 7}  # 7 → 3, not below
    assert progress[-1] == (5, 5)

    progress.clear()
    ed.show_frame(5)
    assert ed.propagate("both") is not None
    wait_idle(qtbot, ed)
    assert set(ed.document.store.frames_with_mask(obj)) == set(range(3, 9))  # 5 → 8, then 4 → 3
    assert progress[-1] == (6, 6) and [d for d, _t in progress] == list(range(1, 7))
    assert "tracking finished" in w.statusBar().currentMessage()
    assert not errors, errors
