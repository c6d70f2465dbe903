"""Export asks before replacing a file and never writes over the source video (issue 13 #5)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

pytestmark = pytest.mark.qt


def export_dialog(w, tmp_path, out):
    assert w.editor.save(tmp_path / "dog.rotokit")
    dialog = w.export_flow.open()
    dialog.video_out.setText(str(out))
    dialog.range_lo.setValue(0)
    dialog.range_hi.setValue(4)
    return dialog


def test_existing_output_is_replaced_only_when_the_user_says_so(
    qtbot, make_window, clip, errors, questions, tmp_path
):
    import av

    w = make_window()
    assert w.open_path(str(clip))
    out = tmp_path / "edited.mp4"
    out.write_bytes(b"my other video")
    dialog = export_dialog(w, tmp_path, out)
    qtbot.mouseClick(dialog.start, Qt.MouseButton.LeftButton)  # answered No
    assert questions.asked and "edited.mp4 already exists" in questions.asked[-1]
    assert out.read_bytes() == b"my other video" and w.export_flow.job is None
    assert "choose another name" in dialog.result_label.text()
    questions.answers.append(QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(dialog.start, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "wrote" in dialog.result_label.text() or bool(errors), timeout=120_000)
    assert not errors, errors
    with av.open(str(out)) as c:
        assert sum(1 for _ in c.decode(video=0)) == 4
    # a new name is written without a question
    asked = len(questions.asked)
    dialog.video_out.setText(str(tmp_path / "fresh.mp4"))
    qtbot.mouseClick(dialog.start, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: "fresh.mp4" in dialog.result_label.text() or bool(errors), timeout=120_000
    )
    assert len(questions.asked) == asked and not errors, errors


def test_export_never_writes_over_the_source_video(
    qtbot, make_window, clip, errors, questions, tmp_path
):
    w = make_window()
    assert w.open_path(str(clip))
    before = clip.read_bytes()
    (tmp_path / "sub").mkdir()
    for target in (clip, tmp_path / "sub" / ".." / clip.name):  # also spelled another way
        dialog = export_dialog(w, tmp_path, target)
        qtbot.mouseClick(dialog.start, Qt.MouseButton.LeftButton)
        assert errors and "source video" in str(errors[-1][1]) and clip.name in str(errors[-1][1])
        assert w.export_flow.job is None
    assert clip.read_bytes() == before and not questions.asked  # refused, not even offered


def test_export_waits_for_the_last_clicks_mask_then_runs(
    qtbot, make_window, clip, errors, questions, tmp_path
):
    """Export clicked while a click's mask is still being computed starts right after it."""
    import threading

    import av

    from app.gui.jobs import JobBuilder

    w = make_window()
    assert w.open_path(str(clip))
    out = tmp_path / "after_click.mp4"
    dialog = export_dialog(w, tmp_path, out)
    gate = threading.Event()

    def slow_predict(cancel, progress):  # stands in for the mask of the last click
        gate.wait(30)
        yield None

    runner = w.editor.runner
    predict = JobBuilder(runner, slow_predict, name="predict").launch()
    qtbot.mouseClick(dialog.start, Qt.MouseButton.LeftButton)
    assert "waiting for the last click's mask" in dialog.result_label.text()
    assert w.export_flow.job is None and runner.current is predict.worker  # not started yet
    gate.set()
    qtbot.waitUntil(lambda: "wrote" in dialog.result_label.text() or bool(errors), timeout=120_000)
    assert not errors, errors
    with av.open(str(out)) as c:
        assert sum(1 for _ in c.decode(video=0)) == 4
