"""`rotokit batch anonymize|render|export` on the local engine, run as a user runs it: a folder
of two real clips (one in a subfolder) and a garbage file; reruns, --force, Ctrl-C and kill -9."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import psutil
import pytest

from app.media import probe
from tests.batch.conftest import BROKEN, FRAMES, GOOD, by_name, report, rotokit, run


def check_first_run(out: Path, folder: Path, code: int, err: str) -> dict[str, dict]:
    """What both engines must do on the first run: two outputs, the bad file failed, exit 1."""
    assert code == 1, err
    for rel, frames in FRAMES.items():
        assert probe(out / rel).frame_count == frames, rel
        assert (out / rel).with_suffix(".rotokit").is_file(), rel  # the project beside it
    assert not (out / BROKEN).exists()
    lines = by_name(report(out), folder)
    assert {k: v["status"] for k, v in lines.items()} == {
        "people.mp4": "done",
        "sub/blocks.mp4": "done",
        BROKEN: "failed",
    }
    bad = lines[BROKEN]["error"]
    assert bad.startswith(f"{folder / BROKEN}: ") and len(bad) > len(str(folder / BROKEN)) + 10, bad
    assert lines["people.mp4"]["frames"] == 96 and lines["people.mp4"]["faces"] >= 1
    assert lines["sub/blocks.mp4"]["frames"] == 60 and lines["sub/blocks.mp4"]["faces"] == 0
    assert all(line["seconds"] > 0 for line in lines.values())
    assert "2 done, 0 skipped, 1 failed of 3" in err and bad in err  # the terminal summary
    return lines


@pytest.fixture(scope="module")
def first(clip_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str]:
    out = tmp_path_factory.mktemp("local") / "out"
    code, err = run("batch", "anonymize", str(clip_folder), "-o", str(out), "--jobs", "2")
    return out, code, err


def test_two_workers_make_both_outputs_and_report_the_bad_file(first, clip_folder: Path) -> None:
    out, code, err = first
    check_first_run(out, clip_folder, code, err)


def test_rerun_skips_done_clips_and_force_redoes_them(first, clip_folder: Path) -> None:
    out, _, _ = first
    stamps = {rel: (out / rel).stat().st_mtime_ns for rel in GOOD}
    code, err = run("batch", "anonymize", str(clip_folder), "-o", str(out), "-q")
    assert code == 1, err  # the garbage file is tried again and fails again
    rerun = report(out)[-3:]
    assert {Path(x["input"]).name: x["status"] for x in rerun} == {
        "people.mp4": "skipped",
        "blocks.mp4": "skipped",
        BROKEN: "failed",
    }
    assert {rel: (out / rel).stat().st_mtime_ns for rel in GOOD} == stamps  # not rewritten

    code, err = run("batch", "anonymize", str(clip_folder), "-o", str(out), "-q", "--force")
    assert code == 1, err
    forced = by_name(report(out)[-3:], clip_folder)
    assert forced["people.mp4"]["status"] == forced["sub/blocks.mp4"]["status"] == "done"
    assert all((out / rel).stat().st_mtime_ns != stamps[rel] for rel in GOOD)
    assert probe(out / "people.mp4").frame_count == 96


def test_changed_options_redo_the_clips(first, clip_folder: Path) -> None:
    """The report's resume key includes the options: another --effect is not 'already done'."""
    out, _, _ = first
    code, err = run(
        "batch",
        "anonymize",
        str(clip_folder / "people.mp4"),
        "-o",
        str(out),
        "-q",
        "--effect",
        "solid",
    )
    assert code == 0, err
    assert report(out)[-1]["status"] == "done" and report(out)[-1]["input"].endswith("people.mp4")


