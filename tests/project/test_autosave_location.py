"""Where autosaves go: ``$ROTOKIT_CACHE``, else the platform's user cache folder (platformdirs).

On Linux that is the folder rotokit always wrote to, so autosaves made before still turn up.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from app.project import Project, autosave_path

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG is Linux's")


def _expected_name(video: Path) -> str:
    digest = hashlib.sha1(str(video.absolute()).encode("utf-8")).hexdigest()[:10]
    return f"{video.stem}-{digest}.rotokit"


@linux_only
@pytest.mark.parametrize("xdg_set", [True, False], ids=["XDG_CACHE_HOME", "no XDG_CACHE_HOME"])
def test_default_folder_is_the_one_earlier_versions_wrote_to(
    project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, xdg_set: bool
) -> None:
    monkeypatch.delenv("ROTOKIT_CACHE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    if xdg_set:
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
        before = tmp_path / "xdg" / "rotokit"  # $XDG_CACHE_HOME/rotokit
    else:
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
        before = tmp_path / "home" / ".cache" / "rotokit"  # ~/.cache/rotokit
    video = project_dir / "clip.mp4"
    path = autosave_path(Project.new(video))
    assert path == before / "autosave" / _expected_name(video)


@linux_only
def test_a_relative_xdg_cache_home_is_ignored_as_the_xdg_spec_says(
    project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A relative value would put autosaves under whatever folder rotokit was started from."""
    monkeypatch.delenv("ROTOKIT_CACHE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    path = autosave_path(Project.new(project_dir / "clip.mp4"))
    assert path.parent == tmp_path / "home" / ".cache" / "rotokit" / "autosave"


def test_rotokit_cache_wins_over_the_platform_folder(
    project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROTOKIT_CACHE", str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    path = autosave_path(Project.new(project_dir / "clip.mp4"))
    assert path.parent == tmp_path / "mine" / "autosave"
