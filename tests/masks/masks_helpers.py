"""Helpers of the mask-trust tests: a short real clip, projects, and running `rotokit` as a user
does (in-process or as a real subprocess that can be killed). A uniquely named module (not
conftest) so other test folders' helpers never shadow it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import av
import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))

from tests.shared_media import clip_path  # noqa: E402

CLIP_FRAMES = 40
CLIP_SIZE = (320, 180)


def cut_clip(
    out: Path, frames: int = CLIP_FRAMES, size: tuple[int, int] = CLIP_SIZE, skip: int = 0
) -> Path:
    """The first `frames` frames of dog_ball.mp4 (after `skip`), resized: a real clip that
    tracks in seconds with the micro model."""
    with av.open(str(clip_path("dog_ball.mp4"))) as src, av.open(str(out), "w") as dst:
        stream = dst.add_stream("libx264", rate=24)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for i, frame in enumerate(src.decode(video=0)):
            if i < skip:
                continue
            if i == skip + frames:
                break
            rgb = cv2.resize(frame.to_ndarray(format="rgb24"), size, interpolation=cv2.INTER_AREA)
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                dst.mux(packet)
        for packet in stream.encode():
            dst.mux(packet)
    return out


def write_project(folder: Path, clip: Path, objects: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(clip, folder / "clip.mp4")
    path = folder / "edit.rotokit"
    path.write_text(
        json.dumps(
            {"rotokit": 1, "video": "clip.mp4", "objects": objects, "background": {"effects": []}}
        ),
        encoding="utf-8",
    )
    return path


FAULT = "ROTOKIT_FAULT_AFTER_FRAMES"


def cli_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop(FAULT, None)
    env.update(PYTHONPATH=str(REPO), OMP_NUM_THREADS="1", **extra)
    return env


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    """`python -m app ARGS` as a real process (it can kill itself: the fault hook)."""
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        env=cli_env(**env),
        cwd=str(REPO),
        timeout=900,
    )


def user_lines(stderr: str) -> list[str]:
    """stderr without the random-weights warnings and progress bars."""
    return [
        line
        for line in stderr.splitlines()
        if line.strip() and "RANDOM weights" not in line and "Loading weights" not in line
    ]


def all_masks(store_path: Path, frames: int) -> dict[tuple[int, int], np.ndarray]:
    from app.project import MaskStore

    with MaskStore(store_path, readonly=True) as store:
        return {(f, o): m for f in range(frames) for o, m in store.frame_masks(f).items()}
