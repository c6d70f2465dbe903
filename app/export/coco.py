"""COCO instance segmentation, video-aware: one image per frame, one annotation per object per frame.

Readable by pycocotools (``COCO(path).annToMask(ann)``) and by video-instance tools: images
carry ``video_id``/``frame_index``, annotations carry ``track_id`` (the rotokit object id), and
the file also lists ``videos`` and ``tracks`` (the TAO / YouTube-VIS style additions).
Masks are COCO RLE with the counts as a UTF-8 string, exactly as pycocotools writes them.
"""

from __future__ import annotations

import datetime as _dt
import json

import numpy as np
from pycocotools import mask as mask_utils

from app.export.base import ExportContext, Exporter, FrameData, write_jpeg

__all__ = ["CocoExporter"]


class CocoExporter(Exporter):
    name = "coco"
    needs_images = True

    def begin(self, ctx: ExportContext) -> None:
        if ctx.images:
            (ctx.root / "images").mkdir()
        self.images: list[dict] = []
        self.annotations: list[dict] = []

    def frame(self, ctx: ExportContext, data: FrameData) -> None:
        image_id = data.index + 1  # COCO ids start at 1
        file_name = f"images/{data.index:06d}.jpg"
        if data.rgb is not None:
            write_jpeg(ctx.root / file_name, data.rgb)
        self.images.append({
            "id": image_id,
            "file_name": file_name,
            "width": ctx.width,
            "height": ctx.height,
            "video_id": 1,
            "frame_index": data.index,
        })
        for obj in ctx.objects:
            mask = data.masks.get(obj.id)
            if mask is None or not mask.any():
                continue
            rle = mask_utils.encode(np.asfortranarray(mask, dtype=np.uint8))
            x, y, w, h = mask_utils.toBbox(rle).tolist()
            annotation = {
                "id": len(self.annotations) + 1,
                "image_id": image_id,
                "video_id": 1,
                "category_id": ctx.category_of(obj),
                "track_id": obj.id,
                "segmentation": {"size": [ctx.height, ctx.width], "counts": rle["counts"].decode("ascii")},
                "area": int(mask_utils.area(rle)),
                "bbox": [x, y, w, h],
                "iscrowd": 0,
            }
            if data.scores.get(obj.id) is not None:
                annotation["score"] = round(float(data.scores[obj.id]), 6)
            self.annotations.append(annotation)

    def finish(self, ctx: ExportContext) -> None:
        video = ctx.project.video_path
        doc = {
            "info": {
                "description": f"rotokit export of {video.name}",
                "version": "1.0",
                "date_created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            },
            "licenses": [],
            "videos": [{
                "id": 1,
                "name": ctx.video_name,
                "file_name": video.name,
                "width": ctx.width,
                "height": ctx.height,
                "length": ctx.end - ctx.start,
                "first_frame": ctx.start,
            }],
            "images": self.images,
            "annotations": self.annotations,
            "categories": [
                {"id": cid, "name": name, "supercategory": "object"} for name, cid in ctx.categories.items()
            ],
            "tracks": [
                {"id": obj.id, "name": obj.name, "category_id": ctx.category_of(obj), "video_id": 1}
                for obj in ctx.objects
            ],
        }
        with open(ctx.root / "annotations.json", "w", encoding="utf-8") as fh:
            json.dump(doc, fh, ensure_ascii=False)
