"""The open document: project + mask store + the GUI thread's frame source, as Qt signals.

This is the one bridge between the Qt-free project (``project.events``, typed psygnal signals)
and widgets (Qt signals): each project signal has a Qt twin of the same name and arguments here,
so a widget connects once to the document and keeps working when another project is opened, and
Qt disconnects it when the widget is deleted. It owns where the mask store lives: beside the
project file once saved, or beside the autosave file for a video that was never saved (so crash
recovery keeps the masks too).
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
from psygnal import EmissionInfo
from PySide6.QtCore import QObject, Signal, SignalInstance

from app.errors import ProjectError
from app.media import FrameSource
from app.project import (
    MaskStore,
    Project,
    autosave_path,
    fingerprint_video,
    load_project,
    masks_path_for,
    save_project,
)

__all__ = ["EditorDocument", "PROJECT_SUFFIX", "LOW_SCORE"]

log = logging.getLogger(__name__)

PROJECT_SUFFIX = ".rotokit"
LOW_SCORE = 0.5  # presence score below which a frame's mask is flagged as drifting
# timing, size and the odd read; the viewer decodes in frame_loader
FRAME_CACHE_BYTES = 32 * 1024 * 1024


def _store_files(path: Path) -> list[Path]:
    return [path, Path(f"{path}-wal"), Path(f"{path}-shm")]


def remove_autosave(auto: Path, *, in_use: Path | None = None) -> None:
    """Delete an autosave file and the mask store beside it (unless that store is open)."""
    auto.unlink(missing_ok=True)
    store = masks_path_for(auto)
    if in_use is None or Path(in_use).absolute() != store.absolute():
        for f in _store_files(store):
            f.unlink(missing_ok=True)


class EditorDocument(QObject):
    """What the window is editing. Signals are emitted on the GUI thread only."""

    opened = Signal()
    closed = Signal()
    masks_changed = Signal(int, object)  # frame_idx, list of obj_ids (-1 frame = many frames)
    # The twins of app.project.events.ProjectEvents (same names, same arguments):
    object_added = Signal(int)  # obj_id
    object_removed = Signal(int)  # obj_id
    object_changed = Signal(int, str)  # obj_id, field ("name", "colour", "visible")
    prompts_changed = Signal(int)  # obj_id
    effects_changed = Signal(object)  # obj_id, or None for the background
    objects_reordered = Signal(int)  # obj_id
    project_changed = Signal(str)  # project field ("path")
    dirty_changed = Signal(bool)  # also emitted on open, with the opened project's flag

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project: Project | None = None
        self.store: MaskStore | None = None
        self.source: FrameSource | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return self.project is not None

    @property
    def frame_count(self) -> int:
        return len(self.source) if self.source is not None else 0

    @property
    def title(self) -> str:
        if self.project is None:
            return "rotokit"
        name = self.project.path.name if self.project.path else Path(self.project.video).name
        return f"{name}{' *' if self.project.dirty else ''} — rotokit"

    def open_video(self, path: str | Path) -> None:
        """A fresh project on ``path`` (not saved yet)."""
        # MediaError before anything changes
        source = FrameSource(path, cache_bytes=FRAME_CACHE_BYTES)
        project = Project.new(path)
        self._install(project, source, self._store_path_for(project), fresh_store=True)

    def open_project(self, path: str | Path, *, recover_from: Path | None = None) -> None:
        """Load a project file (or its autosave when ``recover_from`` is given)."""
        project = load_project(recover_from or path)
        if recover_from is not None:
            project.set_path(Path(path).absolute())
            project.set_dirty(True)
        source = FrameSource(project.video_path, cache_bytes=FRAME_CACHE_BYTES)
        self._install(project, source, self._store_path_for(project), fresh_store=False)

    def recover_video(self, video: str | Path, autosave: Path) -> None:
        """Restore a never-saved session on ``video`` from its autosave file."""
        project = load_project(autosave)
        restored = Project.new(video)
        for name in (
            "objects",
            "background_effects",
            "frame_range",
            "model",
            "extra",
            "background_extra",
        ):
            setattr(restored, name, getattr(project, name))
        restored.reserve_id(max((o.id for o in restored.objects), default=0))
        restored.dirty = True
        source = FrameSource(video, cache_bytes=FRAME_CACHE_BYTES)
        self._install(restored, source, self._store_path_for(restored), fresh_store=False)

    def _store_path_for(self, project: Project) -> Path:
        if project.path is not None:
            return masks_path_for(project.path)
        return masks_path_for(autosave_path(project))

    def _install(
        self, project: Project, source: FrameSource, store_path: Path, *, fresh_store: bool
    ) -> None:
        if fresh_store:
            for f in _store_files(store_path):
                f.unlink(missing_ok=True)  # masks of an earlier unsaved session on this video
        store_path.parent.mkdir(parents=True, exist_ok=True)
        current = fingerprint_video(project.video_path)
        store = MaskStore(store_path)
        try:  # masks of another video must never be shown, tracked on or rendered
            store.bind_video(current, project.video_path)
        except BaseException:
            store.close()
            raise
        self.close()
        self.project, self.source, self.store = project, source, store
        project.events.all.connect(self._relay)
        self.opened.emit()
        self.dirty_changed.emit(project.dirty)

    def close(self) -> None:
        """Close the files; a project without unsaved changes leaves no autosave behind."""
        if self.project is None:
            return
        stale = autosave_path(self.project) if not self.project.dirty else None
        self.project.events.all.disconnect(self._relay)
        for res in (self.store, self.source):
            if res is None:
                continue
            try:
                res.close()
            except Exception:  # noqa: BLE001 - closing must not stop the next open
                log.exception("closing %r", res)
        self.project = self.store = self.source = None
        if stale is not None:
            remove_autosave(stale)
        self.closed.emit()

    # -- view state that belongs to this project ------------------------------------------
    @property
    def has_effects(self) -> bool:
        p = self.project
        return p is not None and (bool(p.background_effects) or any(o.effects for o in p.objects))

    @property
    def preview(self) -> bool:
        """Effects preview on? The user's choice for this project, else on once it has an effect.

        Kept in the project (``"editor": {"preview": ...}``, saved with it but not a change that
        needs saving), so opening another file can never show this one's preview state.
        """
        p = self.project
        if p is None:
            return False
        choice = p.extra.get("editor", {}).get("preview")
        return bool(choice) if choice is not None else self.has_effects

    def set_preview(self, on: bool | None) -> None:
        """Record the user's choice (None = back to the default: on when there are effects)."""
        if self.project is None:
            return
        editor = self.project.extra.setdefault("editor", {})
        if on is None:
            editor.pop("preview", None)
        else:
            editor["preview"] = bool(on)
        if not editor:
            self.project.extra.pop("editor", None)

    # -- saving ------------------------------------------------------------------------------
    def save(self, path: str | Path | None = None) -> Path:
        """Save (atomic); a new ``path`` is "save as" and moves the mask store beside it."""
        project = self._require()
        if path is None and project.path is None:
            raise ProjectError("the project has not been saved yet: choose a file name (Save As)")
        old_auto = autosave_path(project)
        if path is not None:
            target = Path(path).expanduser().absolute()
            if target.suffix != PROJECT_SUFFIX:
                target = target.with_name(target.name + PROJECT_SUFFIX)
            new_store = masks_path_for(target)
            old_store = Path(self.store.path) if self.store is not None else None
            if old_store is not None and old_store.absolute() != new_store.absolute():
                self._move_store(old_store, new_store)
            project.set_path(target)
        assert self.store is not None
        self.store.prune([o.id for o in project.objects])
        written = save_project(project)
        # saved: the autosave (under the old name too, after Save As) would only offer a false
        # recovery
        remove_autosave(old_auto, in_use=Path(self.store.path))
        self.discard_autosave()
        return written

    def _move_store(self, old: Path, new: Path) -> None:
        """Copy the masks to their new home (SQLite checkpoints the WAL on close)."""
        assert self.store is not None
        self.store.close()
        for f in _store_files(new):
            f.unlink(missing_ok=True)
        if old.exists():
            shutil.copy2(old, new)
        self.store = MaskStore(new)

    def autosave(self) -> Path | None:
        """Write the autosave copy (not the project file); None when nothing changed."""
        project = self.project
        if project is None or not project.dirty:
            return None
        return save_project(project, autosave_path(project))

    def discard_autosave(self) -> None:
        if self.project is not None:
            remove_autosave(
                autosave_path(self.project), in_use=Path(self.store.path) if self.store else None
            )

    # -- reads for views ---------------------------------------------------------------------
    def frame(self, frame_idx: int) -> np.ndarray:
        return self._require_source().frame(frame_idx)

    def frame_masks(self, frame_idx: int) -> dict[int, np.ndarray]:
        if self.store is None or self.project is None:
            return {}
        ids = {o.id for o in self.project.objects}
        return {k: v for k, v in self.store.frame_masks(frame_idx).items() if k in ids}

    def notify_masks(self, frame_idx: int, obj_ids: list[int]) -> None:
        self.masks_changed.emit(frame_idx, obj_ids)

    def _require(self) -> Project:
        if self.project is None:
            raise ProjectError("no project is open: open a video or a .rotokit project first")
        return self.project

    def _require_source(self) -> FrameSource:
        if self.source is None:
            raise ProjectError("no video is open")
        return self.source

    def _relay(self, info: EmissionInfo) -> None:
        """Re-emit a project signal as its Qt twin (same name, same arguments)."""
        twin: SignalInstance = getattr(self, info.signal.name)
        twin.emit(*info.args)
