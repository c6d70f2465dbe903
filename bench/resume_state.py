"""What keeping a killed run resumable costs: tracking with and without memory checkpoints.

Usage: .venv/bin/python bench/resume_state.py [--frames 48] [--rounds 2] [--model test-random-micro]

Tracks the first `--frames` frames of dog_ball.mp4 (two objects, prompts on frames 8 and 12)
with `app.tracking_job.track_project`, alternating, in the same run: the default (the W - 1
frames' memory checkpointed whenever the time since the last checkpoint reaches
``CHECKPOINT_FACTOR`` times that checkpoint's cost) and checkpoints off (the baseline: masks
and coverage only). A fast model is the worst case: the micro model's frames take tens of ms,
like a GPU's. Prints the median time per run of each and the ratio, plus the checkpoint
row size per object-frame of the model.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import app.tracking_job as job  # noqa: E402
from app.project import load_project  # noqa: E402


def _clip(out: Path, frames: int) -> None:
    import av

    with (
        av.open(str(REPO.parent / "shared" / "media" / "dog_ball.mp4")) as src,
        av.open(str(out), "w") as dst,
    ):
        stream = dst.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 640, 360, "yuv420p"
        for i, frame in enumerate(src.decode(video=0)):
            if i == frames:
                break
            rgb = av.VideoFrame.from_ndarray(frame.to_ndarray(format="rgb24"), format="rgb24")
            for packet in stream.encode(rgb):
                dst.mux(packet)
        for packet in stream.encode():
            dst.mux(packet)


def _once(folder: Path, clip: Path, weights: Path, checkpoints: bool) -> tuple[float, int]:
    folder.mkdir()
    (folder / "clip.mp4").symlink_to(clip)
    path = folder / "p.rotokit"
    path.write_text(
        json.dumps(
            {
                "rotokit": 1,
                "video": "clip.mp4",
                "objects": [
                    {
                        "id": 1,
                        "name": "a",
                        "prompts": [{"frame": 8, "points": [[320, 180]], "labels": [1]}],
                        "effects": [],
                    },
                    {
                        "id": 2,
                        "name": "b",
                        "prompts": [{"frame": 12, "box": [100, 80, 400, 300]}],
                        "effects": [],
                    },
                ],
            }
        )
    )
    job.CHECKPOINT_FACTOR = 20 if checkpoints else float("inf")
    started = time.perf_counter()
    result = job.track_project(load_project(path), model=str(weights), device="cpu")
    seconds = time.perf_counter() - started
    return seconds, result.frames


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=48)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--model", default="test-random-micro")
    args = ap.parse_args()
    from model.testmodels import build_random_model

    times: dict[bool, list[float]] = {True: [], False: []}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        weights = tmp / "weights"
        build_random_model(args.model).save_pretrained(weights)
        _clip(tmp / "clip.mp4", args.frames)
        for r in range(args.rounds):
            for checkpoints in (False, True):
                seconds, frames = _once(
                    tmp / f"{r}-{checkpoints}", tmp / "clip.mp4", weights, checkpoints
                )
                times[checkpoints].append(seconds / frames)
    base, with_cp = statistics.median(times[False]), statistics.median(times[True])
    print(
        f"{args.model}, {args.frames} frames, 2 objects: "
        f"no checkpoints {base * 1000:.0f} ms/frame, "
        f"with checkpoints {with_cp * 1000:.0f} ms/frame = {with_cp / base:.3f}x"
    )


if __name__ == "__main__":
    main()
