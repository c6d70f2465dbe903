"""Panels: effect parameters edit live with one undo step per drag; the emoji grid picks."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QSpinBox, QToolButton

pytestmark = pytest.mark.qt


def test_effect_parameter_edits_merge_into_one_undo_step(qtbot, make_window, clip, errors):
    w = make_window()
    assert w.open_path(str(clip))
    ed = w.editor
    w.objects.set_active(-1)
    w.effects.add_effect({"type": "pixelate"})
    block = w.effects.form_host.findChild(QSpinBox, "param_block")
    assert block.value() == 16  # the declared default is shown
    for v in (20, 24, 32):  # a user dragging the spin box
        block.setValue(v)
    assert ed.document.project.background_effects == [{"type": "pixelate", "block": 32}]
    ed.stack.undo()
    assert ed.document.project.background_effects == [{"type": "pixelate"}]
    ed.stack.undo()
    assert ed.document.project.background_effects == []
    ed.stack.redo()
    ed.stack.redo()
    assert ed.document.project.background_effects == [{"type": "pixelate", "block": 32}]
    # an object-only effect is not offered for the background
    assert w.effects.type_box.findText("Emoji") == -1 and w.effects.type_box.findData("emoji") == -1
    assert not errors, errors


def test_emoji_picker_grid(qtbot):
    from app.gui.emoji_picker import EmojiPicker
    from effects.emoji import list_emoji

    dlg = EmojiPicker()
    qtbot.addWidget(dlg)
    emoji = list_emoji()
    buttons = [b for b in dlg.findChildren(QToolButton) if b.objectName().startswith("emoji_")]
    assert len(buttons) == len(emoji) > 20
    buttons[3].click()
    assert dlg.chosen == emoji[3].char


def test_model_dialog_explains_missing_weights(qtbot, monkeypatch, tmp_path):
    """A model without weights says how to get them; random test models say they are for tests."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    from app.gui.model_dialog import ModelDialog
    from app.gui.workers import JobRunner

    runner = JobRunner()
    dlg = ModelDialog(runner, "sam2.1-tiny", "cpu")
    qtbot.addWidget(dlg)
    assert dlg.model_name == "sam2.1-tiny" and dlg.device == "cpu"
    assert "rotokit models download sam2.1-tiny" in dlg.info.text() and dlg.download.isEnabled()
    dlg.model_box.setCurrentIndex(dlg.model_box.findData("test-random-micro"))
    assert "random weights" in dlg.info.text() and not dlg.download.isEnabled()
