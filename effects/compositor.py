"""Composition of effect stacks: the background stack, then each object's stack in z-order.

Overlap rules (also in docs/ARCHITECTURE.md):
- The background is every pixel covered by no *visible* object's mask (raw masks, before any
  effect's grow/feather). Hidden layers neither run their effects nor mask the background.
- Stacks run in order: background first, then objects from first (bottom) to last (top); each
  effect reads the frame as composed so far. Where two objects overlap, the upper object's
  effects are applied on top of the lower one's result, so the upper object wins.
- Effects inside one stack also chain in list order (e.g. desaturate, then outline).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from effects import masks as mk
from effects import ops
from effects.emoji import load_image_rgb
from effects.errors import EffectError
from effects.overlay import OverlayTrack, draw_sprite, measure, oval, ring
from effects.params import colour_rgb
from effects.spec import Effect, parse_effect

BACKGROUND = "background"


@dataclass
class ObjectLayer:
    """One object's effect stack; ``effects`` may be Effect objects or plain dicts."""

    obj_id: int
    effects: list[Effect] = field(default_factory=list)
    visible: bool = True

    def __post_init__(self) -> None:
        self.effects = [parse_effect(e) for e in self.effects]


class Compositor:
    """Renders frames through a fixed set of effect stacks and keeps the temporal state
    (overlay smoothing, mask history); feed frames in order for smoothing to apply — any jump
    in ``frame_idx`` restarts it.

    Parameters
    ----------
    background
        Effects (or dicts) applied to the pixels covered by no visible object.
    objects
        Object layers in z-order, first = bottom.
    """

    def __init__(
        self,
        background: Iterable[Effect | Mapping[str, Any]] = (),
        objects: Iterable[ObjectLayer] = (),
    ):
        self.background = [parse_effect(e) for e in background]
        self.objects = list(objects)
        for e in self.background:
            if not e.spec.on_background:
                raise EffectError(
                    f'effect "{e.type}" cannot be used on the background (only on objects)',
                    effect=e.type,
                    param="type",
                )
        seen: set[int] = set()
        for layer in self.objects:
            if layer.obj_id in seen:
                raise EffectError(f"object {layer.obj_id} has two layers")
            seen.add(layer.obj_id)
            for e in layer.effects:
                if not e.spec.on_objects:
                    raise EffectError(
                        f'effect "{e.type}" on object {layer.obj_id}: only '
                        f"usable on the background",
                        effect=e.type,
                        param="type",
                    )
        self.has_alpha = any(e.type == "cutout" for e in self._all_effects())
        self.reset()

    def _all_effects(self) -> Iterable[Effect]:
        yield from self.background
        for layer in self.objects:
            yield from layer.effects

    def reset(self) -> None:
        """Forget all temporal state (call when seeking)."""
        self._last_idx: int | None = None
        self._history: dict[int | str, deque[np.ndarray]] = {}
        self._tracks: dict[tuple[int, int], OverlayTrack] = {}

    def render(
        self,
        frame_idx: int,
        rgb: np.ndarray,
        masks: Mapping[int, np.ndarray],
        boxes: Mapping[int, tuple[int, int, int, int] | None] | None = None,
    ) -> np.ndarray:
        """Apply every stack to one frame.

        Parameters
        ----------
        frame_idx
            0-based display index; consecutive calls drive the temporal smoothing.
        rgb
            H×W×3 uint8 RGB frame (not modified).
        masks
            ``obj_id`` → H×W mask (bool; or float 0..1, used as soft alpha when the effect has
            no edge options). A missing or empty mask means the object is absent this frame.
        boxes
            Optional ``obj_id`` → tight ``(x0, y0, x1, y1)`` box (exclusive ends; None when
            empty) of a bool mask, when the caller knows it (the mask store reads it from the
            RLE): saves a full-frame scan per mask.

        Returns
        -------
        H×W×3 uint8 RGB, or H×W×4 RGBA (straight alpha) when a ``cutout`` effect is configured.
        """
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"frame must be H×W×3 uint8 RGB, got {rgb.shape} {rgb.dtype}")
        shape = rgb.shape[:2]
        for obj_id, m in masks.items():
            if m.shape[:2] != shape:
                raise ValueError(f"mask of object {obj_id} is {m.shape[:2]}, frame is {shape}")
        if self._last_idx is None or frame_idx != self._last_idx + 1:
            self.reset()
        self._last_idx = frame_idx
        with mk.bbox_memo():
            return self._render(rgb, masks, boxes or {})

    def _render(
        self,
        rgb: np.ndarray,
        masks: Mapping[int, np.ndarray],
        boxes: Mapping[int, tuple[int, int, int, int] | None],
    ) -> np.ndarray:
        shape = rgb.shape[:2]

        alpha = np.full(shape, 255, np.uint8) if self.has_alpha else None
        layers = [(ly, masks.get(ly.obj_id)) for ly in self.objects if ly.visible]
        binaries = {ly.obj_id: mk.binary(m) for ly, m in layers if m is not None}
        for obj_id, b in binaries.items():
            if obj_id in boxes and masks[obj_id].dtype == np.bool_:
                mk.remember_bbox(b, boxes[obj_id])

        background = self.background
        out = None
        if (
            background
            and _whole_frame(background[0])
            and not any(e["temporal"] for e in background)
        ):
            out = self._background_first(background[0], rgb, binaries)
            background = background[1:]
        if out is None:
            out = rgb.copy()
        if background:
            cover = np.zeros(shape, np.uint8)
            for b in binaries.values():
                np.bitwise_or(cover, b, out=cover)
            bg = 1 - cover
            hist = self._remember(BACKGROUND, bg, background)
            for e in background:
                self._apply(e, out, alpha, hist, None, key=None)

        for layer, m in layers:
            binary = binaries.get(layer.obj_id)
            if binary is None:
                binary = np.zeros(shape, np.uint8)
            hist = self._remember(layer.obj_id, binary, layer.effects)
            soft = m if m is not None and np.issubdtype(m.dtype, np.floating) else None
            for j, e in enumerate(layer.effects):
                self._apply(e, out, alpha, hist, soft, key=(layer.obj_id, j))

        if alpha is None:
            return out
        rgba = cv2.cvtColor(out, cv2.COLOR_RGB2RGBA)
        cv2.insertChannel(alpha, rgba, 3)  # 20× faster than np.dstack at 1080p
        return rgba

    def _background_first(
        self, e: Effect, rgb: np.ndarray, binaries: Mapping[int, np.ndarray]
    ) -> np.ndarray:
        """Fast path for the common first background effect (hard edge, full strength): apply
        it to the whole frame, then put the objects' original pixels back inside their boxes.
        Same pixels as the general path, without the full-frame union/complement/masked copy
        (half the memory traffic of a 1080p background effect)."""
        h, w = rgb.shape[:2]
        t = mk.Target(slice(0, h), slice(0, w), np.empty((0, 0), np.uint8), hard=True)
        eff = self._effected(e, rgb, t, np.empty((0, 0), np.uint8))
        if not (eff.flags.writeable and eff.flags.c_contiguous and eff.shape == rgb.shape):
            eff = eff.copy()
        for b in binaries.values():
            box = mk.bbox(b)
            if box is not None:
                x0, y0, x1, y1 = box
                dst = eff[y0:y1, x0:x1]
                out = cv2.copyTo(rgb[y0:y1, x0:x1], b[y0:y1, x0:x1], np.ascontiguousarray(dst))
                if not np.may_share_memory(out, eff):
                    dst[...] = out
        return eff

    def _remember(
        self, key: int | str, b: np.ndarray, effects: Sequence[Effect]
    ) -> list[np.ndarray]:
        depth = max((e["temporal"] for e in effects), default=0) + 1
        h = self._history.get(key)
        if h is None or h.maxlen != depth:
            h = self._history[key] = deque(maxlen=depth)
        # kept across frames: copy, since `b` may be a view of the caller's (reusable) mask
        h.append(b.copy() if depth > 1 else b)
        return list(h)

    def _apply(
        self,
        e: Effect,
        out: np.ndarray,
        alpha: np.ndarray | None,
        hist: list[np.ndarray],
        soft: np.ndarray | None,
        key: tuple[int, int] | None,
    ) -> None:
        n = e["temporal"]
        m01 = mk.majority(hist[-(n + 1) :]) if n else hist[-1]
        grow, feather, opacity = e["grow"], e["feather"], e["opacity"]
        if soft is not None and n:
            soft = None  # the vote replaces the soft mask
        region = e.spec.region
        if opacity <= 0:
            return

        if region == "overlay":
            assert key is not None
            track = self._tracks.get(key)
            if track is None or track.smoothing != e["smoothing"]:
                track = self._tracks[key] = OverlayTrack(e["smoothing"])
            if grow:
                m01, _ = mk.edge_alpha(m01, grow, 0.0)
            place = track.update(measure(m01, e["anchor"], e["scale"]))
            if place is not None:
                draw_sprite(out, e["emoji"], place, e["rotation"], opacity)
            return
        if region == "band":
            t = ring(
                m01, width=e["width"], glow=e["glow"], grow=grow, feather=feather, opacity=opacity
            )
            if t is not None:
                mk.blend(out, t, ops.fill(out, t.ys, t.xs, colour_rgb(e["colour"])))
            return
        if region == "oval":
            res = oval(m01, scale=e["scale"], grow=grow, feather=feather, opacity=opacity)
            if res is None:
                return
            t, diameter = res
            if e["mode"] == "blur":
                eff = ops.blur(out, t.ys, t.xs, max(0.5, e["strength"] * diameter), context=8)
            else:
                eff = ops.pixelate(out, t.ys, t.xs, max(2, round(diameter / e["cells"])))
            mk.blend(out, t, eff)
            return

        # object layers' "inverse" effects act outside the object; on the background layer
        # the target already is "outside every object".
        invert = region == "inverse" and key is not None
        t = mk.prepare(m01, grow=grow, feather=feather, opacity=opacity, soft=soft, invert=invert)
        if t is None:
            return
        if e.type == "cutout":
            assert alpha is not None
            view = alpha[t.ys, t.xs]
            a = np.ascontiguousarray(view)
            if t.hard:
                cv2.copyTo(np.zeros_like(a), t.alpha, a)
            else:
                keep = cv2.convertScaleAbs(1.0 - t.alpha, alpha=255.0)
                a = cv2.multiply(a, keep, scale=1.0 / 255.0)
            if not np.may_share_memory(a, alpha):
                view[...] = a
            return
        mk.blend(out, t, self._effected(e, out, t, m01))

    def _effected(self, e: Effect, out: np.ndarray, t: mk.Target, m01: np.ndarray) -> np.ndarray:
        ys, xs = t.ys, t.xs
        kind = e.type
        if kind == "pixelate":
            return ops.pixelate(out, ys, xs, e["block"])
        if kind == "blur":
            return ops.blur(out, ys, xs, e["strength"])
        if kind == "fill":
            return ops.fill(out, ys, xs, colour_rgb(e["colour"]))
        if kind == "erase":
            return ops.erase(out, ys, xs, m01, e["smooth"])
        if kind in ("desaturate", "colour_pop"):
            return ops.grey(out, ys, xs, e["amount"])
        if kind == "spotlight":
            return ops.dim(out, ys, xs, e["dim"])
        if kind == "replace":
            mode = e["mode"]
            if mode == "colour":
                return ops.fill(out, ys, xs, colour_rgb(e["colour"]))
            if mode == "blur":
                return ops.blur(out, ys, xs, e["strength"])
            img = load_image_rgb(e["image"], effect=kind, param="image")
            return ops.cover_image(img, out.shape[:2])[ys, xs]
        raise AssertionError(kind)


def _whole_frame(e: Effect) -> bool:
    """Whether a background effect changes every background pixel fully (hard edge)."""
    return (
        e.spec.region in ("mask", "inverse")
        and e.type != "cutout"
        and e["grow"] == 0
        and e["feather"] == 0
        and e["opacity"] >= 1.0
    )


def compose(
    frame: np.ndarray,
    masks: Mapping[int, np.ndarray],
    stacks: Mapping[int, Sequence[Effect | Mapping[str, Any]]] | Sequence[ObjectLayer],
    background: Sequence[Effect | Mapping[str, Any]] = (),
) -> np.ndarray:
    """Stateless one-frame composition (no temporal smoothing).

    ``stacks`` maps ``obj_id`` → effects in z-order (dict order, first = bottom), or is a list
    of ObjectLayer.
    """
    if isinstance(stacks, Mapping):
        layers = [
            ObjectLayer(obj_id, [parse_effect(e) for e in effs]) for obj_id, effs in stacks.items()
        ]
    else:
        layers = list(stacks)
    return Compositor(background, layers).render(0, frame, masks)
