"""Helpers for the tracking tests: a PyAV FrameProvider over a real clip, transformers' own loop
(``model.tracking.reference``: its processor, session, ``propagate_in_video_iterator`` and
``post_process_masks``, nothing of rotokit's) and the parity assertions."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import av
import numpy as np
import torch

from model.tracking import Tracker
from model.tracking.reference import ReferenceLoop

REPO = Path(__file__).resolve().parents[2]
MEDIA = Path(os.environ.get("ROTOKIT_MEDIA", REPO.parent / "shared" / "media"))

# A compared mask must cover this share of the frame: empty or full masks prove nothing.
MIN_COVERAGE, MAX_COVERAGE = 0.02, 0.98


def clip_path(name: str) -> Path:
    path = MEDIA / name
    if not path.is_file():
        raise RuntimeError(f"test clip missing: {path}")
    return path


class DecodedClip:
    """A tiny FrameProvider over PyAV-decoded frames (tests only: it holds the clip), counting
    frame reads so tests can check the session's decode pattern."""

    def __init__(
        self, name: str | None = None, limit: int | None = None, frames: list | None = None
    ) -> None:
        if frames is None:
            frames = []
            with av.open(str(clip_path(name))) as container:
                for frame in container.decode(video=0):
                    frames.append(frame.to_ndarray(format="rgb24"))
                    if limit is not None and len(frames) == limit:
                        break
        self.frames = frames
        self.reads: list[int] = []

    def __len__(self) -> int:
        return len(self.frames)

    def frame(self, idx: int) -> np.ndarray:
        self.reads.append(idx)
        return self.frames[idx]


def reference_masks(tracker: Tracker, clip, prompts, start: int, reverse: bool = False) -> dict:
    """transformers' own loop on the whole clip: ``{frame: {obj_id: ReferenceMask}}``.

    ``prompts`` is ``{obj_id: (frame_idx, dict(points=..., labels=..., box=..., mask=...))}``
    in frame pixels, added in order, each followed by ``model(...)`` on its frame.
    """
    loop = ReferenceLoop(tracker.backend.model, clip.frames)
    for obj_id, (frame_idx, prompt) in prompts.items():
        loop.add(frame_idx, obj_id, **prompt)
    return dict(loop.propagate(start=start, reverse=reverse))


def coverage(mask: np.ndarray) -> float:
    return float(mask.mean())


def assert_nontrivial(mask: np.ndarray, what: str) -> None:
    share = coverage(mask)
    assert MIN_COVERAGE <= share <= MAX_COVERAGE, (
        f"{what}: mask covers {share:.1%} of the frame; "
        f"outside {MIN_COVERAGE:.0%}..{MAX_COVERAGE:.0%} "
        "the comparison proves nothing (are the random weights non-trivial?)"
    )


def iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0


def assert_masks_match(
    ours: dict, ref: dict, frames, min_iou: float = 0.9995, max_diff: int | None = None
) -> float:
    """Same frames, same objects, every mask non-trivial, IoU >= ``min_iou`` and at most
    ``max_diff`` differing pixels per mask (default 0.01 % of the frame: same tensors through the
    same code give identical masks here, but thread counts may flip a pixel whose logit is within
    float rounding of 0). Returns the worst IoU."""
    frames = list(frames)
    assert sorted(ours) == sorted(ref) == sorted(frames), (sorted(ours), sorted(ref))
    worst = 1.0
    for f in frames:
        assert set(ours[f]) == set(ref[f]), (
            f"frame {f}: objects {sorted(ours[f])} vs {sorted(ref[f])}"
        )
        for obj_id, r in ref[f].items():
            a = ours[f][obj_id].mask
            b = r.mask if hasattr(r, "mask") else r
            assert_nontrivial(a, f"rotokit frame {f} object {obj_id}")
            assert_nontrivial(b, f"reference frame {f} object {obj_id}")
            score, diff = iou(a, b), int((a != b).sum())
            worst = min(worst, score)
            limit = a.size // 10000 if max_diff is None else max_diff
            assert score >= min_iou and diff <= limit, (
                f"frame {f} object {obj_id}: IoU {score:.6f}, {diff} of {a.size} pixels differ"
            )
    return worst


class LogitSpy:
    """Records the low-res logits and presence logit of every backend step of a session
    (the last value per frame and object), to compare with the reference's ``pred_masks``."""

    def __init__(self) -> None:
        self.steps: dict[tuple[int, int], tuple[torch.Tensor, float]] = {}

    @contextmanager
    def watch(self, session):
        state = session._state
        original = state.step

        def step(frame_idx, obj_ids, reverse):
            result = original(frame_idx, obj_ids, reverse)
            for obj_id, (logits, presence) in result.items():
                self.steps[(frame_idx, obj_id)] = (logits.detach().clone(), presence)
            return result

        state.step = step
        try:
            yield self
        finally:
            state.step = original


def assert_logits_match(spy: LogitSpy, ref: dict, frames, atol: float = 1e-4) -> None:
    """Low-res logits allclose to the reference's on every frame and object, and not near zero
    (the ±0.01 noise of untuned random weights would pass any tolerance)."""
    for f in frames:
        for obj_id, r in ref[f].items():
            logits, presence = spy.steps[(f, obj_id)]
            assert float(logits.abs().max()) > 0.1, (
                f"frame {f} object {obj_id}: logits are noise (untuned: ~0.01)"
            )
            torch.testing.assert_close(
                logits, r.logits, atol=atol, rtol=1e-4, msg=f"frame {f} object {obj_id}"
            )
            assert abs(presence - r.presence) < atol, (f, obj_id, presence, r.presence)
