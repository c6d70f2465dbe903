"""Play the clip at its own timing: each frame is shown after the real gap to the next one.

A single-shot QTimer per frame (not a fixed interval) follows variable frame rates; the frame
itself goes through the editor's playhead, so the effects preview plays too when it is on.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from app.gui.document import EditorDocument

__all__ = ["Playback"]


class Playback(QObject):
    """Moves the playhead (``show_frame``) frame by frame while playing."""

    playing_changed = Signal(bool)

    def __init__(
        self,
        document: EditorDocument,
        show_frame: Callable[[int], None],
        current: Callable[[], int],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._document, self._show_frame, self._current = document, show_frame, current
        self.playing = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._tick)

    def toggle(self) -> None:
        """Play from the playhead (from the start when at the last frame), or pause."""
        n = self._document.frame_count
        if self.playing:
            self.stop()
        elif n:
            self.playing = True
            self.playing_changed.emit(True)
            if self._current() >= n - 1:
                self._show_frame(0)
            self._schedule_next()

    def stop(self) -> None:
        if self.playing:
            self.playing = False
            self._timer.stop()
            self.playing_changed.emit(False)

    def _schedule_next(self) -> None:
        src = self._document.source
        now = self._current()
        if src is None or now + 1 >= len(src):
            self.stop()
            return
        gap = max(src.time(now + 1) - src.time(now), 0.001)  # VFR: real per-frame gaps
        self._timer.start(int(gap * 1000))

    @Slot()
    def _tick(self) -> None:
        if self.playing:
            self._show_frame(self._current() + 1)
            self._schedule_next()
