"""Tracked masks (and frames) of one or many clips → one dataset folder in one of six formats.

`export_clips` merges several projects into one dataset (one category table, unique file
names per clip, a by-clip split, frame selection); `export_dataset` is the one-project form the
GUI and `rotokit batch export` call.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.errors import Cancelled, ExportError
from app.export.alpha import AlphaExporter
from app.export.base import DatasetContext, ExportContext, Exporter, FrameData, staging_dir
from app.export.coco import CocoExporter
from app.export.davis import DavisExporter
from app.export.mots import MotsExporter
from app.export.options import ExportOptions, category_table, split_clips, unique_names
from app.export.png import PngExporter
from app.export.selection import FrameSelector
from app.export.yolo import YoloExporter
from app.faults import maybe_fault
from app.frame_range import frame_bounds
from app.media import FrameSource
from app.paths import check_output, project_inputs
from app.pipeline import ahead
from app.project import MaskStore, Project, TrackedObject, check_video
from app.tracking_job import require_masks

__all__ = ["export_dataset", "export_clips", "Clip", "ExportResult", "FORMATS"]

FORMATS: dict[str, type[Exporter]] = {
    "coco": CocoExporter,
    "yolo": YoloExporter,
    "davis": DavisExporter,
    "mots": MotsExporter,
    "png": PngExporter,
    "alpha": AlphaExporter,
}


@dataclass
class ExportResult:
    """What `export_clips` wrote: the folder, each clip's name, split and kept frames, the
    classes."""

    path: Path
    format: str
    clips: list[tuple[str, str, int]]  # (clip name, split, frames written)
    categories: dict[str, int]
    frames_considered: int

    @property
    def frames(self) -> int:
        return sum(n for _, _, n in self.clips)

    def summary(self) -> str:
        per_split: dict[str, int] = {}
        for _, split, _ in self.clips:
            per_split[split] = per_split.get(split, 0) + 1
        splits = ", ".join(
            f"{s} {per_split[s]}" for s in ("train", "val", "test") if s in per_split
        )
        return (
            f"wrote {self.format} dataset to {self.path}: "
            f"{len(self.clips)} clip{'s' * (len(self.clips) != 1)} "
            f"({splits}), {self.frames} of {self.frames_considered} frames, "
            f"{len(self.categories)} class{'es' * (len(self.categories) != 1)}"
        )


@dataclass
class Clip:
    """One project to export: its masks and, optionally, the frames `(start, end)` (end
    exclusive)."""

    project: Project
    store: MaskStore
    frame_range: tuple[int, int | None] | None = None


def export_dataset(
    project: Project,
    store: MaskStore,
    fmt: str,
    out_dir: str | os.PathLike[str],
    *,
    frame_range: tuple[int, int | None] | None = None,
    images: bool = True,
    allow_stale: bool = False,
    options: ExportOptions | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    """Write one project's masks as a dataset; returns the output folder (see `export_clips`)."""
    return export_clips(
        [Clip(project, store, frame_range)],
        fmt,
        out_dir,
        images=images,
        allow_stale=allow_stale,
        options=options,
        on_progress=on_progress,
        cancel=cancel,
    ).path


