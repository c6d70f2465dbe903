"""Keyboard focus that never traps the editor's shortcuts.

A number box that has focus claims keys such as Ctrl+Z (its own text undo) and the arrows, so
after Ctrl+G the editor's shortcuts seemed dead. Enter (value taken) or Esc (typing dropped) in
any number box of the window hands the focus back to the viewer, as video editors do.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QDoubleSpinBox, QSpinBox, QWidget

__all__ = ["FocusReturn"]

_DONE_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape)


class FocusReturn(QObject):
    """Application event filter: Enter/Esc in a number box of ``window`` → focus to ``target``."""

    def __init__(self, window: QWidget, target: QWidget) -> None:
        super().__init__(window)
        self.window, self.target = window, target
        app = QApplication.instance()
        assert app is not None, "the window exists, so the application does"
        app.installEventFilter(self)

    def _box(self, obj: QObject) -> QAbstractSpinBox | None:
        w = obj if isinstance(obj, QWidget) else None
        while w is not None and not isinstance(w, QAbstractSpinBox):
            w = w.parentWidget()  # the spin box's inner line edit receives the keys
        if w is None or w.window() is not self.window:
            return None
        return w

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind not in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride):
            return False
        key = event.key()  # type: ignore[attr-defined]
        if key not in _DONE_KEYS:
            return False
        box = self._box(obj)
        if box is None:
            return False
        if key == Qt.Key.Key_Escape:
            if kind == QEvent.Type.ShortcutOverride:
                event.accept()  # Esc here means "never mind", not Track ▸ Stop
                return True
            if isinstance(box, QSpinBox):  # drop what was typed
                box.lineEdit().setText(box.prefix() + box.textFromValue(box.value()) + box.suffix())
            elif isinstance(box, QDoubleSpinBox):
                box.lineEdit().setText(box.prefix() + box.textFromValue(box.value()) + box.suffix())
            self.target.setFocus(Qt.FocusReason.ShortcutFocusReason)
            return True
        if kind == QEvent.Type.KeyPress:  # the box takes the value first, then the focus goes back
            QTimer.singleShot(0, lambda: self.target.setFocus(Qt.FocusReason.ShortcutFocusReason))
        return False
