"""Fixtures for the tracking tests: real clips, random-weight trackers (loaded once)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
# tests/ is on sys.path, where tests/model could shadow the real `model` package: root first.
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(1, str(HERE))

from model_helpers import DecodedClip  # noqa: E402

from model.tracking import Tracker  # noqa: E402


@pytest.fixture(scope="session")
def dog_clip() -> DecodedClip:
    return DecodedClip("dog_ball.mp4")  # 90 frames, 640x360: a woman, a dog, a red ball


@pytest.fixture(scope="session")
def micro() -> Tracker:
    return Tracker.load("test-random-micro", device="cpu")


@pytest.fixture(scope="session")
def micro_edgetam() -> Tracker:
    return Tracker.load("test-random-micro-edgetam", device="cpu")
