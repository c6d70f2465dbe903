"""What every bench prints the same way: the machine line, best-of timing, the Markdown table.

The machine is shared and noisy, so a bench prints ratios measured in the same run; the machine
line (CPU, cores, torch threads, load average) says how loaded it was when it ran.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def machine() -> str:
    """CPU model, cores, torch threads, Python and load average, for the line above a table."""
    import torch

    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()
    return (
        f"{cpu}, {os.cpu_count()} logical cores, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), Python {platform.python_version()}, "
        f"load average {load[0]:.1f}/{load[1]:.1f} (shared machine: compare ratios, not absolutes)"
    )


def best_of(runs: int, fn: Callable[[], T]) -> tuple[float, T]:
    """The fastest of ``runs`` calls (seconds; load on a shared machine only ever adds) and the
    last call's result."""
    if runs < 1:
        raise ValueError("best_of needs at least one run")
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def print_table(header: Sequence[str], rows: Iterable[Sequence[str]], note: str = "") -> None:
    """The machine line (plus ``note``), then ``rows`` as a Markdown table under ``header``."""
    print(f"\nMachine: {machine()}{note}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
