"""Detect faces through a clip at a fraction of the per-frame cost: full frames on keyframes,
crops around the faces already seen in between.

A face that is being followed moves a few pixels per frame, so between two full-frame passes
it is enough to look again around where it was (`FaceDetector.detect_regions`). A face that
appears between keyframes is found on the next keyframe, at most ``keyframe_every - 1`` frames
late; the tracker holds each track's first box ``extend`` frames backwards, which covers
those frames (keep ``extend >= keyframe_every - 1``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from model.faces.detector import FaceDetection, FaceDetector

__all__ = ["scan_faces"]


def scan_faces(
    frames: Iterable[np.ndarray],
    detector: FaceDetector,
    *,
    keyframe_every: int = 2,
    memory: int | None = None,
) -> Iterator[list[FaceDetection]]:
    """Yield the detections of each frame of ``frames`` (RGB, in order).

    Parameters
    ----------
    keyframe_every
        A full-frame pass every this many frames (1: every frame, as deface does).
    memory
        Frames a face is still looked for around its last box after it was last seen
        (default: ``keyframe_every``): a face missed on one frame is looked for on the next.
    """
    if keyframe_every < 1:
        raise ValueError(f"keyframe_every must be ≥ 1, got {keyframe_every}")
    memory = keyframe_every if memory is None else memory
    recent: list[tuple[int, tuple[float, float, float, float]]] = []  # (frame seen, box)
    for idx, rgb in enumerate(frames):
        if idx % keyframe_every == 0:
            found = detector.detect(rgb)
        else:
            regions = [box for seen, box in recent if idx - seen <= memory]
            found = detector.detect_regions(rgb, regions) if regions else []
        # Remember this frame's faces, plus older ones not seen again (by overlap) for a while.
        kept = [
            (seen, box) for seen, box in recent if idx - seen < memory and not _covered(box, found)
        ]
        recent = [(idx, d.box) for d in found] + kept
        yield found


def _covered(box: tuple[float, float, float, float], found: list[FaceDetection]) -> bool:
    """Whether ``box`` overlaps a detection of this frame (the same face, seen again)."""
    return any(
        min(box[2], d.box[2]) > max(box[0], d.box[0])
        and min(box[3], d.box[3]) > max(box[1], d.box[1])
        for d in found
    )
