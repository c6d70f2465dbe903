"""The effect types rotokit knows: their parameters, defaults, ranges and where they apply.

This is the single source of the README's effect table (`effects_table_markdown`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from effects.params import ParamSpec

Region = Literal["mask", "inverse", "oval", "overlay", "band"]


@dataclass(frozen=True)
class EffectType:
    """An effect type: what it does, where it paints, and its own (non-edge) parameters.

    ``region`` says which pixels it may change, relative to its target (the object's mask, or
    the background = pixels covered by no visible object):
    ``mask`` inside the target; ``inverse`` outside the object (on the background layer: the
    background itself); ``oval`` an ellipse inscribed in the target's bounding box; ``overlay``
    an image placed at the target; ``band`` a ring just outside the target.
    """

    name: str
    doc: str
    region: Region
    params: tuple[ParamSpec, ...]
    on_objects: bool = True
    on_background: bool = True


# Mask-edge options shared by every effect (applied to the target before the effect).
EDGE_PARAMS: tuple[ParamSpec, ...] = (
    ParamSpec(
        "grow",
        "int",
        0,
        "dilate (> 0) or erode (< 0) the target by this many px, "
        "e.g. to cover hair and motion blur",
        -200,
        200,
    ),
    ParamSpec(
        "feather",
        "float",
        0.0,
        "soft edge: a linear alpha ramp this many px wide, centred on the (grown) edge",
        0,
        200,
    ),
    ParamSpec(
        "temporal",
        "int",
        0,
        "majority vote of the mask over this many previous frames "
        "too (0 = off): removes one-frame flicker, lags by about half of it",
        0,
        10,
    ),
    ParamSpec("opacity", "float", 1.0, "strength of the whole effect (0 = invisible)", 0, 1),
)

_STRENGTH = ParamSpec("strength", "float", 12.0, "Gaussian blur sigma in px", 0.5, 200)

EFFECT_TYPES: dict[str, EffectType] = {
    t.name: t
    for t in (
        EffectType(
            "pixelate",
            "mosaic of square blocks (aligned to the frame grid)",
            "mask",
            (ParamSpec("block", "int", 16, "block size in px", 2, 512),),
        ),
        EffectType("blur", "Gaussian blur", "mask", (_STRENGTH,)),
        EffectType(
            "fill",
            "solid colour",
            "mask",
            (ParamSpec("colour", "colour", "#000000", "fill colour"),),
        ),
        EffectType(
            "erase",
            "remove the object: fill it from its surroundings (inpainting)",
            "mask",
            (ParamSpec("smooth", "float", 4.0, "blur of the filled area, px sigma", 0, 50),),
            on_background=False,
        ),
        EffectType(
            "desaturate",
            "remove colour (greyscale)",
            "mask",
            (ParamSpec("amount", "float", 1.0, "0 = unchanged, 1 = fully grey", 0, 1),),
        ),
        EffectType(
            "colour_pop",
            "keep the object's colour, grey everything else",
            "inverse",
            (ParamSpec("amount", "float", 1.0, "how grey the rest becomes", 0, 1),),
        ),
        EffectType(
            "spotlight",
            "dim everything outside the object",
            "inverse",
            (ParamSpec("dim", "float", 0.65, "fraction of brightness removed outside", 0, 1),),
        ),
        EffectType(
            "outline",
            "a coloured ring around the object, optionally glowing",
            "band",
            (
                ParamSpec("width", "int", 4, "ring width in px", 1, 100),
                ParamSpec("colour", "colour", "#ffffff", "ring colour"),
                ParamSpec(
                    "glow", "float", 0.0, "glow radius (Gaussian sigma, px); 0 = crisp", 0, 100
                ),
            ),
            on_background=False,
        ),
        EffectType(
            "replace",
            "replace the target by a colour, an image or a blurred copy",
            "mask",
            (
                ParamSpec(
                    "mode",
                    "choice",
                    "colour",
                    "what to put there",
                    choices=("colour", "image", "blur"),
                ),
                ParamSpec("colour", "colour", "#00b140", "colour for mode=colour"),
                ParamSpec("image", "path", "", "image for mode=image (scaled to cover the frame)"),
                ParamSpec("strength", "float", 25.0, "blur sigma in px for mode=blur", 0.5, 200),
            ),
        ),
        EffectType(
            "cutout",
            "make the target transparent (adds an alpha channel: PNG / "
            "ProRes 4444); on the background it keeps only the objects",
            "mask",
            (),
        ),
        EffectType(
            "emoji",
            "an emoji or PNG that follows the object, hidden when it is absent",
            "overlay",
            (
                ParamSpec(
                    "emoji",
                    "emoji",
                    "🙂",
                    "bundled emoji (character or name) or a PNG path with alpha",
                ),
                ParamSpec(
                    "scale",
                    "float",
                    1.2,
                    "size relative to the object's larger bbox side",
                    0.05,
                    10,
                ),
                ParamSpec(
                    "anchor",
                    "choice",
                    "centroid",
                    "position: mask centroid, bbox centre or top of the bbox",
                    choices=("centroid", "bbox", "top"),
                ),
                ParamSpec(
                    "rotation", "float", 0.0, "rotation in degrees, counter-clockwise", -360, 360
                ),
                ParamSpec(
                    "smoothing",
                    "float",
                    0.6,
                    "temporal smoothing of position and size "
                    "(One Euro filter: weight of the past when still, less when moving; "
                    "0 = none)",
                    0,
                    0.95,
                ),
            ),
            on_background=False,
        ),
        EffectType(
            "face_blur",
            "anonymise a face: blur or pixelate an oval inscribed in the object's bounding box",
            "oval",
            (
                ParamSpec(
                    "mode", "choice", "blur", "blur or pixelate", choices=("blur", "pixelate")
                ),
                ParamSpec(
                    "strength",
                    "float",
                    0.3,
                    "blur sigma as a fraction of the oval's smaller diameter",
                    0.02,
                    1,
                ),
                ParamSpec(
                    "cells", "int", 4, "pixelate: blocks across the oval's smaller diameter", 2, 64
                ),
                ParamSpec("scale", "float", 1.2, "oval size relative to the bounding box", 0.3, 3),
            ),
            on_background=False,
        ),
    )
}


def all_params(t: EffectType) -> tuple[ParamSpec, ...]:
    """The type's own parameters followed by the shared edge options."""
    return t.params + EDGE_PARAMS
