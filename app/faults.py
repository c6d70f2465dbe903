"""Fault injection for tests: die like ``kill -9`` after N frames, to prove restarts are safe.

``ROTOKIT_FAULT_AFTER_FRAMES=N`` makes the first place (tracker or writer) that reaches N frames
send itself SIGKILL (``os._exit(137)`` where there is none): no ``finally``, no temp-file
cleanup, no flush, exactly what a kill leaves behind. ``ROTOKIT_FAULT_AFTER_FRAMES=WHERE:N``
limits it to one place (``writer``, ``export``, ``track``). Read here and nowhere else; unset,
it costs one dictionary lookup per frame.
"""

from __future__ import annotations

import os
import signal

__all__ = ["ENV", "maybe_fault"]

ENV = "ROTOKIT_FAULT_AFTER_FRAMES"


def maybe_fault(frames_done: int, where: str) -> None:
    """Kill the process at once (as ``kill -9``) when the env var asks for it at this point."""
    spec = os.environ.get(ENV)
    if not spec:
        return
    place, _, count = spec.rpartition(":")
    if place and place != where:
        return
    try:
        limit = int(count)
    except ValueError:
        return
    if frames_done >= limit:
        if hasattr(signal, "SIGKILL"):
            os.kill(os.getpid(), signal.SIGKILL)
        os._exit(137)
