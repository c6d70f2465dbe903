"""Face anonymization benchmark (P7): ``rotokit anonymize`` vs ``deface`` on the same clips.

Usage: .venv/bin/python bench/faces.py [--clips people_audio.mp4 dog_ball.mp4] [--no-1080p]

Same machine, one run, each tool as a fresh process on the same input with its default settings
(rotokit: ``python -m app anonymize VIDEO -o OUT -q``; deface 1.5.0: ``deface VIDEO -o OUT
--keep-audio``, threshold 0.2, blur, mask scale 1.3). Clips: people_audio.mp4 and dog_ball.mp4
from ../shared/media, plus people_audio upscaled to 1920×1080 (made here, audio kept).

deface is not a rotokit dependency (it pulls opencv-python, which clashes with the headless
build): install it in a scratch venv, ``python3 -m venv /tmp/deface-venv &&
/tmp/deface-venv/bin/pip install deface``; found through ``$DEFACE`` (the executable), that
venv, or PATH. Without it the rotokit columns are still measured and the table says so.

Per clip it prints the wall time of each tool and their ratio, and how many faces are still
detectable in each output by two detectors: the same CenterFace network (threshold 0.5) and an
independent one, OpenCV's Haar frontal-face cascade. A detection in an output counts as a face
still found when its centre lies inside a box the same detector found on the same frame of the
input (detections elsewhere, e.g. Haar firing on a blurred patch, are not the input's faces);
Haar's input boxes count as faces only where CenterFace also found one (Haar also fires on
cloth and hands, and those boxes would count as "still found" in any output).
It also prints the frames where rotokit's detector alone missed a face but the track covered it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
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
MEDIA = Path(os.environ.get("ROTOKIT_MEDIA", REPO.parent / "shared" / "media"))

from app.media import FrameSource, VideoWriter  # noqa: E402
from model.faces import FaceDetector  # noqa: E402

# Runs anonymize in a fresh process (like deface) and reports what the CLI line summarises.
ROTOKIT_SCRIPT = """
import json, sys
from app.anonymize import anonymize
r = anonymize(sys.argv[1], sys.argv[2])
print(json.dumps({"faces": r.faces, "frames": r.frames, "detected_frames": r.detected_frames,
                  "covered_by_tracking": r.covered_by_tracking,
                  "frames_covered_by_tracking": r.frames_covered_by_tracking}))
"""


def find_deface() -> str | None:
    for candidate in (
        os.environ.get("DEFACE"),
        "/tmp/deface-venv/bin/deface",
        shutil.which("deface"),
    ):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def make_1080p(src: Path, dst: Path) -> None:
    """``src`` upscaled to 1920×1080 (bicubic), same timestamps, audio copied."""
    with FrameSource(src, cache_bytes=0) as frames:
        info = dataclasses.replace(
            frames.info, width=1920, height=1080, coded_width=1920, coded_height=1080
        )
        with VideoWriter(
            dst, source=info, codec="h264", crf=18, preset="veryfast", audio_from=src
        ) as out:
            for fr in frames.iter_frames():
                out.write(cv2.resize(fr.rgb, (1920, 1080), interpolation=cv2.INTER_CUBIC), fr.pts)


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()[-500:]}"
        )
    return seconds, proc.stdout


class Counter:
    """Faces per frame by CenterFace (threshold 0.5) and Haar, and the still-found matching."""

    def __init__(self) -> None:
        self.centerface = FaceDetector(threshold=0.5)
        self.haar = cv2.CascadeClassifier(
            cv2.data.haarcascades + "haarcascade_frontalface_default.xml"
        )
        if self.haar.empty():
            raise RuntimeError("OpenCV's Haar cascade is missing (needs opencv 4.x, not 5.x)")

    def boxes(self, rgb: np.ndarray) -> dict[str, list]:
        grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        min_side = max(16, round(16 * max(rgb.shape[:2]) / 640))
        found = self.haar.detectMultiScale(
            grey, scaleFactor=1.1, minNeighbors=5, minSize=(min_side, min_side)
        )
        return {
            "centerface": [d.box for d in self.centerface.detect(rgb)],
            "haar": [(x, y, x + w, y + h) for x, y, w, h in found],
        }

    def video(self, path: Path) -> list[dict[str, list]]:
        with FrameSource(path, cache_bytes=0) as frames:
            return [self.boxes(fr.rgb) for fr in frames.iter_frames()]


def _centre_in(box, outer) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return outer[0] <= cx <= outer[2] and outer[1] <= cy <= outer[3]


def input_faces(before: list[dict[str, list]], name: str) -> list[list]:
    """The input's faces per frame for one detector. Haar boxes count only when CenterFace
    found a face there too: Haar fires on cloth and hands (people_audio at 1080p: 105 Haar boxes
    on 96 frames with one face), and such a box is still "found" in any output."""
    if name == "centerface":
        return [b["centerface"] for b in before]
    return [
        [h for h in b["haar"] if any(_centre_in(c, h) or _centre_in(h, c) for c in b["centerface"])]
        for b in before
    ]


def still_found(before: list[dict[str, list]], after: list[dict[str, list]], name: str) -> int:
    """Output detections whose centre lies in one of the input's faces on the same frame."""
    return sum(
        sum(any(_centre_in(box, face) for face in faces) for box in a[name])
        # not strict: a tool may write fewer or more frames than it read (reported separately)
        for faces, a in zip(input_faces(before, name), after, strict=False)
    )


