"""Track a project: every object's prompts → masks on every frame, written to the mask store.

Shared by `rotokit track`, the render and export pipelines (when masks are missing or stale)
and the demo. The GUI drives its own long-lived `TrackingSession` for click feedback.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from app.errors import Cancelled, ProjectError
from app.media import FrameSource
from app.project import (
    MaskStore,
    Project,
    TrackedObject,
    check_video,
    load_prompt_mask,
    masks_path_for,
    prompts_hash,
)

__all__ = ["TrackResult", "track_project", "track_stale", "feed_prompts"]

ProgressFn = Callable[[int, int], None]
LogFn = Callable[[str], None]


@dataclass
class TrackResult:
    model: str
    frames: int
    objects: list[int] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        if not self.objects:
            return "nothing to track: no object has prompts"
        fps = self.frames / self.seconds if self.seconds > 0 else 0.0
        return (f"tracked {len(self.objects)} object(s) over {self.frames} frames with "
                f"{self.model} in {self.seconds:.1f} s ({fps:.2f} frames/s)")


def feed_prompts(session: object, project: Project, objects: Iterable[TrackedObject]) -> list[int]:
    """Add every prompt of every object to a TrackingSession; returns the ids that had prompts."""
    prompted = []
    for obj in objects:
        if not obj.prompts:
            continue
        prompted.append(obj.id)
        for prompt in obj.prompts:
            if prompt.mask_ref is not None:
                session.add_mask(prompt.frame, obj.id, load_prompt_mask(project, prompt))
            if prompt.points:
                session.add_points(prompt.frame, obj.id, prompt.points, prompt.labels)
            if prompt.box is not None:
                session.add_box(prompt.frame, obj.id, prompt.box)
    return prompted


def _frame_bounds(project: Project, n_frames: int,
                  frame_range: tuple[int, int] | None) -> tuple[int, int]:
    start, end = frame_range or project.frame_range or (0, n_frames)
    if end == -1 or end > n_frames:
        end = n_frames
    if not 0 <= start < end:
        raise ProjectError(f"{project.path}: frame range {start}:{end} is outside the clip "
                           f"(0:{n_frames})")
    return start, end


def _propagate_range(session: object, objects: list[TrackedObject], start: int, end: int,
                     direction: str) -> Iterator[tuple[int, dict]]:
    """Propagate over [start, end): forward and/or backward from the earliest prompted frame."""
    prompted = [p.frame for o in objects for p in o.prompts]
    anchor = min(max(min(prompted), start), end - 1)
    if direction == "backward":
        anchor = min(max(max(prompted), start), end - 1)
    if direction in ("forward", "both"):
        yield from session.propagate(anchor, end - 1, direction="forward")  # type: ignore[attr-defined]
    if direction == "backward" or (direction == "both" and anchor > start):
        first = anchor if direction == "backward" else anchor - 1
        yield from session.propagate(first, start, direction="backward")  # type: ignore[attr-defined]


def track_project(
    project: Project,
    *,
    model: str | None = "auto",
    weights: str | None = None,
    device: str = "auto",
    direction: str = "both",
    frame_range: tuple[int, int] | None = None,
    offline: bool = False,
    only: Iterable[int] | None = None,
    on_progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    log: LogFn | None = None,
) -> TrackResult:
    """Propagate the prompts of `only` (default: every prompted object) and store the masks.

    Masks are written to the project's sidecar store frame by frame as they come, so an
    interrupted run keeps what was done; the objects' prompt hashes are recorded only after a
    complete run, so the render knows to track again.
    """
    from model.tracking import Tracker, TrackingSession

    if project.path is None:
        raise ProjectError("the project must be saved before tracking (masks live beside it)")
    check_video(project)
    wanted = set(only) if only is not None else None
    objects = [o for o in project.objects if o.prompts and (wanted is None or o.id in wanted)]
    name = model or project.model or "auto"
    if not objects:
        return TrackResult(model=name, frames=0)
    started = time.perf_counter()
    tracker = Tracker.load(name, weights=weights, device=device, offline=offline)
    if log:
        log(f"model {tracker.name} on {tracker.device}, engine: {tracker.engine}")
    with FrameSource(project.video_path) as frames, \
            MaskStore(masks_path_for(project.path)) as store:
        start, end = _frame_bounds(project, len(frames), frame_range)
        session = TrackingSession(tracker, frames)
        ids = feed_prompts(session, project, objects)
        total = end - start
        done = 0
        for frame_idx, masks in _propagate_range(session, objects, start, end, direction):
            if cancel is not None and cancel.is_set():
                raise Cancelled("tracking stopped; masks computed so far are kept")
            store.put_many(frame_idx, {oid: (m.mask, m.score) for oid, m in masks.items()
                                       if oid in ids})
            done += 1
            if on_progress:
                on_progress(min(done, total), total)
        session.close()
        for obj in objects:
            store.set_prompts_hash(obj.id, prompts_hash(obj), model=tracker.name)
    return TrackResult(model=tracker.name, frames=total, objects=ids,
                       seconds=time.perf_counter() - started)


def track_stale(
    project: Project,
    *,
    model: str | None = "auto",
    offline: bool = False,
    on_progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    log: LogFn | None = None,
) -> list[int]:
    """Track the objects whose masks are missing or were computed from other prompts.

    What `render` and `export` do before reading masks, so a user never gets output from
    masks that no longer match the prompts. Returns the ids that were tracked.
    """
    if project.path is None:
        raise ProjectError("save the project first: its masks live beside it")
    with MaskStore(masks_path_for(project.path)) as store:
        stale = store.stale_objects(project)
    if stale:
        if log:
            names = ", ".join(project.object(i).name for i in stale)
            log(f"masks missing or stale for {names}: tracking first")
        track_project(project, model=model, offline=offline, only=stale, cancel=cancel,
                      on_progress=on_progress, log=log)
    return stale
