"""Issue 11 item 8: effect images are size-checked from their header before any decode."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from app.cli import main
from effects import EffectError, parse_effect
from effects import emoji as emoji_module
from tests.safety.imagegen import huge_png


@pytest.fixture
def no_decode(monkeypatch):
    """Fail the test if anything hands the file to OpenCV's decoder."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"decoded {args[0]}")

    monkeypatch.setattr(emoji_module.cv2, "imread", refuse)


def test_huge_emoji_png_refused_at_project_load_with_the_limit(make_project, tmp_path, capsys):
    project = make_project(
        objects=[
            {
                "id": 1,
                "name": "b",
                "prompts": [{"frame": 0, "box": [200, 100, 400, 260]}],
                "effects": [{"type": "emoji", "emoji": "big.png"}],
            }
        ]
    )
    huge_png(project.parent / "big.png")
    assert main(["render", str(project), "-o", str(tmp_path / "o.mp4"), "-q"]) == 1
    err = capsys.readouterr().err
    assert "big.png" in err and "400 megapixels" in err and "limit of 40 megapixels" in err
    assert len(err.strip().splitlines()) == 1


def test_huge_replace_image_refused_without_decoding(tmp_path, no_decode):
    path = huge_png(tmp_path / "bg.png", 9000, 9000)  # 81 MP: under Pillow's own bomb limit
    with pytest.raises(EffectError, match="9000×9000, over the limit of 40 megapixels"):
        parse_effect({"type": "replace", "mode": "image", "image": str(path)})
    with pytest.raises(EffectError, match="over the limit"):
        emoji_module.load_image_rgb(str(path), effect="replace", param="image")
    with pytest.raises(EffectError, match="over the limit"):
        emoji_module.load_emoji(str(path))


def test_images_under_the_limit_still_load(tmp_path):
    path = tmp_path / "ok.png"
    cv2.imwrite(str(path), np.full((300, 200, 4), 255, np.uint8))
    parse_effect({"type": "emoji", "emoji": str(path)})
    assert emoji_module.load_emoji(str(path)).shape == (300, 200, 4)
