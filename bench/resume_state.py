"""What storing the tracker's resume memory with each frame costs (issue 11: resume after a kill).

Usage: .venv/bin/python bench/resume_state.py [--frames 120] [--objects 2]

Baseline, timed in the same run: writing each frame's 1080p masks with their coverage, as
tracking did before resume memory existed (`put_many(frame, masks, computed=...)`). Measured:
the same plus one memory row per object per frame (`memory=[MemoryRow]`, pruned to the memory
window as the tracking job does), with rows the size `TrackingSession.export_memory` gives for
the real architectures at 1024 px: EdgeTAM 263,516 bytes, SAM 2.1 (any size: same memory
shape) 1,574,244 bytes per object-frame. Printed: ms per frame and the ratio to the baseline,
and what a frame costs to track here for scale (EdgeTAM ≈ 1 s on this CPU, README P8).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.append(str(REPO / "bench"))  # after the repo: bench/effects.py must not shadow effects

from app.project import MaskStore  # noqa: E402
from app.project.store_records import MemoryRow  # noqa: E402
from mask_store import make_masks  # noqa: E402

ROW_BYTES = {"edgetam": 263_516, "sam2.1": 1_574_244}
WINDOW = 16


def run(folder: Path, frames: list[dict], row_bytes: int | None) -> float:
    path = folder / f"s{row_bytes}.masks"
    blob = os.urandom(row_bytes) if row_bytes else b""
    started = time.perf_counter()
    with MaskStore(path) as store:
        for i, masks in enumerate(frames):
            rows = [MemoryRow(o, "fwd", i, "plan", blob, ((i - WINDOW, i + WINDOW + 1), (0, WINDOW)))
                    for o in masks] if row_bytes else []
            store.put_many(i, {o: (m, 0.9) for o, m in masks.items()},
                           computed={o: ("hash", "model") for o in masks}, memory=rows)
    return (time.perf_counter() - started) / len(frames) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=120)
    ap.add_argument("--objects", type=int, default=2)
    args = ap.parse_args()
    frames = [make_masks(i, args.objects) for i in range(args.frames)]
    with tempfile.TemporaryDirectory() as tmp:
        base = run(Path(tmp), frames, None)
        print(f"masks + coverage only (baseline): {base:.1f} ms/frame, {args.objects} objects")
        for name, size in ROW_BYTES.items():
            ms = run(Path(tmp), frames, size)
            print(f"+ {name} resume memory ({size / 1e6:.2f} MB per object-frame): {ms:.1f} ms/frame "
                  f"= {ms / base:.2f}x the baseline, +{ms - base:.1f} ms per tracked frame")


if __name__ == "__main__":
    main()
