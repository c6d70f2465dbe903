"""A tracked project on a real clip: real-looking masks in a real mask store, for every export test.

Masks: object 1 is the bright regions of real dog_ball frames (cleaned threshold: several
pieces with holes, like a real segmentation), object 2 a smooth moving ellipse that overlaps
object 1 (tests z-order resolution), object 3 a ring (a hole) plus a separate blob, absent on
frames 10–14 (no stored mask) and empty on frame 20 (stored, but no pixels).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest

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
from tests.export.clips import bright_regions

N_FRAMES = 30


@dataclass
class Tracked:
    project: Project
    store: MaskStore
    masks: dict[int, dict[int, np.ndarray]]  # frame -> obj_id -> mask (what was stored)
    pts: list[int]


def _ellipse(h: int, w: int, idx: int) -> np.ndarray:
    mask = np.zeros((h, w), np.uint8)
    cv2.ellipse(mask, (200 + 5 * idx, 200), (90, 50), 15 + idx, 0, 360, 1, -1)
    return mask.astype(bool)


def _ring_and_blob(h: int, w: int, idx: int) -> np.ndarray:
    mask = np.zeros((h, w), np.uint8)
    cv2.circle(mask, (480, 90 + idx), 60, 1, -1)
    cv2.circle(mask, (480, 90 + idx), 25, 0, -1)
    cv2.circle(mask, (590, 300), 20 + idx % 5, 1, -1)
    return mask.astype(bool)


@pytest.fixture(scope="module")
def tracked(tmp_path_factory: pytest.TempPathFactory, media_dir: Path) -> Tracked:
    folder = tmp_path_factory.mktemp("tracked")
    shutil.copy(media_dir / "dog_ball.mp4", folder / "clip.mp4")
    project = Project.new(folder / "clip.mp4", folder / "clip.rotokit")
    bright = add_object(project, "bright stuff")
    ellipse = add_object(project, "dog")
    ring = add_object(project, "dog")  # same name: same category
    for obj in (bright, ellipse, ring):
        add_prompt(project, obj.id, Prompt(0, box=[10, 10, 100, 100]))
    save_project(project)

    store = MaskStore(masks_path_for(project.path))
    masks: dict[int, dict[int, np.ndarray]] = {}
    pts: list[int] = []
    with FrameSource(project.video_path) as frames:
        h, w = frames.info.height, frames.info.width
        for frame in frames.iter_frames(0, N_FRAMES):
            idx = frame.index
            pts.append(frame.pts)
            masks[idx] = {bright.id: bright_regions(frame.rgb), ellipse.id: _ellipse(h, w, idx)}
            if not 10 <= idx < 15:
                masks[idx][ring.id] = (
                    _ring_and_blob(h, w, idx) if idx != 20 else np.zeros((h, w), bool)
                )
            store.put_many(idx, {oid: (m, 0.5 + oid / 10) for oid, m in masks[idx].items()})
    for obj in project.objects:
        store.set_prompts_hash(obj.id, prompts_hash(obj))
    yield Tracked(project, store, masks, pts)
    store.close()
