"""What every CLI command gets around it: SIGTERM handling, one-line errors, no leftovers.

Why a separate module: `app/cli.py` only registers and dispatches commands. This holds the
promises that hold for all of them (README "Reliability"):

* usage errors are one line (``rotokit render: error: ... (see rotokit render --help)``), exit 2;
* SIGTERM stops a command like Ctrl-C does (every writer's ``with`` block removes its temp
  output), prints one line and exits 143;
* an ``OSError`` nobody turned into a rotokit error still becomes one line naming the file,
  and an unexpected exception one line saying it is a bug (``ROTOKIT_DEBUG=1`` shows the
  traceback): no traceback reaches a user;
* a command that fails does not leave behind a mask store it created and never filled.
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import NoReturn

__all__ = ["OneLineParser", "CommandGuard", "Terminated", "exit_code", "signals_deferred"]


class Terminated(BaseException):
    """SIGTERM arrived; a BaseException (like KeyboardInterrupt) so cleanup handlers run and
    ``except Exception`` blocks do not swallow it."""


class OneLineParser(argparse.ArgumentParser):
    """argparse with one-line usage errors that point at ``--help`` instead of printing usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def exit_code(exc: SystemExit) -> int:
    """The status of a SystemExit raised by argparse (--help: 0, usage error: 2)."""
    code = exc.code
    if code is None:
        return 0
    return code if isinstance(code, int) else 1


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM until the block ends: a store write and the record of it (what the
    stop message counts, where a resume starts) then happen as one step for Ctrl-C. Only the
    calling thread is affected; Python runs signal handlers on the main thread anyway."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


class CommandGuard:
    """Set up around one command run; `close()` (in a ``finally``) undoes and cleans up."""

    def __init__(self, args: argparse.Namespace) -> None:
        # what signal.signal returned: a handler, SIG_DFL/SIG_IGN, or None (set outside Python)
        self._previous: Callable[[int, FrameType | None], object] | int | None = None
        # not the editor: inside Qt's event loop the exception would surface in a random slot
        if args.command != "gui" and threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGTERM, _on_sigterm)
        self._stores: list[Path] = []  # created by this run, if at all
        if args.command in ("track", "render", "export"):
            from app.project import masks_path_for

            projects = getattr(args, "projects", None) or [getattr(args, "project", None)]
            for project in filter(None, projects):
                store = masks_path_for(Path(project).expanduser().absolute())
                if not store.exists():
                    self._stores.append(store)
        self.succeeded = False

    def done(self, code: int) -> int:
        self.succeeded = code == 0
        return code

    def close(self) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)
            self._previous = None
        if not self.succeeded:
            for store in self._stores:
                _remove_if_empty(store)


def _remove_if_empty(store: Path) -> None:
    """Delete a mask store (and its -wal/-shm) that holds no mask at all."""
    if not store.is_file():
        return
    try:
        conn = sqlite3.connect(f"{store.absolute().as_uri()}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            empty = (
                "masks" not in tables
                or conn.execute("SELECT NOT EXISTS (SELECT 1 FROM masks)").fetchone()[0]
            )
        finally:
            conn.close()
    except sqlite3.Error:
        return  # unreadable: not ours to judge
    if empty:
        for path in (store, Path(f"{store}-wal"), Path(f"{store}-shm")):
            path.unlink(missing_ok=True)


def report_os_error(exc: OSError) -> str:
    """One line for an OSError that reached the top: file and reason."""
    where = f"{exc.filename}: " if exc.filename is not None else ""
    return f"rotokit: error: {where}{exc.strerror or exc}"


def report_bug(exc: BaseException) -> str:
    """One line for an exception nobody expected; the traceback only with ROTOKIT_DEBUG=1."""
    if os.environ.get("ROTOKIT_DEBUG"):
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    text = str(exc).replace("\n", " ")
    return (
        f"rotokit: internal error: {type(exc).__name__}: {text} (a bug in rotokit; "
        "run again with ROTOKIT_DEBUG=1 and report the output)"
    )
