"""Files (drag-and-drop, save/reopen, autosave recovery), model errors, widgets' intents."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QMessageBox

from tests.gui.conftest import wait_frame, wait_idle

pytestmark = pytest.mark.qt


def drop_file(window, path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(100, 100),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)


def test_drop_open_save_reopen(qtbot, make_window, clip, errors, tmp_path):
    """A dropped video opens; a saved project reopens with its objects, prompts, effects and
    masks."""
    w = make_window()
    drop_file(w, clip)
    ed = w.editor
    assert ed.document.is_open and ed.document.frame_count == 90
    assert w.timeline.frame_count == 90 and "dog_ball" in w.windowTitle()
    ed.show_frame(7)
    ed.click(480, 220, 1)
    wait_idle(qtbot, ed)
    oid = ed.active
    ed.document.project.object(oid)  # exists
    w.effects.add_effect({"type": "emoji", "emoji": "🐶"})
    assert "*" in w.windowTitle()  # unsaved marker
    project_path = tmp_path / "dog.rotokit"
    assert ed.save(project_path)
    assert "*" not in w.windowTitle() and not errors
    data = json.loads(project_path.read_text())
    assert data["objects"][0]["prompts"][0]["frame"] == 7
    assert data["objects"][0]["effects"] == [{"type": "emoji", "emoji": "🐶"}]

    w2 = make_window()
    drop_file(w2, project_path)
    doc2 = w2.editor.document
    assert doc2.project.path == project_path
    (obj,) = doc2.project.objects
    assert obj.id == oid and obj.prompts[0].frame == 7
    assert doc2.store.get(7, oid) is not None  # the mask came back with the project
    assert w2.timeline.lane(oid).tracked[7] and 7 in w2.timeline.lane(oid).prompt_frames
    assert not errors, errors


def test_autosave_recovery_after_crash(qtbot, make_window, clip, errors, questions):
    """Unsaved edits survive a crash: reopening the video offers the autosave and restores it."""
    w = make_window()
    assert w.open_path(str(clip))
    ed = w.editor
    ed.click(300, 200, 1)
    wait_idle(qtbot, ed)
    ed.click(310, 150, 0)
    wait_idle(qtbot, ed)
    ed.autosave()
    # "crash": the process dies without closing the document or deleting the autosave
    ed.runner.shutdown()
    ed.document.close()

    questions.answers.append(QMessageBox.StandardButton.Yes)
    w2 = make_window()
    assert w2.open_path(str(clip))
    assert any("Recover" in q for q in questions.asked)
    (obj,) = w2.editor.document.project.objects
    assert [p.labels for p in obj.prompts] == [[1], [0]]
    assert w2.editor.document.project.dirty  # recovered work is unsaved until saved
    assert w2.editor.document.store.get(0, obj.id) is not None
    assert not errors, errors


def test_missing_weights_is_a_message_not_a_crash(
    qtbot, make_window, clip, errors, monkeypatch, tmp_path
):
    """Clicking with a real model whose weights are absent shows how to get them; the window
    lives on."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    w = make_window(model="sam2.1-large")
    assert w.open_path(str(clip))
    w.editor.click(300, 200, 1)
    wait_idle(qtbot, w.editor)
    qtbot.waitUntil(lambda: w._model_dlg is not None and w._model_dlg.isVisible(), timeout=10_000)
    message = w._model_dlg.headline.text() + w._model_dlg.info.text()
    assert "sam2.1-large" in message and "rotokit models download" in message and not errors
    w._model_dlg.reject()
    assert len(w.editor.document.project.objects) == 1  # the prompt itself is kept
    w.editor.step(1)
    assert w.transport.frame_box.value() == 1


