"""The editor's behaviour: navigation, clicks → prompts → masks, jobs, files (playback is
`playback.Playback`).

It owns the document, undo stack, job runner, tracking controller and presenter, and talks to
widgets only through signals (``frame_ready``, ``lanes_ready``, ...) that the window connects:
views observe, this object decides (the Cutie anti-pattern of a controller poking widgets is
avoided). Every failure goes to `report_error`.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtGui import QImage, QUndoStack
from PySide6.QtWidgets import QWidget

from app.frame_range import FrameRange
from app.gui import operations as ops
from app.gui.click_queue import ClickQueue
from app.gui.document import EditorDocument
from app.gui.error_report import report_error
from app.gui.files import AUTOSAVE_MS, RecentFiles, is_project
from app.gui.frame_loader import FrameLoader, FrameResult
from app.gui.jobs import JobHandle
from app.gui.memory import release_freed_memory
from app.gui.objects_panel import BACKGROUND
from app.gui.playback import Playback
from app.gui.presenter import FramePresenter, lanes, update_lanes
from app.gui.timeline_widget import Lane
from app.gui.tracking import Direction, TrackingController
from app.gui.workers import JobRunner

__all__ = ["Editor"]

log = logging.getLogger(__name__)


class Editor(QObject):
    frame_ready = Signal(QImage, object, int, float)  # image, prompt glyphs, frame_idx, seconds
    position_changed = Signal(int, float)  # the playhead moved (its image follows from the loader)
    lanes_ready = Signal(object)  # list[Lane]
    clip_opened = Signal(int, object)  # frame_count, time_of(frame_idx)
    playing_changed = Signal(bool)
    busy_changed = Signal(bool)
    progress = Signal(int, int)
    status = Signal(str)
    active_changed = Signal(int)
    range_changed = Signal(int, int)
    preview_changed = Signal(bool)  # the document's effects-preview state (the E button follows)
    queued_changed = Signal(int)  # clicks waiting for the running job (shown, applied after it)
    # tracking needs weights that are not here: the window asks how to get them
    model_missing = Signal(str)

    def __init__(self, parent_widget: QWidget | None = None) -> None:
        super().__init__(parent_widget)
        self.parent_widget = parent_widget
        self.document = EditorDocument(self)
        self.stack = QUndoStack(self)
        self.runner = JobRunner(self)
        self.clicks = ClickQueue(self.runner, self)  # clicks held back by a running job
        self.clicks.changed.connect(self.queued_changed)
        self.clicks.status.connect(self.status)
        self.tracking = TrackingController(self.document, self.runner, self)
        self.presenter = FramePresenter(self.document)
        self.loader = FrameLoader(self)
        self.loader.ready.connect(self._on_frame)
        self._generation = 0  # bumped per opened document: late frames of the last one are dropped
        self._seq = self._delivered = 0
        self.recent = RecentFiles()
        self.current = 0
        self.active = BACKGROUND
        self.in_out: tuple[int, int] | None = None
        self._lanes: list[Lane] = []
        self._had_effects = False
        self.playback = Playback(self.document, self.show_frame, lambda: self.current, self)
        self.playback.playing_changed.connect(self.playing_changed)
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start()
        doc = self.document
        doc.object_added.connect(self._on_object_added_or_removed)
        doc.object_removed.connect(self._on_object_added_or_removed)
        doc.prompts_changed.connect(self._on_prompts_changed)
        doc.object_changed.connect(self._on_object_changed)
        doc.objects_reordered.connect(self._on_objects_reordered)
        doc.effects_changed.connect(self._on_effects_changed)
        doc.project_changed.connect(self._on_project_field_changed)
        self.document.masks_changed.connect(self._on_masks_changed)
        self.runner.busy_changed.connect(self.busy_changed)
        self.tracking.progress.connect(self.progress)
        self.tracking.stopped.connect(
            lambda: self.status.emit("stopped; the masks computed so far are kept")
        )
        self.tracking.propagated.connect(lambda: self.status.emit("tracking finished"))
        self.tracking.failed.connect(self.job_failed)

    def fail(self, exc: BaseException, title: str = "Error") -> None:
        report_error(self.parent_widget, exc, title)

    # -- files -------------------------------------------------------------------------------
    def open_path(self, path: str | Path, *, recover_from: Path | None = None) -> bool:
        """Open a video or a project; False (after a dialog) if it cannot be opened."""
        self.stop_playback()
        if self.runner.busy:
            # Wait for the job: it iterates this document's tracking session and writes its
            # mask store, both closed by the open below.
            self.status.emit("stopping the running job…")
            if not self.runner.cancel_and_wait():
                from app.errors import RotokitError

                why = f"cannot open {Path(path).name}: the running job did not stop; try again"
                self.fail(RotokitError(why), "Open")
                return False
        try:
            with self.loader.paused():  # the loader reads the mask store and video being closed
                if is_project(path):
                    self.document.open_project(path, recover_from=recover_from)
                elif recover_from is not None:
                    self.document.recover_video(path, recover_from)
                else:
                    self.document.open_video(path)
                self._generation += 1
                project, src = self.document.project, self.document.source
                assert project is not None and src is not None, "opened without raising"
                self.loader.attach(project.video_path, self.document.store, self._generation)
        except Exception as exc:  # noqa: BLE001
            self.fail(exc, "Open")
            return False
        self.stack.clear()  # its commands hold the old project
        self.presenter.invalidate_effects()
        release_freed_memory()  # the old project's caches, session and store are gone now
        self._had_effects = self.document.has_effects
        self.preview_changed.emit(self.document.preview)
        self.recent.add(path)
        self.current, self.active = 0, BACKGROUND
        n = len(src)
        stored = FrameRange.coerce(project.frame_range)
        self.in_out = stored.resolve(n) if stored is not None else (0, n)
        self.clip_opened.emit(n, src.time)
        self.refresh_lanes()
        self.show_frame(0)
        self.status.emit(
            f"opened {Path(path).name}: {n} frames, {src.info.width}×{src.info.height}"
        )
        self._preload_model()
        return True

    def _preload_model(self) -> None:
        try:
            self.tracking.preload()
        except Exception:  # noqa: BLE001 - the first click loads it (and reports) anyway
            log.exception("background model load")

    def save(self, path: str | Path | None = None) -> bool:
        project = self.document.project
        try:
            moving = False  # Save As to another place (the masks move), not Save
            if path is not None and project is not None:
                moving = project.path is None or Path(path).absolute() != project.path
            if moving and not self.runner.wait_quick():
                from app.errors import ProjectError

                raise ProjectError(
                    "stop tracking/export first: Save As moves the masks, which the running job "
                    "is writing"
                )
            with self.loader.paused():  # Save As reopens the mask store elsewhere
                written = self.document.save(path)
                self.loader.set_store(self.document.store)
        except Exception as exc:  # noqa: BLE001
            self.fail(exc, "Save")
            return False
        self.document.discard_autosave()
        self.stack.setClean()
        self.recent.add(written)
        self.status.emit(f"saved {written}")
        return True

    @Slot()
    def autosave(self) -> None:
        try:
            written = self.document.autosave()
        except Exception as exc:  # noqa: BLE001 - a failing autosave must be seen, once
            self.autosave_timer.stop()
            self.fail(exc, "Autosave")
            return
        if written is not None:
            self.status.emit(f"autosaved to {written}")

    def shutdown(self) -> None:
        self.stop_playback()
        self.runner.shutdown()
        self.loader.shutdown()
        self.tracking.drop_session()
        if self.document.project is not None and not self.document.project.dirty:
            self.document.discard_autosave()
        self.document.close()

    # -- navigation --------------------------------------------------------------------------
    def show_frame(self, frame_idx: int) -> None:
        """Move the playhead; the image is drawn on the loader thread and arrives in `_on_frame`."""
        n = self.document.frame_count
        if not n:
            return
        self.current = int(min(max(frame_idx, 0), n - 1))
        self._seq += 1
        try:
            req = self.presenter.request(self.current, self.active, self._seq, self._generation)
        except Exception as exc:  # noqa: BLE001 - the effects could not be built: masks view
            self._delivered = self._seq
            self.set_preview(False, refresh=False)
            self.fail(exc, "Effects preview")
            return self.show_frame(self.current)
        self.loader.request(req)
        self.position_changed.emit(self.current, self._time(self.current))

    @property
    def frame_pending(self) -> bool:
        """True until the image of the latest playhead position is on screen."""
        return self._delivered < self._seq

    @Slot(object)
    def _on_frame(self, result: FrameResult) -> None:
        if result.generation != self._generation or not self.document.is_open:
            return  # a frame of a document that is no longer open
        self._delivered = max(self._delivered, result.seq)
        if result.error is not None:
            if result.preview and self.document.preview:
                self.set_preview(False, refresh=False)
                self.fail(result.error, "Effects preview")
                self.refresh()
                return
            self.stop_playback()
            self.fail(result.error, "Show frame")
            return
        glyphs = self.presenter.glyphs(result.frame_idx, self.active)
        self.frame_ready.emit(result.image, glyphs, result.frame_idx, self._time(result.frame_idx))

    def _time(self, frame_idx: int) -> float:
        """Seconds of ``frame_idx`` in the open clip (its real timestamp: VFR clips too)."""
        src = self.document.source
        return src.time(frame_idx) if src is not None else 0.0

    def refresh(self) -> None:
        self.show_frame(self.current)

    def step(self, delta: int) -> None:
        self.show_frame(self.current + delta)

    def jump(self, where: str) -> None:
        self.show_frame(0 if where == "home" else self.document.frame_count - 1)

    def set_preview(self, on: bool, *, refresh: bool = True) -> None:
        """The user's preview choice, remembered in this project."""
        self.document.set_preview(on)
        self.preview_changed.emit(self.document.preview)
        if refresh:
            self.refresh()

    def _follow_effects(self) -> None:
        """The first effect turns the preview on (adding one should show it); removing the last
        one goes back to the default (masks view)."""
        has = self.document.has_effects
        if has != self._had_effects:
            self._had_effects = has
            self.document.set_preview(True if has else None)
            self.preview_changed.emit(self.document.preview)

    def set_active(self, obj_id: int) -> None:
        if obj_id != self.active:
            self.active = obj_id
            for lane in self._lanes:
                lane.active = lane.obj_id == obj_id
            self.lanes_ready.emit(self._lanes)
            self.active_changed.emit(obj_id)
            self.refresh()

    def set_in(self) -> None:
        if self.in_out:
            self.set_range(min(self.current, self.in_out[1] - 1), self.in_out[1])

    def set_out(self) -> None:
        if self.in_out:
            self.set_range(self.in_out[0], max(self.current + 1, self.in_out[0] + 1))

    def set_range(self, lo: int, hi: int) -> None:
        """In/out range [lo, hi) for tracking and dataset export; saved in the project."""
        project, n = self.document.project, self.document.frame_count
        if project is None:
            return
        lo, hi = max(0, min(lo, n - 1)), max(1, min(hi, n))
        self.in_out = (lo, max(hi, lo + 1))
        project.frame_range = None if self.in_out == (0, n) else FrameRange(*self.in_out)
        project.set_dirty(True)
        self.range_changed.emit(*self.in_out)

    # -- playback (clip timing, effects preview if on) ---------------------------------------
    @property
    def playing(self) -> bool:
        return self.playback.playing

    def toggle_play(self) -> None:
        self.playback.toggle()

    def stop_playback(self) -> None:
        self.playback.stop()

    # -- prompts → instant masks (P4) -------------------------------------------------------
    def click(self, x: float, y: float, label: int) -> None:
        self._prompt(
            lambda oid: ops.add_point(
                document=self.document,
                stack=self.stack,
                obj_id=oid,
                frame_idx=self.current,
                x=x,
                y=y,
                label=label,
            )
        )

    def box(self, x0: float, y0: float, x1: float, y1: float) -> None:
        self._prompt(
            lambda oid: ops.add_box(
                document=self.document,
                stack=self.stack,
                obj_id=oid,
                frame_idx=self.current,
                box=(x0, y0, x1, y1),
            )
        )

    def _prompt(self, add) -> None:
        if not self.document.is_open:
            return
        try:
            if self.active == BACKGROUND:  # clicking with nothing selected starts a new object
                self.stack.beginMacro("new object")
                try:
                    oid = ops.add_object(document=self.document, stack=self.stack)
                    add(oid)
                finally:
                    self.stack.endMacro()
                self.set_active(oid)
            else:
                add(self.active)
        except Exception as exc:  # noqa: BLE001
            self.fail(exc, "Prompt")
            return
        self.clicks.note_click()

    # -- project signals: what each change makes stale -----------------------------------------
    @Slot(int)
    def _on_object_added_or_removed(self, _obj_id: int) -> None:
        self._resync()  # the tracker's objects follow the project's
        self._redraw(effects=True, lanes=True)

    @Slot(int)
    def _on_prompts_changed(self, _obj_id: int) -> None:
        self._resync()
        self._redraw(effects=False, lanes=True)

    @Slot(int, str)
    def _on_object_changed(self, _obj_id: int, _field: str) -> None:
        self._redraw(effects=True, lanes=True)  # a hidden object drops its effects

    @Slot(int)
    def _on_objects_reordered(self, _obj_id: int) -> None:
        self._redraw(effects=True, lanes=True)

    @Slot(object)
    def _on_effects_changed(self, _obj_id: int | None) -> None:
        self._redraw(effects=True, lanes=False)

    @Slot(str)
    def _on_project_field_changed(self, _field: str) -> None:
        self._redraw(effects=False, lanes=False)

    def _redraw(self, *, effects: bool, lanes: bool) -> None:
        if effects:
            self.presenter.invalidate_effects()
            self._follow_effects()
        if lanes:
            self.refresh_lanes()
        self.refresh()

    def _resync(self) -> None:
        try:
            self.tracking.sync_and_predict()
        except Exception as exc:  # noqa: BLE001
            self.fail(exc, "Tracking")

    # -- propagation -------------------------------------------------------------------------
    def propagate(self, direction: Direction) -> JobHandle | None:
        if not self.document.is_open:
            return None
        try:
            return self.tracking.propagate(
                self.current, direction, self.in_out or (0, self.document.frame_count)
            )
        except Exception as exc:  # noqa: BLE001
            self.fail(exc, "Track")
            return None

    def stop(self) -> None:
        self.runner.cancel_current()

    def job_failed(self, exc: BaseException, title: str = "Tracking") -> None:
        """A background job failed: missing weights ask for a model, anything else a dialog."""
        from model.errors import WeightsUnavailableError

        if isinstance(exc, WeightsUnavailableError):
            self.status.emit(str(exc))
            self.model_missing.emit(str(exc))
            return
        self.fail(exc, title)

    def retry_tracking(self) -> None:
        """After the model changed: load it and feed the prompts that are waiting for it."""
        self._preload_model()
        self._resync()

    def _on_masks_changed(self, frame_idx: int, obj_ids: list[int]) -> None:
        if not update_lanes(self._lanes, self.document, frame_idx, list(obj_ids)):
            self._lanes = lanes(self.document, self.active)
        self.lanes_ready.emit(self._lanes)
        if frame_idx == self.current or self.presenter.preview_effects and frame_idx < 0:
            self.refresh()

    def refresh_lanes(self) -> None:
        self._lanes = lanes(self.document, self.active)
        self.lanes_ready.emit(self._lanes)
