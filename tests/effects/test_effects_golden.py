"""Every effect re-rendered on a real frame matches its reviewed golden image, so any visual
change shows up here (regenerate with tests/effects/effects_golden.py, review the contact
sheet, commit)."""

from __future__ import annotations

import numpy as np
import pytest
from effects_golden import GOLDEN, GOLDEN_DIR, read_png, render

from effects import EFFECT_TYPES


def test_every_effect_type_has_a_golden_image():
    covered = {
        stack["type"]
        for _, bg, objs in GOLDEN.values()
        for stack in bg + [e for effs in objs.values() for e in effs]
    }
    assert covered == set(EFFECT_TYPES)


@pytest.mark.parametrize("name", list(GOLDEN))
def test_matches_golden(name):
    want = read_png(GOLDEN_DIR / f"{name}.png")
    got = render(name)
    assert got.shape == want.shape
    diff = np.abs(got.astype(int) - want.astype(int))
    # tolerance for OpenCV/FFmpeg version drift, far below any visible change of an effect
    assert diff.mean() < 0.5, diff.mean()
    assert (diff > 12).mean() < 0.002, (diff > 12).mean()
