"""Project fixtures: a folder holding a real clip and the hand-written DESIGN.md §4 project."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

# DESIGN.md §4, verbatim: the hand-writable contract.
DESIGN_PROJECT = """{
  "rotokit": 1,
  "video": "clip.mp4",
  "objects": [
    {"id": 1, "name": "dog",
     "prompts": [{"frame": 0, "points": [[320, 180], [300, 60]], "labels": [1, 0]},
                 {"frame": 40, "box": [100, 50, 400, 300]}],
     "effects": [{"type": "emoji", "emoji": "\U0001f436", "scale": 1.2}]}
  ],
  "background": {"effects": [{"type": "pixelate", "block": 24}]}
}
"""


@pytest.fixture
def project_dir(tmp_path: Path, media_dir: Path) -> Path:
    """tmp/work/ with clip.mp4 (dog_ball) and clip.rotokit (the DESIGN.md example)."""
    folder = tmp_path / "work"
    folder.mkdir()
    shutil.copy(media_dir / "dog_ball.mp4", folder / "clip.mp4")
    (folder / "clip.rotokit").write_text(DESIGN_PROJECT, encoding="utf-8")
    return folder