def frame_count(path: Path) -> int:
    with FrameSource(path, cache_bytes=0) as frames:
        return len(frames)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clips", nargs="+", default=["people_audio.mp4", "dog_ball.mp4"])
    ap.add_argument(
        "--no-1080p", action="store_true", help="skip the 1920×1080 upscale of people_audio"
    )
    args = ap.parse_args()

    deface = find_deface()
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"deface: {deface or 'NOT FOUND (set $DEFACE or install it in /tmp/deface-venv)'}",
        flush=True,
    )
    counter = Counter()
    rows = []
    with tempfile.TemporaryDirectory(prefix="rotokit-faces-") as tmp:
        tmp_dir = Path(tmp)
        clips = [(name, MEDIA / name) for name in args.clips]
        if not args.no_1080p:
            big = tmp_dir / "people_1080p.mp4"
            make_1080p(MEDIA / "people_audio.mp4", big)
            clips.append(("people_audio 1080p upscale", big))
        env = dict(os.environ, PYTHONPATH=str(REPO))
        for label, clip in clips:
            stem = clip.stem
            ours = tmp_dir / f"{stem}.rotokit.mp4"
            t_ours, out = timed(
                [sys.executable, "-c", ROTOKIT_SCRIPT, str(clip), str(ours)], env=env
            )
            stats = json.loads(out.strip().splitlines()[-1])
            theirs = tmp_dir / f"{stem}.deface.mp4"
            t_theirs = None
            if deface:
                t_theirs, _ = timed([deface, str(clip), "-o", str(theirs), "--keep-audio"])
            print(
                f"{label}: rotokit {t_ours:.1f} s, "
                f"deface {t_theirs if t_theirs is None else round(t_theirs, 1)} s;"
                " counting faces ...",
                flush=True,
            )
            before = counter.video(clip)
            after_ours = counter.video(ours)
            after_theirs = counter.video(theirs) if deface else None
            row = {
                "clip": label,
                "frames": len(before),
                "t_ours": t_ours,
                "t_deface": t_theirs,
                "cf_in": sum(len(b["centerface"]) for b in before),
                "haar_in": sum(len(f) for f in input_faces(before, "haar")),
                "haar_raw": sum(len(b["haar"]) for b in before),
                "cf_ours": still_found(before, after_ours, "centerface"),
                "haar_ours": still_found(before, after_ours, "haar"),
                "cf_deface": still_found(before, after_theirs, "centerface")
                if after_theirs
                else None,
                "haar_deface": still_found(before, after_theirs, "haar") if after_theirs else None,
                "frames_ours": frame_count(ours),
                "frames_deface": frame_count(theirs) if deface else None,
                **stats,
            }
            rows.append(row)

    def pct(n: int | None, total: int) -> str:
        if n is None:
            return "—"
        return f"{n} ({100 * n / total:.1f}%)" if total else str(n)

    print()
    print(
        "| clip | frames | rotokit s | deface s | time ratio rotokit/deface "
        "| CenterFace faces in input | still found: rotokit | still found: deface "
        "| Haar faces in input (confirmed) | Haar still found: rotokit "
        "| Haar still found: deface | face tracks | frames covered only by tracking |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        ratio = f"{r['t_ours'] / r['t_deface']:.2f}×" if r["t_deface"] else "—"
        t_def = f"{r['t_deface']:.1f}" if r["t_deface"] else "—"
        print(
            f"| {r['clip']} | {r['frames']} | {r['t_ours']:.1f} | {t_def} | {ratio} "
            f"| {r['cf_in']} | {pct(r['cf_ours'], r['cf_in'])} | {pct(r['cf_deface'], r['cf_in'])} "
            f"| {r['haar_in']} | {pct(r['haar_ours'], r['haar_in'])} "
            f"| {pct(r['haar_deface'], r['haar_in'])} | {r['faces']} "
            f"| {r['frames_covered_by_tracking']} ({r['covered_by_tracking']} face-frames) |"
        )
    print()
    for r in rows:
        print(
            f"note: {r['clip']}: Haar fired {r['haar_raw']} times on the input, "
            f"{r['haar_in']} on a face CenterFace also found"
        )
        if r["frames_deface"] is not None and r["frames_deface"] != r["frames"]:
            print(
                f"note: deface wrote {r['frames_deface']} frames for {r['clip']} "
                f"({r['frames']} in the input)"
            )
        if r["frames_ours"] != r["frames"]:
            print(
                f"note: rotokit wrote {r['frames_ours']} frames for {r['clip']} "
                f"({r['frames']} in the input)"
            )
    if not deface:
        print(
            "deface not found: only rotokit was measured (see the module docstring to install it)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
