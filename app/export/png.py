"""Per-object binary PNG sequences: ``masks/<id>_<name>/<frame>.png`` (0 = background, 255 = object).

The simplest format for compositing tools and custom pipelines. Every exported frame gets a
PNG for every object (all black where the object has no mask), so sequences have no gaps.
"""

from __future__ import annotations

import json

import numpy as np

from app.export.base import ExportContext, Exporter, FrameData, safe_name, write_png

__all__ = ["PngExporter"]


class PngExporter(Exporter):
    name = "png"

    def begin(self, ctx: ExportContext) -> None:
        self.folders = {}
        for obj in ctx.objects:
            folder = ctx.root / "masks" / f"{obj.id}_{safe_name(obj.name)}"
            folder.mkdir(parents=True)
            self.folders[obj.id] = folder
        self.empty = np.zeros((ctx.height, ctx.width), np.uint8)

    def frame(self, ctx: ExportContext, data: FrameData) -> None:
        for obj in ctx.objects:
            mask = data.masks.get(obj.id)
            image = self.empty if mask is None else mask.astype(np.uint8) * 255
            write_png(self.folders[obj.id] / f"{data.index:06d}.png", image)

    def finish(self, ctx: ExportContext) -> None:
        index = {
            "video": ctx.project.video_path.name,
            "frames": [ctx.start, ctx.end],
            "objects": [
                {"id": obj.id, "name": obj.name, "colour": obj.colour,
                 "folder": self.folders[obj.id].relative_to(ctx.root).as_posix()}
                for obj in ctx.objects
            ],
        }
        (ctx.root / "objects.json").write_text(json.dumps(index, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
