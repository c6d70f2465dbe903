"""YOLO segmentation labels (Ultralytics format): one polygon per object per frame, normalised.

``labels/<video>_<frame>.txt`` holds ``<class> x1 y1 x2 y2 ...`` with coordinates divided by the
image width/height; ``images/`` the frames, ``classes.txt`` and ``data.yaml`` the class names.
A YOLO line is a single polygon, so an object in several pieces, or with holes, is joined into
one outline by zero-width bridges between the pieces (as Ultralytics' own COCO converter does, but
along a minimum spanning tree so the bridges stay short);
filling it back (even-odd or non-zero) gives the mask again up to the bridge lines.
"""

from __future__ import annotations

import cv2
import numpy as np

from app.export.base import ExportContext, Exporter, FrameData, write_jpeg

__all__ = ["YoloExporter", "mask_to_polygon"]

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
    """Join closed outlines into one closed path with zero-width bridges along a minimum spanning tree.

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
        n, labels, stats, _ = cv2.connectedComponentsWithStats((mask == value).astype(np.uint8), connectivity=8)
        small = np.flatnonzero(stats[:, cv2.CC_STAT_AREA] < min_area)
        small = small[small > 0]  # label 0 is the other value
        if small.size:
            mask[np.isin(labels, small)] = 1 - value
    return mask


def mask_to_polygon(mask: np.ndarray, *, min_area: int = 0, max_outlines: int = MAX_OUTLINES) -> np.ndarray | None:
    """One polygon (N×2 int pixel coordinates) outlining every piece and hole of `mask`; None if empty.

    Pieces and holes smaller than `min_area` pixels are dropped; at most `max_outlines` outlines
    (the longest) are kept, so a noisy mask cannot produce a huge label.
    """
    mask = _drop_specks(mask, min_area) if min_area > 1 else mask.astype(np.uint8)
    contours, _ = cv2.findContours(mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    if len(contours) > max_outlines:
        keep = set(np.argsort([-len(c) for c in contours])[:max_outlines].tolist())
    else:
        keep = set(range(len(contours)))
    segments: list[np.ndarray] = []
    for i, contour in enumerate(contours):
        if i in keep:
            segments.append(contour.reshape(-1, 2))
    return _bridge(segments)


class YoloExporter(Exporter):
    name = "yolo"
    needs_images = True

    def begin(self, ctx: ExportContext) -> None:
        # Specks of a pixel or two (1080p: 4 px) are noise in a training label, and each would
        # cost a bridge; anything bigger is kept.
        self.min_area = max(2, round(ctx.width * ctx.height * 2e-6))
        (ctx.root / "labels").mkdir()
        if ctx.images:
            (ctx.root / "images").mkdir()

    def frame(self, ctx: ExportContext, data: FrameData) -> None:
        stem = f"{ctx.video_name}_{data.index:06d}"
        lines = []
        for obj in ctx.objects:
            mask = data.masks.get(obj.id)
            polygon = None if mask is None else mask_to_polygon(mask, min_area=self.min_area)
            if polygon is None:
                continue
            if len(polygon) < 3:  # YOLO needs 3 points: pad a 1–2 pixel object to a triangle
                polygon = np.concatenate([polygon, polygon[-1:].repeat(3 - len(polygon), axis=0)])
            coords = polygon.astype(np.float64) / (ctx.width, ctx.height)
            numbers = " ".join(f"{v:.6f}" for v in coords.ravel())
            lines.append(f"{ctx.category_of(obj) - 1} {numbers}")  # YOLO classes are 0-based
        (ctx.root / "labels" / f"{stem}.txt").write_text("".join(line + "\n" for line in lines), encoding="ascii")
        if data.rgb is not None:
            write_jpeg(ctx.root / "images" / f"{stem}.jpg", data.rgb)

    def finish(self, ctx: ExportContext) -> None:
        names = list(ctx.categories)  # in category-id order
        (ctx.root / "classes.txt").write_text("".join(n + "\n" for n in names), encoding="utf-8")
        yaml_names = "\n".join(f"  {i}: {_yaml_str(n)}" for i, n in enumerate(names))
        (ctx.root / "data.yaml").write_text(
            f"# rotokit export of {ctx.project.video_path.name}\n"
            f"path: .\ntrain: images\nval: images\nnames:\n{yaml_names}\n",
            encoding="utf-8",
        )


def _yaml_str(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    import json

    return json.dumps(text, ensure_ascii=False)
