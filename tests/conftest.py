"""Shared fixtures: the real clips in ../shared/media (beside the checkout, as in CI)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MEDIA = Path(os.environ.get("ROTOKIT_MEDIA", REPO.parent / "shared" / "media"))

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

CLIPS = [
    "people_audio.mp4",
    "dog_ball.mp4",
    "bedroom_small.mp4",
    "vfr.mp4",
    "rotated.mp4",
    "odd_size.mp4",
    "beeps_audio.mp4",
]


@pytest.fixture(scope="session")
def media_dir() -> Path:
    if not MEDIA.is_dir():
        raise RuntimeError(f"test media not found at {MEDIA} (set ROTOKIT_MEDIA)")
    return MEDIA


def clip_path(name: str) -> Path:
    """Path of a real test clip; fails loudly (not skip) when the shared media is missing."""
    path = MEDIA / name
    if not path.is_file():
        raise RuntimeError(f"test clip missing: {path}")
    return path
