"""COCO instance segmentation, video-aware: one image per frame, one annotation per object per
frame.

Readable by pycocotools (``COCO(path).annToMask(ann)``) and by video-instance tools: images
carry ``video_id``/``frame_index``, annotations carry ``track_id`` (the rotokit object id), and
the file also lists ``videos`` and ``tracks`` (the TAO / YouTube-VIS style additions).
Masks are COCO RLE with the counts as a UTF-8 string, exactly as pycocotools writes them.

Several clips: ``images/<clip>/<frame>.jpg``, one ``videos`` entry per clip, track ids unique
across clips (the object id plus an offset; ``obj_id`` keeps the rotokit id). With a split,
``annotations/train.json``, ``val.json``, ``test.json`` (each a complete COCO file over the
shared ``images/`` folder), else ``annotations.json``.
"""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path
from typing import Any

import numpy as np
from pycocotools import mask as mask_utils

from app.export.base import DatasetContext, ExportContext, Exporter, FrameData

__all__ = ["CocoExporter"]


class CocoExporter(Exporter):
    name = "coco"
    needs_images = True
    image_level = True

    def begin(self, ds: DatasetContext) -> None:
        self.images: list[dict[str, Any]] = []
        self.annotations: list[dict[str, Any]] = []
        self.videos: list[dict[str, Any]] = []
        self.tracks: list[dict[str, Any]] = []

    def begin_clip(self, ctx: ExportContext) -> None:
        if ctx.images:
            (ctx.root / "images" / ctx.video_name).mkdir(parents=True)
        video = ctx.project.video_path
        self.videos.append(
            {
                "id": ctx.video_id,
                "name": ctx.video_name,
                "file_name": video.name,
                "width": ctx.width,
                "height": ctx.height,
                "length": ctx.end - ctx.start,
                "first_frame": ctx.start,
                "split": ctx.split,
            }
        )
        self.tracks.extend(
            {
                "id": ctx.track_id(obj),
                "name": obj.name,
                "category_id": ctx.category_of(obj),
                "video_id": ctx.video_id,
                "obj_id": obj.id,
            }
            for obj in ctx.objects
        )

    def frame(self, ctx: ExportContext, data: FrameData) -> None:
        image_id = len(self.images) + 1  # COCO ids start at 1
        file_name = f"images/{ctx.video_name}/{ctx.image_name(data.index)}"
        if data.rgb is not None:
            ctx.write_image(ctx.root / file_name, data.rgb)
        self.images.append(
            {
                "id": image_id,
                "file_name": file_name,
                "width": ctx.width,
                "height": ctx.height,
                "video_id": ctx.video_id,
                "frame_index": data.index,
            }
        )
        for obj in ctx.objects:
            mask = data.masks.get(obj.id)
            if mask is None or not mask.any():
                continue
            rle = mask_utils.encode(np.asfortranarray(mask, dtype=np.uint8))
            x, y, w, h = mask_utils.toBbox(rle).tolist()
            annotation = {
                "id": len(self.annotations) + 1,
                "image_id": image_id,
                "video_id": ctx.video_id,
                "category_id": ctx.category_of(obj),
                "track_id": ctx.track_id(obj),
                "segmentation": {
                    "size": [ctx.height, ctx.width],
                    "counts": rle["counts"].decode("ascii"),
                },
                "area": int(mask_utils.area(rle)),
                "bbox": [x, y, w, h],
                "iscrowd": 0,
            }
            score = data.scores.get(obj.id)
            if score is not None:
                annotation["score"] = round(float(score), 6)
            self.annotations.append(annotation)

    def finish(self, ds: DatasetContext) -> None:
        """One annotation file, or one per split (images stay in one folder, shared)."""
        if not ds.options.has_split:
            self._write(ds, ds.root / "annotations.json", {v["id"] for v in self.videos})
            return
        (ds.root / "annotations").mkdir()
        for split in ds.split_names:
            ids = {v["id"] for v in self.videos if v["split"] == split}
            self._write(ds, ds.root / "annotations" / f"{split}.json", ids)

    def _write(self, ds: DatasetContext, path: Path, video_ids: set[int]) -> None:
        clips = [c.project.video_path.name for c in ds.clips if c.video_id in video_ids]
        images = [im for im in self.images if im["video_id"] in video_ids]
        doc = {
            "info": {
                "description": f"rotokit export of {', '.join(clips)}",
                "version": "1.0",
                "date_created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            },
            "licenses": [],
            "videos": [v for v in self.videos if v["id"] in video_ids],
            "images": images,
            "annotations": [a for a in self.annotations if a["video_id"] in video_ids],
            "categories": [
                {"id": cid, "name": name, "supercategory": "object"}
                for name, cid in ds.categories.items()
            ],
            "tracks": [t for t in self.tracks if t["video_id"] in video_ids],
        }
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, ensure_ascii=False)
