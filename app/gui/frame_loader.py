"""Decode and compose viewer frames on a worker thread: the event loop never waits on FFmpeg.

The GUI thread describes a frame (`FrameRequest`: index, overlay layers or the effects
compositor, all snapshotted on the GUI thread) and calls `request`; the loader thread renders
the *latest* request only (older ones still waiting are dropped while scrubbing), emits
`ready(FrameResult)`, then decodes a prefetch window ahead of the playhead into its own
`FrameSource` cache (one FrameSource per thread) until a new request arrives.

`paused()` blocks until the render in flight is done and holds the loader off, for the short
moments the GUI closes or moves what it reads (mask store, video).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from app.gui.overlay import MaskLayer, checkerboard_under, compose_overlay

if TYPE_CHECKING:
    from app.media import FrameSource

__all__ = ["FrameLoader", "FrameRequest", "FrameResult", "PREFETCH_AHEAD", "CACHE_BYTES"]

log = logging.getLogger(__name__)

PREFETCH_AHEAD = 12  # frames decoded ahead of the playhead while idle
CACHE_BYTES = 384 * 1024 * 1024  # the viewer's decoded-frame cache (≈ 64 frames at 1080p)


@dataclass(frozen=True)
class FrameRequest:
    seq: int
    generation: int  # which opened document this is for
    frame_idx: int
    object_ids: frozenset[int]
    layers: tuple[
        tuple[int, tuple[int, int, int], bool], ...
    ]  # (obj_id, rgb, active), visible objects
    compositor: Any | None = None  # effects preview: the same Compositor the export uses


@dataclass(frozen=True)
class FrameResult:
    seq: int
    generation: int
    frame_idx: int
    image: QImage | None
    error: BaseException | None = None
    preview: bool = False


class FrameLoader(QObject):
    ready = Signal(object)  # FrameResult, queued to the GUI thread

    def __init__(self, parent: QObject | None = None, cache_bytes: int = CACHE_BYTES) -> None:
        super().__init__(parent)
        self.cache_bytes = cache_bytes
        self._cond = threading.Condition()
        self._render_lock = threading.RLock()  # held while a frame is rendered or prefetched
        self._wanted: FrameRequest | None = None
        self._video: Path | None = None
        self._store = None
        self._generation = -1
        self._stop = False
        self._paused = 0
        self.rendered = 0  # frames rendered (tests: the latest request wins)
        self._source: FrameSource | None = None  # the loader thread's own FrameSource
        self._thread = threading.Thread(target=self._run, name="rotokit-frames", daemon=True)
        self._thread.start()

    # -- GUI thread ------------------------------------------------------------------------
    def attach(self, video: Path, store: Any, generation: int) -> None:
        """The document that requests from now on belong to (its video and mask store)."""
        with self.paused(), self._cond:
            self._video, self._store, self._generation = Path(video), store, generation
            self._wanted = None

    def detach(self) -> None:
        with self.paused(), self._cond:
            self._video = self._store = None
            self._wanted = None
            self._generation = -1
        self._close_source_soon()

    def set_store(self, store: Any) -> None:
        with self.paused(), self._cond:
            self._store = store

    def request(self, req: FrameRequest) -> None:
        with self._cond:
            self._wanted = req  # replaces any request not started yet: the latest wins
            self._cond.notify()

    @contextmanager
    def paused(self) -> Iterator[None]:
        """No render runs inside this block (waits for the one in flight)."""
        with self._cond:
            self._paused += 1
        try:
            with self._render_lock:
                yield
        finally:
            with self._cond:
                self._paused -= 1
                self._cond.notify()

    def shutdown(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify()
        self._thread.join(timeout=30)

    def cached_indices(self) -> list[int]:
        src = self._source
        return src.cached_indices() if src is not None else []

    def cache_used(self) -> int:
        src = self._source
        return src.cache_used if src is not None else 0

    # -- loader thread ---------------------------------------------------------------------
    def _close_source_soon(self) -> None:
        with self._cond:
            self._cond.notify()

    def _has_work(self, prefetch: list[int]) -> bool:
        if self._paused:
            return False
        return (
            self._wanted is not None
            or (bool(prefetch) and self._video is not None)
            or (self._video is None and self._source is not None)
        )

    def _run(self) -> None:
        prefetch: list[int] = []
        last_generation = -1
        while True:
            with self._cond:
                while not self._stop and not self._has_work(prefetch):
                    self._cond.wait()
                if self._stop:
                    break
            with self._render_lock:
                with self._cond:
                    if self._paused:
                        continue  # someone is closing/moving what we read: wait for them
                    req, self._wanted = self._wanted, None
                    video, store, generation = self._video, self._store, self._generation
                if generation != last_generation:
                    prefetch, last_generation = [], generation
                try:
                    source = self._source_for(video)
                except Exception as exc:  # noqa: BLE001 - e.g. the video vanished: say so once
                    source = None
                    if req is not None:
                        self.ready.emit(
                            FrameResult(req.seq, req.generation, req.frame_idx, None, exc)
                        )
                if source is None:
                    prefetch = []
                    continue
                if req is not None:
                    if req.generation == generation:
                        self.ready.emit(self._render(req, source, store))
                        self.rendered += 1
                        n = len(source)
                        prefetch = [
                            i
                            for i in range(req.frame_idx + 1, req.frame_idx + 1 + PREFETCH_AHEAD)
                            if i < n
                        ]
                    continue
                if prefetch:
                    try:
                        source.frame(
                            prefetch.pop(0)
                        )  # into the cache; a new request is taken first
                    except Exception:  # noqa: BLE001 - a bad frame is reported when it is shown
                        prefetch = []
        if self._source is not None:
            self._source.close()

    def _source_for(self, video: Path | None):
        from app.media import FrameSource

        if self._source is not None and (video is None or Path(self._source.path) != video):
            self._source.close()
            self._source = None
        if video is not None and self._source is None:
            self._source = FrameSource(video, cache_bytes=self.cache_bytes)
        return self._source

    @staticmethod
    def _render(req: FrameRequest, source, store) -> FrameResult:
        try:
            rgb = source.frame(req.frame_idx)
            masks = {
                k: v
                for k, v in (store.frame_masks(req.frame_idx) if store is not None else {}).items()
                if k in req.object_ids
            }
            if req.compositor is not None:
                out = req.compositor.render(req.frame_idx, rgb, masks)
                if out.ndim == 3 and out.shape[2] == 4:
                    out = checkerboard_under(out)
                image = to_qimage(out)
            else:
                layers = [
                    MaskLayer(masks[oid], colour, active=active)
                    for oid, colour, active in req.layers
                    if oid in masks
                ]
                image = to_qimage(compose_overlay(rgb, layers))
            return FrameResult(
                req.seq, req.generation, req.frame_idx, image, preview=req.compositor is not None
            )
        except Exception as exc:  # noqa: BLE001 - shown on the GUI thread
            return FrameResult(
                req.seq,
                req.generation,
                req.frame_idx,
                None,
                exc,
                preview=req.compositor is not None,
            )


def to_qimage(rgb: np.ndarray) -> QImage:
    """Wrap an H×W×3 (or ×4) uint8 array as a QImage that owns a copy of the pixels."""
    arr = np.ascontiguousarray(rgb)
    h, w = arr.shape[:2]
    if arr.ndim == 3 and arr.shape[2] == 4:
        img = QImage(arr.data, w, h, arr.strides[0], QImage.Format.Format_RGBA8888)
    else:
        img = QImage(arr.data, w, h, arr.strides[0], QImage.Format.Format_RGB888)
    return img.copy()  # detach from the numpy buffer, which Python may free
