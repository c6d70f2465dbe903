"""Finished outputs get the permissions the user's umask gives any new file, not the private
0600/0700 their temp names were made with: rendered videos, saved projects, export folders
(one rule for all three, `app.tempfiles.new_file_mode`)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.export.base import staging_dir
from app.media import FrameSource, VideoWriter
from app.project.storage import atomic_write_bytes
from app.tempfiles import new_file_mode
from tests.shared_media import clip_path


@pytest.fixture
def umask_027() -> Iterator[None]:
    old = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_file_mode_follows_the_umask_and_leaves_it_set(umask_027: None) -> None:
    assert new_file_mode() == 0o640
    assert new_file_mode(folder=True) == 0o750
    assert os.umask(0o027) == 0o027  # reading it did not change it


def test_rendered_video_gets_the_umask_mode(umask_027: None, tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    with FrameSource(clip_path("odd_size.mp4")) as fs, VideoWriter(out, source=fs.info) as w:
        for f in fs.iter_frames(stop=3):
            w.write(f.rgb, f.pts)
    assert _mode(out) == 0o640


def test_saved_project_gets_the_umask_mode_or_keeps_its_own(
    umask_027: None, tmp_path: Path
) -> None:
    new = tmp_path / "new.rotokit"
    atomic_write_bytes(new, b"{}\n")
    assert _mode(new) == 0o640
    private = tmp_path / "private.rotokit"
    private.write_bytes(b"{}\n")
    private.chmod(0o600)
    atomic_write_bytes(private, b"{}\n")  # an existing file keeps the mode its owner gave it
    assert _mode(private) == 0o600


def test_export_folder_gets_the_umask_mode(umask_027: None, tmp_path: Path) -> None:
    out = tmp_path / "dataset"
    with staging_dir(out) as tmp:
        (tmp / "a.txt").write_text("x")
    assert _mode(out) == 0o750
    assert (out / "a.txt").read_text() == "x"
