"""Issue 11 item 1: no command may write over its own inputs, however the path is spelled."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from app.cli import main
from app.project import masks_path_for
from tests.shared_media import clip_path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _spellings(project: Path) -> dict[str, str]:
    folder = project.parent
    (folder / "sub").mkdir(exist_ok=True)
    os.symlink(folder / "odd_size.mp4", folder / "link.mp4")
    os.link(folder / "odd_size.mp4", folder / "hard.mp4")
    return {
        "plain": str(folder / "odd_size.mp4"),
        "dotdot": str(folder / "sub" / ".." / "odd_size.mp4"),
        "symlink": str(folder / "link.mp4"),
        "hardlink": str(folder / "hard.mp4"),
    }


@pytest.mark.parametrize("how", ["plain", "dotdot", "symlink", "hardlink"])
def test_render_refuses_to_overwrite_the_source_video(make_project, how, capsys):
    project = make_project()
    video = project.parent / "odd_size.mp4"
    before = _digest(video)
    out = _spellings(project)[how]
    assert (
        main(["render", str(project), "-o", out, "--model", "test-random-micro", "--offline", "-q"])
        == 1
    )
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "the project's video" in err and "choose another output" in err
    assert _digest(video) == before
    # refused before any work: nothing was tracked, no mask store was created
    assert not masks_path_for(project).exists()


@pytest.mark.parametrize("target", ["project", "store"])
def test_render_and_export_refuse_the_project_and_its_mask_store(make_project, target, capsys):
    project = make_project()
    out = project if target == "project" else masks_path_for(project)
    before = project.read_bytes()
    for argv in (
        ["render", str(project), "-o", str(out)],
        ["export", str(project), "--format", "png", "-o", str(out)],
    ):
        assert main([*argv, "--model", "test-random-micro", "--offline", "-q"]) == 1
        err = capsys.readouterr().err
        assert ("the project file" if target == "project" else "mask store") in err
    assert project.read_bytes() == before


def test_anonymize_refuses_its_input_through_a_symlink(tmp_path, capsys):
    video = tmp_path / "a.mp4"
    video.write_bytes(clip_path("odd_size.mp4").read_bytes())
    os.symlink(video, tmp_path / "same.mp4")
    before = _digest(video)
    assert main(["anonymize", str(video), "-o", str(tmp_path / "same.mp4"), "-q"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "the input video" in err
    assert main(["anonymize", str(video), "-o", str(video), "-q"]) == 1
    assert "Traceback" not in capsys.readouterr().err
    assert _digest(video) == before


def test_the_api_the_editor_uses_refuses_too(make_project):
    """The editor's export dialog calls `render` and `export_dataset` directly."""
    from app.export import export_dataset
    from app.paths import OutputClash
    from app.project import MaskStore, load_project
    from app.render import render

    path = make_project()
    project = load_project(path)
    with pytest.raises(OutputClash, match="the project's video"):
        render(project, project.video_path, model=None)
    with MaskStore(masks_path_for(path)) as store, pytest.raises(OutputClash, match="mask store"):
        export_dataset(project, store, "png", masks_path_for(path))
