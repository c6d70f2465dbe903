"""Helpers for the tracking tests: a PyAV FrameProvider over a real clip and transformers' own
reference loop to compare against."""

from __future__ import annotations

import os
from pathlib import Path

import av
import numpy as np
import torch

from model.tracking import Tracker
from model.tracking.hf_backend import _classes
from model.tracking.preprocess import Preprocessor, logits_to_masks

REPO = Path(__file__).resolve().parents[2]
MEDIA = Path(os.environ.get("ROTOKIT_MEDIA", REPO.parent / "shared" / "media"))


def clip_path(name: str) -> Path:
    path = MEDIA / name
    if not path.is_file():
        raise RuntimeError(f"test clip missing: {path}")
    return path


class DecodedClip:
    """A tiny FrameProvider over PyAV-decoded frames (tests only: it holds the clip), counting
    frame reads so tests can check the session's decode pattern."""

    def __init__(self, name: str, limit: int | None = None) -> None:
        with av.open(str(clip_path(name))) as container:
            frames = []
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


def reference_masks(tracker: Tracker, clip, prompts, start: int, reverse: bool = False, frames=None):
    """transformers' own loop on a preloaded session: same model object, same preprocessed frames.

    ``prompts`` is ``{obj_id: (frame_idx, coords [[x, y], ...] in frame px, labels)}`` with box
    corners given as labels 2/3, exactly as SAM 2 encodes a box.
    """
    model = tracker.backend.model
    session_cls, _ = _classes(model)
    pre = Preprocessor(tracker.image_size)
    n = len(clip) if frames is None else frames
    video = torch.stack([pre(clip.frames[i]) for i in range(n)])
    height, width = clip.frames[0].shape[:2]
    session = session_cls(video=video, video_height=height, video_width=width, dtype=torch.float32)
    size = tracker.image_size
    by_frame: dict[int, list[int]] = {}
    for obj_id, (frame_idx, coords, labels) in prompts.items():
        pts = torch.tensor(coords, dtype=torch.float32) * torch.tensor([size / width, size / height])
        session.add_point_inputs(
            session.obj_id_to_idx(obj_id),
            frame_idx,
            {
                "point_coords": pts.reshape(1, 1, -1, 2),
                "point_labels": torch.tensor(labels, dtype=torch.int32).reshape(1, 1, -1),
            },
        )
        by_frame.setdefault(frame_idx, []).append(obj_id)
    out = {}
    with torch.inference_mode():
        for frame_idx, obj_ids in sorted(by_frame.items()):
            session.obj_with_new_inputs = list(obj_ids)
            model(session, frame_idx=frame_idx)
        for step in model.propagate_in_video_iterator(session, start_frame_idx=start, reverse=reverse):
            masks = logits_to_masks(step.pred_masks, height, width)
            out[step.frame_idx] = {obj_id: masks[k] for k, obj_id in enumerate(step.object_ids)}
    return out
