"""Issue 11 item 10: what a path is, and where a relative effect image is looked up."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from app.cli import main
from effects.emoji import resolve_emoji


@pytest.mark.parametrize("kind", ["fifo", "folder", "device"])
def test_project_video_that_is_not_a_file_says_what_it_is(make_project, kind, capsys):
    project = make_project()
    folder = project.parent
    data = json.loads(project.read_text())
    if kind == "fifo":
        os.mkfifo(folder / "pipe.mp4")
        data["video"], expected = "pipe.mp4", "is a FIFO (named pipe)"
    elif kind == "folder":
        (folder / "clips.mp4").mkdir()
        data["video"], expected = "clips.mp4", "is a folder"
    else:
        data["video"], expected = "/dev/null", "is a character device"
    project.write_text(json.dumps(data))
    assert main(["render", str(project), "-o", str(folder / "out.mp4"), "-q"]) == 1
    err = capsys.readouterr().err
    assert expected in err and "not found" not in err


def test_info_on_a_fifo_does_not_block(tmp_path, capsys):
    os.mkfifo(tmp_path / "pipe.mp4")
    assert main(["info", str(tmp_path / "pipe.mp4")]) == 1
    assert "is a FIFO (named pipe), not a video file" in capsys.readouterr().err


def test_missing_relative_sticker_is_not_found_in_the_cwd(
    make_project, tmp_path, monkeypatch, capsys
):
    """The same project must fail from every folder, not render from the one that happens to
    hold a file of that name."""
    project = make_project(
        objects=[
            {
                "id": 1,
                "name": "block",
                "prompts": [{"frame": 0, "box": [200, 100, 400, 260]}],
                "effects": [{"type": "emoji", "emoji": "sticker.png", "smoothing": 0}],
            }
        ]
    )
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    shutil.copy(resolve_emoji("🐶"), cwd / "sticker.png")  # only in the cwd, not the project
    monkeypatch.chdir(cwd)
    assert main(["render", str(project), "-o", str(tmp_path / "out.mp4"), "-q"]) == 1
    err = capsys.readouterr().err
    assert str(project.parent / "sticker.png") in err
    assert not (tmp_path / "out.mp4").exists()
