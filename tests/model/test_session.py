"""TrackingSession behaviour on a real clip with the micro random models.

Random weights give arbitrary masks, so these tests check plumbing and agreement with
transformers' own reference loop, never mask quality. The random models are non-trivial
(``model.testmodels.make_nontrivial``): masks cover 2-98 % of the frame wherever they are
compared. The full parity suite is test_parity.py.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from model_helpers import DecodedClip, assert_masks_match, assert_nontrivial, iou, reference_masks

from model.errors import PromptError
from model.tracking import ObjectMask, TrackingSession
from model.tracking.hf_backend import ShimError

DOG_BOX = [440, 190, 600, 280]  # dog on frame 0 (media README)
WOMAN = [120, 200]


def _prompt_dog_and_woman(session: TrackingSession) -> None:
    session.add_box(0, 1, DOG_BOX)
    session.add_points(0, 2, [WOMAN, [450, 230]], [1, 0])


def test_whole_clip_one_mask_per_object_per_frame_streamed_with_bounded_state(micro, dog_clip):
    with TrackingSession(micro, dog_clip) as session:
        _prompt_dog_and_woman(session)
        session.predict(0)
        dog_clip.reads.clear()
        seen = []
        for frame_idx, masks in session.propagate():
            seen.append(frame_idx)
            assert set(masks) == {1, 2}
            for m in masks.values():
                assert isinstance(m, ObjectMask)
                assert m.mask.shape == (360, 640) and m.mask.dtype == bool
                assert 0.0 <= m.score <= 1.0
            assert len(session._feed.cached_indices()) <= 3 + 2  # LRU + look-ahead, never the clip
        assert seen == list(range(90))
        assert set(session.scores[1]) == set(range(90)) == set(session.scores[2])
        window = session._state.memory_window
        for obj_id in (1, 2):
            tracked = session._state._objects[obj_id].output_dict_per_obj[0][
                "non_cond_frame_outputs"
            ]
            # only the memory window at the end and around the prompted frame survive
            assert tracked and all(f >= 89 - window or f <= window for f in tracked)
    # each frame decoded once, in order: streamed from the provider
    assert dog_clip.reads == list(range(1, 90))


def test_both_directions_cover_the_clip_once(micro):
    clip = DecodedClip("dog_ball.mp4", limit=20)
    with TrackingSession(micro, clip) as session:
        session.add_points(12, 7, [[250, 230]], [1])
        order = [f for f, _ in session.propagate(direction="both")]
    assert order == list(range(12, 20)) + list(range(11, -1, -1))


def test_stop_and_resume_equals_uninterrupted_run(micro):
    clip = DecodedClip("dog_ball.mp4", limit=30)
    with TrackingSession(micro, clip) as full:
        _prompt_dog_and_woman(full)
        expected = dict(full.propagate())
    with TrackingSession(micro, clip) as session:
        _prompt_dog_and_woman(session)
        got = {}
        for frame_idx, masks in session.propagate():
            got[frame_idx] = masks
            if frame_idx == 13:
                break  # the user pressed stop
        assert max(got) == 13
        for frame_idx, masks in session.propagate(start=14):
            got[frame_idx] = masks
    assert sorted(got) == list(range(30))
    for f in range(30):
        for obj_id in (1, 2):
            assert_nontrivial(got[f][obj_id].mask, f"frame {f} object {obj_id}")
            np.testing.assert_array_equal(
                got[f][obj_id].mask, expected[f][obj_id].mask, err_msg=f"frame {f}"
            )


def test_correction_on_frame_k_leaves_earlier_frames_and_persists(micro):
    k = 15
    clip = DecodedClip("dog_ball.mp4", limit=25)
    with TrackingSession(micro, clip) as session:
        session.add_box(0, 1, DOG_BOX)
        before = {f: m[1].mask.copy() for f, m in session.propagate()}
        scores_before = dict(session.scores[1])
        session.add_points(k, 1, [[270, 230], [60, 100]], [1, 0])
        corrected = session.predict(k)[1].mask
        assert k in session.prompts(1)
        after = dict(session.propagate(start=k))
        assert sorted(after) == list(range(k, 25))  # re-propagates from k only
        assert {f: session.scores[1][f] for f in range(k)} == {
            f: scores_before[f] for f in range(k)
        }
        np.testing.assert_array_equal(after[k][1].mask, corrected)
        assert_nontrivial(corrected, "corrected frame")
        assert any((after[f][1].mask != before[f]).any() for f in range(k, 25))
        # the correction is a conditioning frame: a later full run keeps it as given
        rerun = dict(session.propagate())
    np.testing.assert_array_equal(rerun[k][1].mask, corrected)


def test_object_added_mid_clip(micro):
    clip = DecodedClip("dog_ball.mp4", limit=50)
    with TrackingSession(micro, clip) as session:
        session.add_box(0, 1, DOG_BOX)
        for frame_idx, _ in session.propagate():
            if frame_idx == 10:
                break
        session.add_points(45, 3, [[180, 180]], [1])  # the ball in the woman's hand
        first = session.predict(45)
        assert set(first) == {3}
        out = dict(session.propagate(start=11))
    assert sorted(out) == list(range(11, 50))
    assert all(set(m) == {1, 3} for m in out.values())


def test_remove_and_clear(micro):
    clip = DecodedClip("dog_ball.mp4", limit=12)
    with TrackingSession(micro, clip) as session:
        _prompt_dog_and_woman(session)
        session.remove_object(2)
        assert session.object_ids == [1]
        assert all(set(m) == {1} for _, m in session.propagate())
        session.clear_prompts()
        with pytest.raises(PromptError, match="nothing to track"):
            next(session.propagate())
        session.add_points(3, 9, [[100, 100]], [1])
        assert sorted(f for f, _ in session.propagate()) == list(range(3, 12))


def test_second_click_on_same_frame_reuses_image_features(micro, dog_clip):
    calls = []
    hook = micro.backend.model.vision_encoder.register_forward_hook(lambda *a: calls.append(1))
    try:
        with TrackingSession(micro, dog_clip) as session:
            session.add_points(10, 1, [[470, 230]], [1])
            first = session.predict(10)[1].mask
            assert len(calls) == 1
            session.add_points(10, 1, [[520, 250]], [0])
            second = session.predict(10)[1].mask
            assert len(calls) == 1  # no new image encoding for a click on the same frame
            assert session.prompts(1)[10].labels == [1, 0]
            session.add_points(11, 2, [[100, 100]], [1])
            session.predict(11)
            assert len(calls) == 2
    finally:
        hook.remove()
    # the reused features still segment the new prompt: the negative click changed the mask
    assert_nontrivial(second, "mask after the second click")
    assert (first != second).any()


@pytest.mark.parametrize(
    "call, message",
    [
        # object 1 exists (its prompt must survive), object 2 is new (it must not appear)
        (
            lambda s: s.add_points(90, 2, [[10, 10]], [1]),
            r"frame 90 is outside the clip \(0\.\.89\)",
        ),
        (lambda s: s.add_points(-1, 1, [[10, 10]], [1]), "outside the clip"),
        (lambda s: s.add_points(0, 2, [[700, 10]], [1]), "outside the 640x360 frame"),
        (lambda s: s.add_points(0, 1, [[700, 10]], [1]), "outside the 640x360 frame"),
        (lambda s: s.add_points(0, 1, [[10, 10], [20, 20]], [1]), "2 points but 1 labels"),
        (lambda s: s.add_points(0, 2, [[10, 10]], [2]), "labels must be 1"),
        (lambda s: s.add_points(0, 1, [], []), "non-empty"),
        (lambda s: s.add_box(0, 2, [100, 100, 100, 200]), "empty or inverted"),
        (lambda s: s.add_box(0, 1, [300, 100, 200, 200]), "empty or inverted"),
        (lambda s: s.add_box(0, 2, [1, 2, 3]), r"\[x0, y0, x1, y1\]"),
        (lambda s: s.add_mask(0, 1, np.zeros((10, 10), bool)), "frame is"),
        (lambda s: s.add_mask(0, 2, np.zeros((360, 640), bool)), "is empty"),
        (lambda s: s.remove_object(42), "object 42 is not in this session"),
        (lambda s: s.predict(1000), "outside the clip"),
        (lambda s: next(s.propagate(direction="sideways")), "direction"),
    ],
)
def test_bad_prompts_raise_and_session_stays_usable(micro, dog_clip, call, message):
    clip = dog_clip
    with TrackingSession(micro, clip) as session:
        session.add_points(0, 1, [[470, 230]], [1])
        before = session.predict(0)[1].mask
        with pytest.raises(PromptError, match=message):
            call(session)
        # nothing of the refused prompt stays: no new object, object 1's prompt and mask as they
        # were (a half-applied prompt would change the next prediction)
        assert session.object_ids == [1]
        assert session.prompts(1)[0].points == [(470.0, 230.0)]
        assert session.prompts(1)[0].labels == [1]
        masks = session.predict(0)
        assert set(masks) == {1}
        np.testing.assert_array_equal(masks[1].mask, before)


def test_mask_prompt_tracks(micro):
    clip = DecodedClip("dog_ball.mp4", limit=8)
    mask = np.zeros((360, 640), bool)
    mask[190:280, 440:600] = True
    with TrackingSession(micro, clip) as session:
        session.add_mask(0, 1, mask)
        first = session.predict(0)[1]
        # a mask prompt is taken as the answer on its own frame (SAM 2's "mask as output")
        iou = (first.mask & mask).sum() / (first.mask | mask).sum()
        assert iou > 0.9
        assert len(list(session.propagate())) == 8


def _callers_autograd_works() -> bool:
    """What a caller mixing rotokit with its own torch code needs: grad mode on, not in
    inference mode, and a backward pass that works."""
    x = torch.ones(2, requires_grad=True)
    (x * 3).sum().backward()
    return (
        torch.is_grad_enabled()
        and not torch.is_inference_mode_enabled()
        and x.grad is not None
        and x.grad.tolist() == [3.0, 3.0]
    )


def test_inference_mode_never_reaches_the_caller_between_frames_or_after_a_stop(micro):
    """Each step runs under ``torch.inference_mode`` but the generator yields outside it: the
    caller's code between frames (and after it stops iterating mid-clip) is in its own mode."""
    clip = DecodedClip("dog_ball.mp4", limit=8)
    with TrackingSession(micro, clip) as session:
        session.add_points(0, 1, [[470, 230]], [1])
        session.predict(0)
        assert _callers_autograd_works()
        seen = []
        for frame_idx, _ in session.propagate():
            seen.append(frame_idx)
            assert _callers_autograd_works(), f"inference mode leaked into frame {frame_idx}"
            if frame_idx == 3:
                break  # the generator stays suspended
        assert seen == [0, 1, 2, 3]
        assert _callers_autograd_works()
    assert _callers_autograd_works()


