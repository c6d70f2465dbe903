"""Which frames a tracking run must compute, and from where it can resume. Pure logic, no model.

The masks of a frame are defined as what one uninterrupted run over the whole clip gives:
a forward pass from the *anchor* (the earliest prompted frame of any object in the project)
to the last frame, then a backward pass from the anchor - 1 to frame 0 (``both``; ``forward``
and ``backward`` keep one pass, the backward one anchored at the latest prompted frame).
Each object's masks depend only on its own prompts and that path, so any subset of objects and
frames can be computed later and equals the uninterrupted run:

* a frame of a pass needs every frame of that pass between the anchor and it (memory), so to
  fill frames 0-9 with the only prompt on frame 40 the run computes 40 → 54 forward (frame 39,
  the first of the backward pass, reads the memory of frames 40-45 and the object pointers of
  40-54: the forward pass's *head*) and 39 → 0 backward: 40 frames, not the clip;
* a pass resumes at the first frame it lacks if the store holds the tracker's memory of the
  W - 1 frames before it (and of the head, going backward); otherwise it restarts at its anchor.

W is the tracker's memory window (16 for SAM 2 / EdgeTAM: a step reads the memory of the 6
previous frames and the object pointers of the 15 previous frames, plus the prompted frames).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

__all__ = ["PassSpec", "ObjectSteps", "passes_for", "plan_object", "pass_key"]


@dataclass(frozen=True)
class PassSpec:
    """One propagation pass: its frames in order, direction and anchor."""

    name: str  # "fwd", "bwd" (after fwd, reads its head) or "bwd-only"
    frames: tuple[int, ...]
    reverse: bool
    anchor: int
    head: tuple[int, ...] = ()  # frames of the fwd pass this pass reads at its start

    def position(self, frame: int) -> int:
        return self.frames.index(frame)


@dataclass
class ObjectSteps:
    """One object in one pass: step pass positions ``start..stop`` (inclusive), after
    restoring the memory of ``restore`` (pass name → frames)."""

    obj_id: int
    start: int
    stop: int
    restore: dict[str, list[int]] = field(default_factory=dict)


def pass_key(model: str, anchor: int, prompts_hash: str) -> str:
    """What a pass's memory rows depend on: another model, anchor or prompts make them useless."""
    return f"{model}|anchor={anchor}|{prompts_hash}"


def passes_for(
    direction: str, prompted: Sequence[int], n_frames: int, window: int
) -> list[PassSpec]:
    """The passes of an uninterrupted run over the clip (see the module docstring)."""
    if direction == "backward":
        a = max(prompted)
        return [PassSpec("bwd-only", tuple(range(a, -1, -1)), True, a)]
    a = min(prompted)
    fwd = PassSpec("fwd", tuple(range(a, n_frames)), False, a)
    if direction == "forward" or a == 0:
        return [fwd]
    head = tuple(range(a, min(a + window - 1, n_frames)))  # what frame a - 1 reads
    return [fwd, PassSpec("bwd", tuple(range(a - 1, -1, -1)), True, a, head)]


def _resume(
    spec: PassSpec,
    upto: int,
    covered: Callable[[int], bool],
    rows: Callable[[str], set[int]],
    prompted: set[int],
    window: int,
) -> tuple[int, list[int]] | None:
    """Where `spec` must start to have every frame up to position `upto` (None: all there), and
    the frames whose memory to restore before that start: the latest position at or before
    the first missing frame whose W - 1 frames behind have stored memory, else the anchor."""
    gap = next((i for i in range(upto + 1) if not covered(spec.frames[i])), None)
    if gap is None:
        return None
    stored = rows(spec.name)
    for start in range(gap, 0, -1):
        behind = [f for f in spec.frames[max(0, start - window + 1) : start] if f not in prompted]
        if not set(behind) - stored:
            return start, behind
    return 0, []


def plan_object(
    obj_id: int,
    specs: Sequence[PassSpec],
    needed: set[int],
    covered: Callable[[int], bool],
    rows: Callable[[str], set[int]],
    prompted: set[int],
    window: int,
) -> dict[str, ObjectSteps]:
    """The steps `obj_id` needs in each pass to hold every frame of `needed`.

    `covered(frame)`: the store already holds that frame from the object's current prompts;
    `rows(pass_name)`: the frames of that pass with stored resume memory; `prompted`:
    the object's prompted frames (recomputed from the prompts, never restored).
    """
    out: dict[str, ObjectSteps] = {}
    by_name = {s.name: s for s in specs}
    bwd = by_name.get("bwd")
    bwd_steps = None
    if bwd is not None:
        wanted = [i for i, f in enumerate(bwd.frames) if f in needed]
        if wanted:
            found = _resume(bwd, max(wanted), covered, rows, prompted, window)
            if found is not None:
                bwd_steps = ObjectSteps(
                    obj_id, found[0], max(wanted), {"bwd": found[1]} if found[1] else {}
                )
    for spec in specs:
        if spec.name == "bwd":
            continue
        wanted = [i for i, f in enumerate(spec.frames) if f in needed]
        head_end = -1
        if spec.name == "fwd" and bwd_steps is not None and bwd is not None:
            head_end = len(bwd.head) - 1
        upto = max(wanted + [-1])
        found = _resume(spec, upto, covered, rows, prompted, window) if upto >= 0 else None
        head = [f for f in (bwd.head if head_end >= 0 and bwd else ()) if f not in prompted]
        head_stored = not (set(head) - rows("fwd")) if head else True
        if found is None and head_end >= 0 and not head_stored:
            found = (0, [])  # the backward pass needs the head's memory: recompute it
        if found is None:
            if head_end >= 0 and bwd_steps is not None:
                bwd_steps.restore["fwd"] = head
            continue
        start, behind = found
        if head_end >= 0 and start > head_end:
            if not head_stored:
                start, behind = 0, []
            elif bwd_steps is not None:
                bwd_steps.restore["fwd"] = head
        stop = max(upto, head_end) if head_end >= 0 and start <= head_end else upto
        out[spec.name] = ObjectSteps(obj_id, start, stop, {spec.name: behind} if behind else {})
    if bwd_steps is not None:
        out["bwd"] = bwd_steps
    return out
