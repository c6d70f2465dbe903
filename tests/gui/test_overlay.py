"""The viewer's pixel work (overlay fill/outline, cut-out checkerboard) is plain numpy: no Qt."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from app.gui.overlay import MaskLayer, checkerboard_under, compose_overlay


def test_overlay_module_imports_no_qt():
    """Its docstring promises it is Qt-free; importing it must not load PySide6."""
    code = "import sys, app.gui.overlay; print('PySide6' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_mask_is_tinted_and_outlined_the_rest_untouched():
    rgb = np.full((20, 20, 3), 100, np.uint8)
    mask = np.zeros((20, 20), bool)
    mask[5:15, 5:15] = True
    out = compose_overlay(rgb, [MaskLayer(mask, (255, 0, 0))], alpha=0.5)
    near = np.zeros_like(mask)
    near[4:16, 4:16] = True  # the outline may take one pixel outside the mask
    assert (out[~near] == 100).all()  # elsewhere: unchanged
    assert tuple(out[10, 10]) == (177, 50, 50)  # inside: half-way to red
    assert tuple(out[5, 10]) == (255, 0, 0)  # the edge: the object's colour
    assert (rgb == 100).all()  # the input frame is not modified


def test_active_object_has_a_thicker_outline():
    rgb = np.zeros((30, 30, 3), np.uint8)
    mask = np.zeros((30, 30), bool)
    mask[10:20, 10:20] = True
    thin = compose_overlay(rgb, [MaskLayer(mask, (0, 255, 0))])
    thick = compose_overlay(rgb, [MaskLayer(mask, (0, 255, 0), active=True)])
    edge = lambda img: int((img == (0, 255, 0)).all(axis=2).sum())  # noqa: E731
    assert edge(thick) > edge(thin) > 0


def test_checkerboard_shows_only_where_transparent():
    rgba = np.zeros((32, 32, 4), np.uint8)
    rgba[..., :3] = 200
    rgba[:, 16:, 3] = 255  # right half opaque
    out = checkerboard_under(rgba)
    assert out.shape == (32, 32, 3)
    assert (out[:, 16:] == 200).all()
    assert {int(v) for v in np.unique(out[:, :16])} == {90, 140}
