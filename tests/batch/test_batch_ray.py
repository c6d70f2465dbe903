"""`rotokit batch anonymize --engine ray` on a private local Ray instance: the same outputs,
report and exit code as the local engine, and a rerun skips what is done."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.batch.conftest import BROKEN, GOOD, by_name, report, rotokit, run
from tests.batch.test_batch_local import check_first_run

pytest.importorskip("ray", reason="the Ray engine needs the ray extra: pip install -e '.[ray]'")

pytestmark = pytest.mark.ray


def test_ray_engine_makes_both_outputs_reports_the_bad_file_and_resumes(
    clip_folder: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    code, err = run(
        "batch", "anonymize", str(clip_folder), "-o", str(out), "--engine", "ray", "--jobs", "2"
    )
    first = check_first_run(out, clip_folder, code, err)
    assert first["people.mp4"]["faces"] >= 1

    stamps = {rel: (out / rel).stat().st_mtime_ns for rel in GOOD}
    code, err = run("batch", "anonymize", str(clip_folder), "-o", str(out), "--engine", "ray", "-q")
    assert code == 1, err
    rerun = by_name(report(out)[-3:], clip_folder)
    assert {k: v["status"] for k, v in rerun.items()} == {
        "people.mp4": "skipped",
        "sub/blocks.mp4": "skipped",
        BROKEN: "failed",
    }
    assert rerun[BROKEN]["error"] == first[BROKEN]["error"]
    assert {rel: (out / rel).stat().st_mtime_ns for rel in GOOD} == stamps


def test_ray_ctrl_c_keeps_finished_clips_and_a_forced_rerun_redoes_everything(
    clip_folder: Path, tmp_path: Path
) -> None:
    import os
    import signal

    from app.media import probe
    from tests.batch.test_batch_local import _files, _wait_for_done

    out = tmp_path / "out"
    clips = [str(clip_folder / "sub/blocks.mp4"), str(clip_folder / "people.mp4")]
    proc = rotokit(
        "batch",
        "anonymize",
        *clips,
        "-o",
        str(out),
        "--engine",
        "ray",
        "--jobs",
        "1",
        start_new_session=True,
    )
    _wait_for_done(out, "blocks.mp4", proc)
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in a terminal: the driver and Ray's processes
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 130, err
    assert [Path(x["input"]).name for x in report(out)] == ["blocks.mp4"]
    assert _files(out) == {"report.jsonl", "blocks.mp4", "blocks.rotokit", "blocks.rotokit.masks"}

    code, err = run(
        "batch", "anonymize", *clips, "-o", str(out), "--engine", "ray", "--force", "-q"
    )
    assert code == 0, err
    # --force: the finished clip is made again, not skipped (two actors: any order)
    assert sorted((Path(x["input"]).name, x["status"]) for x in report(out)[1:]) == [
        ("blocks.mp4", "done"),
        ("people.mp4", "done"),
    ]
    assert probe(out / "people.mp4").frame_count == 96


def test_ray_retries_a_clip_whose_actor_process_died(clip_folder: Path, tmp_path: Path) -> None:
    """A worker killed mid-clip (as by the OOM killer or a lost node): Ray restarts the actor and
    runs the clip again (max_task_retries); the batch ends with every clip done, exit 0."""
    import time

    import psutil

    from app.media import probe
    from tests.batch.test_batch_local import _wait_for_done

    out = tmp_path / "out"
    clips = [str(clip_folder / "sub/blocks.mp4"), str(clip_folder / "people.mp4")]
    proc = rotokit(
        "batch", "anonymize", *clips, "-o", str(out), "--engine", "ray", "--jobs", "1", "-q"
    )
    _wait_for_done(out, "blocks.mp4", proc)
    time.sleep(1.0)  # people.mp4 is now being made by the same actor
    actors = [
        p
        for p in psutil.Process(proc.pid).children(recursive=True)
        if "_BatchActor" in " ".join(p.cmdline())
    ]
    assert len(actors) == 1, [p.cmdline() for p in actors]
    actors[0].kill()
    assert len(report(out)) == 1, "people.mp4 was finished before its actor was killed"
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    lines = report(out)
    assert [(Path(x["input"]).name, x["status"]) for x in lines] == [
        ("blocks.mp4", "done"),
        ("people.mp4", "done"),
    ]
    assert lines[1]["frames"] == 96 and probe(out / "people.mp4").frame_count == 96
