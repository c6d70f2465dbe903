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
    """``frames_of(name, indices=None)`` yields ``(idx, rgb)`` of a real clip, display
    orientation."""

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


@pytest.fixture(scope="session")
def count_faces(detector: FaceDetector) -> Callable[..., dict[str, int]]:
    """``count_faces(original, anonymized, step=1)``: faces found in the original and still found
    in the anonymized video, by the same CenterFace detector and by an independent one (OpenCV's
    Haar cascade), over every ``step``-th frame.

    A detection in the anonymized video counts as a face still found when its centre lies in a
    box the same detector found on the same frame of the original; detections elsewhere (Haar
    firing on the texture of a blurred patch or a cloth) are not faces of the original.
    """
    import cv2

    haar = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    assert not haar.empty(), "OpenCV 4.x with Haar cascades is required"

    def boxes(rgb: np.ndarray) -> tuple[list, list]:
        grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        found = haar.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5, minSize=(16, 16))
        return [d.box for d in detector.detect(rgb)], [(x, y, x + w, y + h) for x, y, w, h in found]

    def count(original: Path, anonymized: Path, step: int = 1) -> dict[str, int]:
        n = {"centerface_in": 0, "centerface_out": 0, "haar_in": 0, "haar_out": 0}
        with FrameSource(original, cache_bytes=0) as a, FrameSource(anonymized, cache_bytes=0) as b:
            for fa, fb in zip(a.iter_frames(), b.iter_frames(), strict=True):
                if fa.index % step:
                    continue
                for name, before, after in zip(
                    ("centerface", "haar"), boxes(fa.rgb), boxes(fb.rgb), strict=True
                ):
                    n[f"{name}_in"] += len(before)
                    n[f"{name}_out"] += sum(any(_centre_in(o, i) for i in before) for o in after)
        return n

    return count


def _centre_in(box, outer) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return outer[0] <= cx <= outer[2] and outer[1] <= cy <= outer[3]
