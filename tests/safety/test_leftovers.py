"""Issue 11 item 5 and the kill -9 promise: no leftovers, and a killed run restarts cleanly.

`ROTOKIT_FAULT_AFTER_FRAMES` (app/faults.py) makes the process send itself SIGKILL after N frames:
no cleanup runs, exactly like `kill -9`. The same command run again must give the same output
as an uninterrupted run and leave no temp file behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
import pytest

from app.cli import main
from app.tempfiles import _host, is_our_temp
from tests.shared_media import REPO, clip_path


def _run(args: list[str], fault: str | None = None, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("ROTOKIT_FAULT_AFTER_FRAMES", None)
    if fault is not None:
        env["ROTOKIT_FAULT_AFTER_FRAMES"] = fault
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        **kw,
    )


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def _hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(".*") if ".rk-" in p.name or "part" in p.name)


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_killed_render_restarts_to_the_same_output_and_leaves_nothing(tracked, tmp_path):
    project = tracked()
    clean, out = tmp_path / "clean.mp4", tmp_path / "out.mp4"
    assert _run(["render", str(project), "-o", str(clean), "-q"]).returncode == 0
    killed = _run(["render", str(project), "-o", str(out), "-q"], fault="writer:20")
    assert killed.returncode == -signal.SIGKILL
    assert not out.exists()
    assert any(is_our_temp(n) for n in _hidden(tmp_path)), "the fault should leave a temp file"
    assert _run(["render", str(project), "-o", str(out), "-q"]).returncode == 0
    assert _hidden(tmp_path) == [] and _hidden(project.parent) == []
    a, b = _frames(clean), _frames(out)
    assert len(a) == len(b) == 60
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_killed_export_restarts_to_the_same_dataset(tracked, tmp_path):
    project = tracked()
    args = ["export", str(project), "--format", "png", "--offline", "-q"]
    assert _run([*args, "-o", str(tmp_path / "clean")]).returncode == 0
    assert _run([*args, "-o", str(tmp_path / "ds")], fault="export:7").returncode == -signal.SIGKILL
    assert not (tmp_path / "ds").exists() and _hidden(tmp_path)
    assert _run([*args, "-o", str(tmp_path / "ds")]).returncode == 0
    assert _hidden(tmp_path) == []
    clean = {
        p.relative_to(tmp_path / "clean"): p.read_bytes()
        for p in (tmp_path / "clean").rglob("*")
        if p.is_file()
    }
    again = {
        p.relative_to(tmp_path / "ds"): p.read_bytes()
        for p in (tmp_path / "ds").rglob("*")
        if p.is_file()
    }
    assert clean == again and len(clean) >= 60


def test_killed_anonymize_restarts_to_the_same_output(tmp_path):
    video = tmp_path / "in.mp4"
    video.write_bytes(clip_path("people_audio.mp4").read_bytes())
    assert _run(["anonymize", str(video), "-o", str(tmp_path / "clean.mp4"), "-q"]).returncode == 0
    out = tmp_path / "safe.mp4"
    assert (
        _run(["anonymize", str(video), "-o", str(out), "-q"], fault="writer:30").returncode
        == -signal.SIGKILL
    )
    assert not out.exists() and _hidden(tmp_path)
    assert _run(["anonymize", str(video), "-o", str(out), "-q"]).returncode == 0
    assert _hidden(tmp_path) == []
    a, b = _frames(tmp_path / "clean.mp4"), _frames(out)
    assert len(a) == len(b)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_sweep_removes_only_our_temp_files_of_dead_writers(tracked, tmp_path):
    project = tracked()
    folder = tmp_path / "outdir"
    folder.mkdir()
    dead, alive = _dead_pid(), os.getpid()
    host = _host()
    stale = folder / f".old.mp4.rk-{host}-{dead}-abc123.part.mp4"
    stale_dir = folder / f".ds.rk-{host}-{dead}-x_9.partial"
    keep = [
        folder / f".old.mp4.rk-{host}-{alive}-abc123.part.mp4",  # writer still running
        folder / f".old.mp4.rk-00000000-{dead}-abc123.part.mp4",  # another host's
        folder / ".old.k2j3.part.mp4",  # older naming: not provably ours
        folder / ".notes.part.mp4",
        folder / "mine.partial",
    ]
    for path in (stale, *keep):
        path.write_bytes(b"x")
    stale_dir.mkdir()
    (stale_dir / "0.png").write_bytes(b"x")
    assert main(["render", str(project), "-o", str(folder / "new.mp4"), "-q"]) == 0
    assert not stale.exists() and not stale_dir.exists()
    assert all(p.exists() for p in keep)


def test_sigterm_cleans_up_says_one_line_and_exits_143(tracked, tmp_path):
    project = tracked()
    out = tmp_path / "out.mp4"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app",
            "render",
            str(project),
            "-o",
            str(out),
            "--preset",
            "veryslow",
            "-q",
        ],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not _hidden(tmp_path) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGSTOP)  # hold it mid-render: the signal cannot race the finish
    proc.send_signal(signal.SIGTERM)
    proc.send_signal(signal.SIGCONT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143
    assert err.strip().splitlines() == [
        "rotokit: terminated (SIGTERM); unfinished output files were removed"
    ]
    assert not out.exists() and _hidden(tmp_path) == []


def test_a_clean_run_leaves_no_wal_or_shm(tracked, tmp_path):
    project = tracked()
    assert main(["render", str(project), "-o", str(tmp_path / "o.mp4"), "-q"]) == 0
    assert (
        main(
            [
                "export",
                str(project),
                "--format",
                "coco",
                "-o",
                str(tmp_path / "ds"),
                "-q",
                "--no-images",
            ]
        )
        == 0
    )
    assert sorted(p.name for p in project.parent.iterdir()) == [
        "edit.rotokit",
        "edit.rotokit.masks",
        "odd_size.mp4",
    ]


@pytest.mark.parametrize("command", ["render", "track", "export"])
def test_a_failed_command_leaves_no_empty_mask_store(make_project, tmp_path, command, capsys):
    project = make_project()
    argv = {
        "render": ["render", str(project), "-o", str(tmp_path / "o.mp4")],
        "track": ["track", str(project)],
        "export": ["export", str(project), "--format", "png", "-o", str(tmp_path / "d")],
    }
    assert main([*argv[command], "--model", "no-such-model", "--offline", "-q"]) == 1
    assert "no-such-model" in capsys.readouterr().err
    assert sorted(p.name for p in project.parent.iterdir()) == ["edit.rotokit", "odd_size.mp4"]
