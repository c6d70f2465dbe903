"""Render benchmark: P3 (render vs plain decode→encode) and flat memory (60 s vs 10 s, 1080p).

Usage: .venv/bin/python bench/render.py [--short 10] [--long 60] [--rounds 3]

Inputs are generated in a temp dir: frames of ../shared/media/dog_ball.mp4 upscaled to
1920×1080, looped to the wanted length at 29.97 fps, H.264 + the clip's AAC audio looped.
Masks are written straight into the project's mask store (a moving ellipse for the "face" and
the dog's box region) because this measures the render, not the tracker.

P3 pipeline: background pixelate + one emoji + one blurred face, libx264 preset veryfast
crf 20 — against two plain PyAV decode→encode loops with the same encoder settings, written
inline here and run in the same run: one that takes every frame through RGB (as any pixel edit
must) and one that hands decoded YUV frames straight to the encoder. Each clip runs
`--rounds` times in rotated order and the table reports medians (the machine is shared and
noisy). Memory: each run is its own process, which reports its own peak RSS (VmHWM).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from bench._clips import ping_pong, upscaled_frames  # noqa: E402
from bench._rss import peak_rss_mb  # noqa: E402

W, H = 1920, 1080
ENCODER = {"codec": "h264", "crf": 20, "preset": "veryfast"}


def make_clip(path: Path, seconds: float) -> None:
    """1080p H.264 clip with AAC audio, looping the frames of a real clip."""
    frames = upscaled_frames(W, H)
    rate = Fraction(30000, 1001)
    n = int(round(seconds * rate))
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=rate)
        vs.width, vs.height, vs.pix_fmt = W, H, "yuv420p"
        vs.options = {"preset": "ultrafast", "crf": "18"}
        aus = out.add_stream("aac", rate=48000)
        aus.layout = "stereo"
        for i in range(n):
            frame = av.VideoFrame.from_ndarray(frames[ping_pong(i, len(frames))], format="rgb24")
            frame.pts = i
            frame.time_base = 1 / rate
            for p in vs.encode(frame):
                out.mux(p)
        for p in vs.encode():
            out.mux(p)
        t = np.arange(int(seconds * 48000)) / 48000
        tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        for start in range(0, len(tone), 1024):
            chunk = np.stack([tone[start : start + 1024]] * 2)
            af = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
            af.sample_rate = 48000
            af.pts = start
            for p in aus.encode(af):
                out.mux(p)
        for p in aus.encode():
            out.mux(p)


def make_project(folder: Path, clip: Path) -> Path:
    from app.project import (
        MaskStore,
        Project,
        Prompt,
        add_object,
        add_prompt,
        masks_path_for,
        prompts_hash,
        save_project,
        set_effects,
    )

    project = Project.new(clip, folder / f"{clip.stem}.rotokit")
    face = add_object(project, name="face")
    add_prompt(project, face.id, Prompt(frame=0, box=[560, 200, 760, 440]))
    set_effects(project, face.id, [{"type": "face_blur"}])
    dog = add_object(project, name="dog")
    add_prompt(project, dog.id, Prompt(frame=0, box=[1320, 570, 1800, 840]))
    set_effects(project, dog.id, [{"type": "emoji", "emoji": "🐶"}])
    set_effects(project, None, [{"type": "pixelate", "block": 24}])
    save_project(project)
    with av.open(str(clip)) as c:
        n = c.streams.video[0].frames
    with MaskStore(masks_path_for(project.path)) as store:
        for i in range(n):
            face_mask = np.zeros((H, W), np.uint8)
            cx = 660 + int(80 * np.sin(i / 20))
            cv2.ellipse(face_mask, (cx, 320), (90, 120), 0, 0, 360, 1, -1)
            dog_mask = np.zeros((H, W), np.uint8)
            x0 = 1320 - int(300 * (0.5 + 0.5 * np.sin(i / 45)))
            dog_mask[570:840, x0 : x0 + 480] = 1
            store.put_many(i, {face.id: (face_mask > 0, 0.9), dog.id: (dog_mask > 0, 0.9)})
        for obj in project.objects:
            store.set_prompts_hash(obj.id, prompts_hash(obj))
    return project.path


def child_render(project_path: str, out: str) -> None:
    from app.project import load_project
    from app.render import render

    t0, c0 = time.perf_counter(), time.process_time()
    result = render(load_project(project_path), out, **ENCODER)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak_mb = peak_rss_mb()
    print(json.dumps({"seconds": dt, "cpu": cpu, "frames": result.frames, "peak_rss_mb": peak_mb}))


def child_plain(clip: str, out: str, via_rgb: bool = True) -> None:
    """The baseline: a plain PyAV decode→encode loop, same encoder settings, audio copied.

    `via_rgb` takes each frame to RGB and back, as any pixel edit must; without it the decoded
    YUV frame goes straight to the encoder (the lower bound no editor reaches)."""
    t0, c0 = time.perf_counter(), time.process_time()
    with av.open(clip) as src, av.open(out, "w") as dst:
        vin, ain = src.streams.video[0], src.streams.audio[0]
        vin.thread_type = "AUTO"
        vout = dst.add_stream("libx264", rate=vin.average_rate)
        vout.width, vout.height, vout.pix_fmt = vin.width, vin.height, "yuv420p"
        vout.time_base = vin.time_base
        vout.options = {"crf": str(ENCODER["crf"]), "preset": ENCODER["preset"]}
        aout = dst.add_stream_from_template(ain)
        n = 0
        for packet in src.demux(vin, ain):
            if packet.stream is ain:
                if packet.dts is not None:
                    packet.stream = aout
                    dst.mux(packet)
                continue
            for frame in packet.decode():
                if via_rgb:
                    rgb = frame.to_ndarray(format="rgb24")
                    new = av.VideoFrame.from_ndarray(rgb, format="rgb24")
                    new.pts, new.time_base = frame.pts, frame.time_base
                else:
                    new = frame
                    new.pict_type = av.video.frame.PictureType.NONE
                for p in vout.encode(new):
                    dst.mux(p)
                n += 1
        for p in vout.encode():
            dst.mux(p)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak_mb = peak_rss_mb()
    print(json.dumps({"seconds": dt, "cpu": cpu, "frames": n, "peak_rss_mb": peak_mb}))


def run_child(*args: str) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=True
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _median(values: list[float]) -> float:
    return float(np.median(values))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--short", type=float, default=10.0)
    parser.add_argument("--long", type=float, default=60.0)
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds per clip (order rotated each round; medians)"
    )
    args = parser.parse_args()
    kinds = {"plain": "--plain", "yuv": "--plain-yuv", "render": "--render"}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rows = {}
        for label, seconds in (("short", args.short), ("long", args.long)):
            clip = folder / f"{label}_1080p.mp4"
            make_clip(clip, seconds)
            project = make_project(folder, clip)
            inputs = {"plain": clip, "yuv": clip, "render": project}
            runs: dict[str, list[dict]] = {k: [] for k in kinds}
            order = list(kinds)
            for _ in range(args.rounds):
                for kind in order:
                    runs[kind].append(
                        run_child(
                            kinds[kind], str(inputs[kind]), str(folder / f"{label}_{kind}.mp4")
                        )
                    )
                order = order[1:] + order[:1]  # no pipeline always runs first (or last)
            rows[label] = (seconds, runs)
        print(
            f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
            f"encoder libx264 {ENCODER['preset']} crf {ENCODER['crf']}; 1920x1080; "
            f"median of {args.rounds} rounds per clip"
        )
        print()
        print(
            "| clip | frames | plain via RGB fps | plain YUV fps | rotokit render fps "
            "| P3 ratio vs via-RGB | P3 ratio vs YUV (rounds) | CPU time render vs YUV "
            "| peak RSS plain MB | peak RSS render MB |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        for seconds, runs in rows.values():
            sec = {k: _median([r["seconds"] for r in v]) for k, v in runs.items()}
            cpu = {k: _median([r["cpu"] for r in v]) for k, v in runs.items()}
            frames = runs["render"][0]["frames"]
            per_round = [
                e["seconds"] / y["seconds"]
                for e, y in zip(runs["render"], runs["yuv"], strict=True)
            ]
            spread = f" ({min(per_round):.2f}–{max(per_round):.2f})" if len(per_round) > 1 else ""
            print(
                f"| {seconds:g} s | {frames} | "
                f"{frames / sec['plain']:.1f} | {frames / sec['yuv']:.1f} | "
                f"{frames / sec['render']:.1f} | "
                f"{sec['render'] / sec['plain']:.2f}× | "
                f"{sec['render'] / sec['yuv']:.2f}×{spread} | "
                f"{cpu['render'] / cpu['yuv']:.2f}× | "
                f"{_median([r['peak_rss_mb'] for r in runs['plain']]):.0f} | "
                f"{_median([r['peak_rss_mb'] for r in runs['render']]):.0f} |"
            )
        short_rss = _median([r["peak_rss_mb"] for r in rows["short"][1]["render"]])
        ratio = _median([r["peak_rss_mb"] for r in rows["long"][1]["render"]]) / short_rss
        print()
        print(f"render peak RSS {args.long:g} s vs {args.short:g} s: {ratio:.2f}× (target ≤ 1.25×)")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--render":
        child_render(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "--plain":
        child_plain(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "--plain-yuv":
        child_plain(sys.argv[2], sys.argv[3], via_rgb=False)
    else:
        main()
