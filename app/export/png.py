"""Per-object binary PNG sequences: ``masks/<clip>/<id>_<name>/<frame>.png`` (0 = background,
255 = object).

The simplest format for compositing tools and custom pipelines. Every exported frame gets a
PNG for every object (all black where the object has no mask), so sequences have no gaps.
``objects.json`` lists each clip's frames and objects (with their folder and category).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from app.export.base import DatasetContext, ExportContext, Exporter, FrameData, write_png
from app.export.options import safe_name

__all__ = ["PngExporter"]


class PngExporter(Exporter):
    name = "png"
    has_splits = False

    def begin(self, ds: DatasetContext) -> None:
        self.index: list[dict[str, Any]] = []

    def begin_clip(self, ctx: ExportContext) -> None:
        self.folders = {}
        for obj in ctx.objects:
            folder = ctx.root / "masks" / ctx.video_name / f"{obj.id}_{safe_name(obj.name)}"
            folder.mkdir(parents=True)
            self.folders[obj.id] = folder
        self.empty = np.zeros((ctx.height, ctx.width), np.uint8)

    def frame(self, ctx: ExportContext, data: FrameData) -> None:
        for obj in ctx.objects:
            mask = data.masks.get(obj.id)
            image = self.empty if mask is None else mask.astype(np.uint8) * 255
            write_png(self.folders[obj.id] / f"{data.index:06d}.png", image)

    def end_clip(self, ctx: ExportContext) -> None:
        self.index.append(
            {
                "clip": ctx.video_name,
                "video": ctx.project.video_path.name,
                "frames": [ctx.start, ctx.end],
                "objects": [
                    {
                        "id": obj.id,
                        "name": obj.name,
                        "colour": obj.colour,
                        "category_id": ctx.category_of(obj),
                        "folder": self.folders[obj.id].relative_to(ctx.root).as_posix(),
                    }
                    for obj in ctx.objects
                ],
            }
        )

    def finish(self, ds: DatasetContext) -> None:
        doc = {
            "clips": self.index,
            "categories": [{"id": cid, "name": n} for n, cid in ds.categories.items()],
        }
        (ds.root / "objects.json").write_text(
            json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
