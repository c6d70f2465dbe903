"""Benchmark inputs made from the shared test clips: upscaled frames, looped without a jump."""

from __future__ import annotations

import os
from pathlib import Path

import av
import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
MEDIA = Path(os.environ.get("ROTOKIT_MEDIA", REPO.parent / "shared" / "media"))


def upscaled_frames(width: int, height: int, name: str = "dog_ball.mp4") -> list[np.ndarray]:
    """Every frame of a shared clip as RGB, upscaled (bicubic) to ``width``×``height``."""
    with av.open(str(MEDIA / name)) as src:
        return [
            cv2.resize(f.to_ndarray(format="rgb24"), (width, height), interpolation=cv2.INTER_CUBIC)
            for f in src.decode(video=0)
        ]


def ping_pong(i: int, length: int) -> int:
    """Which of ``length`` frames is frame ``i`` of the clip played forward, then backward,
    looped: the motion stays continuous however long the output."""
    period = 2 * length - 2
    k = i % period
    return k if k < length else period - k
