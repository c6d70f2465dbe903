"""Timeline: a scrubber ruler plus one lane per object (masks, prompts, low-score drift marks).

Pure view: it is given lane data (`Lane`) and the playhead, paints them, and emits
``frame_requested`` when the user clicks/drags the ruler or clicks a prompt marker. The in/out
range is shaded; ``range_changed`` is emitted when set with the I/O keys (the window owns those).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QHelpEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

__all__ = [
    "TimelineWidget",
    "Lane",
    "format_timecode",
    "LEGEND",
    "NOT_TRACKED",
    "TRACKED",
    "EMPTY",
    "LOW_SCORE_STATE",
]

RULER_H = 26
LANE_H = 18
NAME_W = 110


def format_timecode(seconds: float) -> str:
    """``m:ss.mmm`` (hours added when needed)."""
    ms = int(round(max(seconds, 0.0) * 1000))
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h}:{m:02d}:{s:02d}.{ms:03d}" if h else f"{m}:{s:02d}.{ms:03d}"


NOT_TRACKED, TRACKED, EMPTY, LOW_SCORE_STATE = 0, 1, 2, 3
STATE_TEXT = {
    NOT_TRACKED: "not tracked yet",
    TRACKED: "tracked",
    EMPTY: "tracked, but the mask is empty (the object is not visible here)",
    LOW_SCORE_STATE: "tracked with a low score: the mask may have drifted — check it, add a click",
}
LEGEND = (
    "■ tracked   ▨ low score (check it)   ▭ empty mask (object not visible)   "
    "blank: not tracked   ◆ your clicks"
)


@dataclass
class Lane:
    """What the timeline shows for one object: a state per frame (NOT_TRACKED, TRACKED, EMPTY,
    LOW_SCORE_STATE) and the tracker's score (NaN where none)."""

    obj_id: int
    name: str
    colour: tuple[int, int, int]
    state: np.ndarray  # uint8 per frame
    score: np.ndarray  # float32 per frame
    prompt_frames: set[int] = field(default_factory=set)
    active: bool = False

    @property
    def has_mask(self) -> np.ndarray:
        """Frames with a non-empty mask."""
        return (self.state == TRACKED) | (self.state == LOW_SCORE_STATE)

    @property
    def tracked(self) -> np.ndarray:
        """Frames with a stored mask, empty or not."""
        return self.state != NOT_TRACKED

    @property
    def low_score(self) -> np.ndarray:
        return self.state == LOW_SCORE_STATE

    def describe(self, frame_idx: int) -> str:
        state = int(self.state[frame_idx]) if 0 <= frame_idx < len(self.state) else NOT_TRACKED
        score = float(self.score[frame_idx]) if state != NOT_TRACKED else float("nan")
        text = f"{self.name}, frame {frame_idx}: {STATE_TEXT[state]}"
        if score == score:  # not NaN
            text += f" (score {score:.2f})"
        if frame_idx in self.prompt_frames:
            text += "; you clicked here"
        return text


