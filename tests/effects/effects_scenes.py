"""Scenes shared by the effects tests and the golden-image generator: real frames from the
shared clips (decoded with PyAV directly) and masks with known geometry."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import av
import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[2]
MEDIA = Path(os.environ.get("ROTOKIT_MEDIA", REPO.parent / "shared" / "media"))

DOG_BOX = (440, 190, 600, 280)  # dog_ball.mp4 frame 0, from media/README.md
FACE_BOX = (290, 95, 360, 180)  # people_audio.mp4 frames 0–23, head incl. chin
WOMAN_BOX = (100, 60, 215, 280)  # dog_ball.mp4 frame 0, the woman (rough ellipse)


@lru_cache(maxsize=8)
def real_frame(name: str, index: int) -> np.ndarray:
    """Frame ``index`` of a shared clip as H×W×3 uint8 RGB (read-only)."""
    path = MEDIA / name
    if not path.is_file():
        raise RuntimeError(f"test clip missing: {path} (set ROTOKIT_MEDIA)")
    with av.open(str(path)) as c:
        for i, f in enumerate(c.decode(video=0)):
            if i == index:
                rgb = f.to_ndarray(format="rgb24")
                rgb.setflags(write=False)
                return rgb
    raise RuntimeError(f"{name} has no frame {index}")


def ellipse_mask(shape: tuple[int, int], box: tuple[int, int, int, int]) -> np.ndarray:
    """Bool mask of the ellipse inscribed in ``box`` = (x0, y0, x1, y1)."""
    m = np.zeros(shape, np.uint8)
    x0, y0, x1, y1 = box
    cv2.ellipse(
        m, ((x0 + x1) // 2, (y0 + y1) // 2), ((x1 - x0) // 2, (y1 - y0) // 2), 0, 0, 360, 1, -1
    )
    m = m.astype(bool)
    m.setflags(write=False)
    return m


def dilated(mask: np.ndarray, px: int) -> np.ndarray:
    """``mask`` grown by ``px`` (elliptical), for "untouched beyond the reach" checks."""
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * px + 1, 2 * px + 1))
    return cv2.dilate(mask.astype(np.uint8), k).astype(bool)
