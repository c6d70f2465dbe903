"""What one batch clip is, per command: its output path, its fingerprint, and how it is made.

The work itself is the single-clip code every other front end uses (`app.anonymize.anonymize`,
`app.render.render`, `app.export.export_dataset`); this module only maps a batch input onto
it, so a batch output is byte-for-byte what ``rotokit anonymize|render|export`` would write.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from app.batch.inputs import PROJECT_SUFFIXES, VIDEO_SUFFIXES, Clip
from app.tempfiles import sweep_stale

if TYPE_CHECKING:
    from model.faces import FaceDetector

__all__ = ["KINDS", "BatchOptions", "output_for", "fingerprint", "run_clip", "remove_partials"]

KINDS = ("anonymize", "render", "export")
ProgressFn = Callable[[int, int], None]
_SPAN = 1 << 20  # bytes hashed at each end of a file


class WorkerState(Protocol):
    """What the per-clip work needs of the process it runs in (`app.batch.worker.Worker`)."""

    def detector(self, threshold: float | None) -> FaceDetector: ...


class _Digest(Protocol):
    def update(self, data: bytes, /) -> None: ...


@dataclass(frozen=True)
class BatchOptions:
    """One batch: which command, where outputs go, and the command's own options.

    ``params`` are the single-clip function's keyword options (e.g. ``effect``, ``codec``,
    ``format``); they are part of the resume key, so changing one redoes every clip.
    """

    kind: str
    out_dir: Path
    params: dict[str, Any] = field(default_factory=dict)
    threads: int = 1  # CPU threads per clip (OpenCV, torch)

    def options_key(self) -> str:
        """A short stable hash of the kind and every output-affecting option."""
        text = json.dumps({"kind": self.kind, **self.params}, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def suffixes(self) -> frozenset[str]:
        return VIDEO_SUFFIXES if self.kind == "anonymize" else PROJECT_SUFFIXES


def _video_suffix(codec: str, wanted: str | None) -> str:
    """The input's own container when the codec fits in it, else the codec's usual one."""
    from app.media.codecs import CODECS

    containers = CODECS[codec].containers if codec in CODECS else (".mp4",)
    return wanted if wanted in containers else containers[0]


def output_for(options: BatchOptions, clip: Clip) -> Path:
    """Where a clip's result goes: its relative path mirrored under the output folder."""
    target = options.out_dir / clip.relative
    codec = options.params.get("codec", "h264")
    if options.kind == "anonymize":
        return target.with_suffix(_video_suffix(codec, clip.path.suffix.lower()))
    if options.kind == "render":
        return target.with_suffix(_video_suffix(codec, None))
    return target.with_suffix("")  # export: a dataset folder named after the project


def _file_hash(path: Path, digest: _Digest) -> None:
    """Size and the first and last MiB (as `app.project.fingerprint`: fast on long clips)."""
    size = path.stat().st_size
    digest.update(f"{path.name}:{size};".encode())
    with open(path, "rb") as fh:
        digest.update(fh.read(_SPAN))
        if size > _SPAN:
            fh.seek(max(_SPAN, size - _SPAN))
            digest.update(fh.read(_SPAN))


def fingerprint(options: BatchOptions, clip: Clip) -> str:
    """Identity of everything a clip's output is made from (the resume key, with the options).

    A video: its size and head/tail content. A project: the project file, its video, and its
    mask store, so re-tracking or editing the project redoes the clip on the next run.
    """
    digest = hashlib.sha256()
    try:
        _file_hash(clip.path, digest)
        if options.kind != "anonymize":
            from app.project import load_project, masks_path_for

            try:
                video = load_project(clip.path).video_path
            except Exception:  # noqa: BLE001 - a broken project fails (and is reported) when run
                video = None
            store = masks_path_for(clip.path)
            for part in (video, store, Path(f"{store}-wal")):
                if part is not None and part.is_file():
                    _file_hash(part, digest)
    except OSError as exc:
        return f"unreadable:{exc.strerror or exc}"
    return "sha256:" + digest.hexdigest()[:32]