class TimelineWidget(QWidget):
    frame_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        self.setMouseTracking(True)
        self.setToolTip(
            "Click or drag the ruler to scrub · click a ◆ prompt marker to jump · I/O set the range"
        )
        self.frame_count = 0
        self.current = 0
        self.lanes: list[Lane] = []
        self.in_out: tuple[int, int] | None = None
        self.time_of: Callable[[int], float] = lambda i: 0.0
        self._scrubbing = False

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(600, RULER_H + LANE_H * max(len(self.lanes), 1) + 6)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(200, RULER_H + LANE_H + 6)

    # -- data --------------------------------------------------------------------------------
    def set_clip(self, frame_count: int, time_of: Callable[[int], float]) -> None:
        self.frame_count, self.time_of, self.current = frame_count, time_of, 0
        self.in_out = (0, frame_count) if frame_count else None
        self.update()

    def set_lanes(self, lanes: list[Lane]) -> None:
        self.lanes = lanes
        self.setMinimumHeight(self.minimumSizeHint().height() + LANE_H * max(len(lanes) - 1, 0))
        self.updateGeometry()
        self.update()

    def lane(self, obj_id: int) -> Lane | None:
        return next((ln for ln in self.lanes if ln.obj_id == obj_id), None)

    def set_current(self, frame_idx: int) -> None:
        if frame_idx != self.current:
            self.current = frame_idx
            self.update()

    def set_range(self, lo: int, hi: int) -> None:
        self.in_out = (lo, hi)
        self.update()

    # -- geometry ----------------------------------------------------------------------------
    def _track_rect(self) -> QRectF:
        return QRectF(NAME_W, 0, max(self.width() - NAME_W - 8, 1), self.height())

    def x_of(self, frame_idx: float) -> float:
        r = self._track_rect()
        n = max(self.frame_count, 1)
        return r.left() + r.width() * frame_idx / n

    def frame_at(self, x: float) -> int:
        r = self._track_rect()
        n = max(self.frame_count, 1)
        return int(min(max((x - r.left()) / r.width() * n, 0), n - 1))

    def _lane_at(self, y: float) -> Lane | None:
        k = int((y - RULER_H) // LANE_H)
        return self.lanes[k] if y >= RULER_H and 0 <= k < len(self.lanes) else None

    # -- mouse -------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if not self.frame_count or event.button() != Qt.MouseButton.LeftButton:
            return
        pos = event.position()
        lane = self._lane_at(pos.y())
        if lane is not None and lane.prompt_frames:
            near = min(lane.prompt_frames, key=lambda f: abs(self.x_of(f + 0.5) - pos.x()))
            if abs(self.x_of(near + 0.5) - pos.x()) <= 6:
                self.frame_requested.emit(near)
                return
        self._scrubbing = True
        self.frame_requested.emit(self.frame_at(pos.x()))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._scrubbing:
            f = self.frame_at(event.position().x())
            if f != self.current:
                self.frame_requested.emit(f)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._scrubbing = False

    # -- painting ----------------------------------------------------------------------------
    def lane_text_at(self, x: float, y: float) -> str:
        """The tooltip at a point: a lane's state on that frame, or the legend."""
        k = int((y - RULER_H) // LANE_H)
        if y < RULER_H or not 0 <= k < len(self.lanes) or not self.frame_count:
            return LEGEND
        frame = int(min(max(self.frame_at(x), 0), self.frame_count - 1))
        return self.lanes[k].describe(frame)

    def event(self, e: QEvent) -> bool:  # noqa: D102
        if e.type() == QEvent.Type.ToolTip and isinstance(e, QHelpEvent):
            QToolTip.showText(e.globalPos(), self.lane_text_at(e.pos().x(), e.pos().y()), self)
            return True
        return super().event(e)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(32, 32, 35))
        if not self.frame_count:
            p.setPen(QColor(140, 140, 140))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "no clip")
            return
        r = self._track_rect()
        n = self.frame_count
        if self.in_out is not None and self.in_out != (0, n):
            lo, hi = self.in_out
            p.fillRect(
                QRectF(r.left(), 0, self.x_of(lo) - r.left(), self.height()), QColor(0, 0, 0, 110)
            )
            p.fillRect(
                QRectF(self.x_of(hi), 0, r.right() - self.x_of(hi), self.height()),
                QColor(0, 0, 0, 110),
            )
            p.setPen(QPen(QColor(255, 200, 0), 1))
            p.drawLine(QPointF(self.x_of(lo), 0), QPointF(self.x_of(lo), self.height()))
            p.drawLine(QPointF(self.x_of(hi), 0), QPointF(self.x_of(hi), self.height()))
        self._paint_ruler(p, r, n)
        for k, lane in enumerate(self.lanes):
            self._paint_lane(p, lane, RULER_H + k * LANE_H, r, n)
        x = self.x_of(self.current + 0.5)
        p.setPen(QPen(QColor(255, 70, 70), 2))
        p.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        label = f"{self.current}  {format_timecode(self.time_of(self.current))}"
        p.fillRect(QRectF(4, 4, NAME_W - 8, RULER_H - 8), QColor(50, 50, 55))
        p.setPen(QColor(240, 240, 240))
        p.drawText(QRectF(4, 4, NAME_W - 8, RULER_H - 8), Qt.AlignmentFlag.AlignCenter, label)

    def _paint_ruler(self, p: QPainter, r: QRectF, n: int) -> None:
        p.setPen(QColor(120, 120, 125))
        step = max(1, int(10 ** np.ceil(np.log10(max(n / max(r.width() / 60, 1), 1)))))
        for f in range(0, n, step):
            x = self.x_of(f)
            p.drawLine(QPointF(x, RULER_H - 8), QPointF(x, RULER_H - 1))
            p.drawText(QPointF(x + 2, RULER_H - 10), str(f))

    def _paint_lane(self, p: QPainter, lane: Lane, y: int, r: QRectF, n: int) -> None:
        bg = QColor(48, 48, 52) if lane.active else QColor(38, 38, 41)
        p.fillRect(QRectF(0, y + 1, self.width(), LANE_H - 2), bg)
        p.setPen(QColor(*lane.colour))
        p.drawText(QRectF(6, y, NAME_W - 10, LANE_H), Qt.AlignmentFlag.AlignVCenter, lane.name)
        top, height = y + 4, LANE_H - 8
        colour = QColor(*lane.colour, 190)
        for a, b in _runs(lane.state == TRACKED):
            p.fillRect(
                QRectF(self.x_of(a), top, max(self.x_of(b) - self.x_of(a), 1.0), height), colour
            )
        hatch = QBrush(QColor(*lane.colour, 230), Qt.BrushStyle.BDiagPattern)
        for a, b in _runs(lane.state == LOW_SCORE_STATE):  # hatched + orange line: look here
            rect = QRectF(self.x_of(a), top, max(self.x_of(b) - self.x_of(a), 1.0), height)
            p.fillRect(rect, QColor(*lane.colour, 70))
            p.fillRect(rect, hatch)
            p.fillRect(QRectF(rect.left(), y + LANE_H - 4, rect.width(), 2), QColor(255, 170, 0))
        p.setPen(QPen(QColor(150, 150, 155), 1, Qt.PenStyle.DotLine))
        p.setBrush(Qt.BrushStyle.NoBrush)
        for a, b in _runs(lane.state == EMPTY):  # an outline only: tracked, nothing there
            p.drawRect(
                QRectF(self.x_of(a), top + 1, max(self.x_of(b) - self.x_of(a), 1.0), height - 2)
            )
        p.setPen(QPen(QColor(255, 255, 255), 1))
        p.setBrush(QColor(40, 220, 90))
        for f in lane.prompt_frames:
            cx, cy = self.x_of(f + 0.5), y + LANE_H / 2
            p.drawPolygon(
                QPolygonF(
                    [
                        QPointF(cx, cy - 5),
                        QPointF(cx + 5, cy),
                        QPointF(cx, cy + 5),
                        QPointF(cx - 5, cy),
                    ]
                )
            )


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) runs of True (painting runs, not frames, keeps long clips cheap)."""
    if flags.size == 0 or not flags.any():
        return []
    d = np.diff(np.concatenate(([0], flags.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist(), strict=True))
