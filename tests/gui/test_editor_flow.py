"""Drive the real window with test-random-micro on a real clip, as a user would."""

from __future__ import annotations

import av
import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from tests.gui.conftest import wait_frame, wait_idle

pytestmark = pytest.mark.qt

RANGE = (0, 10)  # tracking range: keeps the run short on a loaded 2-core machine


def click_viewer(qtbot, window, x: float, y: float, button=Qt.MouseButton.LeftButton) -> None:
    """A real mouse click on the viewer at frame pixel (x, y), once its image is there."""
    wait_frame(qtbot, window)
    pos = window.viewer.frame_to_widget(QPointF(x, y)).toPoint()
    qtbot.mouseClick(window.viewer, button, pos=pos)


def test_click_track_stop_undo_effect_export(qtbot, make_window, clip, errors, tmp_path):
    w = make_window()
    ed = w.editor
    assert w.open_path(str(clip))
    store = ed.document.store
    ed.set_range(*RANGE)
    assert w.timeline.in_out == RANGE

    # click on the dog at frame 0: a positive prompt and that frame's mask, before any tracking
    click_viewer(qtbot, w, 500, 230)
    wait_idle(qtbot, ed)
    assert not errors, errors
    (obj,) = ed.document.project.objects
    assert len(obj.prompts) == 1 and obj.prompts[0].labels == [1] and obj.prompts[0].frame == 0
    assert obj.prompts[0].points[0] == pytest.approx([500, 230], abs=1.5)  # widget → frame pixels
    assert store.get(0, obj.id) is not None and store.get(1, obj.id) is None
    assert w.viewer._glyphs and w.viewer._glyphs[0].points[0][2] == 1  # drawn green (positive)
    assert w.timeline.lane(obj.id).tracked[0] and 0 in w.timeline.lane(obj.id).prompt_frames

    # a right click adds a negative point on the same frame; Ctrl+Z removes exactly that prompt
    click_viewer(qtbot, w, 300, 60, Qt.MouseButton.RightButton)
    wait_idle(qtbot, ed)
    assert [p.labels for p in ed.document.project.object(obj.id).prompts] == [[1], [0]]
    qtbot.keyClick(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    wait_idle(qtbot, ed)
    assert [p.labels for p in ed.document.project.object(obj.id).prompts] == [[1]]

    # propagate: every frame of the range gets a mask, and the timeline lane shows it
    ed.propagate("forward")
    wait_idle(qtbot, ed, timeout=120_000)
    assert not errors, errors
    assert set(store.frames_with_mask(obj.id)) >= set(range(*RANGE))
    assert (
        w.timeline.lane(obj.id).tracked[RANGE[0] : RANGE[1]].all()
    )  # random weights: masks may be empty
    assert store.get(5, obj.id).shape == (360, 640)

    # a second object on frame 3; Stop during its propagation keeps what was done
    w.objects.add_requested.emit()
    second = ed.active
    assert second != obj.id
    ed.show_frame(3)
    click_viewer(qtbot, w, 250, 230)
    wait_idle(qtbot, ed)
    stops = []
    ed.progress.connect(
        lambda done, total: done >= 2 and not stops and (stops.append(done), ed.stop())
    )
    ed.propagate("forward")
    wait_idle(qtbot, ed, timeout=120_000)
    done = store.frames_with_mask(second)
    assert stops and 3 in done and len(done) < RANGE[1] - 3, done
    ed.step(1)  # the window still answers
    assert w.transport.frame_box.value() == 4 and not w.transport.stop.isEnabled()
    assert not errors, errors

    # deleting it is undoable too
    w.objects.remove_requested.emit(second)
    assert [o.id for o in ed.document.project.objects] == [obj.id]
    ed.stack.undo()
    assert second in [o.id for o in ed.document.project.objects]
    ed.stack.redo()

    # background pixelate from the effects panel; the preview is the real render of the frame
    w.objects.set_active(-1)
    w.effects.type_box.setCurrentText("Pixelate")
    from PySide6.QtWidgets import QToolButton

    wait_frame(qtbot, w)
    masks_view = w.viewer.image().copy()
    qtbot.mouseClick(w.effects.findChild(QToolButton, "effect_add"), Qt.MouseButton.LeftButton)
    assert ed.document.project.background_effects == [{"type": "pixelate"}]
    # the first effect turns the preview on by itself
    wait_frame(qtbot, w)
    assert (
        w.transport.preview.isChecked()
        and ed.presenter.preview_effects
        and w.viewer.image() != masks_view
    )
    assert not errors, errors

    # export the video: the file exists, has the frames of the in/out range (the dialog's
    # default range) and keeps the audio, cut to the same span
    assert ed.save(tmp_path / "dog.rotokit")
    dialog = w.export_flow.open()
    out = tmp_path / "dog_edited.mp4"
    dialog.video_out.setText(str(out))
    qtbot.mouseClick(dialog.start, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "wrote" in dialog.result_label.text() or bool(errors), timeout=120_000)
    assert not errors, errors
    assert str(out) in dialog.result_label.text()
    with av.open(str(out)) as c:
        assert c.streams.audio, "audio was dropped"
        audio_seconds = float(c.streams.audio[0].duration * c.streams.audio[0].time_base)
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(frames) == RANGE[1] - RANGE[0]
    assert abs(audio_seconds - len(frames) * 1001 / 30000) < 0.05
    with av.open(str(clip)) as c:
        first = next(c.decode(video=0)).to_ndarray(format="rgb24")
    assert np.abs(frames[0].astype(int) - first.astype(int)).mean() > 2  # pixelated, not a copy
