"""Where the real test clips are: ../shared/media beside the checkout (as in CI).

A plain module (not conftest.py) so tests can import it by a name no other file shares.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MEDIA = Path(os.environ.get("ROTOKIT_MEDIA", REPO.parent / "shared" / "media"))

CLIPS = [
    "people_audio.mp4",
    "dog_ball.mp4",
    "bedroom_small.mp4",
    "vfr.mp4",
    "rotated.mp4",
    "odd_size.mp4",
    "beeps_audio.mp4",
]


def clip_path(name: str) -> Path:
    """Path of a real test clip; fails loudly (not skip) when the shared media is missing."""
    path = MEDIA / name
    if not path.is_file():
        raise RuntimeError(f"test clip missing: {path} (set ROTOKIT_MEDIA)")
    return path
