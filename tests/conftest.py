"""Shared fixtures: the real clips in ../shared/media (see tests/shared_media.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.shared_media import CLIPS, MEDIA, REPO, clip_path  # noqa: F401  (re-exported)

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# rotokit's shims over transformers internals raise instead of falling back: a transformers
# release that changes them fails the suite (see model/tracking/hf_backend.py).
os.environ["ROTOKIT_STRICT_SHIMS"] = "1"
# The suite runs torch eager unless a test asks otherwise: the parity suite compares the torch
# path with transformers' loop logit for logit. The default engine (OpenVINO graphs for EdgeTAM
# on the CPU) is tested with this variable removed: tests/model/test_openvino_engine.py (masks vs
# transformers' loop, export cache, fallback) and the selfcheck on the real EdgeTAM architecture.
os.environ.setdefault("ROTOKIT_ENGINE", "torch")


@pytest.fixture(scope="session")
def media_dir() -> Path:
    if not MEDIA.is_dir():
        raise RuntimeError(f"test media not found at {MEDIA} (set ROTOKIT_MEDIA)")
    return MEDIA
