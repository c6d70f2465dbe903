"""Parameter declarations and their validation (plain data in, canonical plain data out)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from effects.errors import EffectError

_HEX = re.compile(r"^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")


@dataclass(frozen=True)
class ParamSpec:
    """One documented parameter of an effect type.

    ``kind`` is one of ``int``, ``float``, ``choice``, ``colour``, ``path``, ``emoji``.
    ``lo``/``hi`` bound numbers (inclusive); ``choices`` lists the values of a ``choice``.
    """

    name: str
    kind: str
    default: Any
    doc: str
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] = ()

    def range_text(self) -> str:
        """Human-readable allowed values, used in errors and the README table."""
        if self.kind in ("int", "float"):
            return f"{_num(self.lo)} – {_num(self.hi)}"
        if self.kind == "choice":
            return " \\| ".join(self.choices)
        if self.kind == "colour":
            return '"#rrggbb" or [r, g, b]'
        if self.kind == "path":
            return 'PNG/JPEG path or ""'
        if self.kind == "emoji":
            return "bundled emoji (character or name) or a PNG path"
        raise AssertionError(self.kind)

    def coerce(self, effect: str, value: Any) -> Any:
        """Return the canonical value, or raise EffectError naming effect and parameter."""
        try:
            return _COERCE[self.kind](self, value)
        except _Bad as exc:
            raise EffectError(
                f'effect "{effect}": parameter "{self.name}" must be {exc.args[0]}, got {value!r}',
                effect=effect,
                param=self.name,
            ) from None


class _Bad(Exception):
    pass


def _num(x: float | None) -> str:
    if x is None:
        return "∞"
    return str(int(x)) if float(x).is_integer() else str(x)


def _int(spec: ParamSpec, v: Any) -> int:
    want = f"an integer in {spec.range_text()}"
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise _Bad(want)
    if isinstance(v, float):
        if not v.is_integer():
            raise _Bad(want)
        v = int(v)
    if (spec.lo is not None and v < spec.lo) or (spec.hi is not None and v > spec.hi):
        raise _Bad(want)
    return int(v)


def _float(spec: ParamSpec, v: Any) -> float:
    want = f"a number in {spec.range_text()}"
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise _Bad(want)
    if (spec.lo is not None and v < spec.lo) or (spec.hi is not None and v > spec.hi):
        raise _Bad(want)
    return float(v)


def _choice(spec: ParamSpec, v: Any) -> str:
    if v not in spec.choices:
        raise _Bad("one of " + ", ".join(spec.choices))
    return str(v)


def _colour(spec: ParamSpec, v: Any) -> str:
    want = 'a colour "#rrggbb" or [r, g, b] with 0–255 integers'
    if isinstance(v, str):
        m = _HEX.match(v.strip())
        if not m:
            raise _Bad(want)
        h = m.group(1)
        if len(h) == 3:
            h = "".join(c * 2 for c in h)
        return "#" + h.lower()
    if isinstance(v, (list, tuple)) and len(v) == 3:
        if all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 255 for c in v):
            return "#" + "".join(f"{c:02x}" for c in v)
    raise _Bad(want)


def _image_header_ok(path: str) -> None:
    """Header-only size check of a user image, so a huge one fails when the effect is validated
    (project load), not after tracking."""
    from effects.emoji import image_size_problem

    problem = image_size_problem(path)
    if problem is not None:
        raise _Bad(f"a usable image, but {path}: {problem}")


def _path(spec: ParamSpec, v: Any) -> str:
    if not isinstance(v, str):
        raise _Bad("a file path string")
    if v and Path(v).expanduser().is_file():
        _image_header_ok(str(Path(v).expanduser()))
    return v


def _emoji(spec: ParamSpec, v: Any) -> str:
    from effects.emoji import is_bundled_emoji, resolve_emoji  # local: index read on first use

    if not isinstance(v, str) or not v:
        raise _Bad("an emoji character, a bundled emoji name or a PNG path")
    path = resolve_emoji(v)
    if path is None:
        raise _Bad("a bundled emoji (see `effects.emoji.list_emoji()`) or an existing PNG path")
    if not is_bundled_emoji(v):
        _image_header_ok(str(path))
    return v


_COERCE: dict[str, Callable[[ParamSpec, Any], Any]] = {
    "int": _int,
    "float": _float,
    "choice": _choice,
    "colour": _colour,
    "path": _path,
    "emoji": _emoji,
}


def colour_rgb(hex_colour: str) -> tuple[int, int, int]:
    """``"#rrggbb"`` (canonical form) → ``(r, g, b)``."""
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)
