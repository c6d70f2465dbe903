"""Things drawn *at* an object rather than inside it: the emoji/PNG that follows it (with
temporal smoothing), the outline/glow ring, and the face oval."""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from effects.emoji import load_emoji
from effects.masks import Target, bbox, edge_alpha, padded


@dataclass
class Placement:
    """Where an overlay sits: centre (x, y) and side length in px."""

    cx: float
    cy: float
    side: float


class _OneEuro:
    """One Euro filter (Casiez et al., CHI 2012) for one coordinate, one step per frame:
    a low-pass whose cutoff rises with speed, so a still object's jitter is smoothed away
    while a moving one is followed with little lag (a plain EMA of weight 0.6 trails a
    20 px/frame motion by 30 px; this by ~5)."""

    BETA = 1.5  # speed sensitivity, speed measured in object sizes per frame
    D_CUTOFF = 1.0

    def __init__(self, smoothing: float):
        # at rest it behaves like an EMA giving the past weight `smoothing`
        tau = 1.0 / (1.0 - smoothing) - 1.0
        self.min_cutoff = 1.0 / (2 * math.pi * tau) if tau > 0 else math.inf
        self.x: float | None = None
        self.dx = 0.0

    @staticmethod
    def _alpha(cutoff: float) -> float:
        return 1.0 / (1.0 + 1.0 / (2 * math.pi * cutoff))

    def __call__(self, x: float, size: float) -> float:
        if self.x is None or math.isinf(self.min_cutoff):
            self.x = x
            return x
        a_d = self._alpha(self.D_CUTOFF)
        self.dx = a_d * (x - self.x) + (1 - a_d) * self.dx
        a = self._alpha(self.min_cutoff + self.BETA * abs(self.dx) / max(size, 1.0))
        self.x = a * x + (1 - a) * self.x
        return self.x


class OverlayTrack:
    """Temporal smoothing of an overlay's placement (One Euro filter on centre and size), so
    a jittery mask does not make the emoji shake nor trail a moving object; it restarts
    from the measurement when the object reappears."""

    def __init__(self, smoothing: float):
        self.smoothing = smoothing
        self._filters: tuple[_OneEuro, _OneEuro, _OneEuro] | None = None

    def update(self, measured: Placement | None) -> Placement | None:
        if measured is None:  # object absent: hide, and forget (no glide in from the old spot)
            self._filters = None
            return None
        if self._filters is None:
            self._filters = (
                _OneEuro(self.smoothing),
                _OneEuro(self.smoothing),
                _OneEuro(self.smoothing),
            )
        fx, fy, fs = self._filters
        size = measured.side
        return Placement(fx(measured.cx, size), fy(measured.cy, size), fs(measured.side, size))


def measure(mask01: np.ndarray, anchor: str, scale: float) -> Placement | None:
    """Overlay placement from a 0/1 mask: anchor point and ``scale`` × the larger bbox side."""
    box = bbox(mask01)
    if box is None:
        return None
    x0, y0, x1, y1 = box
    side = scale * max(x1 - x0, y1 - y0)
    if anchor == "centroid":
        m = cv2.moments(mask01[y0:y1, x0:x1], binaryImage=True)
        # pixel centres are at +0.5; the placement is in continuous coordinates
        cx, cy = x0 + m["m10"] / m["m00"] + 0.5, y0 + m["m01"] / m["m00"] + 0.5
    elif anchor == "bbox":
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    else:  # "top": sits on the top edge of the box (hats, crowns)
        cx, cy = (x0 + x1) / 2, float(y0)
    return Placement(cx, cy, side)


@dataclass(frozen=True)
class Sprite:
    """A sized, rotated overlay ready to composite (premultiplied alpha, uint8)."""

    pre: np.ndarray  # h×w×3 uint8, colour × alpha × opacity
    opaque: np.ndarray  # h×w uint8, 1 where the sprite fully covers (copied as is)
    edge_yx: tuple[np.ndarray, np.ndarray]  # pixels with 0 < alpha < 1 (blended)
    edge_keep: np.ndarray  # their (1 - alpha × opacity), float32 (n, 1)


_SPRITES: OrderedDict[tuple[str, int, float, float], Sprite] = OrderedDict()
_SPRITES_LOCK = threading.Lock()  # the GUI preview and an export may render at the same time


