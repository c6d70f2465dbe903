"""DAVIS 2017 layout: ``Annotations/<res>/<clip>/<frame>.png`` palette PNGs, value = object id.

``JPEGImages/<res>/<clip>/<frame>.jpg`` the frames, ``ImageSets/2017/{train,val,test-dev}.txt``
the clips of each split (``<res>`` is ``480p`` for 480-line video, else ``Full-Resolution``, the
two folders DAVIS ships). Uses the DAVIS/PASCAL VOC palette, so tools that read DAVIS
(davis2017-evaluation, TrackEval's DAVIS reader, XMem, Cutie) take the annotations as they are,
and viewers show each object in its DAVIS colour. One label per pixel: where objects overlap,
the one higher in z-order wins. The palette index is the rotokit object id, so ids must be
1–254 (255 is DAVIS's "void" label, ignored by evaluation).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from app.errors import ExportError
from app.export.base import DatasetContext, ExportContext, Exporter, FrameData, resolve_overlaps

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


SPLIT_FILES = {"train": "train", "val": "val", "test": "test-dev"}  # DAVIS 2017's subset names


def resolution_folder(height: int) -> str:
    """DAVIS keeps frames per resolution: `480p`, or `Full-Resolution` for anything else."""
    return "480p" if height == 480 else "Full-Resolution"


class DavisExporter(Exporter):
    name = "davis"
    needs_images = True

    def begin(self, ds: DatasetContext) -> None:
        self.palette = davis_palette().tobytes()

    def begin_clip(self, ctx: ExportContext) -> None:
        too_big = [obj for obj in ctx.objects if obj.id > 254]
        if too_big:
            raise ExportError(
                f"{ctx.project.path}: DAVIS palette PNGs hold object ids 1–254 "
                "(255 marks void pixels); "
                f"object {too_big[0].name!r} has id {too_big[0].id}"
            )
        res = resolution_folder(ctx.height)
        self.annotations = ctx.root / "Annotations" / res / ctx.video_name
        self.annotations.mkdir(parents=True)
        if ctx.images:
            self.images = ctx.root / "JPEGImages" / res / ctx.video_name
            self.images.mkdir(parents=True)

    def frame(self, ctx: ExportContext, data: FrameData) -> None:
        label = np.zeros((ctx.height, ctx.width), np.uint8)
        for obj_id, mask in resolve_overlaps(ctx.objects, data.masks).items():
            label[mask] = obj_id
        image = Image.fromarray(label, mode="P")
        image.putpalette(self.palette)
        image.save(
            self.annotations / f"{data.index:05d}.png", compress_level=3
        )  # 4× faster than 6, ~1.5× the bytes
        if data.rgb is not None:
            ctx.write_image(self.images / ctx.image_name(data.index, 5), data.rgb)

    def finish(self, ds: DatasetContext) -> None:
        """`ImageSets/2017/<subset>.txt`: without a split every clip is in `val` (DAVIS's
        evaluation set)."""
        sets = ds.root / "ImageSets" / "2017"
        sets.mkdir(parents=True)
        if ds.options.has_split:
            groups = {
                SPLIT_FILES[s]: [c.video_name for c in ds.clips if c.split == s]
                for s in ds.split_names
            }
        else:
            groups = {"val": [c.video_name for c in ds.clips]}
        for subset, names in groups.items():
            (sets / f"{subset}.txt").write_text("".join(n + "\n" for n in names), encoding="utf-8")
