"""One batch worker: models loaded once, then one clip after another.

The same `Worker` runs in a local worker process and inside a Ray actor. It turns every
outcome of a clip into a `ClipResult`: a user error (bad file, stale project…) becomes a
``failed`` line with the one-line message and the batch goes on; only a cancel propagates.
"""

from __future__ import annotations

import inspect
import os
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.batch.inputs import Clip
from app.batch.jobs import BatchOptions, run_clip
from app.batch.jobs import fingerprint as input_fingerprint
from app.batch.report import ClipResult
from app.errors import Cancelled, user_errors

if TYPE_CHECKING:
    from model.faces import FaceDetector
    from model.tracking import Tracker

__all__ = ["Worker"]

ProgressFn = Callable[[int, int], None]


def _plain(value: object) -> object:
    """A path as its string, so ``"w"`` and ``Path("w")`` name the same weights."""
    return os.fspath(value) if isinstance(value, os.PathLike) else value


class _SharedLoad:
    """Stands in for ``Tracker.load``: returns the model it loaded last when asked for the same
    one again (same arguments, however they were passed), else loads it (dropping the old)."""

    def __init__(self, original: Callable[..., Tracker], threads: int) -> None:
        self.original = original
        self.threads = threads
        self._signature = inspect.signature(original)
        self._cache: dict[tuple[tuple[object, ...], tuple[tuple[str, object], ...]], Tracker] = {}

    def __call__(self, *args: Any, **kwargs: Any) -> Tracker:
        bound = self._signature.bind(*args, **kwargs)
        bound.apply_defaults()
        key = (
            tuple(_plain(v) for v in bound.args),
            tuple(sorted((k, _plain(v)) for k, v in bound.kwargs.items())),
        )
        if key not in self._cache:
            self._cache.clear()
            self._cache[key] = self.original(*args, **kwargs)
            import torch

            # Tracker.load sets every core; the batch divides them among its workers
            torch.set_num_threads(self.threads)
        return self._cache[key]


def _share_trackers(threads: int) -> None:
    """Make ``Tracker.load`` in this process return the model it already loaded.

    The single-clip render/export path loads the tracking model per call (right for one clip);
    a batch worker lives for many clips, so it keeps the last model (one at a time, as a batch
    uses one ``--model``) instead of reloading it for every project that needs tracking.
    """
    from model.tracking import Tracker

    if isinstance(vars(Tracker).get("load"), _SharedLoad):
        return
    # A plain callable (not a descriptor) as class attribute: ``Tracker.load(...)`` calls it
    # unbound, and it calls the original classmethod already bound to Tracker. Replacing the
    # method is the point (in this worker process only), hence the ignore.
    Tracker.load = _SharedLoad(Tracker.load, threads)  # type: ignore[method-assign]


class Worker:
    """Per-process state of a batch: its options, the face detector or shared tracker."""

    def __init__(self, options: BatchOptions) -> None:
        import cv2

        self.options = options
        cv2.setNumThreads(max(1, options.threads))
        self._detectors: dict[float | None, FaceDetector] = {}
        if options.kind == "anonymize":
            self.detector(options.params.get("threshold"))  # load the face model now, once
        else:
            _share_trackers(max(1, options.threads))

    def detector(self, threshold: float | None) -> FaceDetector:
        """The worker's face detector for `threshold` (made on first use, then reused)."""
        if threshold not in self._detectors:
            from app.anonymize import CONTINUE_FACTOR, DEFAULT_THRESHOLD
            from model.faces import FaceDetector

            start = DEFAULT_THRESHOLD if threshold is None else threshold
            if not 0.0 < start < 1.0:
                raise ValueError(f"--threshold {start}: must be between 0 and 1 (e.g. 0.5)")
            self._detectors[threshold] = FaceDetector(threshold=start * CONTINUE_FACTOR)
        return self._detectors[threshold]

    def process(
        self,
        clip: Clip,
        output: Path,
        fingerprint: str,
        on_progress: ProgressFn,
        cancel: threading.Event,
    ) -> ClipResult:
        """Run one clip; `Cancelled` propagates, every other failure becomes a ``failed`` result."""
        started = time.perf_counter()
        result = ClipResult(
            input=str(clip.path),
            output=str(output),
            status="done",
            fingerprint=fingerprint,
            options=self.options.options_key(),
        )
        try:
            info = run_clip(self, self.options, clip, output, on_progress, cancel)
        except Cancelled:
            raise
        except user_errors() + (ValueError, OSError) as exc:
            message = str(exc).replace("\n", " ")
            if clip.path.name not in message:  # every line names the file it is about
                message = f"{clip.path}: {message}"
            result.status, result.error = "failed", message
        except Exception as exc:  # noqa: BLE001 - a bug on one clip must not stop the batch
            where = traceback.extract_tb(exc.__traceback__)[-1]
            result.status = "failed"
            result.error = (
                f"{clip.path}: internal error {type(exc).__name__}: {exc} "
                f"(at {Path(where.filename).name}:{where.lineno}; please report it)"
            )
        else:
            if self.options.kind != "anonymize":
                # render/export may have tracked, i.e. changed the project's mask store: the
                # output was made from the store as it is now, which is what a rerun compares
                result.fingerprint = input_fingerprint(self.options, clip)
            result.frames = info.pop("frames", None)
            result.faces = info.pop("faces", None)
            result.extra = {k: v for k, v in info.items() if v is not None}
        result.seconds = time.perf_counter() - started
        return result
