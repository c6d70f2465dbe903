"""The render's threaded stages, seen from outside: frames come out in order and match the
effects applied one frame at a time; a cancel or a damaged mask mid-clip leaves no output and
no threads behind."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path

import av
import numpy as np
import pytest

from app.errors import Cancelled, ProjectError
from app.media import FrameSource
from app.project import (
    MaskStore,
    Project,
    Prompt,
    add_object,
    add_prompt,
    fingerprint_video,
    masks_path_for,
    prompts_hash,
    save_project,
    set_effects,
)
from app.render import build_compositor, render
from tests.shared_media import clip_path

FRAMES = 40


def _box_mask(h: int, w: int, i: int) -> np.ndarray:
    mask = np.zeros((h, w), bool)
    x0 = 40 + 5 * i
    mask[60:200, x0 : x0 + 120] = True
    return mask


@pytest.fixture
def project(tmp_path: Path) -> Project:
    shutil.copy(clip_path("dog_ball.mp4"), tmp_path / "clip.mp4")
    project = Project.new(tmp_path / "clip.mp4", tmp_path / "clip.rotokit")
    obj = add_object(project, name="box")
    add_prompt(project, obj.id, Prompt(frame=0, box=[40, 60, 160, 200]))
    set_effects(project, obj.id, [{"type": "blur", "strength": 8}])
    set_effects(project, None, [{"type": "pixelate", "block": 16}])
    save_project(project)
    with FrameSource(project.video_path) as frames:
        h, w = frames.info.height, frames.info.width
    with MaskStore(masks_path_for(project.path)) as store:
        store.bind_video(
            fingerprint_video(project.video_path), project.video_path
        )  # as tracking does
        for i in range(FRAMES):
            store.put(i, obj.id, _box_mask(h, w, i), 1.0)
        store.set_prompts_hash(obj.id, prompts_hash(project.objects[0]))
    return project


def _rotokit_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("rotokit-")]


def _decoded(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def test_frames_come_out_in_order_and_match_sequential_effects(project: Project) -> None:
    out = project.path.parent / "out.mp4"
    render(project, out, codec="h264", crf=12, frame_range=(0, FRAMES), model=None)
    compositor = build_compositor(project)
    with (
        FrameSource(project.video_path) as frames,
        MaskStore(masks_path_for(project.path), readonly=True) as store,
    ):
        expected = [
            compositor.render(f.index, f.rgb, store.frame_masks(f.index)).astype(float)
            for f in frames.iter_frames(0, FRAMES)
        ]
    got = [g.astype(float) for g in _decoded(out)]
    assert len(got) == FRAMES
    for k in range(1, FRAMES - 1):
        own = np.abs(got[k] - expected[k]).mean()
        assert own < 2.0, f"frame {k} differs from its effects by {own:.2f} levels"
        assert own < min(
            np.abs(got[k] - expected[k - 1]).mean(), np.abs(got[k] - expected[k + 1]).mean()
        ), f"frame {k} out of order"
    assert _rotokit_threads() == []


def test_cancel_mid_render_leaves_no_output_and_no_threads(project: Project) -> None:
    out = project.path.parent / "out.mp4"
    cancel = threading.Event()

    def progress(done: int, total: int) -> None:
        if done == 5:
            cancel.set()

    with pytest.raises(Cancelled, match="no output was written"):
        render(
            project, out, frame_range=(0, FRAMES), model=None, on_progress=progress, cancel=cancel
        )
    assert not out.exists()
    assert [p.name for p in out.parent.iterdir() if ".part" in p.name] == []
    assert _rotokit_threads() == []


def test_damaged_mask_mid_clip_names_the_frame_and_leaves_no_output(project: Project) -> None:
    with sqlite3.connect(masks_path_for(project.path)) as conn:
        conn.execute("UPDATE masks SET width = width + 1 WHERE frame_idx = 17")
    out = project.path.parent / "out.mp4"
    with pytest.raises(ProjectError, match="on frame 17 is damaged"):
        render(project, out, frame_range=(0, FRAMES), model=None)
    assert not out.exists()
    assert [p.name for p in out.parent.iterdir() if ".part" in p.name] == []
    assert _rotokit_threads() == []