def test_speed_optimisations_keep_the_masks(micro_edgetam):
    """Position-encoding cache + RepViT re-parameterisation vs the plain eager model (same
    weights): BN folding changes float rounding only, so masks agree to IoU >= 0.99."""
    from model.testmodels import build_random_model
    from model.tracking import Tracker

    assert micro_edgetam.optimizations  # the session-wide fixture is the optimised path
    plain = Tracker.from_model(
        build_random_model("test-random-micro-edgetam"), "plain", optimize=False
    )
    clip = DecodedClip("dog_ball.mp4", limit=10)

    def run(tracker):
        with TrackingSession(tracker, clip) as session:
            session.add_box(0, 1, DOG_BOX)
            return {f: m[1].mask for f, m in session.propagate()}

    fast, slow = run(micro_edgetam), run(plain)
    for f in range(10):
        assert_nontrivial(fast[f], f"optimised frame {f}")
        assert_nontrivial(slow[f], f"plain frame {f}")
        assert iou(fast[f], slow[f]) >= 0.99, f


def test_clicks_defer_edgetams_memory_encoder_and_masks_still_equal_reference(micro_edgetam):
    """A click on a fresh frame skips EdgeTAM's memory encoder (the click returns sooner); the
    memory is encoded before tracking reads it, from the same tensors: masks stay identical."""
    encoder = micro_edgetam.backend.model.memory_encoder
    calls = []
    hook = encoder.register_forward_hook(lambda *a: calls.append(1))
    clip = DecodedClip("dog_ball.mp4", limit=12)
    try:
        with TrackingSession(micro_edgetam, clip) as session:
            session.add_points(0, 1, [[470, 230]], [1])
            session.predict(0)
            session.add_points(0, 1, [[300, 100]], [0])
            session.predict(0)
            session.add_points(0, 2, [WOMAN], [1])
            clicked = session.predict(0)
            assert calls == []  # three clicks, no memory encoding yet
            ours = dict(session.propagate())
            assert len(calls) >= 2  # the two prompts' memories, then each tracked frame's
    finally:
        hook.remove()
    ref = reference_masks(
        micro_edgetam,
        clip,
        {
            1: (0, dict(points=[[470, 230], [300, 100]], labels=[1, 0])),
            2: (0, dict(points=[WOMAN], labels=[1])),
        },
        start=0,
    )
    assert_masks_match(ours, ref, range(12))
    for obj_id in (1, 2):
        np.testing.assert_array_equal(clicked[obj_id].mask, ours[0][obj_id].mask)