def test_viewer_drag_is_a_box_and_timeline_click_jumps(qtbot, make_window, clip, errors):
    w = make_window()
    assert w.open_path(str(clip))
    wait_frame(qtbot, w)  # the first image is drawn off the GUI thread
    boxes = []
    w.viewer.box_requested.connect(lambda *b: boxes.append(b))
    a = w.viewer.frame_to_widget(QPointF(100, 100)).toPoint()
    b = w.viewer.frame_to_widget(QPointF(200, 180)).toPoint()
    qtbot.mousePress(w.viewer, Qt.MouseButton.LeftButton, pos=a)
    qtbot.mouseMove(w.viewer, pos=QPoint((a.x() + b.x()) // 2, (a.y() + b.y()) // 2))
    qtbot.mouseMove(w.viewer, pos=b)
    qtbot.mouseRelease(w.viewer, Qt.MouseButton.LeftButton, pos=b)
    assert len(boxes) == 1
    assert boxes[0] == pytest.approx((100, 100, 200, 180), abs=1.5)
    wait_idle(qtbot, w.editor)
    (obj,) = w.editor.document.project.objects
    assert obj.prompts[0].box == pytest.approx([100, 100, 200, 180], abs=1.5)
    # timeline: clicking the ruler scrubs, the frame number follows
    x = int(w.timeline.x_of(60.5))
    qtbot.mouseClick(w.timeline, Qt.MouseButton.LeftButton, pos=QPoint(x, 10))
    assert w.editor.current == 60 and w.transport.frame_box.value() == 60
    # and the playhead follows playback at the clip's timing
    w.editor.toggle_play()
    qtbot.waitUntil(lambda: w.editor.current >= 63, timeout=5000)
    w.editor.toggle_play()
    assert w.timeline.current == w.editor.current
    # zoom 100 % / fit
    w.viewer.actual_size()
    assert w.viewer.scale == 1.0
    w.viewer.fit()
    assert not errors, errors


def test_find_faces_adds_blurred_objects(qtbot, make_window, tmp_path, errors):
    """Find faces: the magician's face becomes an object with a blur, masks on its frames,
    undoable."""
    import shutil

    from tests.conftest import clip_path

    video = tmp_path / "people_audio.mp4"
    shutil.copy(clip_path("people_audio.mp4"), video)
    w = make_window()
    assert w.open_path(str(video))
    ed = w.editor
    w.named_actions["find_faces"].trigger()
    qtbot.waitUntil(
        lambda: (
            bool(ed.document.project.objects) and not ed.runner.busy and ed.runner.current is None
        ),
        timeout=120_000,
    )
    wait_idle(qtbot, ed)
    assert not errors, errors
    (face,) = ed.document.project.objects
    assert face.name.startswith("face") and face.effects[0]["type"] == "face_blur"
    frames = ed.document.store.frames_with_mask(face.id)
    assert len(frames) >= 90  # visible in all 96 frames
    x0, y0, x1, y1 = ed.document.store.bbox(10, face.id)
    assert 250 < (x0 + x1) / 2 < 400 and 80 < (y0 + y1) / 2 < 200  # on the face (README: x 280–370)
    assert w.timeline.lane(face.id).has_mask.sum() >= 90
    assert ed.tracking._fed == {}  # the face masks were never fed to SAM 2
    ed.stack.undo()
    assert ed.document.project.objects == []


def test_close_while_tracking_stops_the_job(qtbot, make_window, clip, errors, tmp_path):
    """Closing the window mid-propagation stops the worker cleanly (no crash, masks kept)."""
    w = make_window()
    assert w.open_path(str(clip))
    ed = w.editor
    ed.set_range(0, 40)
    ed.click(500, 230, 1)
    wait_idle(qtbot, ed)
    assert ed.save(tmp_path / "dog.rotokit")  # a saved project keeps its masks beside it
    started = []
    ed.progress.connect(lambda d, t: started.append(d))
    ed.propagate("forward")
    qtbot.waitUntil(lambda: bool(started), timeout=60_000)
    store_path = ed.document.store.path
    ed.document.project.set_dirty(False)
    assert w.close()
    assert not ed.runner._live and not errors, errors
    from app.project import MaskStore

    with MaskStore(store_path, readonly=True) as store:
        assert 1 <= len(store.frames_with_mask(1)) < 40
