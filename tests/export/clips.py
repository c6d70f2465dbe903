"""Three tracked projects on three real clips, for the many-clips-one-dataset tests.

Object names differ in case and spacing ("Dog", "dog ", "DOG") so the category table must
normalise them. Masks per clip (frames 0–11 of each clip are tracked; the project range is 0–12):
- "Dog": the bright regions of the real frame (several pieces with holes, a real outline),
  moving with the video until frame 5, then frozen (frames 6–11 repeat frame 5's mask);
- "ball": a circle that moves until frame 5, then stays;
- on frames 8 and 9 neither object has a mask (the objects left the picture).
Clip `bedroom` has a "person" too (absent from `classes.txt` tests unless listed).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from app.media import FrameSource
from app.project import (
    MaskStore,
    Project,
    Prompt,
    add_object,
    add_prompt,
    masks_path_for,
    prompts_hash,
    save_project,
)

N = 12
FROZEN_FROM = 6  # masks stop changing here
EMPTY = (8, 9)  # no object on these frames


@dataclass
class TrackedClip:
    project: Project
    store: MaskStore
    masks: dict[int, dict[int, np.ndarray]]  # frame -> obj_id -> mask


def bright_regions(rgb: np.ndarray) -> np.ndarray:
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    mask = (gray > 140).astype(np.uint8)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel)
    return mask.astype(bool)


def circle(h: int, w: int, idx: int) -> np.ndarray:
    mask = np.zeros((h, w), np.uint8)
    cv2.circle(mask, (w // 3 + 6 * min(idx, FROZEN_FROM - 1), h // 2), h // 6, 1, -1)
    return mask.astype(bool)


def make_clip(folder: Path, media: Path, video: str, names: list[str]) -> TrackedClip:
    """A project on `video` (copied into `folder`) with objects `names`: first the bright
    regions, then circles (a third object is a circle in another place)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(media / video, folder / video)
    project = Project.new(folder / video, folder / (Path(video).stem + ".rotokit"))
    objects = [add_object(project, name) for name in names]
    for obj in objects:
        add_prompt(project, obj.id, Prompt(0, box=[10, 10, 100, 100]))
    project.frame_range = (0, N)
    save_project(project)
    store = MaskStore(masks_path_for(project.path))
    masks: dict[int, dict[int, np.ndarray]] = {}
    with FrameSource(project.video_path) as frames:
        h, w = frames.info.height, frames.info.width
        bright_frozen = None
        for frame in frames.iter_frames(0, N):
            idx = frame.index
            if idx in EMPTY:
                masks[idx] = {}
                continue
            bright = bright_regions(frame.rgb) if idx < FROZEN_FROM else bright_frozen
            if idx == FROZEN_FROM - 1:
                bright_frozen = bright
            masks[idx] = {objects[0].id: bright}
            for k, obj in enumerate(objects[1:]):
                shifted = np.roll(circle(h, w, idx), k * w // 3, axis=1)
                masks[idx][obj.id] = shifted
            store.put_many(idx, {oid: (m, 0.9) for oid, m in masks[idx].items()})
    for obj in project.objects:
        store.set_prompts_hash(obj.id, prompts_hash(obj))
    return TrackedClip(project, store, masks)
