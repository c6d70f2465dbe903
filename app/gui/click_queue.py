"""Clicks made while a long job (tracking, export) runs: counted, shown, applied after it.

The click itself is already in the project (and undoable); the tracking controller feeds it
to the model once the job ends. This only tells the user it is waiting (Cutie applies nothing
until propagation stops and says nothing about it).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot

from app.gui.workers import JobRunner

__all__ = ["ClickQueue"]


class ClickQueue(QObject):
    """Counts the clicks a running job holds back; resets when the runner is idle again."""

    changed = Signal(int)  # clicks waiting (0: none, e.g. just applied)
    status = Signal(str)  # a line for the status bar

    def __init__(self, runner: JobRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self.count = 0
        runner.busy_changed.connect(self._on_busy)

    def note_click(self) -> None:
        """A click was just added: count it if a long job keeps it from being applied now."""
        if self._runner.busy and not self._runner.only_quick_job:
            self.count += 1
            self.changed.emit(self.count)
            self.status.emit(
                f"{self.count} click(s) queued: applied when the running job ends "
                "(Esc stops it now)"
            )

    @Slot(bool)
    def _on_busy(self, busy: bool) -> None:
        if not busy and self.count:
            self.status.emit(f"applying {self.count} queued click(s)")
            self.count = 0
            self.changed.emit(0)
