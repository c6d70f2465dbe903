"""MOTS txt (KITTI MOTS / MOTSChallenge): ``<frame> <id> <class_id> <height> <width> <rle>`` per line.

``id`` follows the KITTI MOTS convention ``class_id * 1000 + instance``, with the rotokit object
id as the instance (so ids must be below 1000); ``class_id`` is the 1-based category of the
object's name (listed in ``classes.txt``). MOTS masks may not overlap: where objects overlap,
the one higher in z-order keeps the pixel. The RLE is COCO's compressed string, readable by
pycocotools and by the mots_tools reference code.
"""

from __future__ import annotations

import numpy as np
from pycocotools import mask as mask_utils

from app.errors import ExportError
from app.export.base import ExportContext, Exporter, FrameData, resolve_overlaps

__all__ = ["MotsExporter"]


class MotsExporter(Exporter):
    name = "mots"

    def begin(self, ctx: ExportContext) -> None:
        too_big = [obj for obj in ctx.objects if obj.id >= 1000]
        if too_big:
            raise ExportError(
                f"MOTS ids are class*1000 + instance; object {too_big[0].name!r} has id {too_big[0].id} (must be < 1000)"
            )
        (ctx.root / "instances").mkdir()
        self.fh = open(ctx.root / "instances" / f"{ctx.video_name}.txt", "w", encoding="ascii", newline="\n")

    def frame(self, ctx: ExportContext, data: FrameData) -> None:
        by_id = {obj.id: obj for obj in ctx.objects}
        for obj_id, mask in sorted(resolve_overlaps(ctx.objects, data.masks).items()):
            if not mask.any():
                continue
            class_id = ctx.category_of(by_id[obj_id])
            rle = mask_utils.encode(np.asfortranarray(mask, dtype=np.uint8))
            self.fh.write(
                f"{data.index} {class_id * 1000 + obj_id} {class_id} {ctx.height} {ctx.width} "
                f"{rle['counts'].decode('ascii')}\n"
            )

    def finish(self, ctx: ExportContext) -> None:
        self.fh.close()
        lines = [f"{cid} {name}" for name, cid in ctx.categories.items()]
        (ctx.root / "classes.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (ctx.root / "seqmap.txt").write_text(
            f"{ctx.video_name} empty {ctx.start:06d} {ctx.end - 1:06d}\n", encoding="utf-8"
        )

    def abort(self, ctx: ExportContext) -> None:
        if hasattr(self, "fh"):
            self.fh.close()
