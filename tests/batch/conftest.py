"""Batch tests: a folder of real clips (one in a subfolder) plus a garbage file, and a runner
for the real `rotokit` command in a subprocess (exit codes, signals, worker processes)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.shared_media import REPO, clip_path

#: the clips of the batch folder: the shortest real clips, one with a face (anonymize is CPU heavy)
GOOD = {"people.mp4": "people_audio.mp4", "sub/blocks.mp4": "odd_size.mp4"}
FRAMES = {"people.mp4": 96, "sub/blocks.mp4": 60}
BROKEN = "broken.mp4"


@pytest.fixture(scope="session")
def clip_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``in/people.mp4`` (96 frames, one face), ``in/sub/blocks.mp4`` (60 frames, odd size, no
    face) and ``in/broken.mp4`` (random bytes named like a video)."""
    folder = tmp_path_factory.mktemp("batch") / "in"
    for rel, name in GOOD.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(clip_path(name), folder / rel)
    (folder / BROKEN).write_bytes(os.urandom(40_000))
    return folder


def rotokit(*args: str, **popen: object) -> subprocess.Popen:
    """Start ``python -m app ARGS`` with this checkout first on the path."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "app", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def run(*args: str, timeout: float = 600) -> tuple[int, str]:
    """Run the command to the end: (exit code, stderr)."""
    proc = rotokit(*args)
    _, err = proc.communicate(timeout=timeout)
    return proc.returncode, err


def report(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "report.jsonl").read_text().splitlines()]


def by_name(lines: list[dict], folder: Path) -> dict[str, dict]:
    """The last report line of each input, keyed by its path relative to the input folder."""
    return {str(Path(line["input"]).relative_to(folder)): line for line in lines}
