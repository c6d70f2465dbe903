"""Alpha-matte videos: ``alpha/<clip>/<id>_<name>.mkv`` per object, white where the object is.

Compositing tools (Resolve, Nuke, After Effects, ffmpeg ``alphamerge``) take a matte as a
separate video. The default codec is FFV1 (lossless, so the matte is bit-exact); ``prores``
(ProRes 4444) suits editors that do not read FFV1. Timestamps are the source's, so the matte
lines up with the video frame for frame, VFR included.
"""

from __future__ import annotations

import numpy as np

from app.errors import ExportError
from app.export.base import DatasetContext, ExportContext, Exporter, FrameData
from app.export.options import safe_name
from app.media.writer import VideoWriter

__all__ = ["AlphaExporter", "MATTE_CODECS"]

MATTE_CODECS = {"ffv1": ".mkv", "prores": ".mov", "h264": ".mp4"}


class AlphaExporter(Exporter):
    name = "alpha"
    has_splits = False

    def __init__(self, codec: str = "ffv1") -> None:
        if codec not in MATTE_CODECS:
            raise ExportError(
                f"alpha export: unknown matte codec {codec!r} "
                f"(choose from {', '.join(MATTE_CODECS)})"
            )
        self.codec = codec
        self.writers: dict[int, VideoWriter] = {}

    def begin_clip(self, ctx: ExportContext) -> None:
        if ctx.video_info is None:
            raise ExportError("alpha export needs the source video's timing")
        self.writers = {}
        folder = ctx.root / "alpha" / ctx.video_name
        folder.mkdir(parents=True)
        ext = MATTE_CODECS[self.codec]
        for obj in ctx.objects:
            path = folder / f"{obj.id}_{safe_name(obj.name)}{ext}"
            self.writers[obj.id] = VideoWriter(path, source=ctx.video_info, codec=self.codec)
        self.black = np.zeros((ctx.height, ctx.width, 3), np.uint8)

    def frame(self, ctx: ExportContext, data: FrameData) -> None:
        for obj_id, writer in self.writers.items():
            mask = data.masks.get(obj_id)
            if mask is None:
                writer.write(self.black, data.pts)
            else:
                grey = mask.astype(np.uint8) * 255
                writer.write(np.repeat(grey[:, :, None], 3, axis=2), data.pts)

    def end_clip(self, ctx: ExportContext) -> None:
        for writer in self.writers.values():
            writer.commit()
        self.writers = {}

    def abort(self, ds: DatasetContext) -> None:
        for writer in self.writers.values():
            writer.abort()
