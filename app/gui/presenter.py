"""What the viewer and timeline show, computed from the document (no widgets here).

- `FramePresenter.request(frame_idx, ...)`: what the loader thread draws — the frame with mask
  overlays, or the real effects render (the same `Compositor` the export uses) when the preview
  is on. Decoding and composing happen in `frame_loader`, never on the GUI thread.
- `lanes(document, active)`: per-object timeline data read from the mask store.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np

from app.gui.document import LOW_SCORE, EditorDocument
from app.gui.frame_loader import FrameRequest
from app.gui.timeline_widget import EMPTY, LOW_SCORE_STATE, NOT_TRACKED, TRACKED, Lane
from app.gui.viewer_widget import PromptGlyph

if TYPE_CHECKING:
    from effects import Compositor

__all__ = ["FramePresenter", "lanes", "hex_rgb"]

log = logging.getLogger(__name__)


def hex_rgb(colour: str) -> tuple[int, int, int]:
    h = colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


class FramePresenter:
    def __init__(self, document: EditorDocument) -> None:
        self.document = document
        self._compositor: Compositor | None = None
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

    def _get_compositor(self) -> Compositor | None:
        if self._compositor_project is not self.document.project:
            self.invalidate_effects()  # another file was opened: nothing of the old one is reused
            self._compositor_project = self.document.project
        if self._compositor is None and self._compositor_error is None:
            from app.render import build_compositor

            project = self.document.project
            if project is None:
                return None
            try:
                self._compositor = build_compositor(project)
            except Exception as exc:  # noqa: BLE001 - shown once, masks view stays usable
                self._compositor_error = exc
                raise
        if self._compositor_error is not None:
            raise self._compositor_error
        return self._compositor

    def request(self, frame_idx: int, active: int, seq: int, generation: int) -> FrameRequest:
        """What the loader thread must draw for ``frame_idx``, snapshotted here on the GUI thread
        (object colours and visibility, or the compositor): the worker never reads the project."""
        project = self.document.project
        objects = project.objects if project else []
        compositor = self._get_compositor() if self.preview_effects else None
        layers = tuple((o.id, hex_rgb(o.colour), o.id == active) for o in objects if o.visible)
        return FrameRequest(
            seq, generation, frame_idx, frozenset(o.id for o in objects), layers, compositor
        )

    def glyphs(self, frame_idx: int, active: int) -> list[PromptGlyph]:
        project = self.document.project
        out = []
        for o in project.objects if project else []:
            for p in o.prompts:
                if p.frame != frame_idx:
                    continue
                pts = tuple(
                    (float(x), float(y), int(lab))
                    for (x, y), lab in zip(p.points or [], p.labels or [], strict=True)
                )
                box = None
                if p.box is not None:
                    x0, y0, x1, y1 = (float(v) for v in p.box)
                    box = (x0, y0, x1, y1)
                out.append(PromptGlyph(pts, box, hex_rgb(o.colour)))
        return out


def _object_rows(store, obj_id: int) -> list[tuple[int, float | None, bool]]:
    """(frame, score, empty) of every stored mask of ``obj_id``, in one query."""
    return store.frame_states(obj_id)


def lanes(document: EditorDocument, active: int) -> list[Lane]:
    project, store, n = document.project, document.store, document.frame_count
    if project is None or store is None:
        return []
    out = []
    for o in reversed(project.objects):  # same order as the objects list (top first)
        state = np.zeros(n, np.uint8)
        score = np.full(n, np.nan, np.float32)
        for f, s, empty in _object_rows(store, o.id):
            if 0 <= f < n:
                state[f] = lane_state(s, empty)
                score[f] = np.nan if s is None else s
        out.append(
            Lane(
                o.id,
                o.name,
                hex_rgb(o.colour),
                state,
                score,
                {p.frame for p in o.prompts},
                o.id == active,
            )
        )
    return out


def lane_state(score: float | None, empty: bool) -> int:
    if empty:
        return EMPTY
    return LOW_SCORE_STATE if score is not None and score < LOW_SCORE else TRACKED


def update_lanes(
    current: list[Lane], document: EditorDocument, frame_idx: int, obj_ids: list[int]
) -> bool:
    """Update lanes in place for one frame's new masks; False when a full rebuild is needed."""
    store = document.store
    if store is None or frame_idx < 0:
        return False
    rles = store.frame_rles(frame_idx)
    scores = store.frame_scores(frame_idx)
    by_id = {ln.obj_id: ln for ln in current}
    for oid in obj_ids:
        lane = by_id.get(oid)
        if lane is None:
            if document.project is not None and any(o.id == oid for o in document.project.objects):
                return False
            continue
        if 0 <= frame_idx < len(lane.state):
            rle = rles.get(oid)
            if rle is None:
                lane.state[frame_idx], lane.score[frame_idx] = NOT_TRACKED, np.nan
                continue
            from app.project.rle import rle_box

            s = scores.get(oid)
            lane.state[frame_idx] = lane_state(s, rle_box(rle["counts"], *rle["size"]) is None)
            lane.score[frame_idx] = np.nan if s is None else s
    return True
