"""Real frames (decoded with PyAV directly) and synthetic masks with known geometry."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
# pytest puts tests/ on sys.path (rootdir conftest), where tests/effects would shadow the real
# `effects` package as a namespace package: make the repository root win.
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(1, str(HERE))  # effects_scenes (shared with the golden-image generator)

from effects_scenes import DOG_BOX, FACE_BOX, ellipse_mask, real_frame  # noqa: E402


@pytest.fixture(scope="session")
def dog_frame() -> np.ndarray:
    """dog_ball.mp4 frame 0 (640×360): the dog is at about (440, 190)–(600, 280)."""
    return real_frame("dog_ball.mp4", 0)


@pytest.fixture(scope="session")
def face_frame() -> np.ndarray:
    """people_audio.mp4 frame 10 (640×360): one frontal face at about (290, 100, 70, 70)."""
    return real_frame("people_audio.mp4", 10)


@pytest.fixture(scope="session")
def dog_mask() -> np.ndarray:
    return ellipse_mask((360, 640), DOG_BOX)


@pytest.fixture(scope="session")
def face_mask() -> np.ndarray:
    return ellipse_mask((360, 640), FACE_BOX)
