"""Frames for the model, decoded and preprocessed on demand, ahead of time, in one worker thread.

``FrameFeed`` stands in for the transformers session's ``processed_frames`` dict: the library
only indexes it and asks its length, so the whole clip is never held (a 1024² fp32 frame is
12.6 MB) while ``num_frames`` stays the true clip length — which keeps the model's object-pointer
arithmetic identical to a preloaded session. All provider calls happen on the single worker
thread (a ``FrameSource`` is one-thread-only), which also overlaps decoding and resizing with
inference.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor

import torch

from model.tracking.preprocess import Preprocessor
from model.tracking.types import FrameProvider

__all__ = ["FrameFeed"]


class FrameFeed(Mapping[int, torch.Tensor]):
    """Read-only ``{frame_idx: 3×S×S tensor}`` view of a clip with a small LRU and prefetch."""

    def __init__(self, frames: FrameProvider, preprocess: Preprocessor, keep: int = 3) -> None:
        self._frames = frames
        self._preprocess = preprocess
        self._length = len(frames)
        self._keep = keep
        self._cache: OrderedDict[int, torch.Tensor] = OrderedDict()
        self._pending: dict[int, Future[torch.Tensor]] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="rotokit-frames")
        first = self._pool.submit(self._frames.frame, 0).result() if self._length else None
        self.height: int = first.shape[0] if first is not None else 0
        self.width: int = first.shape[1] if first is not None else 0

    # Mapping protocol (what transformers uses)
    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[int]:
        return iter(range(self._length))

    def __contains__(self, idx: object) -> bool:
        return isinstance(idx, int) and 0 <= idx < self._length

    def __getitem__(self, idx: int) -> torch.Tensor:
        if idx not in self:
            raise KeyError(idx)
        with self._lock:
            tensor = self._cache.get(idx)
            if tensor is not None:
                self._cache.move_to_end(idx)
                return tensor
            future = self._pending.pop(idx, None) or self._pool.submit(self._load, idx)
        tensor = future.result()
        with self._lock:
            self._cache[idx] = tensor
            while len(self._cache) > self._keep:
                self._cache.popitem(last=False)
        return tensor

    def __setitem__(self, idx: int, value: torch.Tensor) -> None:
        # transformers' add_new_frame (streaming mode) writes here; we only accept our own frames.
        raise TypeError("FrameFeed is read-only: frames come from the FrameProvider")

    def _load(self, idx: int) -> torch.Tensor:
        return self._preprocess(self._frames.frame(idx))

    def prefetch(self, indices: Iterable[int]) -> None:
        """Start decoding these frames in the background (bounded by the caller's look-ahead)."""
        with self._lock:
            for idx in indices:
                if idx in self and idx not in self._cache and idx not in self._pending:
                    self._pending[idx] = self._pool.submit(self._load, idx)

    def cancel_prefetch(self) -> None:
        with self._lock:
            for future in self._pending.values():
                future.cancel()
            self._pending.clear()

    def cached_indices(self) -> list[int]:
        with self._lock:
            return list(self._cache) + list(self._pending)

    def close(self) -> None:
        self.cancel_prefetch()
        self._pool.shutdown(wait=True)
        self._cache.clear()
