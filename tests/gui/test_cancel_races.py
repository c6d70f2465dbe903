"""Opening another file while tracking runs waits for the worker (issue 13 #9)."""

from __future__ import annotations

import shutil

import pytest

from tests.gui.conftest import wait_idle
from tests.shared_media import clip_path

pytestmark = pytest.mark.qt


def test_open_another_file_mid_propagation_20_times(qtbot, make_window, clip, errors, tmp_path):
    from app.project import MaskStore, masks_path_for

    other = tmp_path / "people_audio.mp4"
    shutil.copy(clip_path("people_audio.mp4"), other)
    w = make_window()
    ed = w.editor
    projects = []
    for video, xy in ((clip, (480, 220)), (other, (320, 140))):
        assert w.open_path(str(video))
        ed.click(*xy, 1)
        wait_idle(qtbot, ed)
        path = tmp_path / f"{video.stem}.rotokit"
        assert ed.save(path)
        projects.append(path)
    seen: list[int] = []
    ed.progress.connect(lambda done, total: seen.append(done))
    for i in range(20):
        path = projects[i % 2]
        assert w.open_path(str(path))  # the first time the job of the loop before is still running
        assert ed.document.project.path == path
        ed.show_frame(3)
        seen.clear()
        assert ed.propagate("forward") is not None
        qtbot.waitUntil(
            lambda: len(seen) >= 2, timeout=60_000
        )  # under way; the next open interrupts it
        assert ed.runner.busy
    assert w.open_path(str(projects[0]))
    wait_idle(qtbot, ed)
    assert not errors, errors
    for path in projects:  # both mask stores are intact and hold what was tracked before each stop
        with MaskStore(masks_path_for(path), readonly=True) as store:
            (obj_id,) = {o for o in store.object_ids()}
            frames = store.frames_with_mask(obj_id)
            assert 0 in frames and 3 in frames and 4 in frames
    assert ed.runner.current is None and not ed.runner.busy
