"""Track a project: compute the masks a command needs, store them as they come, resume after a kill.

Shared by `rotokit track`, the render and export pipelines (which track only the frames of their
range that are missing or stale) and the demo. The GUI drives its own long-lived
`TrackingSession` for click feedback.

Every stored frame is written with its coverage (which prompts it came from) and the tracker's
memory of it in one transaction (`MaskStore.put_many`), so a run killed at any point leaves a
store that says exactly what it holds, and the next run continues from the last stored frame of
each object with the memory an uninterrupted run had (`app.tracking_plan`): same masks, fewer
frames computed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.command_guard import signals_deferred
from app.errors import Cancelled, ExportError, ProjectError
from app.faults import maybe_fault
from app.frame_range import RangeLike, frame_bounds
from app.media import FrameSource
from app.project import (
    MaskStore,
    Project,
    TrackedObject,
    check_video,
    load_prompt_mask,
    masks_path_for,
    prompts_hash,
    save_project,
)
from app.project.spans import describe, from_frames
from app.project.store_records import MemoryRow
from app.tracking_plan import ObjectSteps, PassSpec, pass_key, passes_for, plan_object

if TYPE_CHECKING:
    from model.tracking import TrackingSession

__all__ = [
    "TrackResult",
    "track_project",
    "track_stale",
    "feed_prompts",
    "frame_bounds",
    "require_masks",
]

ProgressFn = Callable[[int, int], None]
LogFn = Callable[[str], None]

#: checkpoint the tracker's memory when the time since the last checkpoint reaches this many
#: times what that checkpoint took: its cost stays ≈ 1/20 of tracking, whatever the model and
#: device (a SAM 2 row is 1.6 MB, an EdgeTAM row 0.26 MB; bench/resume_state.py)
CHECKPOINT_FACTOR = 20


@dataclass
class TrackResult:
    model: str
    frames: int  # frames computed by this run (each tracked frame once, whatever the objects)
    objects: list[int] = field(default_factory=list)
    seconds: float = 0.0
    resumed: int = 0  # objects continued from memory stored by an earlier, interrupted run
    idle: str = "masks are up to date: nothing to track"  # why nothing was tracked

    def summary(self) -> str:
        if not self.objects:
            return self.idle
        fps = self.frames / self.seconds if self.seconds > 0 else 0.0
        resumed = f", {self.resumed} resumed from an interrupted run" if self.resumed else ""
        return (
            f"tracked {len(self.objects)} object(s){resumed}: computed {self.frames} frames "
            f"with {self.model} in {self.seconds:.1f} s ({fps:.2f} frames/s)"
        )


def feed_prompts(
    session: TrackingSession, project: Project, objects: Iterable[TrackedObject]
) -> list[int]:
    """Add every prompt of every object to a TrackingSession; returns the ids that had prompts."""
    prompted = []
    for obj in objects:
        if not obj.prompts:
            continue
        prompted.append(obj.id)
        for prompt in obj.prompts:
            if prompt.mask_ref is not None:
                session.add_mask(prompt.frame, obj.id, load_prompt_mask(project, prompt))
            if prompt.points and prompt.labels is not None:  # Prompt requires labels with points
                session.add_points(prompt.frame, obj.id, prompt.points, prompt.labels)
            if prompt.box is not None:
                session.add_box(prompt.frame, obj.id, prompt.box)
    return prompted


def _needed(
    store: MaskStore, objects: list[TrackedObject], start: int, end: int
) -> dict[int, set[int]]:
    out = {}
    for obj in objects:
        gaps = store.missing(obj.id, prompts_hash(obj), start, end)
        if gaps:
            out[obj.id] = {f for a, b in gaps for f in range(a, b)}
    return out


def track_project(
    project: Project,
    *,
    model: str | None = "auto",
    weights: str | None = None,
    device: str = "auto",
    direction: str = "both",
    frame_range: RangeLike | None = None,
    offline: bool = False,
    only: Iterable[int] | None = None,
    retrack: bool = False,
    on_progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    log: LogFn | None = None,
) -> TrackResult:
    """Compute the masks of `only` (default: every prompted object) missing or stale in the range.

    The range defaults to the project's range, else the whole clip; frames outside it are
    computed too when the range's frames depend on them (see `app.tracking_plan`). `retrack`
    forgets every stored mask first (and accepts a replaced video). Frames already stored from
    the current prompts are not computed again; an interrupted run is resumed.
    """
    if project.path is None:
        raise ProjectError("the project must be saved before tracking (masks live beside it)")
    recorded = project.fingerprint
    if retrack:
        project.fingerprint = None  # a replaced video is accepted (prompts are still checked)
    current = check_video(project)
    if retrack and recorded is not None and recorded != current:
        save_project(project)  # the project now belongs to the new video
    wanted = set(only) if only is not None else None
    prompted_objects = [o for o in project.objects if o.prompts]
    objects = [o for o in prompted_objects if wanted is None or o.id in wanted]
    name = model or project.model or "auto"
    started = time.perf_counter()
    with MaskStore(masks_path_for(project.path)) as store:
        if retrack:
            store.reset(current)
        else:
            store.bind_video(current, project.video_path)
        start, end = frame_bounds(project, current.frame_count, frame_range, project.frame_range)
        needed = _needed(store, objects, start, end)
        if not needed:
            if not objects:
                return TrackResult(name, 0, idle="nothing to track: no object has prompts")
            return TrackResult(name, 0)
        from model.tracking import Tracker, TrackingSession

        # the model first: a missing or broken model is the whole (one-line) answer
        tracker = Tracker.load(name, weights=weights, device=device, offline=offline)
        if log:
            log(
                "to compute: "
                + "; ".join(
                    f"{o.name} frames {describe(from_frames(needed[o.id]))}"
                    for o in objects
                    if o.id in needed
                )
                + f" (range {start}:{end})"
            )
            log(f"model {tracker.name} on {tracker.device}, engine: {tracker.engine}")
        with FrameSource(project.video_path) as frames:
            session = TrackingSession(tracker, frames)
            try:
                run = _Run(
                    project,
                    store,
                    session,
                    tracker.name,
                    direction,
                    prompted_objects,
                    [o for o in objects if o.id in needed],
                    needed,
                    len(frames),
                )
                run.execute(on_progress, cancel, log)
            finally:
                session.close()
    return TrackResult(
        model=tracker.name,
        frames=run.computed,
        objects=sorted(needed),
        seconds=time.perf_counter() - started,
        resumed=len(run.resumed),
    )


class _Run:
    """One tracking run: plan each object's steps per pass, then step the passes."""

    def __init__(
        self,
        project: Project,
        store: MaskStore,
        session: TrackingSession,
        model: str,
        direction: str,
        prompted_objects: list[TrackedObject],
        objects: list[TrackedObject],
        needed: dict[int, set[int]],
        n_frames: int,
    ) -> None:
        self.store, self.session, self.model = store, session, model
        self.window = session.memory_window
        anchors = [p.frame for o in prompted_objects for p in o.prompts]
        self.specs = passes_for(direction, anchors, n_frames, self.window)
        self.hashes = {o.id: prompts_hash(o) for o in objects}
        self.keys = {
            o.id: pass_key(model, self.specs[0].anchor, self.hashes[o.id]) for o in objects
        }
        self.computed = 0
        self.resumed: set[int] = set()
        self._checkpoint_at = 0.0  # perf_counter of the last memory checkpoint
        self._checkpoint_cost = 0.0  # seconds it took
        self._last: tuple[PassSpec, int, list[int]] | None = None  # last stored step
        feed_prompts(session, project, objects)
        self.steps: dict[str, dict[int, ObjectSteps]] = {s.name: {} for s in self.specs}
        for obj in objects:
            covered = {
                f
                for a, b in store.covered(obj.id, self.hashes[obj.id])
                for f in range(a, min(b, n_frames))
            }
            key = self.keys[obj.id]

            def rows(pass_name: str, oid: int = obj.id, key: str = key) -> set[int]:
                return store.memory_frames(oid, pass_name, key)

            plan = plan_object(
                obj.id,
                self.specs,
                needed[obj.id],
                covered.__contains__,
                rows,
                {p.frame for p in obj.prompts},
                self.window,
            )
            for pass_name, steps in plan.items():
                self.steps[pass_name][obj.id] = steps
                if steps.start > 0 and steps.restore.get(pass_name):
                    self.resumed.add(obj.id)

    def total(self) -> int:
        return sum(
            len({p for s in by_obj.values() for p in range(s.start, s.stop + 1)})
            for by_obj in self.steps.values()
        )

    def execute(
        self, on_progress: ProgressFn | None, cancel: threading.Event | None, log: LogFn | None
    ) -> None:
        total = self.total()
        if log:
            for name, by_obj in self.steps.items():
                for s in by_obj.values():
                    if s.start > 0 and s.restore.get(name):
                        log(
                            f"object {s.obj_id}: resuming the {name} pass at frame "
                            f"{self._spec(name).frames[s.start]}"
                        )
        try:
            for spec in self.specs:
                for _frame_idx in self._pass(spec):
                    maybe_fault(self.computed, "track")
                    if on_progress:
                        on_progress(self.computed, total)
                    if cancel is not None and cancel.is_set():
                        raise KeyboardInterrupt
        except KeyboardInterrupt:
            if (
                self._last is not None
            ):  # so the next run resumes exactly after the last stored frame
                spec, frame_idx, obj_ids = self._last
                self.store.put_many(
                    frame_idx, {}, memory=self._window_rows(spec, frame_idx, obj_ids)
                )
            raise Cancelled(
                f"tracking stopped: the masks of the {self.computed} frame(s) computed are kept "
                f"(with what earlier runs stored); the next track or render resumes from there, "
                f"no other output was written"
            ) from None

    def _window_rows(self, spec: PassSpec, frame_idx: int, obj_ids: list[int]) -> list[MemoryRow]:
        """A checkpoint: the memory of the W - 1 frames the step after `frame_idx` reads."""
        pos = spec.frames.index(frame_idx)
        frames = spec.frames[max(0, pos - self.window + 2) : pos + 1]
        bwd = next((x for x in self.specs if x.name == "bwd"), None)
        keep = [(frame_idx - self.window, frame_idx + self.window + 1)]
        if spec.name == "fwd" and bwd is not None:
            keep.append((bwd.head[0], bwd.head[-1] + 1))  # the backward pass reads these
        rows = []
        for oid in obj_ids:
            for f in frames:
                state = self.session.export_memory(oid, f)
                if state is not None:
                    rows.append(MemoryRow(oid, spec.name, f, self.keys[oid], state, tuple(keep)))
        return rows

    def _spec(self, name: str) -> PassSpec:
        return next(s for s in self.specs if s.name == name)

    def _pass(self, spec: PassSpec) -> Iterable[int]:
        by_obj = self.steps[spec.name]
        if not by_obj:
            return
        lo = min(s.start for s in by_obj.values())
        hi = max(s.stop for s in by_obj.values())
        plan = [
            (spec.frames[p], [o for o, s in by_obj.items() if s.start <= p <= s.stop])
            for p in range(lo, hi + 1)
        ]
        plan = [(f, ids) for f, ids in plan if ids]
        joining: dict[int, list[ObjectSteps]] = {spec.frames[s.start]: [] for s in by_obj.values()}
        for s in by_obj.values():
            joining[spec.frames[s.start]].append(s)
        session = self.session

        def before(frame_idx: int) -> None:
            for s in joining.get(frame_idx, []):
                for pass_name, frames in s.restore.items():
                    reverse = self._spec(pass_name).reverse
                    stored = self.store.memory_rows(
                        s.obj_id, pass_name, self.keys[s.obj_id], frames
                    )
                    for f in frames:
                        session.import_memory(s.obj_id, f, stored[f], reverse)

        bwd = next((x for x in self.specs if x.name == "bwd"), None)
        head_span = (
            (bwd.head[0], bwd.head[-1] + 1) if bwd is not None and spec.name == "fwd" else None
        )
        head_end = bwd.head[-1] if head_span is not None and bwd is not None else None
        stops = {spec.frames[s.stop] for s in by_obj.values() if s.stop < len(spec.frames) - 1}
        for frame_idx, masks in session.run_steps(
            plan,
            reverse=spec.reverse,
            keep={spec.anchor},
            before=before,
        ):
            now = time.perf_counter()
            due = (
                frame_idx == head_end
                or frame_idx in stops  # a later run starts from here
                or now - self._checkpoint_at >= CHECKPOINT_FACTOR * self._checkpoint_cost
            )
            rows = self._window_rows(spec, frame_idx, list(masks)) if due else []
            with signals_deferred():  # a Ctrl-C never falls between the write and its record
                self.store.put_many(
                    frame_idx,
                    {oid: (m.mask, m.score) for oid, m in masks.items()},
                    computed={oid: (self.hashes[oid], self.model) for oid in masks},
                    memory=rows,
                )
                self._last = (spec, frame_idx, list(masks))
                self.computed += 1
            if due:
                self._checkpoint_at = time.perf_counter()
                self._checkpoint_cost = self._checkpoint_at - now
            yield frame_idx
        # A finished pass needs no resume memory, except the head the backward pass reads.
        fwd_last = self.specs[0].frames[-1]
        for oid, s in by_obj.items():
            if s.stop == len(spec.frames) - 1:
                self.store.drop_memory(oid, spec.name, keep=head_span)
                if spec.name == "bwd" and not self.store.missing(
                    oid, self.hashes[oid], fwd_last, fwd_last + 1
                ):
                    self.store.drop_memory(oid)  # both passes done: the head is not needed either


