"""Helpers for the safety tests: small hand-written projects on the real clips."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.shared_media import clip_path


@pytest.fixture
def make_project(tmp_path):
    """make_project(clip="odd_size.mp4", **fields) → a project file in a fresh folder."""

    def make(clip: str = "odd_size.mp4", name: str = "edit.rotokit", **fields) -> Path:
        folder = tmp_path / "proj"
        folder.mkdir(exist_ok=True)
        video = folder / clip
        if not video.exists():
            shutil.copy(clip_path(clip), video)
        data = {
            "rotokit": 1,
            "video": clip,
            "objects": [
                {
                    "id": 1,
                    "name": "block",
                    "prompts": [{"frame": 0, "box": [200, 100, 400, 260]}],
                    "effects": [{"type": "blur", "strength": 8}],
                }
            ],
        }
        data.update(fields)
        path = folder / name
        path.write_text(json.dumps(data), encoding="utf-8")
        return path

    return make


@pytest.fixture
def tracked(make_project):
    """A project on odd_size.mp4 (60 frames, 641x359) whose one object has a box mask on every
    frame, as `rotokit track` would leave it (no model needed)."""
    import numpy as np

    from app.project import MaskStore, load_project, masks_path_for, prompts_hash

    def make(**fields) -> Path:
        path = make_project(**fields)
        project = load_project(path)
        mask = np.zeros((359, 641), bool)
        mask[100:260, 200:400] = True
        with MaskStore(masks_path_for(path)) as store:
            for i in range(60):
                store.put(i, 1, mask, 1.0)
            store.set_prompts_hash(1, prompts_hash(project.object(1)))
        return path

    return make
