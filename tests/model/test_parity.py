"""Parity with transformers' own video loop, for both SAM 2.1 and EdgeTAM (micro, non-trivial
random weights): its processor preprocesses the clip, ``add_inputs_to_inference_session`` +
``model(...)`` segment each prompt, ``propagate_in_video_iterator`` tracks and
``post_process_masks`` makes the masks (``model.tracking.reference``).

Every compared mask covers 2-98 % of the frame, low-res logits are allclose and masks agree
pixel for pixel (rotokit feeds the model bit-identical tensors). The one deliberate difference,
a correction on a tracked frame kept as a conditioning frame, is tested against Meta's predictor
semantics (``conditioning=True`` in the reference loop), and the plain transformers behaviour is
shown to differ.
"""

from __future__ import annotations

import numpy as np
import pytest
from model_helpers import (
    DecodedClip,
    LogitSpy,
    assert_logits_match,
    assert_masks_match,
    assert_nontrivial,
    reference_masks,
)

from model.tracking import TrackingSession
from model.tracking.reference import ReferenceLoop

DOG_BOX = [440, 190, 600, 280]  # dog on frame 0 (media README)
WOMAN = [120, 200]
BALL = [180, 180]

ARCHITECTURES = ["micro", "micro_edgetam"]


def _box_mask(h: int = 360, w: int = 640) -> np.ndarray:
    mask = np.zeros((h, w), bool)
    mask[190:280, 440:600] = True
    return mask


# name: [(obj_id, frame, prompt)] in the order a user gives them
PROMPTS = {
    "points_pos_neg": [(1, 0, dict(points=[[470, 230], [300, 100]], labels=[1, 0]))],
    "box": [(1, 0, dict(box=DOG_BOX))],
    "box_and_points": [(1, 0, dict(box=DOG_BOX, points=[[520, 240], [450, 200]], labels=[1, 0]))],
    "mask": [(1, 0, dict(mask=_box_mask()))],
    "two_objects": [
        (1, 0, dict(box=DOG_BOX)),
        (2, 0, dict(points=[WOMAN, [450, 230]], labels=[1, 0])),
    ],
    "three_objects": [
        (1, 0, dict(box=DOG_BOX)),
        (2, 0, dict(points=[WOMAN], labels=[1])),
        (3, 0, dict(points=[BALL], labels=[1])),
    ],
}


def _prompt(session: TrackingSession, obj_id: int, frame: int, prompt: dict) -> None:
    if "mask" in prompt:
        session.add_mask(frame, obj_id, prompt["mask"])
        return
    if "box" in prompt:
        session.add_box(frame, obj_id, prompt["box"])
    if "points" in prompt:
        session.add_points(frame, obj_id, prompt["points"], prompt["labels"])


def _run_both(tracker, clip, prompts, **propagate):
    """rotokit's session and the reference loop, same prompts, one forward pass."""
    spy = LogitSpy()
    with TrackingSession(tracker, clip) as session, spy.watch(session):
        for obj_id, frame, prompt in prompts:
            _prompt(session, obj_id, frame, prompt)
            session.predict(frame)  # the user sees each prompt's mask at once
        ours = dict(session.propagate(**propagate))
    ref = ReferenceLoop(tracker.backend.model, clip.frames)
    for obj_id, frame, prompt in prompts:
        ref.add(frame, obj_id, **prompt)
    return ours, spy, ref


