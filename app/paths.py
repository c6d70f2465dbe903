"""Where rotokit may write.

Why one guard: render, anonymize, export, the GUI's export and the demo all write files next
to the user's footage. An output that is — through a symlink, ``..``, a hard link or a plain
typo — the source video, the project file or its mask store would destroy the very thing the
user is editing, so every writer calls `check_output` before any work starts.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from app.errors import RotokitError

if TYPE_CHECKING:
    from app.project.document import Project

__all__ = ["OutputClash", "check_output", "project_inputs"]


class OutputClash(RotokitError, ValueError):
    """The output would overwrite (or write inside) one of the command's own inputs."""


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)  # hard links and symlinks: same device and inode
    except OSError:
        return False


def _inside(child: Path, parent: Path) -> bool:
    return child != parent and parent in child.parents


def project_inputs(project: Project) -> list[tuple[str, Path]]:
    """The files a project command reads and must never overwrite: video, project, mask store."""
    from app.project.masks import masks_path_for

    inputs = [("the project's video", project.video_path)]
    if project.path is not None:
        store = masks_path_for(project.path)
        inputs += [
            ("the project file", project.path),
            ("the project's mask store", store),
            ("the project's mask store", Path(f"{store}-wal")),
            ("the project's mask store", Path(f"{store}-shm")),
        ]
    return inputs


def check_output(
    output: str | os.PathLike[str], inputs: Iterable[tuple[str, Path]], *, flag: str = "-o"
) -> None:
    """Refuse an `output` that resolves to (or lies inside) one of `inputs` ((label, path)).

    Compares fully resolved paths (symlinks, ``..``) and, for files that exist, device and
    inode (hard links). An output folder that *contains* an input is fine (the writers only
    create new entries in it); an output inside an input (a mask store used as a folder) is not.
    """
    out = Path(output).expanduser()
    out_real = Path(os.path.realpath(out))
    for label, path in inputs:
        real = Path(os.path.realpath(Path(path).expanduser()))
        if out_real == real or _same_file(out, path):
            raise OutputClash(
                f"{output}: {flag} is {label} ({path}); writing there would "
                "destroy it, choose another output name"
            )
        if _inside(out_real, real):
            raise OutputClash(
                f"{output}: {flag} lies inside {label} ({path}); choose another output name"
            )
