"""TrackingSession: prompts in, one mask per object per frame out, streaming and resumable.

The session never holds the clip: frames are decoded, resized and normalised one worker thread
ahead of the model (``FrameFeed``) and per-frame model state is dropped once it falls out of the
memory window. Stopping = stop iterating ``propagate()``; resuming = call it again from the next
frame: the memory window is still there, so the result equals an uninterrupted run.

Resuming in *another* process (after a kill) works the same way: ``export_memory`` gives the
bytes of one object's memory after one tracked frame (safetensors, no pickle), the caller
stores them beside the masks, and ``import_memory`` puts them back in a fresh session before
``run_steps`` continues; the next frames then see exactly the memory an uninterrupted run had.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np
import torch

from model.errors import PromptError
from model.tracking.feed import FrameFeed
from model.tracking.preprocess import Preprocessor, logits_to_masks
from model.tracking.tracker import Tracker
from model.tracking.types import Direction, FramePrompt, FrameProvider, ObjectMask

__all__ = ["TrackingSession"]

PREFETCH = 2  # frames decoded ahead of the model


def _sigmoid(x: float) -> float:
    return float(1.0 / (1.0 + np.exp(-x)))


class TrackingSession:
    """One clip, any number of objects (stable int ids), prompted on any frames."""

    def __init__(self, tracker: Tracker, frames: FrameProvider) -> None:
        if len(frames) == 0:
            raise PromptError("cannot track an empty clip (0 frames)")
        self.tracker = tracker
        self._preprocessor = Preprocessor(tracker.backend.preprocess)
        self._feed = FrameFeed(frames, self._preprocessor)
        self._state = tracker.backend.open(self._feed)
        self.num_frames = len(self._feed)
        self.height, self.width = self._feed.height, self._feed.width
        self._prompts: dict[int, dict[int, FramePrompt]] = {}
        self._dirty: dict[int, set[int]] = {}  # frame_idx -> objects whose prompt changed there
        # obj_id -> frame_idx -> presence score in [0, 1] of the last mask computed there
        self.scores: dict[int, dict[int, float]] = {}

    # prompts ------------------------------------------------------------------------------
    @property
    def object_ids(self) -> list[int]:
        return list(self._prompts)

    def prompts(self, obj_id: int) -> dict[int, FramePrompt]:
        return dict(self._prompts.get(obj_id, {}))

    def _check_frame(self, frame_idx: int) -> int:
        if isinstance(frame_idx, bool) or not isinstance(frame_idx, (int, np.integer)):
            raise PromptError(f"frame index {frame_idx!r} is not an integer")
        if not 0 <= frame_idx < self.num_frames:
            raise PromptError(f"frame {frame_idx} is outside the clip (0..{self.num_frames - 1})")
        return int(frame_idx)

    def _check_obj(self, obj_id: int) -> int:
        if isinstance(obj_id, bool) or not isinstance(obj_id, (int, np.integer)):
            raise PromptError(f"object id {obj_id!r} is not an integer")
        return int(obj_id)

    def _check_xy(self, x: float, y: float, what: str) -> tuple[float, float]:
        if not (np.isfinite(x) and np.isfinite(y)):
            raise PromptError(f"{what} ({x}, {y}) is not a finite coordinate")
        if not (0 <= x <= self.width and 0 <= y <= self.height):
            raise PromptError(
                f"{what} ({x:g}, {y:g}) is outside the {self.width}x{self.height} frame"
            )
        return float(x), float(y)

    def _set(self, obj_id: int, frame_idx: int, prompt: FramePrompt) -> None:
        self._state.set_prompt(obj_id, frame_idx, prompt)
        self._prompts.setdefault(obj_id, {})[frame_idx] = prompt
        self._dirty.setdefault(frame_idx, set()).add(obj_id)

    def add_points(
        self,
        frame_idx: int,
        obj_id: int,
        points: Sequence[Sequence[float]] | np.ndarray,
        labels: Sequence[int] | np.ndarray,
        replace: bool = False,
    ) -> None:
        """Add positive (1) / negative (0) clicks ``[[x, y], ...]`` in frame pixels.

        Clicks accumulate on a frame (after any box there) unless ``replace``; a new object id
        creates the object, on any frame.
        """
        frame_idx, obj_id = self._check_frame(frame_idx), self._check_obj(obj_id)
        pts = np.asarray(points, dtype=np.float64)
        labs = np.asarray(labels)
        if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) == 0:
            raise PromptError(
                f"object {obj_id}: points must be a non-empty list of [x, y], got shape {pts.shape}"
            )
        if labs.ndim != 1 or len(labs) != len(pts):
            raise PromptError(f"object {obj_id}: {len(pts)} points but {labs.size} labels")
        if not np.isin(labs, (0, 1)).all():
            raise PromptError(
                f"object {obj_id}: labels must be 1 (object) or 0 (background), got {labs.tolist()}"
            )
        new_points = [self._check_xy(x, y, f"object {obj_id}: point") for x, y in pts]
        old = self._prompts.get(obj_id, {}).get(frame_idx)
        if old is None or replace or old.mask is not None:
            prompt = FramePrompt([], [], box=None if (old is None or replace) else old.box)
        else:
            prompt = FramePrompt(list(old.points), list(old.labels), old.box)
        prompt.points += new_points
        prompt.labels += [int(v) for v in labs]
        self._set(obj_id, frame_idx, prompt)

    def add_box(self, frame_idx: int, obj_id: int, box: Sequence[float]) -> None:
        """Box ``[x0, y0, x1, y1]`` in frame pixels; replaces the object's prompt on that frame."""
        frame_idx, obj_id = self._check_frame(frame_idx), self._check_obj(obj_id)
        values = np.asarray(box, dtype=np.float64).reshape(-1)
        if values.size != 4:
            raise PromptError(f"object {obj_id}: a box is [x0, y0, x1, y1], got {list(values)}")
        x0, y0 = self._check_xy(values[0], values[1], f"object {obj_id}: box corner")
        x1, y1 = self._check_xy(values[2], values[3], f"object {obj_id}: box corner")
        if x1 <= x0 or y1 <= y0:
            raise PromptError(
                f"object {obj_id}: box {list(values)} is empty or inverted (need x0 < x1, y0 < y1)"
            )
        self._set(obj_id, frame_idx, FramePrompt([], [], box=(x0, y0, x1, y1)))

    def add_mask(self, frame_idx: int, obj_id: int, mask: np.ndarray) -> None:
        """A frame-size boolean mask; replaces the object's prompt on that frame."""
        frame_idx, obj_id = self._check_frame(frame_idx), self._check_obj(obj_id)
        arr = np.asarray(mask)
        if arr.shape != (self.height, self.width):
            raise PromptError(
                f"object {obj_id}: mask is {arr.shape}, "
                f"the frame is {(self.height, self.width)} (H, W)"
            )
        arr = arr.astype(bool)
        if not arr.any():
            raise PromptError(f"object {obj_id}: mask on frame {frame_idx} is empty")
        self._set(obj_id, frame_idx, FramePrompt([], [], mask=arr))

    def remove_object(self, obj_id: int) -> None:
        obj_id = self._check_obj(obj_id)
        if obj_id not in self._prompts:
            raise PromptError(
                f"object {obj_id} is not in this session (known: {sorted(self._prompts)})"
            )
        self._forget(obj_id)

    def clear_prompts(self, obj_id: int | None = None) -> None:
        """Drop the prompts (and so the tracking state) of one object, or of all objects."""
        if obj_id is None:
            for oid in list(self._prompts):
                self._forget(oid)
            return
        self.remove_object(obj_id)

    def _forget(self, obj_id: int) -> None:
        self._state.remove_object(obj_id)
        self._prompts.pop(obj_id, None)
        self.scores.pop(obj_id, None)
        for objs in self._dirty.values():
            objs.discard(obj_id)

    # inference ----------------------------------------------------------------------------
    def _run(self, frame_idx: int, obj_ids: list[int], reverse: bool) -> dict[int, ObjectMask]:
        result = self._state.step(frame_idx, obj_ids, reverse)
        for obj_id in obj_ids:
            self._dirty.get(frame_idx, set()).discard(obj_id)
        if not result:
            return {}
        ids = list(result)
        logits = torch.cat([result[i][0] for i in ids], dim=0)
        masks = logits_to_masks(logits, self.height, self.width)
        out = {}
        for k, obj_id in enumerate(ids):
            score = _sigmoid(result[obj_id][1])
            self.scores.setdefault(obj_id, {})[frame_idx] = score
            out[obj_id] = ObjectMask(masks[k], score)
        return out

    def predict(self, frame_idx: int) -> dict[int, ObjectMask]:
        """Masks on a prompted frame for instant feedback: objects whose prompt changed there are
        segmented (the frame's image features stay cached, so the next click there is cheap);
        objects already prompted there are returned from the session's state."""
        frame_idx = self._check_frame(frame_idx)
        self._flush(exclude=frame_idx)
        obj_ids = [o for o, frames in self._prompts.items() if frame_idx in frames]
        with torch.inference_mode():
            return self._run(frame_idx, obj_ids, reverse=False)

    def _flush(self, exclude: int | None = None) -> None:
        """Turn pending prompts on other frames into conditioning frames (tracking needs them)."""
        for frame_idx in sorted(self._dirty):
            objs = [o for o in self._dirty[frame_idx] if o in self._prompts]
            if objs and frame_idx != exclude:
                with torch.inference_mode():
                    self._run(frame_idx, objs, reverse=False)
        self._dirty = {f: o for f, o in self._dirty.items() if o}

    def _prompted_frames(self) -> set[int]:
        return {f for frames in self._prompts.values() for f in frames}

    def propagate(
        self, start: int | None = None, end: int | None = None, direction: Direction = "forward"
    ) -> Iterator[tuple[int, dict[int, ObjectMask]]]:
        """Yield ``(frame_idx, {obj_id: ObjectMask})`` frame by frame, one mask per object.

        Forward runs ``start`` → ``end`` (defaults: earliest prompted frame → last frame);
        backward runs ``start`` → ``end`` downwards (defaults: latest prompted frame → 0);
        ``both`` runs forward then backward from the same ``start`` (default: earliest prompted
        frame), yielding ``start`` once, and takes no ``end``. After a correction on frame k,
        ``propagate(start=k)`` recomputes k onwards and leaves earlier frames alone. To stop, stop
        iterating; to resume, call again with ``start`` = the next frame.
        """
        if direction not in ("forward", "backward", "both"):
            raise PromptError(f"direction must be forward, backward or both, not {direction!r}")
        if not self._prompts:
            raise PromptError("nothing to track: add points, a box or a mask for an object first")
        if direction == "both" and end is not None:
            raise PromptError("propagate(direction='both') takes a start frame only, not an end")
        if start is not None:
            start = self._check_frame(start)
        if end is not None:
            end = self._check_frame(end)
        prompted = self._prompted_frames()
        if direction == "forward" or direction == "both":
            first = min(prompted) if start is None else start
            last = self.num_frames - 1 if end is None else end
            if last < first:
                raise PromptError(
                    f"forward propagation from frame {first} cannot end at earlier frame {last}"
                )
            yield from self._pass(range(first, last + 1), reverse=False, anchor=first)
        if direction == "backward" or direction == "both":
            if direction == "both":
                first = min(prompted) if start is None else start
                order = range(first - 1, -1, -1)
            else:
                first = max(prompted) if start is None else start
                last = 0 if end is None else end
                if last > first:
                    raise PromptError(
                        f"backward propagation from frame {first} cannot end at later frame {last}"
                    )
                order = range(first, last - 1, -1)
            yield from self._pass(order, reverse=True, anchor=first)

    def _pass(
        self, order: range, reverse: bool, anchor: int
    ) -> Iterator[tuple[int, dict[int, ObjectMask]]]:
        obj_ids = list(self._prompts)
        yield from self.run_steps([(f, obj_ids) for f in order], reverse=reverse, keep={anchor})

    def run_steps(
        self,
        plan: Sequence[tuple[int, Sequence[int]]],
        *,
        reverse: bool,
        keep: set[int],
        before: Callable[[int], None] | None = None,
    ) -> Iterator[tuple[int, dict[int, ObjectMask]]]:
        """Track exactly these ``(frame_idx, obj_ids)`` steps in order (one propagation pass).

        What ``propagate`` does, for callers that plan which objects need which frames (a
        partial re-track, a resume): ``keep`` are frames whose memory must outlive the window
        (the pass's anchor), ``before(frame_idx)`` runs before each step (e.g. to
        ``import_memory`` for an object that joins the pass there).
        """
        self._flush()
        frames = [f for f, _ in plan]
        try:
            for pos, (frame_idx, obj_ids) in enumerate(plan):
                self._feed.prefetch(frames[pos + 1 : pos + 1 + PREFETCH])
                if before is not None:
                    before(frame_idx)
                with torch.inference_mode():
                    masks = self._run(frame_idx, list(obj_ids), reverse=reverse)
                    self._state.prune(frame_idx, keep)
                yield frame_idx, masks
        finally:
            self._feed.cancel_prefetch()

    @property
    def memory_window(self) -> int:
        """How many frames back (or ahead, tracking backward) a step reads memory from."""
        return int(self._state.memory_window)

    def export_memory(self, obj_id: int, frame_idx: int) -> bytes | None:
        """One object's memory from one tracked frame, as bytes (None: nothing to save there,
        e.g. a prompted frame, which is recomputed from its prompt)."""
        from safetensors.torch import save

        tensors = self._state.export_frame(obj_id, frame_idx)
        if tensors is None:
            return None
        return save({k: v.detach().contiguous().cpu() for k, v in tensors.items()})

    def import_memory(self, obj_id: int, frame_idx: int, data: bytes, reverse: bool) -> None:
        """Put back what ``export_memory`` gave, for an object whose prompts are already set."""
        from safetensors.torch import load

        obj_id, frame_idx = self._check_obj(obj_id), self._check_frame(frame_idx)
        if obj_id not in self._prompts:
            raise PromptError(f"object {obj_id}: set its prompts before restoring its memory")
        self._state.import_frame(obj_id, frame_idx, load(data), reverse)

    def close(self) -> None:
        """Stop the frame worker (the provider itself is the caller's to close)."""
        self._feed.close()

    def __enter__(self) -> TrackingSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
