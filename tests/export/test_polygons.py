"""YOLO outlines: specks and pinholes below the minimum area go, everything else stays.

The fast path skips the pixel-exact speck removal when every outline is clearly large; these
masks put holes and pieces of 1–5 pixels right at the threshold (1080p: 4 px), where a wrong
bound on an outline's enclosed area would keep a pinhole or drop a real hole.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from app.export.yolo import _drop_specks, _outlines, fit_polygon, polygon_iou

SHAPES = {  # offsets of the pixels of small holes / pieces
    1: [(0, 0)],
    2: [(0, 0), (0, 1)],
    3: [(0, 0), (0, 1), (1, 1)],  # L
    4: [(0, 0), (0, 1), (1, 0), (1, 1)],  # 2×2
    5: [(0, 1), (1, 0), (1, 1), (1, 2), (2, 1)],  # plus
}


def _mask(holes: bool, pieces: bool, sizes: tuple[int, ...] = tuple(SHAPES)) -> np.ndarray:
    mask = np.zeros((1080, 1920), np.uint8)
    cv2.circle(mask, (900, 540), 400, 1, -1)
    for k in sizes:
        offsets = SHAPES[k]
        for dy, dx in offsets:
            if holes:
                mask[400 + dy, 600 + 80 * k + dx] = 0  # a hole of k pixels
            if pieces:
                mask[100 + dy, 1500 + 40 * k + dx] = 1  # a piece of k pixels
    return mask.astype(bool)


@pytest.mark.parametrize(
    "holes,pieces,sizes,expected",
    [
        (True, False, (1, 2, 3, 4, 5), 3),
        (False, True, (1, 2, 3, 4, 5), 3),
        (True, True, (1, 2, 3, 4, 5), 5),
        (True, False, (2, 3), 1),  # only pinholes whose outlines enclose 4 and 5.5 px: still noise
    ],
)
def test_pinholes_and_specks_below_min_area_are_dropped_others_kept(
    holes, pieces, sizes, expected
) -> None:
    """1080p: min area 4 px. Kept: the disc plus the 4- and 5-pixel holes and/or pieces."""
    mask = _mask(holes, pieces, sizes)
    outlines = _outlines(mask, 4, 200)
    assert len(outlines) == expected
    reference, _ = cv2.findContours(_drop_specks(mask, 4), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    assert sorted(c.tobytes() for c in outlines) == sorted(c.tobytes() for c in reference)


@pytest.mark.parametrize("tolerance", [None, 0.0, 1.0])
def test_fit_polygon_keeps_the_mask(tolerance) -> None:
    mask = np.zeros((1080, 1920), np.uint8)
    cv2.ellipse(mask, (960, 540), (500, 300), 20, 0, 360, 1, -1)
    cv2.circle(mask, (900, 520), 120, 0, -1)
    cv2.circle(mask, (1600, 200), 60, 1, -1)
    mask = mask.astype(bool)
    polygon = fit_polygon(mask, min_area=4, tolerance=tolerance)
    assert polygon_iou(polygon, mask, (0, 0, 1920, 1080)) >= 0.98
    exact = fit_polygon(mask, min_area=4, tolerance=0.0)
    if tolerance is None:
        assert len(polygon) < len(exact) / 4  # the automatic tolerance did simplify
