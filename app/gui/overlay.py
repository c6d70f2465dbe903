"""The viewer's pixel work in numpy/OpenCV: mask overlays (translucent fill plus a crisp
outline) and the checkerboard under a cut-out.

Qt-free (no PySide6 import: `tests/gui/test_overlay.py` checks it), so it is tested on plain
arrays; the frame loader wraps the result in a QImage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

__all__ = ["MaskLayer", "compose_overlay", "checkerboard_under"]

RGB = npt.NDArray[np.uint8]

_KERNEL = np.ones((3, 3), np.uint8)


@dataclass(frozen=True)
class MaskLayer:
    """One object's mask on the current frame, drawn in ``colour`` (RGB)."""

    mask: npt.NDArray[np.bool_]  # H×W
    colour: tuple[int, int, int]
    active: bool = False


def compose_overlay(rgb: RGB, layers: Sequence[MaskLayer], alpha: float = 0.45) -> RGB:
    """Return a copy of ``rgb`` (H×W×3 uint8) with each mask filled translucently and outlined.

    The active object's outline is thicker so the user sees which object a click will edit.
    """
    out = rgb.copy()
    h, w = out.shape[:2]
    for layer in layers:
        mask = layer.mask
        if mask is None or mask.shape[:2] != (h, w) or not mask.any():
            continue
        m8 = mask.astype(np.uint8)
        colour = np.asarray(layer.colour, np.float32)
        sel = out[mask].astype(np.float32)
        out[mask] = (sel * (1.0 - alpha) + colour * alpha).astype(np.uint8)
        edge = cv2.morphologyEx(m8, cv2.MORPH_GRADIENT, _KERNEL)
        if layer.active:
            edge = cv2.dilate(edge, _KERNEL)
        out[edge.astype(bool)] = layer.colour
    return out


def checkerboard_under(rgba: RGB) -> RGB:
    """Show transparency (cut-out) over a grey checkerboard: H×W×4 in, H×W×3 out."""
    h, w = rgba.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    board = np.where(((yy // 16 + xx // 16) % 2)[..., None] == 0, 90, 140).astype(np.uint16)
    a = rgba[..., 3:4].astype(np.uint16)
    return ((rgba[..., :3] * a + board * (255 - a)) // 255).astype(np.uint8)
