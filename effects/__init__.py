"""Pure per-frame effects on numpy RGB frames and masks. Imports neither Qt, torch, model nor app.

Effects are plain data (``{"type": "pixelate", "block": 24}``) parsed by `parse_effect`;
a `Compositor` applies a background stack and per-object stacks to each frame.
"""

from __future__ import annotations

from effects.catalog import EDGE_PARAMS, EFFECT_TYPES, EffectType
from effects.compositor import Compositor, ObjectLayer, compose
from effects.errors import EffectError
from effects.params import ParamSpec
from effects.spec import Effect, effects_table_markdown, parse_effect

__all__ = [
    "EDGE_PARAMS",
    "EFFECT_TYPES",
    "Compositor",
    "Effect",
    "EffectError",
    "EffectType",
    "ObjectLayer",
    "ParamSpec",
    "compose",
    "effects_table_markdown",
    "parse_effect",
]
