"""Editor shortcuts work whatever has focus (issue 13 #4)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDoubleSpinBox, QSpinBox, QWidget

from tests.gui.conftest import wait_idle

pytestmark = pytest.mark.qt

CTRL = Qt.KeyboardModifier.ControlModifier


def focused() -> QWidget | None:
    return QApplication.focusWidget()


def press(qtbot, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """A key press delivered where a real one goes: to the widget that has the focus."""
    qtbot.keyClick(focused(), key, modifier)


def test_ctrl_g_then_enter_or_esc_gives_the_keys_back(qtbot, make_window, clip, errors):
    w = make_window()
    assert w.open_path(str(clip))
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)
    ed = w.editor
    ed.click(480, 220, 1)
    wait_idle(qtbot, ed)
    assert len(ed.document.project.objects) == 1
    w.viewer.setFocus()
    press(qtbot, Qt.Key.Key_G, CTRL)  # go to frame
    assert focused() is w.transport.frame_box or focused().parent() is w.transport.frame_box
    qtbot.keyClicks(focused(), "12")
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: focused() is w.viewer)
    assert ed.current == 12
    press(qtbot, Qt.Key.Key_Z, CTRL)  # undo works at once: no click needed
    assert ed.document.project.objects == []
    press(qtbot, Qt.Key.Key_G, CTRL)
    qtbot.keyClicks(focused(), "40")
    press(qtbot, Qt.Key.Key_Escape)  # never mind: the frame stays, the focus goes back
    assert focused() is w.viewer and ed.current == 12 and w.transport.frame_box.value() == 12
    press(qtbot, Qt.Key.Key_Right)
    assert ed.current == 13
    press(qtbot, Qt.Key.Key_Z, CTRL | Qt.KeyboardModifier.ShiftModifier)  # redo
    assert len(ed.document.project.objects) == 1
    assert not errors, errors


def test_effect_number_boxes_give_the_focus_back(qtbot, make_window, clip, errors):
    w = make_window()
    assert w.open_path(str(clip))
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)
    w.objects.set_active(-1)
    w.effects.add_effect({"type": "pixelate"})
    box = w.effects.form_host.findChild(QSpinBox, "param_block") or w.effects.form_host.findChild(
        QDoubleSpinBox, "param_block"
    )
    qtbot.mouseClick(box.lineEdit(), Qt.MouseButton.LeftButton)  # the user clicks into the box
    qtbot.waitUntil(lambda: box.hasFocus())
    box.selectAll()
    qtbot.keyClicks(focused(), "24")
    press(qtbot, Qt.Key.Key_Enter)
    qtbot.waitUntil(lambda: focused() is w.viewer)
    assert w.editor.document.project.background_effects == [{"type": "pixelate", "block": 24}]
    press(qtbot, Qt.Key.Key_Z, CTRL)
    assert w.editor.document.project.background_effects == [{"type": "pixelate"}]
    assert not errors, errors


def test_ctrl_shortcuts_work_after_another_window_had_the_focus(qtbot, make_window, clip, errors):
    """Ctrl+E etc. are application-wide: right after a dialog closes they work without a click."""
    w = make_window()
    assert w.open_path(str(clip))
    for name in ("open", "save", "export", "quit", "forward", "goto", "undo", "redo", "find_faces"):
        assert w.named_actions[name].shortcutContext() == Qt.ShortcutContext.ApplicationShortcut, (
            name
        )
    assert (
        w.named_actions["preview"].shortcutContext() == Qt.ShortcutContext.WindowShortcut
    )  # single key: this window only
    other = QWidget()
    qtbot.addWidget(other)
    other.show()
    other.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is other)  # e.g. a closing dialog's window
    preview_before = w.transport.preview.isChecked()
    triggered = []
    w.named_actions["save_as"].triggered.disconnect()
    w.named_actions["save_as"].triggered.connect(lambda: triggered.append("save_as"))
    qtbot.keyClick(other, Qt.Key.Key_S, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert triggered == ["save_as"]
    qtbot.keyClick(other, Qt.Key.Key_E)  # a single key typed elsewhere is not the editor's
    assert w.transport.preview.isChecked() == preview_before
    assert not errors, errors
