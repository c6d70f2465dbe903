"""What the viewer and timeline show, computed from the document (no widgets here).

- `FramePresenter.image(frame_idx)`: the frame with mask overlays, or the real effects render
  (the same `Compositor` the export uses) when the preview is on.
- `lanes(document, active)`: per-object timeline data read from the mask store.
"""

from __future__ import annotations

import logging

import numpy as np
from PySide6.QtGui import QImage

from app.gui.document import LOW_SCORE, EditorDocument
from app.gui.overlay import MaskLayer, compose_overlay, to_qimage
from app.gui.timeline_widget import Lane
from app.gui.viewer_widget import PromptGlyph

__all__ = ["FramePresenter", "lanes", "hex_rgb"]

log = logging.getLogger(__name__)


def hex_rgb(colour: str) -> tuple[int, int, int]:
    h = colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


class FramePresenter:
    def __init__(self, document: EditorDocument) -> None:
        self.document = document
        self._compositor = None
        self._compositor_error: Exception | None = None
        self._compositor_project: object | None = None  # the project the compositor was built for

    @property
    def preview_effects(self) -> bool:
        """The open document's preview state (never this object's: see `EditorDocument.preview`)."""
        return self.document.preview

    def invalidate_effects(self) -> None:
        """Effect stacks or visibility changed: rebuild the compositor on the next frame."""
        self._compositor = None
        self._compositor_error = None
        self._compositor_project = None

    def _get_compositor(self):
        if self._compositor_project is not self.document.project:
            self.invalidate_effects()  # another file was opened: nothing of the old one is reused
            self._compositor_project = self.document.project
        if self._compositor is None and self._compositor_error is None:
            from app.render import build_compositor

            try:
                self._compositor = build_compositor(self.document.project)
            except Exception as exc:  # noqa: BLE001 - shown once, masks view stays usable
                self._compositor_error = exc
                raise
        if self._compositor_error is not None:
            raise self._compositor_error
        return self._compositor

    def image(self, frame_idx: int, active: int) -> QImage:
        doc = self.document
        rgb = doc.frame(frame_idx)
        masks = doc.frame_masks(frame_idx)
        if self.preview_effects:
            compositor = self._get_compositor()
            out = compositor.render(frame_idx, rgb, masks)
            if out.ndim == 3 and out.shape[2] == 4:
                out = _checkerboard_under(out)
            return to_qimage(out)
        project = doc.project
        layers = [
            MaskLayer(masks[o.id], hex_rgb(o.colour), active=o.id == active)
            for o in (project.objects if project else [])
            if o.id in masks and o.visible
        ]
        return to_qimage(compose_overlay(rgb, layers))

    def glyphs(self, frame_idx: int, active: int) -> list[PromptGlyph]:
        project = self.document.project
        out = []
        for o in project.objects if project else []:
            for p in o.prompts:
                if p.frame != frame_idx:
                    continue
                pts = tuple((float(x), float(y), int(lab)) for (x, y), lab in zip(p.points or [], p.labels or []))
                box = tuple(float(v) for v in p.box) if p.box is not None else None
                out.append(PromptGlyph(pts, box, hex_rgb(o.colour)))
        return out


def _checkerboard_under(rgba: np.ndarray) -> np.ndarray:
    """Show transparency (cut-out) over a grey checkerboard."""
    h, w = rgba.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    board = np.where(((yy // 16 + xx // 16) % 2)[..., None] == 0, 90, 140).astype(np.uint16)
    a = rgba[..., 3:4].astype(np.uint16)
    return ((rgba[..., :3] * a + board * (255 - a)) // 255).astype(np.uint8)


def lanes(document: EditorDocument, active: int) -> list[Lane]:
    project, store, n = document.project, document.store, document.frame_count
    if project is None or store is None:
        return []
    out = []
    for o in reversed(project.objects):  # same order as the objects list (top first)
        has = np.zeros(n, bool)
        low = np.zeros(n, bool)
        for f, score in store.scores(o.id).items():
            if 0 <= f < n:
                has[f] = True
                low[f] = score is not None and score < LOW_SCORE
        out.append(Lane(o.id, o.name, hex_rgb(o.colour), has, low, {p.frame for p in o.prompts}, o.id == active))
    return out


def update_lanes(current: list[Lane], document: EditorDocument, frame_idx: int, obj_ids: list[int]) -> bool:
    """Update lanes in place for one frame's new masks; False when a full rebuild is needed."""
    store = document.store
    if store is None:
        return False
    scores = store.frame_scores(frame_idx)
    by_id = {ln.obj_id: ln for ln in current}
    for oid in obj_ids:
        lane = by_id.get(oid)
        if lane is None:
            if document.project is not None and any(o.id == oid for o in document.project.objects):
                return False
            continue
        if 0 <= frame_idx < len(lane.has_mask):
            present = oid in scores
            lane.has_mask[frame_idx] = present
            s = scores.get(oid)
            lane.low_score[frame_idx] = present and s is not None and s < LOW_SCORE
    return True
