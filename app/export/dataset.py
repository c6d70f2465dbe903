"""`export_dataset`: tracked masks (and frames) → a dataset folder in one of six formats."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from app.errors import Cancelled, ExportError
from app.export.alpha import AlphaExporter
from app.export.base import ExportContext, Exporter, FrameData, staging_dir
from app.export.coco import CocoExporter
from app.export.davis import DavisExporter
from app.export.mots import MotsExporter
from app.export.png import PngExporter
from app.export.yolo import YoloExporter
from app.media import FrameSource
from app.project import MaskStore, Project, check_video
from app.tracking_job import require_masks

__all__ = ["export_dataset", "FORMATS"]

FORMATS: dict[str, type[Exporter]] = {
    "coco": CocoExporter,
    "yolo": YoloExporter,
    "davis": DavisExporter,
    "mots": MotsExporter,
    "png": PngExporter,
    "alpha": AlphaExporter,
}


def export_dataset(
    project: Project,
    store: MaskStore,
    fmt: str,
    out_dir: str | os.PathLike[str],
    *,
    frame_range: tuple[int, int] | None = None,
    images: bool = True,
    allow_stale: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    """Write the project's masks as a dataset; returns the output folder.

    Parameters
    ----------
    project, store
        The project and its mask store (``MaskStore(masks_path_for(project.path))``).
    fmt
        ``coco``, ``yolo``, ``davis``, ``mots``, ``png`` or ``alpha`` (see each module).
    out_dir
        Output folder; must not exist or be empty. Written in a staging folder and renamed at
        the end, so a failure or cancel leaves nothing.
    frame_range
        ``(start, end)`` frames, end exclusive; default the project's range or the whole clip.
    images
        Also write the video frames (JPEG) for the formats that pair images with labels.
    allow_stale
        Export the masks there are, even where frames of the range were never computed from
        the objects' current prompts (default: refuse, naming the objects and frames).

    Raises
    ------
    ExportError
        Unknown format, no masks, stale masks, bad range, output folder not empty.
    ProjectError
        The video is missing or is not the one the project was made on.
    Cancelled
        `cancel` was set; nothing was written.
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r} (choose from {', '.join(FORMATS)})")
    current = check_video(project)
    store.check_video(current, project.video_path)
    objects = [obj for obj in project.objects if store.frames_with_mask(obj.id)]
    if not objects:
        raise ExportError(f"{store.path}: no masks to export; track the project first (rotokit track)")
    total = current.frame_count
    start, end = frame_range or project.frame_range or (0, total)
    if end == -1:
        end = total
    if not 0 <= start < end <= total:
        raise ExportError(f"frame range {start}:{end} is outside the clip (0:{total})")
    if not allow_stale:
        require_masks(project, store, start, end)

    exporter = FORMATS[fmt]()
    with FrameSource(project.video_path, cache_bytes=0) as source:
        info = source.info
        decode = images and exporter.needs_images
        with staging_dir(Path(out_dir)) as root:
            ctx = ExportContext(
                project=project,
                root=root,
                start=start,
                end=end,
                width=info.width,
                height=info.height,
                objects=objects,
                video_name=project.video_path.stem,
                images=decode,
                video_info=info,
            )
            try:
                exporter.begin(ctx)
                for done, data in enumerate(_frames(ctx, store, source, decode), start=1):
                    if cancel is not None and cancel.is_set():
                        raise Cancelled(f"export to {out_dir} stopped; nothing was written")
                    exporter.frame(ctx, data)
                    if on_progress is not None:
                        on_progress(done, end - start)
                exporter.finish(ctx)
            except BaseException:
                exporter.abort(ctx)
                raise
    return Path(out_dir).absolute()


def _frames(ctx: ExportContext, store: MaskStore, source: FrameSource, decode: bool) -> Iterator[FrameData]:
    """Frames in order with their masks; pixels only when the format writes images."""
    wanted = {obj.id for obj in ctx.objects}
    if decode:
        pixels: Iterator = ((f.index, f.pts, f.rgb) for f in source.iter_frames(ctx.start, ctx.end))
    else:
        pixels = ((i, source.pts(i), None) for i in range(ctx.start, ctx.end))
    for index, pts, rgb in pixels:
        masks = {oid: m for oid, m in store.frame_masks(index).items() if oid in wanted}
        for oid, mask in masks.items():
            if mask.shape != (ctx.height, ctx.width):
                raise ExportError(
                    f"{store.path}: mask of object {oid} on frame {index} is {mask.shape[1]}x{mask.shape[0]}, "
                    f"the video is {ctx.width}x{ctx.height}"
                )
        scores = {oid: s for oid, s in store.frame_scores(index).items() if oid in masks}
        yield FrameData(index=index, pts=pts, rgb=rgb, masks=masks, scores=scores)
