"""A fresh session given another session's exported memory continues exactly as the first
would have (what lets a killed run resume), for both SAM 2 and EdgeTAM (its memory goes
through the spatial perceiver and is deferred after a click)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from app.media import FrameSource


@pytest.mark.parametrize("name", ["test-random-micro", "test-random-micro-edgetam"])
def test_imported_memory_continues_exactly_and_a_cold_start_does_not(name, short_clip) -> None:
    from model.testmodels import build_random_model
    from model.tracking import Tracker, TrackingSession

    torch.set_num_threads(1)
    tracker = Tracker.from_model(build_random_model(name), name=name, random_weights=True)
    ids = [1, 2]
    with FrameSource(short_clip) as frames:

        def session() -> TrackingSession:
            s = TrackingSession(tracker, frames)
            s.add_points(0, 1, [[160, 90]], [1])
            s.add_box(3, 2, [50, 25, 200, 150])
            return s

        def steps(s, lo, hi, before=None):
            return {
                f: m
                for f, m in s.run_steps(
                    [(f, ids) for f in range(lo, hi)], reverse=False, keep={0}, before=before
                )
            }

        full = steps(session(), 0, 24)
        first = session()
        steps(first, 0, 12)
        saved = {
            (o, f): first.export_memory(o, f)
            for o in ids
            for f in range(12 - first.memory_window + 1, 12)
        }
        assert saved[(2, 3)] is None and saved[(1, 11)] is not None  # prompted frames are not saved

        resumed = session()

        def restore(frame_idx: int) -> None:
            if frame_idx == 12:
                for (o, f), data in saved.items():
                    if data is not None:
                        resumed.import_memory(o, f, data, reverse=False)

        again = steps(resumed, 12, 24, before=restore)
        cold = steps(session(), 12, 24)
    coverage = np.mean([full[f][o].mask.mean() for f in full for o in ids])
    assert 0.02 < coverage < 0.98
    for f in range(12, 24):
        for o in ids:
            np.testing.assert_array_equal(
                again[f][o].mask, full[f][o].mask, err_msg=f"frame {f}, object {o}"
            )
    assert sum(int((cold[f][o].mask != full[f][o].mask).sum()) for f in cold for o in ids) > 0
