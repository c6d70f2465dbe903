"""Dark theme, icons and object colours: one place so every widget looks the same."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QToolButton

__all__ = ["apply_dark_theme", "icon", "OBJECT_COLOURS", "colour_for", "qcolor"]

# Distinct, colour-blind-friendly hues (Okabe-Ito plus a few), cycled for new objects.
OBJECT_COLOURS: list[tuple[int, int, int]] = [
    (230, 159, 0),
    (86, 180, 233),
    (0, 158, 115),
    (240, 228, 66),
    (0, 114, 178),
    (213, 94, 0),
    (204, 121, 167),
    (255, 99, 132),
    (153, 102, 255),
    (75, 192, 192),
]


def colour_for(index: int) -> tuple[int, int, int]:
    """Colour of the index-th object (cycled)."""
    return OBJECT_COLOURS[index % len(OBJECT_COLOURS)]


def qcolor(rgb: tuple[int, int, int] | list[int] | str, alpha: int = 255) -> QColor:
    """A QColor from an (r, g, b) triple or a '#rrggbb' string."""
    if isinstance(rgb, str):
        c = QColor(rgb)
        c.setAlpha(alpha)
        return c
    r, g, b = (int(v) for v in rgb[:3])
    return QColor(r, g, b, alpha)


def icon(name: str, color: str = "#d8d8d8") -> QIcon:
    """A qtawesome icon; an empty icon if the font is unavailable (icons are decoration)."""
    try:
        import qtawesome as qta

        return qta.icon(name, color=color)
    except Exception:  # noqa: BLE001 - a missing glyph must never break a toolbar
        return QIcon()


def tool_button(
    name: str, icon_name: str, tip: str, slot: Callable[[], object], *, checkable: bool = False
) -> QToolButton:
    """An icon button with an object name (tests find it), a tooltip naming its shortcut, a slot."""
    button = QToolButton()
    button.setObjectName(name)
    button.setIcon(icon(icon_name))
    button.setToolTip(tip)
    button.setCheckable(checkable)
    button.clicked.connect(slot)
    return button


def apply_dark_theme(app: QApplication) -> None:
    """Fusion style with a dark palette (readable under every platform theme)."""
    app.setStyle("Fusion")
    p = QPalette()
    base, window, text = QColor(30, 30, 32), QColor(43, 43, 46), QColor(220, 220, 220)
    p.setColor(QPalette.ColorRole.Window, window)
    p.setColor(QPalette.ColorRole.WindowText, text)
    p.setColor(QPalette.ColorRole.Base, base)
    p.setColor(QPalette.ColorRole.AlternateBase, window)
    p.setColor(QPalette.ColorRole.ToolTipBase, QColor(60, 60, 64))
    p.setColor(QPalette.ColorRole.ToolTipText, text)
    p.setColor(QPalette.ColorRole.Text, text)
    p.setColor(QPalette.ColorRole.Button, window)
    p.setColor(QPalette.ColorRole.ButtonText, text)
    p.setColor(QPalette.ColorRole.BrightText, QColor(255, 80, 80))
    p.setColor(QPalette.ColorRole.Highlight, QColor(42, 130, 218))
    p.setColor(QPalette.ColorRole.HighlightedText, QColor(255, 255, 255))
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor(130, 130, 130))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(120, 120, 120))
    app.setPalette(p)
    app.setStyleSheet(
        "QToolTip { border: 1px solid #555; padding: 3px; }"
        "QDockWidget::title { padding: 4px; background: #2b2b2e; }"
        "QProgressBar { border: 1px solid #444; border-radius: 3px; text-align: center; }"
        "QProgressBar::chunk { background: #2a82da; }"
    )
