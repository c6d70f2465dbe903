"""Click-to-mask and propagation: keeps one TrackingSession in step with the project's prompts.

The project's prompts are the truth; the session is a cache of them. Before every job the GUI
thread takes a snapshot of the prompts (plain tuples); the worker diffs it against what it fed
last and only re-feeds the frames that changed (a removed prompt resets that object). All
session work runs as *mutating* jobs on the `JobRunner`, so at most one touches the model at a
time; clicks that arrive meanwhile are coalesced into one follow-up job.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from PySide6.QtCore import QObject, Signal, Slot

from app.frame_range import FrameRange
from app.gui.document import EditorDocument
from app.gui.jobs import JobBuilder, JobHandle
from app.gui.memory import SESSION_CACHE_BYTES
from app.gui.workers import JobRunner
from app.project import MaskStore, Project, prompts_hash
from app.tracking_plan import passes_for

if TYPE_CHECKING:
    from app.media import FrameSource
    from model.tracking import Tracker, TrackingSession

__all__ = ["TrackingController", "MaskUpdate", "Direction"]

log = logging.getLogger(__name__)

Direction = Literal["forward", "backward", "both"]
Point = tuple[float, float]
Box = tuple[float, ...]
FramePrompts = tuple[tuple[Point, ...], tuple[int, ...], Box | None]  # points, labels, box
Snapshot = dict[int, dict[int, FramePrompts]]  # obj_id -> frame_idx -> its prompts there
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class MaskUpdate:
    """Masks written to the store for one frame (what the views must redraw)."""

    frame_idx: int
    obj_ids: tuple[int, ...]


def snapshot_prompts(project: Project) -> Snapshot:
    """Prompts per object and frame, merged (clicks in order, last box wins), as plain tuples."""
    out: Snapshot = {}
    for obj in project.objects:
        points: dict[int, list[Point]] = {}
        labels: dict[int, list[int]] = {}
        boxes: dict[int, Box | None] = {}
        for p in obj.prompts:
            pts, labs = points.setdefault(p.frame, []), labels.setdefault(p.frame, [])
            boxes.setdefault(p.frame, None)
            if p.box is not None:
                boxes[p.frame] = tuple(float(v) for v in p.box)
            for (x, y), lab in zip(p.points or [], p.labels or [], strict=True):
                pts.append((float(x), float(y)))
                labs.append(int(lab))
        if points:
            out[obj.id] = {f: (tuple(points[f]), tuple(labels[f]), boxes[f]) for f in points}
    return out


class TrackingController(QObject):
    """Owns the model and session; every call returns the started worker (or None if queued)."""

    model_loaded = Signal(str, str)  # model name, device
    model_missing = Signal(str)  # the WeightsUnavailableError message of a background load
    failed = Signal(object)  # a predict/propagate job failed: the BaseException
    progress = Signal(int, int)  # propagation: frames done, frames in the run
    propagated = Signal()  # a propagation ran to its end
    stopped = Signal()  # a propagation was stopped (the masks computed so far are kept)

    def __init__(
        self, document: EditorDocument, runner: JobRunner, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.runner = runner
        self.model_name = "auto"
        self.device = "auto"
        self.weights: str | None = None  # a local HF-format folder instead of a registry name
        self._tracker: Tracker | None = None
        self._tracker_key: tuple[str, str, str | None] | None = None
        self._load_lock = threading.Lock()  # one model load at a time (preload vs first click)
        self._session: TrackingSession | None = None
        self._session_source: FrameSource | None = None
        self._fed: Snapshot = {}
        self._pending_sync = False
        # Objects whose masks come from elsewhere (Find faces): never fed to SAM 2 this session.
        self.external_ids: set[int] = set()
        self._lock = threading.Lock()  # guards tracker/session swaps against a running job
        document.opened.connect(self.drop_session)
        document.opened.connect(self.external_ids.clear)
        document.closed.connect(self.drop_session)

    # -- configuration -----------------------------------------------------------------------
    def set_model(self, name: str, device: str = "auto", weights: str | None = None) -> None:
        """Use another model/device (or weights folder) from the next job on (the session
        restarts from its prompts)."""
        if (name, device, weights) != (self.model_name, self.device, self.weights):
            self.model_name, self.device, self.weights = name, device, weights or None
            self.drop_session()

    def preload(self) -> JobHandle | None:
        """Load the model in the background (right after a clip opens) so the first click does
        not wait for it; a missing model is reported through ``model_missing``, not a dialog."""
        if self._tracker is not None and self._tracker_key == self._key():
            return None
        return (
            JobBuilder(
                self.runner,
                lambda cancel, progress: iter([self._load_tracker()]),
                name="load model",
                mutating=False,
            )
            .on_success(self._after_job)
            .on_failure(self._after_preload_failed)
            .launch()
        )

    def _after_preload_failed(self, exc: BaseException) -> None:
        from model.errors import WeightsUnavailableError

        if isinstance(exc, WeightsUnavailableError):
            self.model_missing.emit(str(exc))
        else:
            log.warning("background model load failed: %s", exc)

    @property
    def loaded_model(self) -> tuple[str, str] | None:
        t = self._tracker
        return (
            (t.name, str(t.device)) if t is not None and self._tracker_key == self._key() else None
        )

    @property
    def loaded_engine(self) -> str | None:
        """What runs the loaded model's network (``torch eager``, ``OpenVINO … + torch``)."""
        t = self._tracker
        return t.engine if t is not None and self._tracker_key == self._key() else None

    @Slot()
    def drop_session(self) -> None:
        """Close the session and its frame source (another file, model or the window closes)."""
        with self._lock:
            if self._session is not None:
                try:
                    self._close_session()
                except Exception:  # noqa: BLE001
                    log.exception("closing tracking session")
            self._session = self._session_source = None
            self._fed = {}

    # -- jobs --------------------------------------------------------------------------------
    def sync_and_predict(self) -> JobHandle | None:
        """Feed changed prompts and segment each changed frame at once (click feedback, P4)."""
        if self.runner.busy:
            self._pending_sync = True
            return None
        self._pending_sync = False
        snap = self._snapshot()
        if snap == self._fed:
            return None  # nothing changed for the model (e.g. a new object without clicks yet)
        job = JobBuilder(
            self.runner, lambda cancel, progress: self._predict_job(snap, cancel), name="predict"
        )
        return self._with_outcomes(job).launch()

    def propagate(
        self, start: int, direction: Direction, frame_range: tuple[int, int]
    ) -> JobHandle:
        """Track every prompted object from ``start`` over ``frame_range`` [lo, hi)."""
        project = self.document.project
        assert project is not None
        snap = self._snapshot()
        if not snap:
            from model.errors import PromptError

            raise PromptError("nothing to track: click on an object first (left click adds it)")
        lo, hi = frame_range
        start = min(max(start, lo), hi - 1)
        # Masks match the prompts (render need not re-track) once the project's whole range is done.
        whole = (FrameRange.coerce(project.frame_range) or FrameRange()).resolve(
            self.document.frame_count
        )
        full = (lo, hi) == tuple(whole) and (
            direction == "both"
            or (direction == "forward" and start == lo)
            or (direction == "backward" and start == hi - 1)
        )
        hashes = {o.id: prompts_hash(o) for o in project.objects if o.id in snap} if full else {}

        def job(cancel: threading.Event, progress: Progress) -> Iterator[MaskUpdate]:
            return self._propagate_job(snap, start, direction, (lo, hi), hashes, cancel, progress)

        return (
            self._with_outcomes(JobBuilder(self.runner, job, name="propagate"))
            .on_progress(self.progress.emit)
            .on_success(self.propagated.emit)
            .on_cancel(self.stopped.emit)
            .launch()
        )

    def _snapshot(self) -> Snapshot:
        project = self.document.project
        assert project is not None, "tracking runs on an open document"
        snap = snapshot_prompts(project)
        faces = {o.id for o in project.objects if "face_track" in o.extra}
        return {k: v for k, v in snap.items() if k not in self.external_ids and k not in faces}

    def _with_outcomes(self, job: JobBuilder[MaskUpdate]) -> JobBuilder[MaskUpdate]:
        """The callbacks every session job shares: redraw its frames, then follow-up work."""
        return (
            job.on_item(self._on_item)
            .on_success(self._after_job)
            .on_cancel(self._after_job)
            .on_failure(self._after_failed)
        )

    def _on_item(self, item: MaskUpdate) -> None:
        self.document.notify_masks(item.frame_idx, list(item.obj_ids))

    def _after_job(self) -> None:
        t = self._tracker
        if t is not None:
            self.model_loaded.emit(t.name, str(t.device))
        if self._pending_sync and self.document.is_open:
            self.sync_and_predict()

    def _after_failed(self, exc: BaseException) -> None:
        self._pending_sync = False
        self.failed.emit(exc)

    # -- worker side (never touches widgets) -------------------------------------------------
    def _key(self) -> tuple[str, str, str | None]:
        return (self.model_name, self.device, self.weights)

    def _load_tracker(self) -> Tracker:
        """The model for the current choice, loaded once (offline: missing weights raise)."""
        from model.tracking import Tracker

        with self._load_lock:
            key = self._key()
            if self._tracker is None or self._tracker_key != key:
                self._tracker = None  # release the old model before loading the next
                name, device, weights = key
                self._tracker = Tracker.load(
                    name, weights=weights, device=device, offline=True, progress=False
                )
                self._tracker_key = key
            return self._tracker

    def _close_session(self) -> None:
        if self._session is not None:
            self._session.close()
        if self._session_source is not None:
            self._session_source.close()

    def _ensure_session(self) -> TrackingSession:
        from app.media import FrameSource
        from model.tracking import TrackingSession

        tracker = self._load_tracker()
        with self._lock:
            if self._session is None or self._session.tracker is not tracker:
                self._close_session()
                project = self.document.project
                assert project is not None, "tracking runs on an open document"
                self._session_source = FrameSource(
                    project.video_path, cache_bytes=SESSION_CACHE_BYTES
                )
                self._session = TrackingSession(tracker, self._session_source)
                self._fed = {}
            return self._session

    def _store(self) -> MaskStore:
        store = self.document.store
        assert store is not None, "tracking runs on an open document"
        return store

    def _sync(self, snap: Snapshot) -> tuple[TrackingSession, dict[int, set[int]]]:
        """Bring the session in line with ``snap``; returns it and {frame: objects whose prompt
        changed there}."""
        session = self._ensure_session()
        changed: dict[int, set[int]] = {}
        for oid in set(self._fed) | set(snap):
            want, have = snap.get(oid, {}), self._fed.get(oid, {})
            if want == have:
                continue
            for f in set(want) | set(have):
                if want.get(f) != have.get(f):
                    changed.setdefault(f, set()).add(oid)
            if oid in session.object_ids and (set(have) - set(want)):
                session.remove_object(oid)  # a prompt went away: rebuild this object from scratch
                have = {}
            for frame, (pts, labs, box) in want.items():
                if have.get(frame) == (pts, labs, box):
                    continue
                if box is not None:
                    session.add_box(frame, oid, box)
                if pts:
                    session.add_points(
                        frame, oid, [list(p) for p in pts], list(labs), replace=box is None
                    )
            self._fed[oid] = want
        return session, changed

    def _predict_job(self, snap: Snapshot, cancel: threading.Event) -> Iterator[MaskUpdate]:
        session, changed = self._sync(snap)
        store = self._store()
        for frame in sorted(changed):
            if cancel.is_set():
                return
            prompted_here = {oid for oid, frames in snap.items() if frame in frames}
            masks = session.predict(frame) if prompted_here else {}
            store.put_many(
                frame, {oid: (m.mask, m.score) for oid, m in masks.items() if oid in prompted_here}
            )
            # An undone last click on this frame: its mask there goes too (the view redraws it).
            gone = changed[frame] - prompted_here
            for oid in gone:
                store.delete_range(oid, frame, frame + 1)
            yield MaskUpdate(frame, tuple(sorted(prompted_here | gone)))

    def _propagate_job(
        self,
        snap: Snapshot,
        start: int,
        direction: Direction,
        frame_range: tuple[int, int],
        hashes: dict[int, str],
        cancel: threading.Event,
        progress: Progress,
    ) -> Iterator[MaskUpdate]:
        session, _changed = self._sync(snap)
        store = self._store()
        lo, hi = frame_range
        # The core planner's passes over a clip [0, n) from an anchor; the in/out range is that
        # clip shifted by ``lo`` and the playhead is the anchor (its prompts are all fed).
        specs = passes_for(direction, [start - lo], hi - lo, session.memory_window)
        total = sum(len(spec.frames) for spec in specs)
        done = 0
        ids = set(snap)
        for spec in specs:
            first, last = spec.frames[0] + lo, spec.frames[-1] + lo
            way: Direction = "backward" if spec.reverse else "forward"
            for frame_idx, masks in session.propagate(first, last, direction=way):
                store.put_many(
                    frame_idx, {oid: (m.mask, m.score) for oid, m in masks.items() if oid in ids}
                )
                done += 1
                progress(done, total)
                yield MaskUpdate(frame_idx, tuple(sorted(masks)))
                if cancel.is_set():
                    return
        model = self._tracker.name if self._tracker is not None else None
        for oid, h in hashes.items():  # the whole range was computed from these prompts
            store.add_coverage(oid, (lo, hi), h, model=model)
