"""Transport (play, step, jump, go to frame), the view toggle and the propagation controls.

Only intents go out (signals); the window decides what they do.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QSpinBox, QToolButton, QWidget

from app.gui.theme import icon, tool_button
from app.gui.timeline_widget import format_timecode

__all__ = ["TransportBar"]


class TransportBar(QWidget):
    play_toggled = Signal()
    step_requested = Signal(int)
    jump_requested = Signal(str)  # "home" | "end"
    frame_requested = Signal(int)
    preview_toggled = Signal(bool)  # True = effects preview
    propagate_requested = Signal(str)  # forward | backward | both
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 2, 4, 2)
        self.buttons: dict[str, QToolButton] = {}

        def button(name: str, ico: str, tip: str, slot, checkable: bool = False) -> QToolButton:
            b = tool_button(name, ico, tip, slot, checkable=checkable)
            self.buttons[name] = b
            lay.addWidget(b)
            return b

        button(
            "home",
            "fa6s.backward-fast",
            "First frame (Home)",
            lambda: self.jump_requested.emit("home"),
        )
        button(
            "back", "fa6s.backward-step", "Previous frame (←)", lambda: self.step_requested.emit(-1)
        )
        self.play = button("play", "fa6s.play", "Play / pause (Space)", self.play_toggled.emit)
        button(
            "forward", "fa6s.forward-step", "Next frame (→)", lambda: self.step_requested.emit(1)
        )
        button(
            "end", "fa6s.forward-fast", "Last frame (End)", lambda: self.jump_requested.emit("end")
        )
        self.frame_box = QSpinBox()
        self.frame_box.setObjectName("goto_frame")
        self.frame_box.setToolTip("Go to frame (Ctrl+G)")
        self.frame_box.setKeyboardTracking(False)
        self.frame_box.valueChanged.connect(self.frame_requested.emit)
        lay.addWidget(self.frame_box)
        self.time_label = QLabel("0:00.000")
        self.time_label.setMinimumWidth(90)
        lay.addWidget(self.time_label)
        lay.addSpacing(12)
        self.preview = button(
            "preview",
            "fa6s.wand-magic-sparkles",
            "Effects preview on/off (E): the real render of this frame",
            lambda c: self.preview_toggled.emit(bool(c)),
            checkable=True,
        )
        lay.addSpacing(12)
        button(
            "propagate_backward",
            "fa6s.angles-left",
            "Track backward from this frame (Ctrl+B)",
            lambda: self.propagate_requested.emit("backward"),
        )
        button(
            "propagate_both",
            "fa6s.arrows-left-right",
            "Track the whole range both ways from this frame (Ctrl+T)",
            lambda: self.propagate_requested.emit("both"),
        )
        button(
            "propagate_forward",
            "fa6s.angles-right",
            "Track forward from this frame (Ctrl+F)",
            lambda: self.propagate_requested.emit("forward"),
        )
        self.stop = button(
            "stop",
            "fa6s.stop",
            "Stop tracking / export (Esc); work done so far is kept",
            self.stop_requested.emit,
        )
        self.stop.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setObjectName("job_progress")
        self.progress.setMaximumWidth(220)
        self.progress.setVisible(False)
        lay.addWidget(self.progress)
        self.queued = QLabel()
        self.queued.setObjectName("queued_clicks")
        self.queued.setStyleSheet("color: #ffb347;")
        self.queued.setToolTip(
            "Clicks made while tracking runs are kept and applied when it ends (Esc stops it now)"
        )
        self.queued.setVisible(False)
        lay.addWidget(self.queued)
        lay.addStretch(1)

    def set_preview(self, on: bool) -> None:
        """Show the document's preview state without re-emitting it."""
        self.preview.blockSignals(True)
        self.preview.setChecked(on)
        self.preview.blockSignals(False)

    def set_clip(self, frame_count: int) -> None:
        self.frame_box.blockSignals(True)
        self.frame_box.setRange(0, max(frame_count - 1, 0))
        self.frame_box.setValue(0)
        self.frame_box.blockSignals(False)

    def show_frame(self, frame_idx: int, seconds: float) -> None:
        self.frame_box.blockSignals(True)
        self.frame_box.setValue(frame_idx)
        self.frame_box.blockSignals(False)
        self.time_label.setText(format_timecode(seconds))

    def set_playing(self, playing: bool) -> None:
        self.play.setIcon(icon("fa6s.pause" if playing else "fa6s.play"))

    def set_busy(self, busy: bool) -> None:
        self.stop.setEnabled(busy)
        self.progress.setVisible(busy)
        if busy:
            self.progress.setRange(0, 0)
        for name in ("propagate_backward", "propagate_both", "propagate_forward"):
            self.buttons[name].setEnabled(not busy)

    def set_queued(self, n: int) -> None:
        """How many clicks wait for the running job (they are applied when it ends)."""
        self.queued.setText(f"{n} click{'s' if n != 1 else ''} queued — applied when tracking ends")
        self.queued.setVisible(n > 0)

    def set_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(f"{done}/{total}")
        self.progress.setAlignment(Qt.AlignmentFlag.AlignCenter)
