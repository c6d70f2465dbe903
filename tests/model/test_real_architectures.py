"""The real architectures (non-trivial random weights) on a few frames.

Slow on CPU, so kept tiny."""

from __future__ import annotations

import pytest
from model_helpers import DecodedClip, assert_masks_match, reference_masks

from model.tracking import Tracker, TrackingSession


@pytest.mark.slow
@pytest.mark.parametrize("name, frames", [("test-random-edgetam", 4), ("test-random-tiny", 2)])
def test_real_architecture_tracks_and_matches_reference(name, frames):
    tracker = Tracker.load(name, device="cpu")
    assert tracker.image_size == 1024 and tracker.random_weights
    clip = DecodedClip("dog_ball.mp4", limit=frames)
    with TrackingSession(tracker, clip) as session:
        session.add_points(0, 1, [[470, 230]], [1])
        out = dict(session.propagate())
    assert sorted(out) == list(range(frames))
    assert all(m[1].mask.shape == (360, 640) for m in out.values())
    ref = reference_masks(tracker, clip, {1: (0, dict(points=[[470, 230]], labels=[1]))}, start=0)
    assert_masks_match(out, ref, range(frames))
