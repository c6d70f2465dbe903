"""Batch benchmark, P9: clips/minute of `rotokit batch anonymize` vs the same clips through
`rotokit anonymize` one after another, 1 vs 2 local workers, and local Ray — in one run.

Usage: .venv/bin/python bench/batch.py [--rounds 3] [--only NAME...] [--json out.json]

The six clips of ../shared/media (people_audio, dog_ball, bedroom_small, vfr, rotated,
odd_size: 60–200 frames, 480–641 px wide, 2–7 s) are copied into a temp folder. Every
configuration runs the real command line in a fresh process, as a user would, so start-up
(imports, worker processes, Ray's own start) is part of the time:

- ``sequential``: ``rotokit anonymize CLIP -o OUT`` six times, one after another (the P9 baseline);
- ``local 1×2``: ``rotokit batch anonymize --jobs 1 --threads 2`` (one clip at a time, 2 threads);
- ``local 2×1``: ``--jobs 2 --threads 1`` (two clips at a time, one thread each);
- ``ray 2×1``: ``--engine ray --jobs 2 --threads 1`` (a private local Ray instance, started and
  stopped by the command).

Rounds run the configurations in rotated order (the machine is shared and noisy); the table shows
the median seconds per configuration and ratios of throughput measured in this same run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
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
]
CONFIGS = {
    "sequential": None,
    "local 1×2": ["--jobs", "1", "--threads", "2"],
    "local 2×1": ["--jobs", "2", "--threads", "1"],
    "ray 2×1": ["--engine", "ray", "--jobs", "2", "--threads", "1"],
}


def _rotokit(*args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "app", *args, "-q"], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(
            f"rotokit {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}"
        )


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # every waited-for descendant
    return usage.ru_utime + usage.ru_stime


def run_config(name: str, inputs: Path, out: Path) -> tuple[float, float]:
    """(wall, CPU) seconds to anonymize every clip in `inputs` into `out` with configuration `name`.

    CPU time counts the command and its worker processes; Ray's own daemons (raylet, GCS) are
    not children of the command, so the Ray row undercounts its CPU.
    """
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    cpu = _cpu_seconds()
    started = time.perf_counter()
    if CONFIGS[name] is None:
        for clip in sorted(inputs.iterdir()):
            _rotokit("anonymize", str(clip), "-o", str(out / clip.name))
    else:
        _rotokit("batch", "anonymize", str(inputs), "-o", str(out), *CONFIGS[name])
        lines = [json.loads(x) for x in (out / "report.jsonl").read_text().splitlines()]
        if sorted(x["status"] for x in lines) != ["done"] * len(CLIPS):
            raise SystemExit(f"{name}: not every clip was done: {lines}")
    return time.perf_counter() - started, _cpu_seconds() - cpu


def _cpu() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        model = next(
            line.split(":", 1)[1].strip()
            for line in out.splitlines()
            if line.startswith("Model name")
        )
    except (OSError, StopIteration):
        model = platform.processor() or "unknown CPU"
    return f"{model}, {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", nargs="+", choices=list(CONFIGS), default=list(CONFIGS))
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="rotokit-bench-batch-") as tmp:
        inputs = Path(tmp) / "in"
        inputs.mkdir()
        frames = 0
        from app.media import probe  # noqa: PLC0415 - after argparse: --help stays instant

        for clip in CLIPS:
            shutil.copy(MEDIA / clip, inputs / clip)
            frames += probe(inputs / clip).frame_count
        print(
            f"{len(CLIPS)} clips, {frames} frames; {_cpu()}; load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        times: dict[str, list[float]] = {name: [] for name in args.only}
        cpu: dict[str, list[float]] = {name: [] for name in args.only}
        for r in range(args.rounds):
            order = args.only[r % len(args.only) :] + args.only[: r % len(args.only)]
            for name in order:
                seconds, cpu_s = run_config(name, inputs, Path(tmp) / "out")
                times[name].append(seconds)
                cpu[name].append(cpu_s)
                print(
                    f"  round {r + 1}: {name:<11} {seconds:6.1f} s wall, {cpu_s:6.1f} s CPU"
                    f"  (load {os.getloadavg()[0]:.1f})",
                    flush=True,
                )

    median = {name: statistics.median(t) for name, t in times.items()}
    base = median.get("sequential")
    print(
        f"\n{'configuration':<12} {'median s':>9} {'clips/min':>10} "
        f"{'vs sequential':>14} {'CPU s':>7}"
    )
    for name, seconds in median.items():
        ratio = f"{base / seconds:.2f}×" if base else "-"
        print(
            f"{name:<12} {seconds:9.1f} {len(CLIPS) * 60 / seconds:10.1f} {ratio:>14} "
            f"{statistics.median(cpu[name]):7.1f}"
        )
    ratios = {}
    if "local 2×1" in median and "local 1×2" in median:
        ratios["2 workers × 1 thread vs 1 × 2 (throughput)"] = (
            median["local 1×2"] / median["local 2×1"]
        )
    if "ray 2×1" in median and "local 2×1" in median:
        ratios["local Ray vs local engine, 2×1 (throughput; P9 ≥ 0.9×)"] = (
            median["local 2×1"] / median["ray 2×1"]
        )
    if base:
        best = min((n for n in median if n != "sequential"), key=median.get, default=None)
        if best:
            ratios[f"best batch ({best}) vs sequential (throughput; P9 ≥ 1.2×)"] = (
                base / median[best]
            )
    for what, value in ratios.items():
        print(f"{what}: {value:.2f}×")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "times": times,
                    "cpu": cpu,
                    "median": median,
                    "ratios": ratios,
                    "machine": _cpu(),
                    "frames": frames,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
