"""The frame viewer: fit/zoom/pan, mask overlays, prompts, and click/drag → prompt intents.

The widget knows nothing about projects or models: it shows an image plus prompt glyphs and
emits what the user asked for in *frame* pixel coordinates (``point_requested``,
``box_requested``). Zoom: wheel (around the cursor), ``fit``/``actual_size``; pan: middle-button
drag or Shift+drag.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen, QWheelEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

__all__ = ["ViewerWidget", "PromptGlyph"]

POSITIVE = QColor(40, 220, 90)
NEGATIVE = QColor(235, 60, 60)
DRAG_THRESHOLD = 6  # screen pixels before a press becomes a box drag


@dataclass(frozen=True)
class PromptGlyph:
    """A prompt to draw: a point with label (1 positive, 0 negative) or a box."""

    points: tuple[tuple[float, float, int], ...] = ()
    box: tuple[float, float, float, float] | None = None
    colour: tuple[int, int, int] = (255, 255, 255)


class ViewerWidget(QWidget):
    point_requested = Signal(float, float, int)  # x, y in frame pixels, label 1/0
    box_requested = Signal(float, float, float, float)
    zoom_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 200)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setToolTip(
            "Left click: add to the active object · Right/Alt+click: exclude · Drag: box\n"
            "Wheel: zoom · Middle/Shift+drag: pan"
        )
        self._image: QImage | None = None
        self._glyphs: list[PromptGlyph] = []
        self._scale = 1.0
        self._offset = QPointF(0, 0)
        self._fit = True
        self._press: QPointF | None = None
        self._press_button = Qt.MouseButton.NoButton
        self._press_mods = Qt.KeyboardModifier.NoModifier
        self._drag_now: QPointF | None = None
        self._pan_from: tuple[QPointF, QPointF] | None = None
        self.message = ""

    # -- content -----------------------------------------------------------------------------
    def set_image(self, image: QImage | None) -> None:
        size_changed = self._image is None or image is None or image.size() != self._image.size()
        self._image = image
        if size_changed and self._fit:
            self._apply_fit()
        self.update()

    def image(self) -> QImage | None:
        return self._image

    def set_prompts(self, glyphs: Sequence[PromptGlyph]) -> None:
        self._glyphs = list(glyphs)
        self.update()

    def set_message(self, text: str) -> None:
        self.message = text
        self.update()

    # -- geometry ----------------------------------------------------------------------------
    @property
    def scale(self) -> float:
        return self._scale

    def fit(self) -> None:
        self._fit = True
        self._apply_fit()
        self.update()

    def actual_size(self) -> None:
        self._set_scale(1.0, QPointF(self.width() / 2, self.height() / 2))

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        self._set_scale(
            self._scale * factor, anchor or QPointF(self.width() / 2, self.height() / 2)
        )

    def _apply_fit(self) -> None:
        if self._image is None or self._image.isNull():
            return
        iw, ih = self._image.width(), self._image.height()
        s = min(self.width() / iw, self.height() / ih) if iw and ih else 1.0
        self._scale = max(s, 1e-3)
        self._offset = QPointF((self.width() - iw * s) / 2, (self.height() - ih * s) / 2)
        self.zoom_changed.emit(self._scale)

    def _set_scale(self, scale: float, anchor: QPointF) -> None:
        scale = min(max(scale, 0.05), 32.0)
        frame_pt = self.widget_to_frame(anchor)
        self._fit = False
        self._scale = scale
        self._offset = QPointF(anchor.x() - frame_pt.x() * scale, anchor.y() - frame_pt.y() * scale)
        self.zoom_changed.emit(scale)
        self.update()

    def widget_to_frame(self, p: QPointF) -> QPointF:
        return QPointF(
            (p.x() - self._offset.x()) / self._scale, (p.y() - self._offset.y()) / self._scale
        )

    def frame_to_widget(self, p: QPointF) -> QPointF:
        return QPointF(
            p.x() * self._scale + self._offset.x(), p.y() * self._scale + self._offset.y()
        )

    def _inside(self, fp: QPointF) -> bool:
        img = self._image
        return img is not None and 0 <= fp.x() < img.width() and 0 <= fp.y() < img.height()

    # -- events ------------------------------------------------------------------------------
    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self._fit:
            self._apply_fit()
        super().resizeEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(1.25**steps, event.position())
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pan = event.button() == Qt.MouseButton.MiddleButton or (
            event.button() == Qt.MouseButton.LeftButton
            and event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        )
        if pan:
            self._pan_from = (event.position(), QPointF(self._offset))
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        self._press = event.position()
        self._press_button = event.button()
        self._press_mods = event.modifiers()
        self._drag_now = None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan_from is not None:
            start, off = self._pan_from
            d = event.position() - start
            self._fit = False
            self._offset = QPointF(off.x() + d.x(), off.y() + d.y())
            self.update()
            return
        if self._press is not None and self._press_button == Qt.MouseButton.LeftButton:
            d = event.position() - self._press
            if abs(d.x()) + abs(d.y()) >= DRAG_THRESHOLD:
                self._drag_now = event.position()
                self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan_from is not None:
            self._pan_from = None
            self.unsetCursor()
            return
        press, self._press = self._press, None
        if press is None or self._image is None:
            return
        if self._drag_now is not None:
            a, b = self.widget_to_frame(press), self.widget_to_frame(event.position())
            self._drag_now = None
            self.update()
            w, h = self._image.width(), self._image.height()
            x0, x1 = sorted((min(max(a.x(), 0), w - 1), min(max(b.x(), 0), w - 1)))
            y0, y1 = sorted((min(max(a.y(), 0), h - 1), min(max(b.y(), 0), h - 1)))
            if x1 - x0 >= 2 and y1 - y0 >= 2:
                self.box_requested.emit(x0, y0, x1, y1)
            return
        fp = self.widget_to_frame(press)
        if not self._inside(fp):
            return
        negative = self._press_button == Qt.MouseButton.RightButton or bool(
            self._press_mods & Qt.KeyboardModifier.AltModifier
        )
        if self._press_button in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            self.point_requested.emit(fp.x(), fp.y(), 0 if negative else 1)

    def click_frame_point(self, x: float, y: float, label: int = 1) -> None:
        """Emit the same intent a mouse click at frame pixel (x, y) would (tests, scripting)."""
        self.point_requested.emit(float(x), float(y), int(label))

    # -- painting ----------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(22, 22, 24))
        if self._image is None or self._image.isNull():
            p.setPen(QColor(150, 150, 150))
            p.drawText(
                self.rect(),
                Qt.AlignmentFlag.AlignCenter,
                self.message or "Open a video (Ctrl+O) or drop one here",
            )
            return
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self._scale < 2.0)
        target = QRectF(
            self._offset.x(),
            self._offset.y(),
            self._image.width() * self._scale,
            self._image.height() * self._scale,
        )
        p.drawImage(target, self._image)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for g in self._glyphs:
            if g.box is not None:
                a = self.frame_to_widget(QPointF(g.box[0], g.box[1]))
                b = self.frame_to_widget(QPointF(g.box[2], g.box[3]))
                p.setPen(QPen(QColor(*g.colour), 2, Qt.PenStyle.DashLine))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawRect(QRectF(a, b))
            for x, y, label in g.points:
                c = self.frame_to_widget(QPointF(x, y))
                p.setPen(QPen(QColor(255, 255, 255), 1.5))
                p.setBrush(POSITIVE if label else NEGATIVE)
                p.drawEllipse(c, 6, 6)
                p.setPen(QPen(QColor(255, 255, 255), 2))
                p.drawLine(QPointF(c.x() - 3, c.y()), QPointF(c.x() + 3, c.y()))
                if label:
                    p.drawLine(QPointF(c.x(), c.y() - 3), QPointF(c.x(), c.y() + 3))
        if self._drag_now is not None and self._press is not None:
            p.setPen(QPen(QColor(255, 255, 255), 1, Qt.PenStyle.DashLine))
            p.setBrush(QColor(255, 255, 255, 30))
            p.drawRect(QRectF(self._press, self._drag_now))
        if self.message:
            p.setPen(QColor(230, 230, 230))
            p.drawText(
                self.rect().adjusted(8, 6, -8, -6),
                Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft,
                self.message,
            )