# --- the per-clip work (runs in a worker process or a Ray actor) ------------------------------


def _anonymize(
    state: WorkerState,
    clip: Clip,
    output: Path,
    params: dict[str, Any],
    on_progress: ProgressFn,
    cancel: threading.Event,
) -> dict[str, Any]:
    from app.anonymize import anonymize

    def progress(done: int, total: int) -> None:
        # anonymize counts two passes (detect, render) over the frames: show clip frames
        on_progress(done // 2, total // 2)

    result = anonymize(
        clip.path,
        output,
        detector=state.detector(params.get("threshold")),
        on_progress=progress,
        cancel=cancel,
        **params,
    )
    return {
        "frames": result.frames,
        "faces": result.faces,
        "project": str(result.project) if result.project else None,
    }


def _render(
    state: WorkerState,
    clip: Clip,
    output: Path,
    params: dict[str, Any],
    on_progress: ProgressFn,
    cancel: threading.Event,
) -> dict[str, Any]:
    from app.project import load_project
    from app.render import render

    project = load_project(clip.path)
    result = render(project, output, on_progress=on_progress, cancel=cancel, **params)
    return {"frames": result.frames, "tracked": len(result.tracked)}


def _export(
    state: WorkerState,
    clip: Clip,
    output: Path,
    params: dict[str, Any],
    on_progress: ProgressFn,
    cancel: threading.Event,
) -> dict[str, Any]:
    from app.export import export_dataset
    from app.project import MaskStore, load_project, masks_path_for
    from app.tracking_job import track_stale

    params = dict(params)
    fmt, images = params.pop("format"), params.pop("images", True)
    project = load_project(clip.path)
    track_stale(project, on_progress=on_progress, cancel=cancel, **params)
    frames = [0]

    def progress(done: int, total: int) -> None:
        frames[0] = total
        on_progress(done, total)

    with (
        _replacing(output) as staging,
        MaskStore(masks_path_for(clip.path), readonly=True) as store,
    ):
        export_dataset(
            project, store, fmt, staging, images=images, on_progress=progress, cancel=cancel
        )
    return {"frames": frames[0]}


class _replacing:
    """Export into a fresh folder and swap it for an existing output only once it is complete.

    `export_dataset` refuses a non-empty folder (it never merges into old files); a redone clip
    (``--force``, changed input) moves the old dataset aside and puts it back if the new one fails.
    """

    def __init__(self, output: Path) -> None:
        self.output = output
        self.old: Path | None = None

    def __enter__(self) -> Path:
        self.output.parent.mkdir(parents=True, exist_ok=True)
        if self.output.exists():
            self.old = Path(
                tempfile.mkdtemp(
                    dir=self.output.parent, prefix=f".{self.output.name}.", suffix=".old"
                )
            )
            os.replace(self.output, self.old / "data")
        return self.output

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if self.old is None:
            return
        if exc_type is None:
            shutil.rmtree(self.old, ignore_errors=True)
        else:
            shutil.rmtree(self.output, ignore_errors=True)
            os.replace(self.old / "data", self.output)
            self.old.rmdir()


_RUNNERS = {"anonymize": _anonymize, "render": _render, "export": _export}


def remove_partials(output: Path) -> list[Path]:
    """Delete the hidden temp files a crashed attempt at `output` left (a process killed outright
    cannot remove them itself); returns what was removed.

    Delegates to `app.tempfiles.sweep_stale`: only our own temp names (``.NAME.rk-<host>-<pid>-…``)
    whose writer process on this host is gone are removed, so a live writer is never touched.
    """
    return sweep_stale(output.parent)


def run_clip(
    state: WorkerState,
    options: BatchOptions,
    clip: Clip,
    output: Path,
    on_progress: ProgressFn,
    cancel: threading.Event,
) -> dict[str, Any]:
    """Make one clip's output with the single-clip function; exceptions propagate."""
    output.parent.mkdir(parents=True, exist_ok=True)
    remove_partials(output)  # of an earlier attempt that was killed outright
    return _RUNNERS[options.kind](state, clip, output, dict(options.params), on_progress, cancel)
