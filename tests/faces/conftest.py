"""Face tests: one detector and the people_audio detections shared by the whole folder (the
detector costs ~70 ms a frame on this 2-core machine)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from app.media import FrameSource
from model.faces import FaceDetection, FaceDetector

FramesOf = Callable[..., Iterator[tuple[int, np.ndarray]]]


@pytest.fixture(scope="session")
def detector() -> FaceDetector:
    return FaceDetector(threshold=0.5)


@pytest.fixture(scope="session")
def frames_of(media_dir: Path) -> FramesOf:
    """``frames_of(name, indices=None)`` yields ``(idx, rgb)`` of a real clip, display orientation."""

    def frames(name: str, indices: list[int] | None = None) -> Iterator[tuple[int, np.ndarray]]:
        with FrameSource(media_dir / name, cache_bytes=0) as src:
            for fr in src.iter_frames():
                if indices is None or fr.index in indices:
                    yield fr.index, np.array(fr.rgb)

    return frames


@pytest.fixture(scope="session")
def people_detections(detector: FaceDetector, frames_of: FramesOf) -> list[list[FaceDetection]]:
    """Detections on every frame of people_audio.mp4 (96 frames, one frontal face)."""
    return [detector.detect(rgb) for _, rgb in frames_of("people_audio.mp4")]
