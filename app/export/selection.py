"""Which frames of a clip become samples: every N-th, only when the masks moved, negatives on
request.

A 30 fps clip gives 30 near-identical labels a second; a detector learns little from the 29
copies and a validation score computed on them is inflated. `FrameSelector` keeps a frame when
it is on the `--every` grid and, with `--min-change T`, when some object's mask has IoU ≤ T with
that object's mask on the last kept frame (an object appearing or vanishing always counts).
"""

from __future__ import annotations

import numpy as np

from app.export.options import ExportOptions

__all__ = ["FrameSelector", "mask_iou"]


def mask_iou(a: np.ndarray | None, b: np.ndarray | None) -> float:
    """IoU of two bool masks; a missing mask is empty, and two empty masks are identical (1.0)."""
    a_any = a is not None and bool(a.any())
    b_any = b is not None and bool(b.any())
    if a is None or b is None or not a_any or not b_any:
        return 1.0 if a_any == b_any else 0.0
    return np.count_nonzero(a & b) / np.count_nonzero(a | b)


class FrameSelector:
    """Decides, frame by frame in order, whether a frame is written (state: the last kept masks)."""

    def __init__(self, options: ExportOptions, *, keep_empty: bool) -> None:
        self.every = options.every
        self.min_change = options.min_change
        self.keep_empty = keep_empty
        self.last: dict[int, np.ndarray] | None = None
        self.kept = 0
        self.skipped_empty = 0
        self.skipped_unchanged = 0

    def keep(self, offset: int, masks: dict[int, np.ndarray]) -> bool:
        """`offset`: frame index from the range start; `masks`: obj_id → bool mask (absent = no
        key)."""
        if offset % self.every:
            return False
        empty = not any(m.any() for m in masks.values())
        if empty and not self.keep_empty:
            self.skipped_empty += 1
            return False
        if self.min_change is not None and self.last is not None:
            ids = set(masks) | set(self.last)
            if all(mask_iou(masks.get(i), self.last.get(i)) > self.min_change for i in ids):
                self.skipped_unchanged += 1
                return False
        self.last = masks
        self.kept += 1
        return True
