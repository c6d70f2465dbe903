"""Fixtures for the mask-trust tests: a short real clip and non-trivial random micro weights."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(1, str(HERE))

from masks_helpers import cut_clip  # noqa: E402


@pytest.fixture(scope="session")
def short_clip(tmp_path_factory) -> Path:
    return cut_clip(tmp_path_factory.mktemp("clip") / "clip.mp4")


@pytest.fixture(scope="session")
def weights(tmp_path_factory) -> Path:
    """test-random-micro with DESIGN.md §5's non-trivial weights, saved as an HF folder (the
    CLI takes it as `--model DIR`)."""
    from model.testmodels import build_random_model

    folder = tmp_path_factory.mktemp("weights") / "micro-nontrivial"
    build_random_model("test-random-micro").save_pretrained(folder)
    return folder
