"""Dataset export benchmark: frames/s of a 1080p clip into each format, against a plain decode.

Usage: .venv/bin/python bench/export.py [--frames 60] [--rounds 2] [--formats coco,yolo,...]

The input is ``bedroom_small.mp4`` upscaled to 1920x1080 (bench/media.py's generator, x264
medium CRF 18, GOP 30), with two tracked objects per frame in a real mask store (a moving
ellipse and a ring with a blob beside it, 1080p RLE, as bench/mask_store.py). Each format is
exported with its defaults (JPEG q95 images where the format has images; YOLO's automatic
polygon tolerance). The baseline, timed in the same run and the same rounds, is the work every
image format must do anyway: decode every frame with ``FrameSource.iter_frames`` and read its
masks from the store. Printed per format: frames/s (best of the rounds), the ratio
export / baseline time, and the dataset size; YOLO also prints polygon points per object with
the default tolerance vs ``--simplify 0``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from media import make_1080p  # noqa: E402

from app.export import Clip, ExportOptions, export_clips  # noqa: E402
from app.media import FrameSource  # noqa: E402
from app.project import (  # noqa: E402
    MaskStore,
    Project,
    Prompt,
    add_object,
    add_prompt,
    masks_path_for,
    prompts_hash,
    save_project,
)

W, H = 1920, 1080
FORMATS = ["coco", "yolo", "davis", "mots", "png", "alpha"]


def masks_for(frame: int) -> dict[int, np.ndarray]:
    ellipse = np.zeros((H, W), np.uint8)
    cv2.ellipse(ellipse, (500 + 6 * frame, 540), (260, 380), frame % 180, 0, 360, 1, -1)
    ring = np.zeros((H, W), np.uint8)
    cv2.circle(ring, (1300 - 4 * frame, 420), 220, 1, -1)
    cv2.circle(ring, (1300 - 4 * frame, 420), 90, 0, -1)
    cv2.circle(ring, (1500, 850), 70, 1, -1)
    return {1: ellipse.astype(bool), 2: ring.astype(bool)}


def make_project(folder: Path, frames: int) -> Path:
    clip = folder / "clip1080.mp4"
    make_1080p(clip, frames, gop=30)
    project = Project.new(clip, folder / "clip1080.rotokit")
    for name in ("dog", "ball"):
        obj = add_object(project, name)
        add_prompt(project, obj.id, Prompt(0, box=[10, 10, 100, 100]))
    save_project(project)
    with MaskStore(masks_path_for(project.path)) as store:
        for i in range(frames):
            store.put_many(i, {oid: (m, 0.9) for oid, m in masks_for(i).items()})
        for obj in project.objects:
            store.set_prompts_hash(obj.id, prompts_hash(obj))
    return project.path


def baseline(project: Project, store: MaskStore) -> float:
    """Decode every frame and read its masks: the floor of any export with images."""
    t = time.perf_counter()
    with FrameSource(project.video_path, cache_bytes=0) as source:
        for frame in source.iter_frames():
            store.frame_masks(frame.index)
    return time.perf_counter() - t


def export_once(project: Project, store: MaskStore, fmt: str, out: Path, **options) -> float:
    t = time.perf_counter()
    export_clips([Clip(project, store)], fmt, out, options=ExportOptions(**options))
    return time.perf_counter() - t


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def yolo_points(folder: Path) -> float:
    lines = [
        line
        for p in folder.rglob("*.txt")
        if p.parent.name == "labels"
        for line in p.read_text().splitlines()
    ]
    return sum(len(line.split()) // 2 for line in lines) / max(1, len(lines))


def main() -> None:
    from app.project import load_project

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--formats", default=",".join(FORMATS))
    args = ap.parse_args()
    formats = args.formats.split(",")
    cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in cpu.splitlines()
            if line.startswith("Model name")
        ),
        "?",
    )
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        project = load_project(make_project(tmp, args.frames))
        times: dict[str, list[float]] = {"baseline": [], **{f: [] for f in formats}}
        sizes: dict[str, float] = {}
        with MaskStore(masks_path_for(project.path), readonly=True) as store:
            for r in range(args.rounds):
                order = formats if r % 2 == 0 else list(reversed(formats))  # rotate against drift
                times["baseline"].append(baseline(project, store))
                for fmt in order:
                    out = tmp / f"{fmt}-{r}"
                    times[fmt].append(export_once(project, store, fmt, out))
                    sizes[fmt] = size_mb(out)
                    if fmt == "yolo" and r == 0:
                        exact = tmp / "yolo-exact"
                        export_once(project, store, "yolo", exact, simplify=0.0)
                        points = (yolo_points(out), yolo_points(exact))
                        shutil.rmtree(exact)
                    shutil.rmtree(out)
        base = min(times["baseline"])
        print(
            f"export of {args.frames} frames 1920x1080, 2 objects, "
            f"best of {args.rounds} rounds; CPU {model}"
        )
        print(f"{'format':8} {'frames/s':>9} {'× baseline time':>16} {'MB':>8}")
        print(
            f"{'baseline':8} {args.frames / base:9.1f} {1.0:16.2f} {'-':>8}   (decode + mask read)"
        )
        for fmt in formats:
            best = min(times[fmt])
            print(f"{fmt:8} {args.frames / best:9.1f} {best / base:16.2f} {sizes[fmt]:8.1f}")
        if "yolo" in formats:
            print(
                f"yolo polygon points per object: {points[0]:.0f} (default tolerance) "
                f"vs {points[1]:.0f} (--simplify 0)"
            )


if __name__ == "__main__":
    main()
