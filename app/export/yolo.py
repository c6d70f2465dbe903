"""YOLO segmentation labels (Ultralytics format): one polygon per object per frame, normalised.

``labels/<video>_<frame>.txt`` holds ``<class> x1 y1 x2 y2 ...`` with coordinates divided by the
image width/height; ``images/`` the frames, ``classes.txt`` and ``data.yaml`` the class names.
A YOLO line is a single polygon, so an object in several pieces, or with holes, is joined into
one outline by zero-width bridges between the pieces (as Ultralytics' own COCO converter does, but
along a minimum spanning tree so the bridges stay short);
filling it back (even-odd or non-zero) gives the mask again up to the bridge lines.

Outlines are simplified (Douglas-Peucker): by ``--simplify PX``, or by default the largest of
2, 1, 0.5 px whose filled polygon keeps IoU ≥ 0.98 with the mask (a 1080p object's outline
drops from hundreds of corners to tens). Several clips share ``images/`` and ``labels/`` (file
names ``<clip>_<frame>``); a split puts each clip in ``images/<split>/`` + ``labels/<split>/``.
``data.yaml`` has no ``path:`` key, so Ultralytics resolves ``train:``/``val:`` against the yaml's
own folder from any working directory (``path: .`` is resolved against the working directory).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from app.export.base import DatasetContext, ExportContext, Exporter, FrameData

__all__ = ["YoloExporter", "mask_to_polygon", "fit_polygon", "polygon_iou"]

MAX_OUTLINES = 200  # pieces + holes kept per object (the longest outlines)


def _closest(a: np.ndarray, b: np.ndarray) -> tuple[int, int]:
    """Indices of the closest pair of points between outlines `a` and `b`."""
    best = (0, 0)
    best_d = np.inf
    for start in range(0, len(a), 512):  # chunked: outlines can have thousands of points
        chunk = a[start : start + 512].astype(np.float64)
        d = ((chunk[:, None, :] - b[None, :, :].astype(np.float64)) ** 2).sum(-1)
        i, j = np.unravel_index(np.argmin(d), d.shape)
        if d[i, j] < best_d:
            best_d, best = d[i, j], (start + int(i), int(j))
    return best


def _bridge(segments: list[np.ndarray]) -> np.ndarray:
    """Join closed outlines into one closed path with zero-width bridges along a minimum
    spanning tree.

    Each bridge is walked out and back, so it encloses no area; the tree keeps the bridges
    (the only pixels a filled polygon adds) as short as possible.
    """
    k = len(segments)
    if k == 1:
        return segments[0]
    # Outline-to-outline distances on subsampled points (the tree's shape), exact points later.
    subs = [seg[:: max(1, len(seg) // 16)].astype(np.float32) for seg in segments]
    starts = np.cumsum([0] + [len(sub) for sub in subs[:-1]])
    pts = np.concatenate(subs)
    sq = (pts**2).sum(1)
    dist = sq[:, None] + sq[None, :] - 2 * pts @ pts.T
    dist = np.minimum.reduceat(np.minimum.reduceat(dist, starts, axis=0), starts, axis=1)
    # Prim's algorithm from outline 0.
    parent = np.zeros(k, dtype=np.int64)
    best = dist[0].copy()
    in_tree = np.zeros(k, dtype=bool)
    in_tree[0] = True
    children: dict[int, list[int]] = {i: [] for i in range(k)}
    for _ in range(k - 1):
        j = int(np.argmin(np.where(in_tree, np.inf, best)))
        in_tree[j] = True
        children[int(parent[j])].append(j)
        closer = dist[j] < best
        best = np.where(closer, dist[j], best)
        parent = np.where(closer, j, parent)
    attach = {}  # child -> (index on parent outline, index on child outline)
    for i, kids in children.items():
        for j in kids:
            attach[j] = _closest(segments[i], segments[j])

    def walk(i: int, start: int) -> list[np.ndarray]:
        """Round outline i from `start` back to it, detouring into each child where it hangs."""
        seg = np.roll(segments[i], -start, axis=0)
        hooks = sorted(((attach[j][0] - start) % len(seg), j) for j in children[i])
        out, prev = [], 0
        for pos, j in hooks:
            out.append(seg[prev : pos + 1])
            out.extend(walk(j, attach[j][1]))  # out along the bridge, round the child...
            out.append(seg[pos : pos + 1])  # ...and back
            prev = pos + 1
        out += [seg[prev:], seg[:1]]
        return out

    return np.concatenate(walk(0, 0))


def _drop_specks(mask: np.ndarray, min_area: int) -> np.ndarray:
    """Remove pieces and fill holes smaller than `min_area` pixels (sensor noise, not objects)."""
    mask = mask.astype(np.uint8)
    for value in (1, 0):
        n, labels, stats, _ = cv2.connectedComponentsWithStats(
            (mask == value).astype(np.uint8), connectivity=8
        )
        small = np.flatnonzero(stats[:, cv2.CC_STAT_AREA] < min_area)
        small = small[small > 0]  # label 0 is the other value
        if small.size:
            mask[np.isin(labels, small)] = 1 - value
    return mask


def _outlines(mask: np.ndarray, min_area: int, max_outlines: int) -> list[np.ndarray]:
    """Every piece's and hole's outline (N×1×2 int32, frame coordinates), the `max_outlines`
    longest.

    Works on the mask's bounding box padded by one pixel (the padding keeps the background
    around the object one region, so no outside gap is mistaken for a hole): cost follows the
    object's size, not the frame's.
    """
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return []
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    crop = np.zeros((y1 - y0 + 2, x1 - x0 + 2), np.uint8)
    crop[1:-1, 1:-1] = mask[y0:y1, x0:x1]
    offset = (int(x0) - 1, int(y0) - 1)
    contours, _ = cv2.findContours(crop, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE, offset=offset)
    # A piece of N pixels has an outline enclosing less than N; a hole's outline runs over the
    # object pixels around it and encloses less than 3N + 4. So when every outline encloses at
    # least 4·min_area + 4 there is no speck, and the (10× dearer) pixel-exact removal is skipped.
    if min_area > 1 and any(cv2.contourArea(c) < 4 * min_area + 4 for c in contours):
        crop = _drop_specks(crop, min_area)
        contours, _ = cv2.findContours(crop, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE, offset=offset)
    if len(contours) > max_outlines:
        keep = sorted(np.argsort([-len(c) for c in contours])[:max_outlines].tolist())
        contours = [contours[i] for i in keep]
    return list(contours)


def _join(outlines: list[np.ndarray], tolerance: float) -> np.ndarray:
    """Simplify each outline (Douglas-Peucker, `tolerance` px) and bridge them into one polygon."""
    if tolerance > 0:
        outlines = [cv2.approxPolyDP(c, tolerance, True) if len(c) > 3 else c for c in outlines]
    return _bridge([c.reshape(-1, 2) for c in outlines])


def mask_to_polygon(
    mask: np.ndarray, *, min_area: int = 0, max_outlines: int = MAX_OUTLINES, tolerance: float = 0.0
) -> np.ndarray | None:
    """One polygon (N×2 int pixel coordinates) outlining every piece and hole of `mask`; None if
    empty.

    Pieces and holes smaller than `min_area` pixels are dropped; at most `max_outlines` outlines
    (the longest) are kept, so a noisy mask cannot produce a huge label. Each outline is
    simplified to within `tolerance` pixels (0: every corner of the pixel outline).
    """
    outlines = _outlines(mask, min_area, max_outlines)
    return _join(outlines, tolerance) if outlines else None


def polygon_iou(
    polygon: np.ndarray, mask: np.ndarray, box: tuple[int, int, int, int] | None = None
) -> float:
    """IoU of the filled polygon with the mask, rasterised only inside `box` (x, y, w, h; default
    the polygon's own bounding box), so checking a small object in a 4K frame stays cheap."""
    x0, y0, w, h = box if box is not None else cv2.boundingRect(polygon.astype(np.int32))
    raster = np.zeros((h, w), np.uint8)
    cv2.fillPoly(raster, [(polygon - (x0, y0)).astype(np.int32)], 1)
    filled = raster.astype(bool)
    crop = mask[y0 : y0 + h, x0 : x0 + w]
    union = np.count_nonzero(filled | crop)
    return 1.0 if union == 0 else np.count_nonzero(filled & crop) / union


AUTO_TOLERANCES = (2.0, 1.0, 0.5)  # px, tried largest first; 0 (the exact outline) is the fallback
AUTO_MIN_IOU = 0.98


def fit_polygon(
    mask: np.ndarray, *, min_area: int = 0, tolerance: float | None = None
) -> np.ndarray | None:
    """The YOLO polygon of `mask`: simplified by `tolerance` px, or (None) by the largest of
    2, 1, 0.5 px whose filled polygon keeps IoU ≥ 0.98 with the mask, else the exact outline."""
    outlines = _outlines(mask, min_area, MAX_OUTLINES)
    if not outlines:
        return None
    if tolerance is not None:
        return _join(outlines, tolerance)
    x, y, w, h = cv2.boundingRect(np.concatenate(outlines))  # every piece (specks dropped) inside
    box = (x, y, w, h)
    for candidate in AUTO_TOLERANCES:
        polygon = _join(outlines, candidate)
        if polygon_iou(polygon, mask, box) >= AUTO_MIN_IOU:
            return polygon
    return _join(outlines, 0.0)


class YoloExporter(Exporter):
    name = "yolo"
    needs_images = True
    image_level = True

    def begin(self, ds: DatasetContext) -> None:
        self.points = 0  # polygon points written (the README quotes the average)
        self.polygons = 0

    def _folder(self, ctx: ExportContext, kind: str) -> Path:
        """`images/` and `labels/`, with a split `images/train/`, `labels/val/`, ..."""
        return ctx.root / kind / ctx.split if ctx.options.has_split else ctx.root / kind

    def begin_clip(self, ctx: ExportContext) -> None:
        # Specks of a pixel or two (1080p: 4 px) are noise in a training label, and each would
        # cost a bridge; anything bigger is kept.
        self.min_area = max(2, round(ctx.width * ctx.height * 2e-6))
        self.labels = self._folder(ctx, "labels")
        self.labels.mkdir(parents=True, exist_ok=True)
        if ctx.images:
            self.images = self._folder(ctx, "images")
            self.images.mkdir(parents=True, exist_ok=True)

    def frame(self, ctx: ExportContext, data: FrameData) -> None:
        stem = f"{ctx.video_name}_{data.index:06d}"
        lines = []
        for obj in ctx.objects:
            mask = data.masks.get(obj.id)
            polygon = (
                None
                if mask is None
                else fit_polygon(mask, min_area=self.min_area, tolerance=ctx.options.simplify)
            )
            if polygon is None:
                continue
            if len(polygon) < 3:  # YOLO needs 3 points: pad a 1–2 pixel object to a triangle
                polygon = np.concatenate([polygon, polygon[-1:].repeat(3 - len(polygon), axis=0)])
            self.points += len(polygon)
            self.polygons += 1
            coords = polygon.astype(np.float64) / (ctx.width, ctx.height)
            numbers = " ".join(f"{v:.6f}" for v in coords.ravel())
            lines.append(f"{ctx.category_of(obj) - 1} {numbers}")  # YOLO classes are 0-based
        (self.labels / f"{stem}.txt").write_text(
            "".join(line + "\n" for line in lines), encoding="ascii"
        )
        if data.rgb is not None:
            ctx.write_image(self.images / f"{stem}.{ctx.options.image_format}", data.rgb)

    def finish(self, ds: DatasetContext) -> None:
        names = list(ds.categories)  # in category-id order
        (ds.root / "classes.txt").write_text("".join(n + "\n" for n in names), encoding="utf-8")
        yaml_names = "\n".join(f"  {i}: {_yaml_str(n)}" for i, n in enumerate(names))
        clips = ", ".join(c.project.video_path.name for c in ds.clips)
        # No `path:` key: Ultralytics then resolves train/val against this file's folder, so the
        # dataset loads from any working directory and still works after being moved or copied.
        if ds.options.has_split:
            splits = "".join(f"{s}: images/{s}\n" for s in ds.split_names)
            if (
                "val" not in ds.split_names
            ):  # Ultralytics requires `val`; only a test split was asked for
                splits += "val: images/test  # no --val split: validating on the test clips\n"
        else:
            splits = (
                "train: images\nval: images  # no --val split: validating on the training frames\n"
            )
        (ds.root / "data.yaml").write_text(
            f"# rotokit export of {clips}\n{splits}names:\n{yaml_names}\n",
            encoding="utf-8",
        )


def _yaml_str(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    import json

    return json.dumps(text, ensure_ascii=False)