@pytest.mark.parametrize("arch", ARCHITECTURES)
@pytest.mark.parametrize("kind", list(PROMPTS))
def test_prompt_kinds_match_transformers_loop(arch, kind, request):
    tracker = request.getfixturevalue(arch)
    clip = DecodedClip("dog_ball.mp4", limit=6)
    ours, spy, ref = _run_both(tracker, clip, PROMPTS[kind])
    expected = dict(ref.propagate(start=0))
    assert_logits_match(spy, expected, range(6))
    assert_masks_match(ours, expected, range(6))


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_backward_and_both_ways_match(arch, request):
    tracker = request.getfixturevalue(arch)
    clip = DecodedClip("dog_ball.mp4", limit=10)
    prompts = [(1, 6, dict(points=[[250, 230]], labels=[1])), (2, 6, dict(box=DOG_BOX))]
    ours, spy, ref = _run_both(tracker, clip, prompts, direction="backward")
    expected = dict(ref.propagate(start=6, reverse=True))
    assert sorted(ours) == list(range(7))
    assert_logits_match(spy, expected, range(7))
    assert_masks_match(ours, expected, range(7))

    ours, spy, ref = _run_both(tracker, clip, prompts, direction="both")
    forward = dict(ref.propagate(start=6))
    backward = dict(ref.propagate(start=6, reverse=True))
    expected = {**backward, **forward}
    assert_logits_match(spy, expected, range(10))
    assert_masks_match(ours, expected, range(10))


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_stop_and_resume_matches_uninterrupted_reference(arch, request):
    tracker = request.getfixturevalue(arch)
    clip = DecodedClip("dog_ball.mp4", limit=10)
    with TrackingSession(tracker, clip) as session:
        session.add_box(0, 1, DOG_BOX)
        session.add_points(0, 2, [WOMAN], [1])
        ours = {}
        for frame_idx, masks in session.propagate():
            ours[frame_idx] = masks
            if frame_idx == 4:
                break  # the user pressed stop
        ours.update(session.propagate(start=5))
    ref = ReferenceLoop(tracker.backend.model, clip.frames)
    ref.add(0, 1, box=DOG_BOX)
    ref.add(0, 2, points=[WOMAN], labels=[1])
    assert_masks_match(ours, dict(ref.propagate(start=0)), range(10))


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_object_added_on_a_later_frame_matches(arch, request):
    tracker = request.getfixturevalue(arch)
    clip = DecodedClip("dog_ball.mp4", limit=12)
    with TrackingSession(tracker, clip) as session:
        session.add_box(0, 1, DOG_BOX)
        first = {}
        for frame_idx, masks in session.propagate():
            first[frame_idx] = masks
            if frame_idx == 4:
                break
        session.add_points(9, 2, [BALL], [1])
        assert set(session.predict(9)) == {2}
        later = dict(session.propagate(start=5))
    ref = ReferenceLoop(tracker.backend.model, clip.frames)
    ref.add(0, 1, box=DOG_BOX)
    ref_first = {}
    for frame_idx, masks in ref.propagate(start=0):
        ref_first[frame_idx] = masks
        if frame_idx == 4:
            break
    ref.add(9, 2, points=[BALL], labels=[1])
    assert_masks_match(first, ref_first, range(5))
    ref_later = dict(ref.propagate(start=5))
    assert all(set(m) == {1, 2} for m in later.values())
    assert_masks_match(later, ref_later, range(5, 12))


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_correction_on_a_tracked_frame_follows_metas_predictor(arch, request):
    """rotokit keeps a correction on a tracked frame as a conditioning frame, as Meta's SAM 2
    predictor does (``add_all_frames_to_correct_as_cond``); plain transformers stores it as a
    tracked frame and re-propagation overwrites it. So the reference here is transformers' loop
    with that one rule applied, and the plain loop is shown to lose the correction."""
    tracker = request.getfixturevalue(arch)
    k = 4
    clip = DecodedClip("dog_ball.mp4", limit=9)
    correction = dict(points=[[270, 230], [500, 250]], labels=[1, 0])
    with TrackingSession(tracker, clip) as session:
        session.add_box(0, 1, DOG_BOX)
        before = dict(session.propagate())
        session.add_points(k, 1, correction["points"], correction["labels"])
        corrected = session.predict(k)
        after = dict(session.propagate(start=k))
    ref = ReferenceLoop(tracker.backend.model, clip.frames)
    ref.add(0, 1, box=DOG_BOX)
    assert_masks_match(before, dict(ref.propagate(start=0)), range(9))
    ref_corrected = ref.add(k, 1, conditioning=True, **correction)
    assert_masks_match({k: corrected}, {k: ref_corrected}, [k])
    assert_masks_match(after, dict(ref.propagate(start=k)), range(k, 9))
    np.testing.assert_array_equal(after[k][1].mask, corrected[1].mask)

    plain = ReferenceLoop(tracker.backend.model, clip.frames)
    plain.add(0, 1, box=DOG_BOX)
    list(plain.propagate(start=0))
    plain.add(k, 1, **correction)
    lost = dict(plain.propagate(start=k))[k][1].mask
    assert (lost != corrected[1].mask).any()  # transformers alone drops the correction


def test_clip_longer_than_the_memory_window_matches_with_pruning(micro):
    clip = DecodedClip("dog_ball.mp4", limit=44)
    with TrackingSession(micro, clip) as session:
        session.add_box(0, 1, DOG_BOX)
        session.add_points(0, 2, [WOMAN], [1])
        ours = dict(session.propagate())
        window = session._state.memory_window
        tracked = session._state._objects[1].output_dict_per_obj[0]["non_cond_frame_outputs"]
        assert 44 > 2 * window + 1 and len(tracked) <= 2 * window + 1  # pruned while tracking
    ref = ReferenceLoop(micro.backend.model, clip.frames)
    ref.add(0, 1, box=DOG_BOX)
    ref.add(0, 2, points=[WOMAN], labels=[1])
    assert_masks_match(ours, dict(ref.propagate(start=0)), range(44))


def test_a_mask_that_is_empty_fails_the_parity_check():
    """The guard itself: empty (or full) masks can never pass as agreement."""
    with pytest.raises(AssertionError, match="covers 0.0%"):
        assert_nontrivial(np.zeros((36, 64), bool), "empty")
    with pytest.raises(AssertionError, match="covers 100.0%"):
        assert_nontrivial(np.ones((36, 64), bool), "full")


def test_the_reference_runs_none_of_rotokits_preprocessing(micro, monkeypatch):
    """The yardstick is the library: transformers' processor makes the reference's input tensors
    and masks, so a bug in rotokit's Preprocessor cannot sit on both sides of the comparison."""
    from model.tracking import preprocess

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the reference called rotokit's preprocessing")

    monkeypatch.setattr(preprocess.Preprocessor, "__call__", refuse)
    monkeypatch.setattr(preprocess.Preprocessor, "resize", refuse)
    monkeypatch.setattr(preprocess, "logits_to_masks", refuse)
    clip = DecodedClip("dog_ball.mp4", limit=3)
    ref = reference_masks(micro, clip, {1: (0, {"box": DOG_BOX})}, start=0)
    assert sorted(ref) == [0, 1, 2]
    for f in ref:
        assert_nontrivial(ref[f][1].mask, f"reference frame {f}")
