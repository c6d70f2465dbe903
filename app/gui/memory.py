"""Give memory back after a project closes, and the bounds the editor keeps to.

Frame caches are bounded per owner (viewer loader `frame_loader.CACHE_BYTES`, the document's
source `document.FRAME_CACHE_BYTES`, the tracking session's `SESSION_CACHE_BYTES`); a closed
project's caches, session and compositor are dropped, and then glibc is asked to return the
freed arenas (decoded frames are large blocks that otherwise stay in the process' RSS).
"""

from __future__ import annotations

import ctypes
import gc
import sys

__all__ = ["release_freed_memory", "SESSION_CACHE_BYTES"]

SESSION_CACHE_BYTES = 64 * 1024 * 1024  # the tracking session reads frames in order


def release_freed_memory() -> None:
    gc.collect()
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):  # not glibc (musl): nothing to trim
            pass
