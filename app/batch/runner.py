"""`run_batch`: plan the clips, skip what is done, run the rest on an engine, report, summarise.

The coordinator is the only writer of ``report.jsonl`` and the only owner of the progress bar;
engines only run clips and send back `ClipResult`s, so both engines give the same report and
the same exit code.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from app.batch.inputs import BatchUsageError, expand_inputs
from app.batch.jobs import BatchOptions, fingerprint, output_for
from app.batch.local import Task, run_local
from app.batch.report import REPORT_NAME, ClipResult, Report

__all__ = ["BatchSummary", "run_batch", "default_jobs"]

LogFn = Callable[[str], None]


def default_jobs(cores: int | None = None) -> int:
    """Clips at a time on this machine: one per core, each on one thread (``--threads 1``).

    bench/batch.py on 2 cores, three runs: 2 clips × 1 thread vs 1 clip × 2 threads 1.07× and
    1.18× the throughput, 0.90× in the third (a shared, noisy machine); clip-level parallelism also
    keeps every core busy through a clip's serial parts (start, project writing) and scales with
    cores, where one clip's pipeline (decode, detector, encode) cannot use many more threads.
    """
    return max(1, cores or os.cpu_count() or 1)


@dataclass
class BatchSummary:
    """Counts of one run (the terminal summary and the exit code)."""

    total: int = 0
    done: int = 0
    skipped: int = 0
    failed: list[ClipResult] = field(default_factory=list)
    frames: int = 0
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def lines(self, kind: str, report: Path) -> list[str]:
        rate = (
            f", {self.frames / self.seconds:.1f} frames/s"
            if self.seconds > 0 and self.frames
            else ""
        )
        head = (
            f"batch {kind}: {self.done} done, {self.skipped} skipped, {len(self.failed)} failed "
            f"of {self.total} in {self.seconds:.1f} s ({self.frames} frames{rate}); report {report}"
        )
        return [head] + [f"  failed: {r.error}" for r in self.failed]


class _Progress:
    """One bar for the whole batch: clips (fractional while running), frames and ETA."""

    def __init__(self, total: int, kind: str, quiet: bool) -> None:
        self.fractions: dict[int, float] = {}
        self.finished = 0
        self.frames_done = 0
        self.frames_running: dict[int, int] = {}
        self.failed = 0
        self.bar = None
        if not quiet and total:
            from tqdm import tqdm

            self.bar = tqdm(
                total=total,
                desc=f"batch {kind}",
                unit="clip",
                file=sys.stderr,
                dynamic_ncols=True,
                disable=None,
                bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total_fmt} clips "
                "[{elapsed}<{remaining}{postfix}]",
            )

    def progress(self, index: int, done: int, total: int) -> None:
        self.fractions[index] = done / total if total else 0.0
        self.frames_running[index] = done
        self._show()

    def finished_one(self, index: int, result: ClipResult) -> None:
        self.fractions.pop(index, None)
        self.frames_running.pop(index, None)
        self.finished += 1
        self.frames_done += result.frames or 0
        self.failed += result.status == "failed"
        self._show()

    def _show(self) -> None:
        if self.bar is None:
            return
        self.bar.n = self.finished + sum(self.fractions.values())
        frames = self.frames_done + sum(self.frames_running.values())
        rate = (
            frames / self.bar.format_dict["elapsed"] if self.bar.format_dict["elapsed"] > 0 else 0
        )
        self.bar.set_postfix_str(
            f"{frames} frames, {rate:.1f} frames/s"
            + (f", {self.failed} failed" if self.failed else ""),
            refresh=False,
        )
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _plan(options: BatchOptions, inputs: list[str]) -> list[Task]:
    clips = expand_inputs(inputs, options.suffixes, exclude=options.out_dir)
    tasks: list[Task] = []
    claimed: dict[Path, Path] = {options.out_dir / REPORT_NAME: options.out_dir / REPORT_NAME}
    inputs_seen = {c.path for c in clips}
    for index, clip in enumerate(clips):
        output = output_for(options, clip).absolute()
        written = [output]
        if options.kind == "anonymize":  # its project and mask store go beside the video
            written += [output.with_suffix(".rotokit"), output.with_suffix(".rotokit.masks")]
        for path in written:
            if path in inputs_seen:
                raise BatchUsageError(
                    f"{path}: an output would overwrite an input; choose another -o"
                )
            if path in claimed:
                raise BatchUsageError(
                    f"{clip.path} and {claimed[path]} would both write {path}; "
                    "rename one or run them in separate batches"
                )
            claimed[path] = clip.path
        tasks.append(Task(index, clip, output, ""))
    return tasks


def run_batch(
    options: BatchOptions,
    inputs: list[str],
    *,
    engine: str = "local",
    jobs: int | None = None,
    ray_address: str | None = None,
    force: bool = False,
    quiet: bool = False,
    log: LogFn | None = None,
) -> BatchSummary:
    """Run a batch to the end (every input gets a report line) and return its summary.

    Raises `BatchUsageError` before any work for bad inputs, `KeyboardInterrupt` after a
    Ctrl-C has stopped every worker (each finished clip is already in the report).
    """
    started = time.perf_counter()
    out_dir = options.out_dir.absolute()
    if out_dir.exists() and not out_dir.is_dir():
        raise BatchUsageError(f"{out_dir}: exists and is not a folder")
    options = BatchOptions(options.kind, out_dir, options.params, options.threads)
    planned = _plan(options, inputs)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = Report(out_dir)
    summary = BatchSummary(total=len(planned))
    key = options.options_key()
    todo: list[Task] = []
    for task in planned:
        fp = fingerprint(options, task.clip)
        if not force and report.is_done(str(task.clip.path), task.output, fp, key):
            earlier = report.earlier(str(task.clip.path))
            report.append(
                ClipResult(
                    input=str(task.clip.path),
                    output=str(task.output),
                    status="skipped",
                    frames=earlier.get("frames"),
                    faces=earlier.get("faces"),
                    fingerprint=fp,
                    options=key,
                )
            )
            summary.skipped += 1
        else:
            todo.append(Task(task.index, task.clip, task.output, fp))
    if log and summary.skipped:
        log(
            f"batch {options.kind}: {summary.skipped} of {len(planned)} already done "
            "(same input and options): skipped; --force redoes them"
        )

    bar = _Progress(len(todo), options.kind, quiet)

    class _Events:
        def progress(self, index: int, done: int, total: int) -> None:
            bar.progress(index, done, total)

        def finished(self, index: int, result: ClipResult) -> None:
            report.append(result)
            bar.finished_one(index, result)
            summary.frames += result.frames or 0
            if result.status == "failed":
                summary.failed.append(result)
            else:
                summary.done += 1

    try:
        if engine == "ray":
            from app.batch.ray_engine import run_ray

            run_ray(options, todo, jobs, _Events(), address=ray_address)
        else:
            run_local(options, todo, jobs or default_jobs(), _Events())
    finally:
        bar.close()
        report.close()
        summary.seconds = time.perf_counter() - started
    return summary
