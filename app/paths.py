"""Where rotokit may write, and what a path that is not a regular file is.

Why one guard: render, anonymize, export, the GUI's export and the demo all write files next
to the user's footage. An output that is — through a symlink, ``..``, a hard link or a plain
typo — the source video, the project file or its mask store would destroy the very thing the
user is editing, so every writer calls `check_output` before any work starts.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from app.errors import RotokitError

if TYPE_CHECKING:
    from app.project.document import Project

__all__ = ["OutputClash", "check_output", "project_inputs", "describe_special"]


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


def describe_special(path: Path) -> str | None:
    """What `path` is when it is not a regular file: 'a folder', 'a FIFO (named pipe)', ...;
    None for a regular file (or a link to one)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        if path.is_symlink():
            return f"a broken symbolic link (to {os.readlink(path)})"
        return None if path.exists() else "missing"
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})"
    if stat.S_ISREG(mode):
        return None
    for test, name in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"
