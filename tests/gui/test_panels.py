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
    assert w.effects.type_box.findText("emoji") == -1
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
