"""Peak memory of the current process, for benchmarks that run each case in a child process."""

from __future__ import annotations

import resource
from pathlib import Path


def peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM), in MB.

    Not ``ru_maxrss``: Linux carries it across exec from the forking parent, so a child started
    by a big parent reports the parent's peak (seen here: 813 MB for a 14 MB child).
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # no /proc: macOS counts bytes
    return peak / 1024 / 1024
