"""Targets: where an effect applies, as an alpha over a region of interest (ROI) of the frame.

Everything works inside the target's bounding box (plus the margin its edge options need), so
an effect on a small object costs little on a 1080p frame.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass
class Target:
    """Alpha of an effect over ``frame[ys, xs]``.

    ``alpha`` is ``uint8`` 0/1 when ``hard`` (copied through with ``cv2.copyTo``), else
    ``float32`` in 0..1 (blended). Pixels where alpha is 0 are never written.
    """

    ys: slice
    xs: slice
    alpha: np.ndarray
    hard: bool

    @property
    def shape(self) -> tuple[int, int]:
        return self.alpha.shape[:2]


def binary(mask: np.ndarray) -> np.ndarray:
    """H×W mask (bool, integer or float 0..1) → ``uint8`` 0/1 without copying bool input."""
    if mask.dtype == np.bool_:
        return np.ascontiguousarray(mask).view(np.uint8)
    if np.issubdtype(mask.dtype, np.floating):
        return (mask > 0.5).view(np.uint8)
    return (mask > 0).view(np.uint8)


_memo = threading.local()


@contextmanager
def bbox_memo() -> Iterator[None]:
    """Within this block (one frame's render, this thread), each mask's bbox is computed once:
    a full-frame scan costs ~0.3 ms at 1080p and several effects ask for the same mask's."""
    _memo.boxes = {}
    try:
        yield
    finally:
        _memo.boxes = None


def remember_bbox(mask01: np.ndarray, box: tuple[int, int, int, int] | None) -> None:
    """Inside `bbox_memo`: the caller already knows this mask's tight box (e.g. from its RLE),
    so `bbox` need not scan the frame for it."""
    memo = getattr(_memo, "boxes", None)
    if memo is not None:
        memo[id(mask01)] = (mask01, None if box is None else tuple(int(v) for v in box))


def bbox(mask01: np.ndarray) -> tuple[int, int, int, int] | None:
    """``(x0, y0, x1, y1)`` (exclusive end) of the non-zero pixels, or None when empty."""
    memo = getattr(_memo, "boxes", None)
    if memo is not None:
        hit = memo.get(id(mask01))
        if hit is not None and hit[0] is mask01:
            known: tuple[int, int, int, int] | None = hit[1]
            return known
    x, y, w, h = cv2.boundingRect(mask01)
    box = None if w == 0 or h == 0 else (x, y, x + w, y + h)
    if memo is not None:
        memo[id(mask01)] = (mask01, box)  # holding the array keeps its id unique
    return box


def padded(box: tuple[int, int, int, int], pad: int, shape: tuple[int, int]) -> tuple[slice, slice]:
    """Row and column slices of ``box`` grown by ``pad`` px, clipped to the frame."""
    h, w = shape
    x0, y0, x1, y1 = box
    return slice(max(0, y0 - pad), min(h, y1 + pad)), slice(max(0, x0 - pad), min(w, x1 + pad))


def signed_distance(mask01: np.ndarray) -> np.ndarray:
    """Distance (px) to the mask edge: > 0 inside, < 0 outside, ±0.5 at the edge pixels."""
    d_in = cv2.distanceTransform(mask01, cv2.DIST_L2, cv2.DIST_MASK_5)
    d_out = cv2.distanceTransform(1 - mask01, cv2.DIST_L2, cv2.DIST_MASK_5)
    return np.where(mask01 > 0, d_in - 0.5, 0.5 - d_out)


def edge_alpha(mask01: np.ndarray, grow: int, feather: float) -> tuple[np.ndarray, bool]:
    """Apply grow/shrink and feathering to a 0/1 mask: returns ``(alpha, hard)``.

    The feather is a linear ramp ``feather`` px wide centred on the grown edge: alpha is 0 at
    ``feather/2`` px outside it and 1 at ``feather/2`` px inside, monotone in between.
    """
    if grow == 0 and feather <= 0:
        return mask01, True
    if feather <= 0:
        r = abs(grow)
        k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
        op = cv2.dilate if grow > 0 else cv2.erode
        return op(mask01, k, borderType=cv2.BORDER_REPLICATE), True
    sd = signed_distance(mask01)
    alpha = np.clip(0.5 + (sd + grow) / feather, 0.0, 1.0).astype(np.float32)
    return alpha, False


def margin(grow: int, feather: float) -> int:
    """How far outside the mask's bounding box an edge option can reach, in px."""
    return max(grow, 0) + int(math.ceil(feather / 2)) + 2


def prepare(
    mask01: np.ndarray,
    *,
    grow: int = 0,
    feather: float = 0.0,
    opacity: float = 1.0,
    soft: np.ndarray | None = None,
    invert: bool = False,
) -> Target | None:
    """The Target of a 0/1 mask with its edge options, or None when nothing is covered.

    ``soft`` is an optional float alpha of the same shape (a soft input mask) used instead of
    ``mask01`` when no edge option is set. ``invert`` targets the complement (over the whole
    frame) of the processed mask.
    """
    shape = mask01.shape[:2]
    soft_alpha = soft if grow == 0 and feather <= 0 else None
    box = bbox(np.asarray(soft_alpha > 0).view(np.uint8) if soft_alpha is not None else mask01)
    if invert:
        ys, xs = slice(0, shape[0]), slice(0, shape[1])
    else:
        if box is None:
            return None
        ys, xs = padded(box, margin(grow, feather), shape)
    if box is None:  # inverse of an empty mask: everything
        alpha: np.ndarray = np.ones(shape, np.uint8)
        hard = True
    elif soft_alpha is not None:
        a = np.clip(soft_alpha, 0, 1).astype(np.float32)
        alpha, hard = ((1.0 - a) if invert else a[ys, xs]), False
    elif invert:
        # edge ops only need the object's neighbourhood: compute there, paste into a full frame
        oys, oxs = padded(box, margin(grow, feather), shape)
        a_obj, hard = edge_alpha(np.ascontiguousarray(mask01[oys, oxs]), grow, feather)
        full = np.zeros(shape, a_obj.dtype)
        full[oys, oxs] = a_obj
        alpha = (1 - full) if hard else (1.0 - full)
    else:
        alpha, hard = edge_alpha(np.ascontiguousarray(mask01[ys, xs]), grow, feather)
    if opacity < 1.0:
        alpha = alpha.astype(np.float32) * np.float32(opacity)
        hard = False
    if hard and not alpha.any():
        return None
    return Target(ys, xs, alpha, hard)


def majority(history: Sequence[np.ndarray]) -> np.ndarray:
    """Temporal vote: 0/1 mask of pixels set in more than half of the given 0/1 masks."""
    if len(history) == 1:
        return history[0]
    acc = np.zeros(history[0].shape, np.uint8)
    for m in history:
        cv2.add(acc, m, dst=acc)
    return (acc * 2 > len(history)).view(np.uint8)


def blend(frame: np.ndarray, target: Target, effected: np.ndarray) -> None:
    """Write ``effected`` (the ROI with the effect applied everywhere) into ``frame`` in place,
    through the target's alpha; pixels with alpha 0 keep their exact value."""
    view = frame[target.ys, target.xs]
    roi = np.ascontiguousarray(view)  # the view itself when the ROI spans whole rows
    if target.hard:
        out = cv2.copyTo(effected, target.alpha, roi)  # writes into roi
    else:
        a = target.alpha
        out = cv2.blendLinear(np.ascontiguousarray(effected), roi, a, 1.0 - a)
    if not np.may_share_memory(out, frame):
        view[...] = out
