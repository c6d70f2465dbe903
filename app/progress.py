"""The terminal progress bar every long command shows (`rotokit track`, `render`, `demo`, ...).

It lives on its own so that command modules (`app.demo`, `app.export_command`) can use it
without importing the CLI that dispatches to them (that was an import cycle).
"""

from __future__ import annotations

import sys
from typing import Protocol

__all__ = ["ProgressBar"]


class _Bar(Protocol):
    """The part of `tqdm.tqdm` used here (tqdm ships no type information)."""

    total: float | None
    n: float

    def refresh(self) -> None: ...

    def close(self) -> None: ...


class ProgressBar:
    """Adapts the core's `on_progress(done, total)` callback to a tqdm bar (or nothing with -q)."""

    def __init__(self, label: str, quiet: bool) -> None:
        self._label = label
        self._quiet = quiet
        self._bar: _Bar | None = None

    def __call__(self, done: int, total: int) -> None:
        if self._quiet:
            return
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(
                total=total,
                desc=self._label,
                unit="frame",
                file=sys.stderr,
                dynamic_ncols=True,
                disable=None,
            )
        if self._bar.total != total:
            self._bar.total = total
        self._bar.n = done
        self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
