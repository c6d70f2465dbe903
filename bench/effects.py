"""Effects benchmark: per-effect cost on 1080p frames.

Usage: .venv/bin/python bench/effects.py [--reps 15]

Per effect: median ms to render one 1920×1080 frame (Compositor.render, frame copy included)
with the effect on one object and on three objects (object stacks), and on the background with
one / three objects cut out of it, the masks' boxes given as the render gets them from the
mask store. Shown beside the cost of encoding one 1080p frame with libx264 (preset veryfast,
crf 20), measured in the same run, as the yardstick. P3 (the whole render against a plain
transcode) is bench/render.py.

Masks are synthetic moving ellipses (precomputed): this measures effects, not the tracker.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from fractions import Fraction
from itertools import islice
from pathlib import Path

import av
import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._clips import ping_pong, upscaled_frames  # noqa: E402
from effects import EFFECT_TYPES, Compositor, ObjectLayer  # noqa: E402
from effects.masks import bbox  # noqa: E402

W, H = 1920, 1080
X264 = {"preset": "veryfast", "crf": "20"}


def make_input(path: Path, n_frames: int) -> None:
    """A 1080p H.264 clip: dog_ball.mp4 upscaled ×3 (ping-pong looped to n_frames)."""
    frames = upscaled_frames(W, H)
    rate = Fraction(30000, 1001)
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=rate)
        vs.width, vs.height, vs.pix_fmt = W, H, "yuv420p"
        vs.options = {"preset": "ultrafast", "crf": "16"}
        for i in range(n_frames):
            rgb = frames[ping_pong(i, len(frames))]
            for p in vs.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                out.mux(p)
        for p in vs.encode():
            out.mux(p)


def ellipse(box: tuple[int, int, int, int]) -> np.ndarray:
    m = np.zeros((H, W), np.uint8)
    x0, y0, x1, y1 = box
    cv2.ellipse(
        m, ((x0 + x1) // 2, (y0 + y1) // 2), ((x1 - x0) // 2, (y1 - y0) // 2), 0, 0, 360, 1, -1
    )
    return m.astype(bool)


# three objects at 1080p: the dog (≈480×270), the woman (≈345×660), a face (≈150×190)
BOXES = {1: (1320, 570, 1800, 840), 2: (300, 180, 645, 840), 3: (480, 195, 630, 385)}


def mask_cycle(n: int = 8) -> list[dict[int, np.ndarray]]:
    """n frames of masks, each object drifting a few px per frame (a tracked object)."""
    out = []
    for i in range(n):
        dx, dy = 6 * i, 3 * (i % 3)
        out.append(
            {
                k: ellipse((x0 + dx, y0 + dy, x1 + dx, y1 + dy))
                for k, (x0, y0, x1, y1) in BOXES.items()
            }
        )
    return out


def time_render(
    comp: Compositor, frames: list[np.ndarray], masks: list[dict[int, np.ndarray]], reps: int
) -> float:
    """Median ms per Compositor.render over ``reps`` consecutive frames, given the masks'
    boxes as a render gets them from the mask store."""
    boxes = [{k: bbox(m.view(np.uint8)) for k, m in frame_masks.items()} for frame_masks in masks]
    comp.reset()
    comp.render(0, frames[0], masks[0], boxes[0])  # warm caches (emoji sprite, image loads)
    ts = []
    for i in range(1, reps + 1):
        t = time.perf_counter()
        comp.render(i, frames[i % len(frames)], masks[i % len(masks)], boxes[i % len(masks)])
        ts.append(time.perf_counter() - t)
    return 1000 * statistics.median(ts)


def encode_ms(frames: list[np.ndarray], reps: int) -> float:
    """ms per 1080p frame for libx264 veryfast crf 20 from RGB (the yardstick)."""
    with tempfile.TemporaryDirectory() as d, av.open(os.path.join(d, "x.mp4"), "w") as out:
        vs = out.add_stream("libx264", rate=30)
        vs.width, vs.height, vs.pix_fmt = W, H, "yuv420p"
        vs.options = X264
        t = time.perf_counter()
        for i in range(reps):
            for p in vs.encode(av.VideoFrame.from_ndarray(frames[i % len(frames)], "rgb24")):
                out.mux(p)
        for p in vs.encode():
            out.mux(p)
        return 1000 * (time.perf_counter() - t) / reps


def per_effect_table(frames: list[np.ndarray], reps: int) -> str:
    masks = mask_cycle()
    enc = encode_ms(frames, max(reps, 20))
    rows = [
        "| effect | objects ×1 ms | objects ×3 ms | background (1 object) ms | "
        "background (3 objects) ms |",
        "|---|---|---|---|---|",
    ]
    for kind, t in EFFECT_TYPES.items():
        spec = {"type": kind}
        if kind == "replace":
            spec["mode"] = "blur"
        cells = []
        for n in (1, 3):
            if t.on_objects:
                layers = [ObjectLayer(k, [spec]) for k in list(BOXES)[:n]]
                sub = [{k: m[k] for k in list(BOXES)[:n]} for m in masks]
                cells.append(f"{time_render(Compositor([], layers), frames, sub, reps):.1f}")
            else:
                cells.append("—")
        for n in (1, 3):
            if t.on_background:
                layers = [ObjectLayer(k, []) for k in list(BOXES)[:n]]
                sub = [{k: m[k] for k in list(BOXES)[:n]} for m in masks]
                cells.append(f"{time_render(Compositor([spec], layers), frames, sub, reps):.1f}")
            else:
                cells.append("—")
        rows.append(f"| `{kind}` | " + " | ".join(cells) + " |")
    none = time_render(
        Compositor([], [ObjectLayer(1, [])]), frames, [{1: m[1]} for m in masks], reps
    )
    rows.append(f"| *(no effect: frame copy)* | {none:.1f} | | | |")
    return (
        "\n".join(rows) + f"\n\nYardstick, same run: libx264 veryfast crf 20 encode of one "
        f"1080p RGB frame = {enc:.1f} ms.\n"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=15, help="frames timed per effect cell")
    args = ap.parse_args()
    cv2.setNumThreads(2)
    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "dog_1080p.mp4"
        make_input(src, 8)
        with av.open(str(src)) as c:
            frames = [f.to_ndarray(format="rgb24") for f in islice(c.decode(video=0), 8)]
        print(
            f"# effects benchmark — {os.cpu_count()} CPUs, OpenCV {cv2.__version__}, "
            f"PyAV {av.__version__}\n"
        )
        print("## ms per 1080p frame\n")
        print(per_effect_table(frames, args.reps))


if __name__ == "__main__":
    main()
