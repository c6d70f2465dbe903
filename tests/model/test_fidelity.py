"""F1 (DESIGN.md section 5): on the real EdgeTAM architecture with non-trivial random weights,
rotokit's masks equal transformers' own loop at 1080p and on a 4K clip with 1-3 px texture
(where a resize without antialiasing differs by thousands of pixels per mask)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from model_helpers import DecodedClip, assert_masks_match

from model.tracking import Tracker, TrackingSession
from model.tracking.reference import ReferenceLoop

FRAMES = 3


def _upscaled(size: tuple[int, int], texture: bool) -> DecodedClip:
    """The first frames of a real clip at ``size`` (w, h); ``texture`` adds a fixed pattern of
    1-3 px blocks (±40 grey levels), the detail that aliases when a 4K frame is shrunk to 1024."""
    base = DecodedClip("dog_ball.mp4", limit=FRAMES).frames
    w, h = size
    frames = [cv2.resize(f, (w, h), interpolation=cv2.INTER_CUBIC) for f in base]
    if texture:
        rng = np.random.default_rng(12)
        pattern = np.zeros((h, w), np.int16)
        for block in (1, 2, 3):
            cells = rng.integers(-1, 2, size=(h // block + 1, w // block + 1)).astype(np.int16) * 13
            pattern += np.kron(cells, np.ones((block, block), np.int16))[:h, :w]
        frames = [
            np.clip(f.astype(np.int16) + pattern[..., None], 0, 255).astype(np.uint8)
            for f in frames
        ]
    return DecodedClip(frames=frames)


@pytest.fixture(scope="module")
def edgetam() -> Tracker:
    return Tracker.load("test-random-edgetam", device="cpu")


@pytest.mark.slow
@pytest.mark.parametrize(
    "size, texture", [((1920, 1080), False), ((3840, 2160), True)], ids=["1080p", "4k-texture"]
)
def test_f1_edgetam_two_objects_worst_iou_vs_transformers(edgetam, size, texture):
    clip = _upscaled(size, texture)
    sx = size[0] / 640
    point = [470 * sx, 230 * sx]
    box = [v * sx for v in (120, 120, 330, 350)]  # the woman
    with TrackingSession(edgetam, clip) as session:
        session.add_points(0, 1, [point], [1])
        session.add_box(0, 2, box)
        ours = dict(session.propagate())
    ref = ReferenceLoop(edgetam.backend.model, clip.frames)
    ref.add(0, 1, points=[point], labels=[1])
    ref.add(0, 2, box=box)
    expected = dict(ref.propagate(start=0))
    # IoU >= 0.9995 is F1; a handful of pixels may flip where a logit is within float rounding of 0
    worst = assert_masks_match(
        ours, expected, range(FRAMES), min_iou=0.9995, max_diff=size[0] * size[1] // 2000
    )
    print(f"F1 {size[0]}x{size[1]}: worst IoU {worst:.6f}")
