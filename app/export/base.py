"""What every dataset format shares: the export context, per-frame data, staging, helpers.

An export is written into a hidden staging folder beside the destination and renamed into
place at the end, so a cancel, an error or Ctrl-C never leaves a half-written dataset.
"""

from __future__ import annotations

import shutil
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import cv2
import numpy as np

from app.errors import ExportError
from app.export.options import ExportOptions, normalise_name
from app.media import VideoInfo
from app.project import Project, TrackedObject
from app.tempfiles import new_file_mode, sweep_stale, temp_dir

__all__ = [
    "DatasetContext",
    "ExportContext",
    "FrameData",
    "Exporter",
    "staging_dir",
    "write_jpeg",
    "write_png",
    "resolve_overlaps",
]


@dataclass
class DatasetContext:
    """What the whole dataset shares: where it is written, the category table, the options, the
    splits."""

    root: Path  # staging folder; becomes the output folder on success
    options: ExportOptions
    categories: dict[str, int]  # normalised object name -> 1-based id (YOLO class = id - 1)
    splits: dict[str, str]  # clip name -> "train" | "val" | "test"
    clips: list[ExportContext] = field(default_factory=list)  # filled as clips are exported

    @property
    def split_names(self) -> list[str]:
        """The splits that hold at least one clip, in train, val, test order."""
        used = set(self.splits.values())
        return [s for s in ("train", "val", "test") if s in used]


@dataclass
class ExportContext:
    """One clip of the dataset: its project, frames, size, objects and place in the split."""

    project: Project
    root: Path  # the dataset's staging folder
    start: int  # first frame considered
    end: int  # one past the last frame considered
    width: int
    height: int
    objects: list[TrackedObject]  # z-order, first = bottom; only objects with masks
    video_name: str  # the clip's unique, file-name-safe name in the dataset
    dataset: DatasetContext
    video_id: int = 1  # 1-based position of the clip in the dataset
    track_offset: int = 0  # added to object ids to make track ids unique across clips
    split: str = "train"
    images: bool = True  # also write the video frames where the format has images
    video_info: VideoInfo | None = None  # probe of the source (timing for video outputs)
    frames_written: list[int] = field(default_factory=list)  # frame indices the exporter received

    @property
    def categories(self) -> dict[str, int]:
        return self.dataset.categories

    @property
    def options(self) -> ExportOptions:
        return self.dataset.options

    def category_of(self, obj: TrackedObject) -> int:
        """1-based category id: objects whose names match (case and spacing aside) share one."""
        return self.dataset.categories[normalise_name(obj.name)]

    def track_id(self, obj: TrackedObject) -> int:
        """Unique across the dataset; equals the object id for the first clip."""
        return self.track_offset + obj.id

    def image_name(self, index: int, digits: int = 6) -> str:
        """File name of frame `index` in the dataset's image format."""
        return f"{index:0{digits}d}.{self.options.image_format}"

    def write_image(self, path: Path, rgb: np.ndarray) -> None:
        """Save a frame in the chosen format and quality."""
        if self.options.image_format == "png":
            write_png(path, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        else:
            write_jpeg(path, rgb, self.options.jpeg_quality)


@dataclass
class FrameData:
    """One frame: its index, pts (source time base), RGB pixels (if decoded) and masks by obj_id."""

    index: int
    pts: int
    rgb: np.ndarray | None
    masks: dict[int, np.ndarray]
    scores: dict[int, float | None]


class Exporter(ABC):
    """A dataset format: `begin`, then per clip `begin_clip`, `frame` for each kept frame in
    order and `end_clip`, then `finish`."""

    name: ClassVar[str]
    needs_images: ClassVar[bool] = False  # decode the video frames (only when ctx.images)
    # frames are independent samples: frames without objects are dropped unless `keep_empty`
    # (sequence formats keep every selected frame, their tools need them)
    image_level: ClassVar[bool] = False
    has_splits: ClassVar[bool] = True  # the format can express a train/val/test split

    def begin(self, ds: DatasetContext) -> None:  # noqa: B027 - optional hook
        """Create dataset-wide folders, open files."""

    def begin_clip(self, ctx: ExportContext) -> None:  # noqa: B027 - optional hook
        """Create the clip's folders, open its files."""

    @abstractmethod
    def frame(self, ctx: ExportContext, data: FrameData) -> None:
        """Write one frame's annotations (and image)."""

    def end_clip(self, ctx: ExportContext) -> None:  # noqa: B027 - optional hook
        """Close the clip's files."""

    def finish(self, ds: DatasetContext) -> None:  # noqa: B027 - optional hook
        """Write index files; everything must be complete when this returns."""

    def abort(self, ds: DatasetContext) -> None:  # noqa: B027 - optional hook
        """Release open resources after a failure (the staging folder is deleted anyway)."""


@contextmanager
def staging_dir(out_dir: Path) -> Iterator[Path]:
    """A hidden folder beside `out_dir`; renamed to `out_dir` on success, deleted otherwise."""
    out_dir = Path(out_dir).absolute()
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise ExportError(
            f"{out_dir}: already exists and is not an empty folder; choose another output"
        )
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        sweep_stale(out_dir.parent)  # staging folders of killed exports (their pid is gone)
        tmp = temp_dir(out_dir)
    except OSError as exc:
        raise ExportError(
            f"{out_dir}: cannot create the output folder ({exc.strerror or exc})"
        ) from None
    try:
        yield tmp
        tmp.chmod(new_file_mode(folder=True))  # mkdtemp made it private; give it normal permissions
        if out_dir.exists():
            out_dir.rmdir()  # empty (checked above)
        tmp.rename(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_jpeg(path: Path, rgb: np.ndarray, quality: int = 95) -> None:
    """Save an RGB frame as JPEG (cv2 wants BGR)."""
    if not cv2.imwrite(
        str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality]
    ):
        raise ExportError(f"{path}: cannot write the image")


def write_png(path: Path, image: np.ndarray) -> None:
    if not cv2.imwrite(str(path), image):
        raise ExportError(f"{path}: cannot write the image")


def resolve_overlaps(
    objects: list[TrackedObject], masks: dict[int, np.ndarray]
) -> dict[int, np.ndarray]:
    """Masks with overlaps removed: where objects overlap, the one higher in z-order keeps the
    pixel.

    Formats with one label per pixel (DAVIS, MOTS) need this; COCO, YOLO and per-object PNGs
    keep each object's full mask.
    """
    out: dict[int, np.ndarray] = {}
    taken: np.ndarray | None = None
    for obj in reversed(objects):  # top first
        mask = masks.get(obj.id)
        if mask is None:
            continue
        own = mask if taken is None else mask & ~taken
        out[obj.id] = own
        taken = mask.copy() if taken is None else taken | mask
    return out
