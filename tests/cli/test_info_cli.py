"""`rotokit info`: correct facts on every shared clip, one-line errors and exit codes on bad
input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main
from tests.shared_media import CLIPS, clip_path

EXPECTED = {  # from ../shared/media/README.md (ffprobe -count_frames)
    "people_audio.mp4": dict(width=640, height=360, frame_count=96, rotation=0),
    "dog_ball.mp4": dict(width=640, height=360, frame_count=90, rotation=0),
    "bedroom_small.mp4": dict(width=480, height=270, frame_count=200, rotation=0),
    "vfr.mp4": dict(width=640, height=360, frame_count=82, rotation=0),
    "rotated.mp4": dict(width=360, height=640, frame_count=90),
    "odd_size.mp4": dict(width=641, height=359, frame_count=60, rotation=0),
    "beeps_audio.mp4": dict(width=640, height=360, frame_count=96, rotation=0),
}


@pytest.mark.parametrize("name", CLIPS)
def test_info_json_reports_display_size_and_exact_frame_count(name, capsys):
    assert main(["info", str(clip_path(name)), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    for key, value in EXPECTED[name].items():
        assert info[key] == value, (name, key)
    if name == "rotated.mp4":
        assert info["rotation"] in (90, 270)
    if name != "bedroom_small.mp4":
        assert info["audio"], f"{name} has an AAC stream"
    else:
        assert info["audio"] == []


def test_info_text_mentions_size_and_frames(capsys):
    assert main(["info", str(clip_path("vfr.mp4"))]) == 0
    out = capsys.readouterr().out
    assert "640" in out and "360" in out and "82" in out


def _bad_inputs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(bytes(range(256)) * 400)
    truncated = tmp_path / "truncated.mp4"
    data = clip_path("people_audio.mp4").read_bytes()
    truncated.write_bytes(data[: int(len(data) * 0.6)])
    folder = tmp_path / "a_directory.mp4"
    folder.mkdir()
    return {
        "empty": (empty, "empty"),
        "garbage": (garbage, ""),
        "truncated": (truncated, ""),
        "missing": (tmp_path / "nope.mp4", ""),
        "directory": (folder, "director"),
    }


@pytest.mark.parametrize("case", ["empty", "garbage", "truncated", "missing", "directory"])
def test_info_bad_input_one_line_error_naming_file(case, tmp_path, capsys):
    path, word = _bad_inputs(tmp_path)[case]
    code = main(["info", str(path)])
    err = capsys.readouterr().err.strip()
    assert code == 1
    assert err.count("\n") == 0, err
    assert path.name in err
    assert word in err.lower()


def test_console_entry_point_exit_code(tmp_path):
    """The real `python -m app` process exits non-zero with the error on stderr."""
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    proc = subprocess.run(
        [sys.executable, "-m", "app", "info", str(empty)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "empty.mp4" in proc.stderr and "Traceback" not in proc.stderr
