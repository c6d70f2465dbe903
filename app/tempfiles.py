"""Temp files and folders named after their writer, and the sweep that removes orphans.

Why: every writer (video render, anonymize, dataset export, project save) builds its output
under a hidden temp name beside it and renames it into place at the end, so an error or a
cancel never leaves half a file at the output path. A SIGKILL (or power loss) skips that
cleanup, so the temp name carries the host and the pid of the process writing it:
``.out.mp4.rk-<host>-<pid>-<random>.part.mp4``. Before a writer starts it calls `sweep_stale`
on its folder, which deletes only entries matching that pattern, made on this host, whose
process no longer exists. Anything else (the user's files, other programs' temp files, our
temp files of a still-running render) is never touched.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import tempfile
from functools import lru_cache
from pathlib import Path

__all__ = ["is_our_temp", "new_file_mode", "sweep_stale", "temp_dir", "temp_file"]

_PATTERN = re.compile(
    r"^\..+\.rk-(?P<host>[0-9a-f]{8})-(?P<pid>[0-9]+)-[A-Za-z0-9_]+"
    r"(?:\.part\.[A-Za-z0-9]{1,5}|\.partial|\.tmp)$"
)


@lru_cache(maxsize=1)
def _host() -> str:
    """8 hex of the host name: a folder shared over the network may hold other hosts' pids."""
    return hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]


def _prefix(target: Path) -> str:
    return f".{target.name}.rk-{_host()}-{os.getpid()}-"


def temp_file(target: Path, suffix: str) -> Path:
    """Create an empty private temp file beside `target` (suffix ``.part.mp4`` or ``.tmp``)."""
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=_prefix(target), suffix=suffix)
    os.close(fd)
    return Path(name)


def temp_dir(target: Path) -> Path:
    """Create a private staging folder beside `target` (renamed onto it when complete)."""
    return Path(tempfile.mkdtemp(dir=target.parent, prefix=_prefix(target), suffix=".partial"))


def new_file_mode(*, folder: bool = False) -> int:
    """The permission bits a plain ``open()`` (or ``mkdir()`` with `folder`) would give now.

    `temp_file`/`temp_dir` are private (0600/0700) while being written; a finished output gets
    these bits before it is renamed into place, so it looks like any file the user creates.
    The umask can only be read by setting it, so it is set and restored at once.
    """
    umask = os.umask(0)
    os.umask(umask)
    return (0o777 if folder else 0o666) & ~umask


def is_our_temp(name: str) -> bool:
    """True when `name` is a temp name this module makes (any host, any pid)."""
    return _PATTERN.match(name) is not None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    except OverflowError:
        return False
    return True


def sweep_stale(folder: Path) -> list[Path]:
    """Delete our temp files/folders in `folder` whose writer process on this host is gone."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed  # the writer reports an unusable folder itself
    for entry in entries:
        match = _PATTERN.match(entry.name)
        if match is None or match["host"] != _host() or _alive(int(match["pid"])):
            continue
        path = Path(entry.path)
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(path)
            else:
                path.unlink()
        except FileNotFoundError:
            continue  # another sweeper got there first
        except OSError:
            continue  # not ours to force (permissions): leave it
        removed.append(path)
    return removed
