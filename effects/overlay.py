"""Things drawn *at* an object rather than inside it: the emoji/PNG that follows it (with
temporal smoothing), the outline/glow ring, and the face oval."""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

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


class OverlayTrack:
    """Exponential moving average of an overlay's placement, so a jittery mask does not make
    the emoji shake; it restarts from the measurement when the object reappears."""

    def __init__(self, smoothing: float):
        self.smoothing = smoothing
        self.state: Placement | None = None

    def update(self, measured: Placement | None) -> Placement | None:
        if measured is None:  # object absent: hide, and forget (no glide in from the old spot)
            self.state = None
            return None
        s, w = self.state, self.smoothing
        if s is None or w <= 0:
            self.state = measured
        else:
            self.state = Placement(w * s.cx + (1 - w) * measured.cx,
                                   w * s.cy + (1 - w) * measured.cy,
                                   w * s.side + (1 - w) * measured.side)
        return self.state


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


_SPRITES: OrderedDict[tuple[str, int, float], np.ndarray] = OrderedDict()


def _sprite(key: str, side: int, rotation: float) -> np.ndarray:
    """Premultiplied float32 RGBA of the emoji at ``side`` px, rotated (LRU-cached)."""
    ck = (key, side, rotation)
    hit = _SPRITES.get(ck)
    if hit is not None:
        _SPRITES.move_to_end(ck)
        return hit
    rgba = load_emoji(key)
    h, w = rgba.shape[:2]
    s = side / max(h, w)
    size = (max(1, round(w * s)), max(1, round(h * s)))
    # premultiply before resampling so transparent pixels do not bleed a dark fringe
    pre = rgba.astype(np.float32) / 255.0
    pre[..., :3] *= pre[..., 3:4]
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC
    img = cv2.resize(pre, size, interpolation=interp)
    if rotation % 360:
        sw, sh = size
        diag = int(math.ceil(math.hypot(sw, sh)))
        m = cv2.getRotationMatrix2D((sw / 2, sh / 2), rotation, 1.0)
        m[0, 2] += (diag - sw) / 2
        m[1, 2] += (diag - sh) / 2
        img = cv2.warpAffine(img, m, (diag, diag), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0, 0))
    img = np.clip(img, 0.0, 1.0)
    _SPRITES[ck] = img
    if len(_SPRITES) > 64:
        _SPRITES.popitem(last=False)
    return img


def draw_sprite(frame: np.ndarray, key: str, place: Placement, rotation: float,
                opacity: float) -> None:
    """Alpha-composite the emoji/PNG ``key`` centred on ``place`` into ``frame`` (in place);
    pixels under fully transparent sprite pixels keep their exact value."""
    side = max(1, round(place.side))
    spr = _sprite(key, side, round(rotation, 1))
    sh, sw = spr.shape[:2]
    x0, y0 = round(place.cx - sw / 2), round(place.cy - sh / 2)
    h, w = frame.shape[:2]
    fx0, fy0, fx1, fy1 = max(0, x0), max(0, y0), min(w, x0 + sw), min(h, y0 + sh)
    if fx0 >= fx1 or fy0 >= fy1:
        return
    s = spr[fy0 - y0: fy1 - y0, fx0 - x0: fx1 - x0]
    a = s[..., 3:4] * np.float32(opacity)
    roi = frame[fy0:fy1, fx0:fx1].astype(np.float32)
    out = roi * (1.0 - a) + s[..., :3] * (255.0 * opacity) + 0.5
    frame[fy0:fy1, fx0:fx1] = np.minimum(out, 255.0).astype(np.uint8)


def ring(mask01: np.ndarray, *, width: int, glow: float, grow: int, feather: float,
         opacity: float) -> Target | None:
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


def oval(mask01: np.ndarray, *, scale: float, grow: int, feather: float, opacity: float
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
    cv2.ellipse(m, centre, (round(ax * 16), round(ay * 16)), 0, 0, 360, 1, -1,
                cv2.LINE_8, shift)
    if not m.any():
        return None
    alpha, hard = edge_alpha(m, 0, feather)
    if opacity < 1:
        alpha, hard = alpha.astype(np.float32) * np.float32(opacity), False
    return Target(ys, xs, alpha, hard), 2 * min(ax, ay)