@lru_cache(maxsize=64)
def _premultiplied(key: str) -> np.ndarray:
    """The emoji/PNG as premultiplied RGBA uint8: resampling premultiplied colour keeps
    transparent pixels from bleeding a dark fringe into the edges."""
    rgba = load_emoji(key)
    a = rgba[..., 3:4].astype(np.uint16)
    pre = np.empty_like(rgba)
    pre[..., :3] = ((rgba[..., :3] * a + 127) // 255).astype(np.uint8)
    pre[..., 3] = rgba[..., 3]
    return pre


def sprite(key: str, side: int, rotation: float, opacity: float) -> Sprite:
    """The emoji/PNG ``key`` scaled to ``side`` px (its longer side) and rotated; LRU-cached,
    and cheap to rebuild (uint8 resampling) when a smoothed size drifts by a pixel."""
    ck = (key, side, rotation, opacity)
    with _SPRITES_LOCK:
        hit = _SPRITES.get(ck)
        if hit is not None:
            _SPRITES.move_to_end(ck)
            return hit
    pre = _premultiplied(key)
    h, w = pre.shape[:2]
    s = side / max(h, w)
    size = (max(1, round(w * s)), max(1, round(h * s)))
    img = cv2.resize(pre, size, interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
    if rotation % 360:
        sw, sh = size
        diag = int(math.ceil(math.hypot(sw, sh)))
        m = cv2.getRotationMatrix2D((sw / 2, sh / 2), rotation, 1.0)
        m[0, 2] += (diag - sw) / 2
        m[1, 2] += (diag - sh) / 2
        img = cv2.warpAffine(
            img,
            m,
            (diag, diag),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=(0, 0, 0, 0),
        )
    a = img[..., 3]
    colour = cv2.cvtColor(img, cv2.COLOR_RGBA2RGB)
    if opacity < 1:
        colour = cv2.convertScaleAbs(colour, alpha=opacity)
        a = cv2.convertScaleAbs(a, alpha=opacity)
    # Most pixels are fully transparent or fully opaque: those are one masked copy (or
    # nothing); only the anti-aliased edge (a few % of the square) is blended.
    edge_y, edge_x = np.nonzero((a > 0) & (a < 255))
    edge = (edge_y, edge_x)
    spr = Sprite(
        colour, (a == 255).view(np.uint8), edge, (1.0 - a[edge].astype(np.float32) / 255.0)[:, None]
    )
    with _SPRITES_LOCK:
        _SPRITES[ck] = spr
        if len(_SPRITES) > 64:
            _SPRITES.popitem(last=False)
    return spr


def draw_sprite(
    frame: np.ndarray, key: str, place: Placement, rotation: float, opacity: float
) -> None:
    """Composite the emoji/PNG ``key`` centred on ``place`` into ``frame`` (in place);
    pixels under fully transparent sprite pixels keep their exact value."""
    # even sizes only: a smoothed size drifting by one pixel does not resample every frame
    side = max(2, 2 * round(place.side / 2))
    spr = sprite(key, side, round(rotation, 1), round(opacity, 3))
    sh, sw = spr.pre.shape[:2]
    x0, y0 = round(place.cx - sw / 2), round(place.cy - sh / 2)
    h, w = frame.shape[:2]
    fx0, fy0, fx1, fy1 = max(0, x0), max(0, y0), min(w, x0 + sw), min(h, y0 + sh)
    if fx0 >= fx1 or fy0 >= fy1:
        return
    cut = (slice(fy0 - y0, fy1 - y0), slice(fx0 - x0, fx1 - x0))
    roi = np.ascontiguousarray(frame[fy0:fy1, fx0:fx1])
    cv2.copyTo(np.ascontiguousarray(spr.pre[cut]), np.ascontiguousarray(spr.opaque[cut]), roi)
    ey, ex = spr.edge_yx
    keep = (ey >= cut[0].start) & (ey < cut[0].stop) & (ex >= cut[1].start) & (ex < cut[1].stop)
    ey, ex, k = ey[keep], ex[keep], spr.edge_keep[keep]
    ry, rx = ey - cut[0].start, ex - cut[1].start
    mixed = spr.pre[ey, ex] + roi[ry, rx] * k  # premultiplied "over"
    roi[ry, rx] = np.minimum(mixed + 0.5, 255.0).astype(np.uint8)
    frame[fy0:fy1, fx0:fx1] = roi


def ring(
    mask01: np.ndarray, *, width: int, glow: float, grow: int, feather: float, opacity: float
) -> Target | None:
    """Alpha of a ``width``-px ring just outside the (grown) mask, with an optional Gaussian
    glow; the object itself is never covered."""
    box = bbox(mask01)
    if box is None:
        return None
    reach = max(grow, 0) + width + int(math.ceil(3 * glow + feather)) + 2
    ys, xs = padded(box, reach, mask01.shape)
    m, _ = edge_alpha(np.ascontiguousarray(mask01[ys, xs]), grow, 0.0)
    d_out = cv2.distanceTransform(1 - m, cv2.DIST_L2, cv2.DIST_MASK_5)
    # anti-aliased outer edge: full alpha up to `width`, fading over the next pixel
    alpha = np.clip(width + 0.5 - d_out, 0.0, 1.0).astype(np.float32)
    if glow > 0:
        halo = cv2.GaussianBlur(alpha, (0, 0), glow)
        alpha = np.maximum(alpha, np.clip(2.0 * halo, 0.0, 1.0))
    if feather > 0:
        alpha = cv2.GaussianBlur(alpha, (0, 0), feather / 3.0)
    alpha[m > 0] = 0.0
    alpha *= np.float32(opacity)
    return Target(ys, xs, alpha, hard=False)


def oval(
    mask01: np.ndarray, *, scale: float, grow: int, feather: float, opacity: float
) -> tuple[Target, float] | None:
    """Target of the ellipse inscribed in the mask's bounding box (× ``scale``, grown by
    ``grow`` px), and the ellipse's smaller diameter in px."""
    box = bbox(mask01)
    if box is None:
        return None
    x0, y0, x1, y1 = box
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    ax = max(1.0, (x1 - x0) / 2 * scale + grow)
    ay = max(1.0, (y1 - y0) / 2 * scale + grow)
    reach = int(math.ceil(feather / 2)) + 2
    eb = (int(cx - ax), int(cy - ay), int(math.ceil(cx + ax)), int(math.ceil(cy + ay)))
    ys, xs = padded(eb, reach, mask01.shape)
    m = np.zeros((ys.stop - ys.start, xs.stop - xs.start), np.uint8)
    shift = 4  # sub-pixel centre and axes
    centre = (round((cx - xs.start - 0.5) * 16), round((cy - ys.start - 0.5) * 16))
    cv2.ellipse(m, centre, (round(ax * 16), round(ay * 16)), 0, 0, 360, 1, -1, cv2.LINE_8, shift)
    if not m.any():
        return None
    alpha, hard = edge_alpha(m, 0, feather)
    if opacity < 1:
        alpha, hard = alpha.astype(np.float32) * np.float32(opacity), False
    return Target(ys, xs, alpha, hard), 2 * min(ax, ay)
