"""Rebuild the bundled emoji PNGs from the OpenMoji npm package (not imported by rotokit).

Run from a scratch venv that has ``cairosvg`` and ``pillow`` (neither is a rotokit dependency)::

    npm pack openmoji && tar xzf openmoji-*.tgz            # -> ./package/color/svg/*.svg
    python resources/emoji/rasterise_openmoji.py package resources/emoji

Each SVG is rendered at 512x512 (sharp on a 400 px head at 1080p), its transparent margin is
kept (OpenMoji draws on a 72x72 grid with a consistent margin, so sizes stay comparable), and the
result is palette-quantised with alpha to keep the set small.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

SIZE = 512

# (emoji, short name) — the curated set: faces, animals and objects people put on heads.
CURATED = [
    ("😀", "grinning"), ("😂", "joy"), ("😍", "heart_eyes"), ("😎", "sunglasses"),
    ("🤔", "thinking"), ("😱", "scream"), ("😴", "sleeping"), ("😇", "halo"),
    ("😡", "angry"), ("🥳", "party"), ("😷", "mask"), ("🤠", "cowboy"),
    ("🥸", "disguise"), ("😶", "no_mouth"), ("🙂", "smile"), ("😉", "wink"),
    ("🤡", "clown"), ("🤖", "robot"), ("👽", "alien"), ("👻", "ghost"),
    ("💀", "skull"), ("🎃", "pumpkin"), ("💩", "poo"), ("🙈", "see_no_evil"),
    ("🐶", "dog"), ("🐱", "cat"), ("🐭", "mouse"), ("🐰", "rabbit"),
    ("🦊", "fox"), ("🐻", "bear"), ("🐼", "panda"), ("🐨", "koala"),
    ("🐯", "tiger"), ("🦁", "lion"), ("🐮", "cow"), ("🐷", "pig"),
    ("🐸", "frog"), ("🐵", "monkey"), ("🐔", "chicken"), ("🐧", "penguin"),
    ("🦄", "unicorn"), ("🐙", "octopus"), ("❤️", "heart"), ("⭐", "star"),
    ("🔥", "fire"), ("🌞", "sun"), ("🍕", "pizza"), ("⚽", "soccer"),
    ("🏀", "basketball"), ("🎈", "balloon"), ("👑", "crown"), ("🎩", "top_hat"),
]


def main(package: Path, out: Path) -> None:
    import cairosvg
    from PIL import Image

    meta = json.loads((package / "data" / "openmoji.json").read_text(encoding="utf-8"))
    # OpenMoji sometimes spells an emoji with U+FE0F (emoji presentation), sometimes without.
    by_emoji = {m["emoji"].replace("\ufe0f", ""): m for m in meta}
    index = []
    for char, name in CURATED:
        m = by_emoji.get(char.replace("\ufe0f", ""))
        if m is None:
            raise SystemExit(f"{char} ({name}) not in OpenMoji")
        svg = package / "color" / "svg" / f"{m['hexcode']}.svg"
        png = cairosvg.svg2png(url=str(svg), output_width=SIZE, output_height=SIZE)
        img = Image.open(io.BytesIO(png)).convert("RGBA")
        # Palette with alpha: flat-colour art survives 255 colours without visible banding.
        q = img.quantize(colors=255, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
        # the octree merges alpha too (opaque areas came out as 254): snap near-opaque and
        # near-transparent palette entries back, so covered pixels are really covered
        pal = q.getpalette("RGBA")
        for i in range(3, len(pal), 4):
            pal[i] = 255 if pal[i] >= 250 else (0 if pal[i] <= 3 else pal[i])
        q.putpalette(pal, "RGBA")
        fname = f"{name}.png"
        q.save(out / fname, optimize=True)
        index.append({"emoji": char, "name": name, "file": fname, "hexcode": m["hexcode"],
                      "annotation": m["annotation"], "author": m["openmoji_author"]})
    (out / "index.json").write_text(json.dumps({"source": "OpenMoji 17.0.0 (npm: openmoji)",
                                                "license": "CC BY-SA 4.0",
                                                "size": SIZE, "emoji": index},
                                               ensure_ascii=False, indent=1) + "\n",
                                    encoding="utf-8")
    print(f"{len(index)} emoji written to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