def _wait_for_done(out: Path, name: str, proc, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        path = out / "report.jsonl"
        if path.is_file() and any(
            x["status"] == "done" and x["input"].endswith(name) for x in report(out)
        ):
            return
        time.sleep(0.05)
    raise AssertionError(f"{name} never finished")


def _files(out: Path) -> set[str]:
    return {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}


def _start_two(clip_folder: Path, out: Path, **popen: object):
    """One worker, the short faceless clip first: the kill lands while people.mp4 is being made."""
    return rotokit(
        "batch",
        "anonymize",
        str(clip_folder / "sub/blocks.mp4"),
        str(clip_folder / "people.mp4"),
        "-o",
        str(out),
        "--jobs",
        "1",
        "-q",
        **popen,
    )


def test_kill_9_mid_batch_leaves_only_complete_outputs_and_a_rerun_completes(
    clip_folder: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    proc = _start_two(clip_folder, out)
    _wait_for_done(out, "blocks.mp4", proc)
    workers = psutil.Process(proc.pid).children(recursive=True)
    proc.kill()  # SIGKILL: the coordinator gets no chance to clean up
    proc.communicate()
    _, alive = psutil.wait_procs(workers, timeout=30)  # each worker notices and cancels its clip
    assert not alive
    assert [Path(x["input"]).name for x in report(out)] == ["blocks.mp4"], "the kill came too late"
    # only the finished clip's files: no output, project or temp file of the interrupted one
    assert _files(out) == {"report.jsonl", "blocks.mp4", "blocks.rotokit", "blocks.rotokit.masks"}

    code, err = run(
        "batch",
        "anonymize",
        str(clip_folder / "sub/blocks.mp4"),
        str(clip_folder / "people.mp4"),
        "-o",
        str(out),
        "-q",
    )
    assert code == 0, err
    assert [(Path(x["input"]).name, x["status"]) for x in report(out)[1:]] == [
        ("blocks.mp4", "skipped"),
        ("people.mp4", "done"),
    ]
    assert probe(out / "people.mp4").frame_count == 96


def test_ctrl_c_stops_every_worker_and_keeps_finished_clips(
    clip_folder: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    proc = _start_two(clip_folder, out, start_new_session=True)
    _wait_for_done(out, "blocks.mp4", proc)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends to the whole job on Ctrl-C
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "report.jsonl" in err
    assert _files(out) == {"report.jsonl", "blocks.mp4", "blocks.rotokit", "blocks.rotokit.masks"}
    assert [x["status"] for x in report(out)] == ["done"]


def test_a_worker_dying_mid_clip_fails_that_clip_and_a_new_worker_does_the_rest(
    clip_folder: Path, tmp_path: Path
) -> None:
    """As when the OOM killer takes a worker: that clip is reported failed with the reason, its
    temp file is removed, and a fresh worker makes the next clip."""
    out = tmp_path / "out"
    proc = rotokit(
        "batch",
        "anonymize",
        str(clip_folder / "people.mp4"),
        str(clip_folder / "sub/blocks.mp4"),
        "-o",
        str(out),
        "--jobs",
        "1",
        "-q",
    )
    deadline = time.monotonic() + 300
    while not list(out.glob(".people.*.part.mp4")):  # the render pass of people.mp4 has begun
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    workers = [
        p
        for p in psutil.Process(proc.pid).children()
        if "resource_tracker" not in " ".join(p.cmdline())
    ]
    assert len(workers) == 1, [p.cmdline() for p in workers]
    workers[0].kill()
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 1, err
    lines = {Path(x["input"]).name: x for x in report(out)}
    assert lines["people.mp4"]["status"] == "failed"
    assert "worker process died (killed by signal 9)" in lines["people.mp4"]["error"]
    assert lines["blocks.mp4"]["status"] == "done" and probe(out / "blocks.mp4").frame_count == 60
    assert _files(out) == {"report.jsonl", "blocks.mp4", "blocks.rotokit", "blocks.rotokit.masks"}


def test_batch_render_and_export_of_the_anonymized_projects(
    first, clip_folder: Path, tmp_path: Path
) -> None:
    """The projects `batch anonymize` wrote are valid `batch render` / `batch export` inputs;
    the faceless clip's project has no masks, which export reports as its failure."""
    out, _, _ = first
    rendered = tmp_path / "rendered"
    code, err = run("batch", "render", str(out), "-o", str(rendered), "-q", "--jobs", "2")
    assert code == 0, err
    assert probe(rendered / "people.mp4").frame_count == 96
    assert probe(rendered / "sub/blocks.mp4").frame_count == 60
    assert {x["status"] for x in report(rendered)} == {"done"}

    datasets = tmp_path / "datasets"
    code, err = run("batch", "export", str(out), "--format", "coco", "-o", str(datasets), "-q")
    assert code == 1, err
    lines = {Path(x["input"]).name: x for x in report(datasets)}
    assert lines["people.rotokit"]["status"] == "done" and lines["people.rotokit"]["frames"] == 96
    assert any(datasets.joinpath("people").rglob("*.json"))
    assert lines["blocks.rotokit"]["status"] == "failed"
    assert "no masks" in lines["blocks.rotokit"]["error"]
    assert not (datasets / "sub" / "blocks").exists()