def test_deferred_memory_shim_fails_loudly_when_transformers_internals_change(
    micro_edgetam, monkeypatch
):
    """The tests run with ROTOKIT_STRICT_SHIMS=1: a transformers release calling EdgeTAM's memory
    encoder differently must fail here, not fall back silently; users still get the fallback."""
    import model.tracking.hf_backend as hf_backend

    monkeypatch.setattr(
        hf_backend, "_MEMORY_ARGS", hf_backend._MEMORY_ARGS | {"an_argument_renamed_upstream"}
    )
    clip = DecodedClip("dog_ball.mp4", limit=3)
    with TrackingSession(micro_edgetam, clip) as session:
        session.add_points(0, 1, [[470, 230]], [1])
        with pytest.raises(ShimError, match=r"_encode_new_memory .*hf_backend\.py must be updated"):
            session.predict(0)
    monkeypatch.setenv("ROTOKIT_STRICT_SHIMS", "0")  # a user's install: the library's own path
    with TrackingSession(micro_edgetam, clip) as session:
        session.add_points(0, 1, [[470, 230], [300, 100]], [1, 0])
        ours = dict(session.propagate())
    ref = reference_masks(
        micro_edgetam, clip, {1: (0, dict(points=[[470, 230], [300, 100]], labels=[1, 0]))}, start=0
    )
    assert_masks_match(ours, ref, range(3))


def test_edgetam_correction_and_late_object_after_deferred_clicks(micro_edgetam):
    k = 6
    clip = DecodedClip("dog_ball.mp4", limit=14)
    with TrackingSession(micro_edgetam, clip) as session:
        session.add_box(0, 1, DOG_BOX)
        session.predict(0)
        first = dict(session.propagate())
        session.add_points(k, 1, [[270, 230]], [1])  # correction on a tracked frame
        corrected = session.predict(k)[1].mask
        session.add_points(10, 2, [[180, 180]], [1])  # new object on a later frame
        session.predict(10)
        again = dict(session.propagate(start=k))
    assert sorted(first) == list(range(14)) and sorted(again) == list(range(k, 14))
    np.testing.assert_array_equal(again[k][1].mask, corrected)
    assert all(set(m) == {1, 2} for f, m in again.items() if f >= 10)