def require_masks(project: Project, store: MaskStore, start: int, end: int) -> None:
    """Refuse (`ExportError`, naming the objects and frames) to use frames of ``[start, end)``
    whose masks were never computed from the objects' current prompts."""
    gaps = []
    for obj in project.objects:
        if obj.prompts:
            missing = store.missing(obj.id, prompts_hash(obj), start, end)
            if missing:
                gaps.append(f"{obj.name!r} on frames {describe(missing)}")
    if gaps:
        raise ExportError(
            f"{store.path}: no masks computed from the current prompts for "
            f"{'; '.join(gaps)}; run `rotokit track {project.path}`"
        )


def track_stale(
    project: Project,
    *,
    model: str | None = "auto",
    offline: bool = False,
    frame_range: RangeLike | None = None,
    on_progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    log: LogFn | None = None,
) -> TrackResult:
    """Track exactly what the frames of `frame_range` (default: the whole clip) lack.

    What `render` and `export` do before reading masks, so a user never gets output from
    masks that are missing or no longer match the prompts. Returns what was computed.
    """
    if project.path is None:
        raise ProjectError("save the project first: its masks live beside it")
    return track_project(
        project,
        model=model,
        offline=offline,
        cancel=cancel,
        frame_range=frame_range or (0, -1),
        on_progress=on_progress,
        log=log,
    )
