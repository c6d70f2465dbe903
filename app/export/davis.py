"""DAVIS-style indexed-palette PNGs: ``Annotations/<video>/<frame>.png`` with pixel value = object id.

Uses the DAVIS/PASCAL VOC palette, so tools that read DAVIS (davis2017-evaluation, XMem,
Cutie) take the annotations as they are, and viewers show each object in its DAVIS colour.
One label per pixel: where objects overlap, the one higher in z-order wins. The palette index
is the rotokit object id, so ids must be 1–255.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from app.errors import ExportError
from app.export.base import ExportContext, Exporter, FrameData, resolve_overlaps, write_jpeg

__all__ = ["DavisExporter", "davis_palette"]


def davis_palette() -> np.ndarray:
    """The 256×3 DAVIS (= PASCAL VOC) colour map: index 1 red, 2 green, 3 yellow, ..."""
    palette = np.zeros((256, 3), np.uint8)
    for i in range(256):
        c, r, g, b = i, 0, 0, 0
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        palette[i] = (r, g, b)
    return palette


class DavisExporter(Exporter):
    name = "davis"
    needs_images = True

    def begin(self, ctx: ExportContext) -> None:
        too_big = [obj for obj in ctx.objects if obj.id > 255]
        if too_big:
            raise ExportError(
                f"DAVIS palette PNGs hold object ids 1–255; object {too_big[0].name!r} has id {too_big[0].id}"
            )
        self.annotations = ctx.root / "Annotations" / ctx.video_name
        self.annotations.mkdir(parents=True)
        if ctx.images:
            self.images = ctx.root / "JPEGImages" / ctx.video_name
            self.images.mkdir(parents=True)
        self.palette = davis_palette().tobytes()

    def frame(self, ctx: ExportContext, data: FrameData) -> None:
        label = np.zeros((ctx.height, ctx.width), np.uint8)
        for obj_id, mask in resolve_overlaps(ctx.objects, data.masks).items():
            label[mask] = obj_id
        image = Image.fromarray(label, mode="P")
        image.putpalette(self.palette)
        image.save(self.annotations / f"{data.index:05d}.png", optimize=False)
        if data.rgb is not None:
            write_jpeg(self.images / f"{data.index:05d}.jpg", data.rgb)

    def finish(self, ctx: ExportContext) -> None:
        sets = ctx.root / "ImageSets"
        sets.mkdir()
        (sets / "val.txt").write_text(ctx.video_name + "\n", encoding="utf-8")
