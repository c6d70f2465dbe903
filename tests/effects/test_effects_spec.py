"""Effects are plain data: validation names what is wrong, every type round-trips."""

from __future__ import annotations

import json

import pytest

import effects
from effects import EFFECT_TYPES, EffectError, parse_effect

# one non-default value per parameter, so the round trip proves values survive, not defaults
NON_DEFAULT = {
    "int": lambda p: int(p.hi if p.hi is not None and p.default != p.hi else p.lo),
    "float": lambda p: round(p.lo + 0.37 * (p.hi - p.lo), 3),
    "choice": lambda p: p.choices[-1],
    "colour": lambda p: [12, 34, 56],
    "path": lambda p: "background.png",
    "emoji": lambda p: "🐶",
}


@pytest.mark.parametrize("kind", list(EFFECT_TYPES))
def test_defaults_filled_and_round_trip(kind: str) -> None:
    e = parse_effect({"type": kind})
    d = e.to_dict()
    assert set(d) == {"type", *(p.name for p in effects.catalog.all_params(e.spec))}
    assert parse_effect(json.loads(json.dumps(d, ensure_ascii=False))) == e


@pytest.mark.parametrize("kind", list(EFFECT_TYPES))
def test_non_default_values_round_trip(kind: str) -> None:
    spec = {"type": kind}
    for p in effects.catalog.all_params(EFFECT_TYPES[kind]):
        spec[p.name] = NON_DEFAULT[p.kind](p)
    if kind == "replace":
        spec["mode"] = "image"
    e = parse_effect(spec)
    for p in effects.catalog.all_params(EFFECT_TYPES[kind]):
        assert e[p.name] != p.default or p.name == "mode", p.name
    assert parse_effect(json.loads(json.dumps(e.to_dict()))) == e
    if "colour" in e.params:
        assert e["colour"] == "#0c2238"  # canonical form of [12, 34, 56]


def test_unknown_type_is_named() -> None:
    with pytest.raises(EffectError, match='unknown effect type "pixelat"') as exc:
        parse_effect({"type": "pixelat"})
    assert exc.value.effect == "pixelat" and exc.value.param == "type"
    assert isinstance(exc.value, ValueError)
    with pytest.raises(EffectError, match='no "type"'):
        parse_effect({"block": 3})
    with pytest.raises(EffectError, match="unknown effect type"):
        parse_effect({"type": ["blur"]})
    with pytest.raises(EffectError, match="must be an object"):
        parse_effect("blur")


@pytest.mark.parametrize(
    "spec, param",
    [
        ({"type": "pixelate", "blok": 4}, "blok"),  # unknown parameter
        ({"type": "pixelate", "block": 1}, "block"),  # below range
        ({"type": "pixelate", "block": "big"}, "block"),  # wrong type
        ({"type": "pixelate", "block": 4.5}, "block"),  # not an integer
        ({"type": "pixelate", "block": True}, "block"),  # bool is not a number here
        ({"type": "blur", "strength": float("nan")}, "strength"),
        ({"type": "fill", "colour": "#12345g"}, "colour"),
        ({"type": "fill", "colour": [0, 0, 300]}, "colour"),
        ({"type": "emoji", "emoji": "no-such-emoji"}, "emoji"),
        ({"type": "replace", "mode": "video"}, "mode"),
        ({"type": "replace", "mode": "image"}, "image"),  # image required for mode=image
        ({"type": "blur", "feather": -1}, "feather"),
        ({"type": "blur", "grow": 500}, "grow"),
    ],
)
def test_bad_parameter_names_effect_and_parameter(spec: dict, param: str) -> None:
    with pytest.raises(EffectError) as exc:
        parse_effect(spec)
    msg = str(exc.value)
    assert f'"{spec["type"]}"' in msg and f'"{param}"' in msg, msg
    assert (exc.value.effect, exc.value.param) == (spec["type"], param)


def test_colour_forms_and_emoji_names() -> None:
    assert parse_effect({"type": "fill", "colour": "#FA0"})["colour"] == "#ffaa00"
    assert parse_effect({"type": "emoji", "emoji": "dog"})["emoji"] == "dog"
    assert parse_effect({"type": "emoji", "emoji": "❤"})["emoji"] == "❤"  # without U+FE0F


def test_object_only_effect_on_background_is_refused() -> None:
    with pytest.raises(EffectError, match='"face_blur" cannot be used on the background'):
        effects.Compositor(background=[{"type": "face_blur"}])


def test_table_documents_every_type_and_parameter() -> None:
    table = effects.effects_table_markdown()
    for kind, t in EFFECT_TYPES.items():
        assert f"`{kind}`" in table
        for p in effects.catalog.all_params(t):
            assert f"`{p.name}`" in table


def test_effect_replace_validates() -> None:
    e = parse_effect({"type": "pixelate"})
    assert e.replace(block=40)["block"] == 40
    with pytest.raises(EffectError, match='"block"'):
        e.replace(block=0)


def test_docs_table_is_up_to_date():
    """docs/effects/README.md carries the generated table; regenerate it when parameters change."""
    from pathlib import Path

    doc = Path(__file__).resolve().parents[2] / "docs" / "effects" / "README.md"
    assert effects.effects_table_markdown() in doc.read_text(encoding="utf-8")
