"""Effects as plain data: parse/validate a ``{"type": ..., **params}`` dict and round-trip it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from effects.catalog import EDGE_PARAMS, EFFECT_TYPES, EffectType, all_params
from effects.errors import EffectError


@dataclass(frozen=True)
class Effect:
    """A validated effect: its ``type`` and every parameter (defaults filled in).

    Read parameters as ``effect["block"]``; ``to_dict()`` gives back the plain project-file form.
    """

    type: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Freeze the mapping too, so an Effect can be shared between threads and layers.
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    def __getitem__(self, name: str) -> Any:
        return self.params[name]

    @property
    def spec(self) -> EffectType:
        return EFFECT_TYPES[self.type]

    def to_dict(self) -> dict[str, Any]:
        """The project-file form; ``parse_effect(e.to_dict()) == e``."""
        return {"type": self.type, **self.params}

    def replace(self, **changes: Any) -> Effect:
        """A validated copy with some parameters changed (the GUI's edit path)."""
        return parse_effect({**self.to_dict(), **changes})


def parse_effect(d: Mapping[str, Any] | Effect) -> Effect:
    """Validate a plain effect dict and fill its defaults.

    Raises
    ------
    EffectError
        Unknown type, unknown parameter, or a value of the wrong kind / out of range; the
        message names the effect and the parameter.
    """
    if isinstance(d, Effect):
        return d
    if not isinstance(d, Mapping):
        raise EffectError(f'an effect must be an object like {{"type": "blur"}}, got {d!r}')
    kind = d.get("type")
    if not isinstance(kind, str) or kind not in EFFECT_TYPES:
        known = ", ".join(EFFECT_TYPES)
        if kind is None:
            raise EffectError(f'effect has no "type" (one of: {known})', param="type")
        raise EffectError(
            f'unknown effect type "{kind}" (known: {known})', effect=str(kind), param="type"
        )
    t = EFFECT_TYPES[kind]
    specs = {p.name: p for p in all_params(t)}
    for name in d:
        if name != "type" and name not in specs:
            raise EffectError(
                f'effect "{kind}": unknown parameter "{name}" (known: {", ".join(specs)})',
                effect=kind,
                param=name,
            )
    params = {
        name: p.coerce(kind, d[name]) if name in d else p.default for name, p in specs.items()
    }
    if kind == "replace" and params["mode"] == "image" and not params["image"]:
        raise EffectError(
            'effect "replace": parameter "image" is required when mode is "image"',
            effect=kind,
            param="image",
        )
    return Effect(kind, params)


def effects_table_markdown() -> str:
    """The README table of every effect type and parameter, generated from EFFECT_TYPES."""
    rows = [
        "| effect | applies to | parameter | type | default | range | meaning |",
        "|---|---|---|---|---|---|---|",
    ]
    for t in EFFECT_TYPES.values():
        where = " + ".join(
            w for w, ok in (("objects", t.on_objects), ("background", t.on_background)) if ok
        )
        first = True
        for p in t.params or (None,):
            head = f"`{t.name}` — {t.doc}" if first else ""
            where_cell = where if first else ""
            first = False
            if p is None:
                rows.append(f"| {head} | {where_cell} | — | | | | only the edge options |")
                continue
            rows.append(
                f"| {head} | {where_cell} | `{p.name}` | {p.kind} | "
                f"`{_show(p.default)}` | {p.range_text()} | {p.doc} |"
            )
    for p in EDGE_PARAMS:
        rows.append(
            f"| *edge options (every effect)* | | `{p.name}` | {p.kind} | "
            f"`{_show(p.default)}` | {p.range_text()} | {p.doc} |"
        )
    return "\n".join(rows) + "\n"


def _show(v: Any) -> str:
    return '""' if v == "" else str(v)