def export_clips(
    clips: list[Clip],
    fmt: str,
    out_dir: str | os.PathLike[str],
    *,
    images: bool = True,
    allow_stale: bool = False,
    options: ExportOptions | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> ExportResult:
    """Write the masks of several projects as one dataset; returns where and what was written.

    Parameters
    ----------
    clips
        The projects with their mask stores (``MaskStore(masks_path_for(project.path))``) and
        optional frame ranges (default: the project's range or the whole clip).
    fmt
        ``coco``, ``yolo``, ``davis``, ``mots``, ``png`` or ``alpha`` (see each module).
    out_dir
        Output folder; must not exist or be empty. Written in a staging folder and renamed at
        the end, so a failure or cancel leaves nothing.
    images
        Also write the video frames for the formats that pair images with labels.
    allow_stale
        Export the masks there are, even where frames of the range were never computed from
        the objects' current prompts (default: refuse, naming the objects and frames).
    options
        Frame selection, image format, polygon tolerance, split and class list.

    Raises
    ------
    ExportError
        Unknown format, no masks, stale masks, bad range or options, object not in the class
        list, output folder not empty.
    ProjectError
        A video is missing or is not the one its project was made on.
    Cancelled
        `cancel` was set; nothing was written.
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r} (choose from {', '.join(FORMATS)})")
    if not clips:
        raise ExportError("nothing to export: give at least one project")
    options = options or ExportOptions()
    exporter = FORMATS[fmt]()
    if options.has_split and not exporter.has_splits:
        raise ExportError(f"the {fmt} format has no train/val/test split; drop --val/--test")
    for clip in clips:
        check_output(out_dir, project_inputs(clip.project))
    checked = [_objects_to_export(clip) for clip in clips]
    chosen = [objects for objects, _ in checked]
    bounds = [
        frame_bounds(clip.project, frame_count, clip.frame_range, clip.project.frame_range)
        for clip, (_, frame_count) in zip(clips, checked, strict=True)
    ]
    if not allow_stale:  # never a frame whose masks were not computed from the current prompts
        for clip, (start, end) in zip(clips, bounds, strict=True):
            require_masks(clip.project, clip.store, start, end)
    names = unique_names([clip.project.video_path.stem for clip in clips])
    pairs = [
        (str(clip.project.path or clip.project.video_path), obj.name)
        for clip, objects in zip(clips, chosen, strict=True)
        for obj in objects
    ]
    categories = category_table(pairs, options.classes)
    splits = (
        split_clips(names, options.val, options.test, options.seed)
        if options.has_split
        else dict.fromkeys(names, "train")
    )

    total = sum(end - start for start, end in bounds)
    done = 0
    with staging_dir(Path(out_dir)) as root:
        ds = DatasetContext(root=root, options=options, categories=categories, splits=splits)
        try:
            exporter.begin(ds)
            offset = 0
            for i, (clip, objects, name) in enumerate(zip(clips, chosen, names, strict=True)):
                start, end = bounds[i]
                with FrameSource(clip.project.video_path, cache_bytes=0) as source:
                    info = source.info
                    ctx = ExportContext(
                        project=clip.project,
                        root=root,
                        start=start,
                        end=end,
                        width=info.width,
                        height=info.height,
                        objects=objects,
                        video_name=name,
                        dataset=ds,
                        video_id=i + 1,
                        track_offset=offset,
                        split=splits[name],
                        images=images and exporter.needs_images,
                        video_info=info,
                    )
                    ds.clips.append(ctx)
                    offset += max(obj.id for obj in objects)
                    exporter.begin_clip(ctx)
                    selector = FrameSelector(
                        options, keep_empty=options.keep_empty or not exporter.image_level
                    )
                    # Decode + mask reads run a frame or two ahead on a helper thread, overlapping
                    # the exporter's image encoding (both release the GIL).
                    with ahead(
                        _frames(ctx, clip.store, source), depth=2, name="rotokit-export-read"
                    ) as frames:
                        for data in frames:
                            if cancel is not None and cancel.is_set():
                                raise Cancelled(f"export to {out_dir} stopped; nothing was written")
                            if selector.keep(data.index - start, data.masks):
                                exporter.frame(ctx, data)
                                ctx.frames_written.append(data.index)
                            done += 1
                            maybe_fault(done, "export")
                            if on_progress is not None:
                                on_progress(done, total)
                exporter.end_clip(ctx)
            exporter.finish(ds)
        except BaseException:
            exporter.abort(ds)
            raise
    return ExportResult(
        path=Path(out_dir).absolute(),
        format=fmt,
        categories=categories,
        frames_considered=total,
        clips=[(c.video_name, c.split, len(c.frames_written)) for c in ds.clips],
    )


def _objects_to_export(clip: Clip) -> tuple[list[TrackedObject], int]:
    """The project's objects that have masks, and the clip's frame count; refuses masks computed
    on another video (whether or not stale masks are allowed)."""
    project, store = clip.project, clip.store
    current = check_video(project)
    store.check_video(current, project.video_path)
    objects = [obj for obj in project.objects if store.frames_with_mask(obj.id)]
    if not objects:
        raise ExportError(
            f"{store.path}: no masks to export; track the project first (rotokit track)"
        )
    return objects, current.frame_count


def _frames(ctx: ExportContext, store: MaskStore, source: FrameSource) -> Iterator[FrameData]:
    """Frames in order with their masks; pixels only when the format writes images."""
    wanted = {obj.id for obj in ctx.objects}
    if ctx.images:
        pixels: Iterator[tuple[int, int, np.ndarray | None]] = (
            (f.index, f.pts, f.rgb) for f in source.iter_frames(ctx.start, ctx.end)
        )
    else:
        pixels = ((i, source.pts(i), None) for i in range(ctx.start, ctx.end))
    for index, pts, rgb in pixels:
        masks = {oid: m for oid, m in store.frame_masks(index).items() if oid in wanted}
        for oid, mask in masks.items():
            if mask.shape != (ctx.height, ctx.width):
                raise ExportError(
                    f"{store.path}: mask of object {oid} on frame {index} is "
                    f"{mask.shape[1]}x{mask.shape[0]}, "
                    f"the video is {ctx.width}x{ctx.height}"
                )
        scores = {oid: s for oid, s in store.frame_scores(index).items() if oid in masks}
        yield FrameData(index=index, pts=pts, rgb=rgb, masks=masks, scores=scores)
