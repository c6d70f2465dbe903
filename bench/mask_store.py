"""Mask store benchmark: SQLite + COCO RLE vs one PNG file per mask, on 1080p masks.

Usage: .venv/bin/python bench/mask_store.py [--frames 300] [--objects 2]

Masks are 1920×1080, shaped like segmentations (a smooth moving ellipse, a ring with a hole,
and a blob with a few pieces), written as propagation would: one frame at a time, all objects
of a frame together. The baseline is what many annotation tools do, measured in the same run:
one ``cv2.imwrite`` PNG per object per frame (``masks/<obj>/<frame>.png``, default compression)
read back with ``cv2.imread``. Printed: write time, random-access read time (shuffled frames,
all objects of a frame), bytes on disk, and the ratio rotokit / PNG for each. Reads are checked
to return exactly the written masks.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from app.project import MaskStore  # noqa: E402

W, H = 1920, 1080


def make_masks(frame: int, objects: int) -> dict[int, np.ndarray]:
    out = {}
    for obj in range(1, objects + 1):
        m = np.zeros((H, W), np.uint8)
        cx = 300 + (frame * 3 + obj * 500) % 1300
        if obj % 3 == 1:
            cv2.ellipse(m, (cx, 540), (260, 380), frame % 180, 0, 360, 1, -1)
        elif obj % 3 == 2:
            cv2.circle(m, (cx, 400), 220, 1, -1)
            cv2.circle(m, (cx, 400), 90, 0, -1)
        else:
            for k in range(4):
                cv2.circle(m, (cx + 120 * k, 700 + 30 * (k % 2)), 50 + 10 * k, 1, -1)
        out[obj] = m.astype(bool)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--objects", type=int, default=2)
    args = ap.parse_args()
    frames = [make_masks(i, args.objects) for i in range(args.frames)]
    order = list(range(args.frames))
    random.Random(0).shuffle(order)
    n = args.frames * args.objects

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # rotokit: SQLite + RLE
        t = time.perf_counter()
        with MaskStore(tmp / "clip.rotokit.masks") as store:
            for i, masks in enumerate(frames):
                store.put_many(i, {o: (m, 0.9) for o, m in masks.items()})
        store_write = time.perf_counter() - t
        store_bytes = sum(p.stat().st_size for p in tmp.glob("clip.rotokit.masks*"))
        t = time.perf_counter()
        with MaskStore(tmp / "clip.rotokit.masks") as store:
            for i in order:
                got = store.frame_masks(i)
                assert all(np.array_equal(got[o], frames[i][o]) for o in frames[i])
        store_read = time.perf_counter() - t

        # baseline: PNG per mask
        t = time.perf_counter()
        for i, masks in enumerate(frames):
            for o, m in masks.items():
                folder = tmp / "png" / str(o)
                folder.mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(folder / f"{i:06d}.png"), m.astype(np.uint8) * 255)
        png_write = time.perf_counter() - t
        png_bytes = sum(p.stat().st_size for p in (tmp / "png").rglob("*.png"))
        t = time.perf_counter()
        for i in order:
            for o in frames[i]:
                got = (
                    cv2.imread(str(tmp / "png" / str(o) / f"{i:06d}.png"), cv2.IMREAD_GRAYSCALE) > 0
                )
                assert np.array_equal(got, frames[i][o])
        png_read = time.perf_counter() - t

    raw = n * W * H // 8
    print(f"{args.frames} frames × {args.objects} objects of {W}x{H} masks ({n} masks)")
    print(f"{'':24}{'rotokit store':>16}{'PNG per mask':>16}{'ratio':>8}")
    print(
        f"{'write, ms/mask':24}{store_write / n * 1e3:16.2f}{png_write / n * 1e3:16.2f}"
        f"{store_write / png_write:8.2f}"
    )
    print(
        f"{'random read, ms/mask':24}{store_read / n * 1e3:16.2f}{png_read / n * 1e3:16.2f}"
        f"{store_read / png_read:8.2f}"
    )
    print(
        f"{'bytes/mask':24}{store_bytes / n:16.0f}{png_bytes / n:16.0f}"
        f"{store_bytes / png_bytes:8.2f}"
    )
    print(
        f"(1-bit packed raw would be {raw / n:.0f} bytes/mask; "
        f"store is {raw / store_bytes:.0f}x smaller)"
    )


if __name__ == "__main__":
    main()
