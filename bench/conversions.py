"""The render's per-frame building blocks against the library call each one replaced.

Usage: .venv/bin/python bench/conversions.py [--reps 60]

On a 1920×1080 frame of ../shared/media/dog_ball.mp4 (upscaled) and its two bench masks (an
ellipse and a box, as bench/render.py uses), median ms per call, one OpenCV thread, each pair
timed alternately in the same run:

1. RGB → BT.709 limited yuv420p: PyAV/swscale ``reformat`` (one thread, and its default
   threads) vs ``app.media.colour.rgb_to_yuv_frame``.
2. COCO RLE → row-major bool mask: ``pycocotools.mask.decode`` + transpose copy (what the store
   did) vs ``app.project.masks.decode_rle`` (columns the mask spans only).
3. Nearest-neighbour upscaling of a 24-px mosaic to 1080p: ``cv2.resize(INTER_NEAREST)`` vs
   ``effects.ops.repeat_blocks``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import av
import cv2
import numpy as np
from pycocotools import mask as mask_utils

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
MEDIA = Path(os.environ.get("ROTOKIT_MEDIA", REPO.parent / "shared" / "media"))

from app.media.colour import rgb_to_yuv_frame  # noqa: E402
from app.project.masks import decode_rle, encode_rle  # noqa: E402
from effects.ops import repeat_blocks  # noqa: E402

W, H = 1920, 1080


def alternate(a: Callable[[], object], b: Callable[[], object], reps: int) -> tuple[float, float]:
    """Median ms of ``a`` and of ``b``, called in turn so load drift hits both alike."""
    a(), b()
    ta, tb = [], []
    for _ in range(reps):
        t = time.perf_counter()
        a()
        ta.append(time.perf_counter() - t)
        t = time.perf_counter()
        b()
        tb.append(time.perf_counter() - t)
    return 1000 * statistics.median(ta), 1000 * statistics.median(tb)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=60)
    args = ap.parse_args()
    cv2.setNumThreads(1)
    with av.open(str(MEDIA / "dog_ball.mp4")) as c:
        first = next(c.decode(video=0)).to_ndarray(format="rgb24")
    rgb = np.ascontiguousarray(cv2.resize(first, (W, H), interpolation=cv2.INTER_CUBIC))
    ellipse = np.zeros((H, W), np.uint8)
    cv2.ellipse(ellipse, (660, 320), (90, 120), 0, 0, 360, 1, -1)
    box = np.zeros((H, W), np.uint8)
    box[570:840, 1020:1500] = 1
    rles = [encode_rle(m.astype(bool)) for m in (ellipse, box)]
    small = np.ascontiguousarray(cv2.resize(rgb, (W // 24, H // 24), interpolation=cv2.INTER_AREA))

    def swscale(threads: int) -> Callable[[], object]:
        return lambda: av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(
            format="yuv420p", dst_colorspace="ITU709", dst_color_range="MPEG", threads=threads
        )

    def pycoco() -> None:
        for counts, h, w in rles:
            np.ascontiguousarray(mask_utils.decode({"size": [h, w], "counts": counts})).view(bool)

    def ours() -> None:
        for counts, h, w in rles:
            decode_rle(counts, h, w)

    rows = [
        (
            "RGB → yuv420p BT.709, swscale 1 thread",
            swscale(1),
            lambda: rgb_to_yuv_frame(rgb, "yuv420p"),
            "rgb_to_yuv_frame",
        ),
        (
            "RGB → yuv420p BT.709, swscale auto threads",
            swscale(0),
            lambda: rgb_to_yuv_frame(rgb, "yuv420p"),
            "rgb_to_yuv_frame",
        ),
        ("2 masks RLE → bool, pycocotools + transpose", pycoco, ours, "decode_rle"),
        (
            "24-px mosaic → 1080p, cv2 INTER_NEAREST",
            lambda: cv2.resize(
                small, (W // 24 * 24, H // 24 * 24), interpolation=cv2.INTER_NEAREST
            ),
            lambda: repeat_blocks(small, 24),
            "repeat_blocks",
        ),
    ]
    print(
        f"1920x1080, median of {args.reps} alternating calls, OpenCV {cv2.__version__}, "
        f"PyAV {av.__version__}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}\n"
    )
    print("| step | library ms | rotokit | rotokit ms | ratio |")
    print("|---|---|---|---|---|")
    for label, library, rotokit, name in rows:
        lib_ms, our_ms = alternate(library, rotokit, args.reps)
        print(f"| {label} | {lib_ms:.2f} | `{name}` | {our_ms:.2f} | {our_ms / lib_ms:.2f}× |")


if __name__ == "__main__":
    main()
