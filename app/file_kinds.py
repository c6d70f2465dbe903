"""What a path is when it is not a regular file, in words a user understands.

Why: a FIFO or a device given as a video would block or stream forever, a folder or a broken
link gives FFmpeg's opaque errors; `probe` and the project loader name it instead. A module of
its own (not `app.paths`) because media and project code use it, and `app.paths` depends on
the project.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["describe_special"]


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
