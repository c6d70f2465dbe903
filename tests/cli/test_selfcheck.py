"""`rotokit selfcheck`: rotokit vs transformers' own loop on the same weights, per-frame IoU."""

from __future__ import annotations

import re

import numpy as np
import pytest

from app.cli import main


def _ious(out: str) -> list[float]:
    return [float(v) for v in re.findall(r"IoU (\d\.\d+) \(mask", out)]


@pytest.mark.slow
def test_selfcheck_passes_on_the_real_edgetam_architecture(capsys, monkeypatch, tmp_path):
    """The check CI runs: the real EdgeTAM architecture (non-trivial random weights, a separately
    built unoptimised reference), two objects, the bundled clip; few frames to stay quick. With
    the default engine, as a user runs it: OpenVINO's compiled graphs."""
    monkeypatch.delenv("ROTOKIT_ENGINE", raising=False)
    monkeypatch.setenv("ROTOKIT_CACHE", str(tmp_path))
    assert main(["selfcheck", "--model", "test-random-edgetam", "--frames", "2"]) == 0
    out = capsys.readouterr().out
    assert "engine OpenVINO" in out
    assert "frame    0:" in out and "frame    1:" in out
    ious = _ious(out)
    assert len(ious) == 4 and min(ious) >= 0.999
    coverage = [float(v) for v in re.findall(r"\(mask (\d+\.\d)% of frame\)", out)]
    assert all(2 <= c <= 98 for c in coverage), coverage  # masks worth comparing
    assert re.search(r"worst IoU (1\.0+|0\.999\d+) \(frame \d, object \d\): PASS", out)


def test_selfcheck_on_a_given_clip(capsys, media_dir):
    assert (
        main(
            [
                "selfcheck",
                "--model",
                "test-random-micro",
                "--clip",
                str(media_dir / "odd_size.mp4"),
                "--frames",
                "3",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "odd_size.mp4, 3 frames 641x359" in out
    assert len(_ious(out)) == 6 and "PASS" in out


def test_selfcheck_exits_1_when_rotokit_differs(capsys, monkeypatch):
    """A rotokit that shifts its masks by 4 px (a broken post-processing) must fail the check."""
    import model.tracking.session as session_module

    original = session_module.logits_to_masks

    def shifted(logits, height, width):
        return np.roll(original(logits, height, width), 4, axis=2)

    monkeypatch.setattr(session_module, "logits_to_masks", shifted)
    assert main(["selfcheck", "--model", "test-random-micro", "--frames", "2", "-q"]) == 1
    captured = capsys.readouterr()
    assert re.search(
        r"worst IoU 0\.\d+ \(frame \d, object \d\): FAIL \(threshold 0\.999\)", captured.err
    )


def test_selfcheck_errors_are_one_line(capsys, tmp_path):
    assert main(["selfcheck", "--model", "test-random-micro", "--frames", "1"]) == 1
    assert "at least 2 frames" in capsys.readouterr().err
    assert main(["selfcheck", "--weights", str(tmp_path / "nowhere"), "--offline"]) == 1
    assert "nowhere" in capsys.readouterr().err
