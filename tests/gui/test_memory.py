"""Closing a project gives its memory back (issue 13 #8)."""

from __future__ import annotations

import shutil

import psutil
import pytest

from tests.gui.conftest import wait_frame, wait_idle
from tests.shared_media import clip_path

pytestmark = pytest.mark.qt

CLIPS = ("dog_ball.mp4", "people_audio.mp4", "bedroom_small.mp4", "beeps_audio.mp4", "vfr.mp4")
GROWTH_LIMIT_MB = (
    150  # after the first clip (model, Qt, caches at their bound), 4 more may add little
)


def rss_mb() -> float:
    from app.gui.memory import release_freed_memory

    release_freed_memory()
    return psutil.Process().memory_info().rss / 2**20


def use(qtbot, w, path) -> None:
    """What a user does on a clip: scrub every frame, play a little, click an object."""
    ed = w.editor
    assert w.open_path(str(path))
    for f in range(0, ed.document.frame_count, 3):
        ed.show_frame(f)
        wait_frame(qtbot, w)
    info = ed.document.source.info
    ed.show_frame(5)
    ed.click(info.width / 2, info.height / 2, 1)
    wait_idle(qtbot, ed)
    assert ed.tracking._session is not None
    w.objects.set_active(-1)
    w.effects.add_effect({"type": "blur"})
    wait_frame(qtbot, w)
    ed.document.project.set_dirty(False)  # no save question on the next open


def test_opening_five_clips_in_turn_keeps_memory_bounded(qtbot, make_window, tmp_path, errors):
    w = make_window()
    paths = []
    for name in CLIPS:
        paths.append(tmp_path / name)
        shutil.copy(clip_path(name), paths[-1])
    use(qtbot, w, paths[0])
    after_first = rss_mb()
    for path in paths[1:]:
        source_before = w.editor.document.source
        use(qtbot, w, path)
        assert (
            source_before._container is None or source_before is w.editor.document.source
        )  # closed
    after_all = rss_mb()
    ed = w.editor
    # what is held now belongs to the last clip only
    assert (
        ed.loader._source is not None
        and ed.loader._source.path == paths[-1].resolve()
        or str(ed.loader._source.path) == str(paths[-1])
    )
    assert ed.tracking._session_source.path == ed.document.source.path
    assert after_all - after_first < GROWTH_LIMIT_MB, (after_first, after_all)
    assert not errors, errors
