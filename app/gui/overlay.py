"""Mask overlays for the viewer: translucent colour fill plus a crisp outline, in numpy/OpenCV.

Kept out of the widget so it is testable without Qt and so the viewer only paints a QImage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from PySide6.QtGui import QImage

__all__ = ["MaskLayer", "compose_overlay", "to_qimage"]

_KERNEL = np.ones((3, 3), np.uint8)


@dataclass(frozen=True)
class MaskLayer:
    """One object's mask on the current frame, drawn in ``colour`` (RGB)."""

    mask: np.ndarray  # H×W bool
    colour: tuple[int, int, int]
    active: bool = False


def compose_overlay(
    rgb: np.ndarray, layers: Sequence[MaskLayer], alpha: float = 0.45
) -> np.ndarray:
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


def to_qimage(rgb: np.ndarray) -> QImage:
    """Wrap an H×W×3 (or ×4) uint8 array as a QImage that owns a copy of the pixels."""
    arr = np.ascontiguousarray(rgb)
    h, w = arr.shape[:2]
    if arr.ndim == 3 and arr.shape[2] == 4:
        img = QImage(arr.data, w, h, arr.strides[0], QImage.Format.Format_RGBA8888)
    else:
        img = QImage(arr.data, w, h, arr.strides[0], QImage.Format.Format_RGB888)
    return img.copy()  # detach from the numpy buffer, which Python may free
