"""Emoji picker: a grid of the bundled emoji (``effects.emoji.list_emoji``) plus "Image from
file"."""

from __future__ import annotations

from PySide6.QtCore import QSize, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

__all__ = ["EmojiPicker", "pick_emoji"]

COLUMNS = 8


class EmojiPicker(QDialog):
    """Modal grid; ``chosen`` is the emoji character or an image path after ``exec()``."""

    picked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from effects.emoji import list_emoji

        self.setWindowTitle("Choose an emoji")
        self.chosen: str | None = None
        grid_host = QWidget()
        grid = QGridLayout(grid_host)
        grid.setSpacing(2)
        for k, info in enumerate(list_emoji()):
            b = QToolButton()
            b.setObjectName(f"emoji_{info.name}")
            b.setIcon(QIcon(str(info.path)))
            b.setIconSize(QSize(36, 36))
            b.setToolTip(f"{info.char}  {info.name}")
            b.setAutoRaise(True)
            b.clicked.connect(lambda _=False, c=info.char: self._choose(c))
            grid.addWidget(b, k // COLUMNS, k % COLUMNS)
        scroll = QScrollArea()
        scroll.setWidget(grid_host)
        scroll.setWidgetResizable(True)
        scroll.setMinimumSize(COLUMNS * 46 + 30, 300)
        from_file = QPushButton("Image from file…")
        from_file.setToolTip("Any PNG with transparency follows the object like an emoji")
        from_file.clicked.connect(self._from_file)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(scroll)
        lay.addWidget(from_file)
        lay.addWidget(buttons)

    def _choose(self, value: str) -> None:
        self.chosen = value
        self.picked.emit(value)
        self.accept()

    def _from_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Overlay image", "", "Images (*.png *.jpg *.jpeg *.webp)"
        )
        if path:
            self._choose(path)


def pick_emoji(parent: QWidget | None = None) -> str | None:
    dlg = EmojiPicker(parent)
    return dlg.chosen if dlg.exec() == QDialog.DialogCode.Accepted else None
