"""Viewer frames are decoded and composed off the GUI thread (issue 13 #7)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from tests.gui.conftest import wait_frame

pytestmark = pytest.mark.qt


def image_array(img) -> np.ndarray:
    img = img.convertToFormat(img.Format.Format_RGB888)
    arr = np.frombuffer(img.constBits(), np.uint8, count=img.bytesPerLine() * img.height())
    return (
        arr.reshape(img.height(), img.bytesPerLine())[:, : img.width() * 3]
        .reshape(img.height(), img.width(), 3)
        .copy()
    )


@pytest.fixture
def decode_threads(monkeypatch):
    """Which thread decoded each frame."""
    from app.media.source import FrameSource

    seen: list[bool] = []  # True = the GUI (main) thread
    original = FrameSource._decode_exact

    def spy(self, idx):
        seen.append(threading.current_thread() is threading.main_thread())
        return original(self, idx)

    monkeypatch.setattr(FrameSource, "_decode_exact", spy)
    return seen


def test_scrubbing_never_decodes_on_the_gui_thread(
    qtbot, make_window, clip, errors, decode_threads
):
    w = make_window()
    assert w.open_path(str(clip))
    ed = w.editor
    rng = np.random.default_rng(0)
    targets = [int(i) for i in rng.integers(0, 90, 25)] + [77]
    for i in targets:  # scrubbing: the playhead moves before its image exists
        ed.show_frame(i)
        assert w.transport.frame_box.value() == i and w.timeline.current == i
        qtbot.wait(5)
    wait_frame(qtbot, w)
    assert decode_threads and not any(decode_threads), "a frame was decoded on the GUI thread"
    shown = image_array(w.viewer.image())
    assert np.array_equal(shown, ed.document.frame(77))  # the last request is what is on screen
    assert not errors, errors


def test_latest_request_wins_and_the_playhead_is_prefetched(qtbot, make_window, clip, errors):
    from app.gui.frame_loader import PREFETCH_AHEAD

    w = make_window()
    assert w.open_path(str(clip))
    ed = w.editor
    wait_frame(qtbot, w)
    before = ed.loader.rendered
    with ed.loader.paused():  # 40 requests while the loader is busy with something else
        for i in range(40):
            ed.show_frame(i)
    wait_frame(qtbot, w)
    assert ed.loader.rendered - before == 1  # only the latest was drawn
    assert np.array_equal(image_array(w.viewer.image()), ed.document.frame(39))
    ahead = set(range(40, 40 + PREFETCH_AHEAD))
    qtbot.waitUntil(lambda: ahead <= set(ed.loader.cached_indices()), timeout=30_000)
    rendered = ed.loader.rendered
    ed.step(1)  # the next frame comes from the prefetched cache
    wait_frame(qtbot, w)
    assert ed.loader.rendered == rendered + 1
    assert np.array_equal(image_array(w.viewer.image()), ed.document.frame(40))
    assert not errors, errors
