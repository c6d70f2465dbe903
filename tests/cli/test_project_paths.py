"""A project folder can be moved: its video and its effects' image files are relative to it."""

from __future__ import annotations

import json
import shutil

import av
import numpy as np

from app.cli import main
from app.project import MaskStore, load_project, masks_path_for, prompts_hash
from effects.emoji import resolve_emoji
from tests.shared_media import clip_path


def test_relative_sticker_path_resolves_against_the_project_not_the_cwd(tmp_path, monkeypatch):
    folder = tmp_path / "project"
    folder.mkdir()
    shutil.copy(clip_path("odd_size.mp4"), folder / "clip.mp4")
    shutil.copy(resolve_emoji("🐶"), folder / "sticker.png")
    project_file = folder / "edit.rotokit"
    project_file.write_text(
        json.dumps(
            {
                "rotokit": 1,
                "video": "clip.mp4",
                "objects": [
                    {
                        "id": 1,
                        "name": "block",
                        "prompts": [{"frame": 0, "box": [200, 100, 400, 260]}],
                        "effects": [
                            {"type": "emoji", "emoji": "sticker.png", "scale": 1.0, "smoothing": 0}
                        ],
                    }
                ],
            }
        )
    )
    project = load_project(project_file)
    mask = np.zeros((359, 641), bool)
    mask[100:260, 200:400] = True
    with MaskStore(masks_path_for(project_file)) as store:
        for i in range(60):
            store.put(i, 1, mask, 1.0)
        store.set_prompts_hash(1, prompts_hash(project.object(1)))

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    out = tmp_path / "out.mp4"
    assert main(["render", str(project_file), "-o", str(out), "-q"]) == 0
    with av.open(str(out)) as rendered, av.open(str(folder / "clip.mp4")) as source:
        a = next(rendered.decode(video=0)).to_ndarray(format="rgb24").astype(int)
        b = next(source.decode(video=0)).to_ndarray(format="rgb24").astype(int)
    assert a.shape == b.shape == (359, 641, 3)
    inside = np.abs(a[120:240, 240:360] - b[120:240, 240:360]).mean()
    outside = np.abs(a[300:, :150] - b[300:, :150]).mean()
    assert inside > 20, "the sticker was not drawn"
    assert outside < 3
