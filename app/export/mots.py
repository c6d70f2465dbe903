"""MOTS txt in the MOTSChallenge layout TrackEval reads: one ``gt/gt.txt`` per clip and split.

::

    seqmaps/MOTS-<split>.txt               "name" then one clip per line
    MOTS-<split>/<clip>/gt/gt.txt          <frame> <id> <class_id> <height> <width> <rle>
    MOTS-<split>/<clip>/seqinfo.ini        [Sequence] name, frameRate, seqLength, imWidth, ...
    classes.txt                            "<class_id> <name>" per line

``frame`` is 1-based (MOTSChallenge: the clip's frame index + 1; ``seqLength`` is one past the
last exported frame, so every line is a valid timestep); ``id`` follows the MOTS convention
``class_id * 1000 + instance`` with the rotokit object id as the instance (ids below 1000);
``class_id`` is the object's 1-based category. The RLE is COCO's compressed string. Masks never
overlap (where objects overlap, the one higher in z-order keeps the pixel). Without ``--val`` or
``--test`` every clip is in ``MOTS-train`` (TrackEval's default split). Class id 10 is MOTS's
"ignore region", so no category may have id 10. No images are written.
"""

from __future__ import annotations

import numpy as np
from pycocotools import mask as mask_utils

from app.errors import ExportError
from app.export.base import DatasetContext, ExportContext, Exporter, FrameData, resolve_overlaps

__all__ = ["MotsExporter", "IGNORE_CLASS"]

IGNORE_CLASS = 10  # MOTS / TrackEval: class 10 marks ignore regions, not objects


class MotsExporter(Exporter):
    name = "mots"

    def begin_clip(self, ctx: ExportContext) -> None:
        too_big = [obj for obj in ctx.objects if obj.id >= 1000]
        if too_big:
            raise ExportError(
                f"{ctx.project.path}: MOTS ids are class*1000 + instance; "
                f"object {too_big[0].name!r} has id "
                f"{too_big[0].id} (must be < 1000)"
            )
        ignored = [obj for obj in ctx.objects if ctx.category_of(obj) == IGNORE_CLASS]
        if ignored:
            raise ExportError(
                f"{ctx.project.path}: object {ignored[0].name!r} would get MOTS class 10, "
                "which MOTS readers (TrackEval) treat as an ignore region; "
                "give a classes.txt whose line 10 no object uses"
            )
        folder = ctx.root / f"MOTS-{ctx.split}" / ctx.video_name
        (folder / "gt").mkdir(parents=True)
        self.folder = folder
        self.fh = open(folder / "gt" / "gt.txt", "w", encoding="ascii", newline="\n")

    def frame(self, ctx: ExportContext, data: FrameData) -> None:
        by_id = {obj.id: obj for obj in ctx.objects}
        for obj_id, mask in sorted(resolve_overlaps(ctx.objects, data.masks).items()):
            if not mask.any():
                continue
            class_id = ctx.category_of(by_id[obj_id])
            rle = mask_utils.encode(np.asfortranarray(mask, dtype=np.uint8))
            self.fh.write(
                f"{data.index + 1} {class_id * 1000 + obj_id} {class_id} {ctx.height} {ctx.width} "
                f"{rle['counts'].decode('ascii')}\n"
            )

    def end_clip(self, ctx: ExportContext) -> None:
        self.fh.close()
        fps = ctx.video_info.avg_fps if ctx.video_info is not None else 0
        (self.folder / "seqinfo.ini").write_text(
            "[Sequence]\n"
            f"name={ctx.video_name}\n"
            "imDir=img1\n"
            f"frameRate={round(fps)}\n"
            f"seqLength={ctx.end}\n"
            f"imWidth={ctx.width}\n"
            f"imHeight={ctx.height}\n"
            f"imExt=.{ctx.options.image_format}\n",
            encoding="utf-8",
        )

    def finish(self, ds: DatasetContext) -> None:
        lines = [f"{cid} {name}" for name, cid in ds.categories.items()]
        (ds.root / "classes.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (ds.root / "seqmaps").mkdir()
        for split in ds.split_names:
            names = [c.video_name for c in ds.clips if c.split == split]
            (ds.root / "seqmaps" / f"MOTS-{split}.txt").write_text(
                "name\n" + "".join(n + "\n" for n in names), encoding="utf-8"
            )

    def abort(self, ds: DatasetContext) -> None:
        if hasattr(self, "fh"):
            self.fh.close()
