"""A batch worker keeps the tracking model it loaded: `Tracker.load` asked again for the same
model (however the arguments are spelled) returns that object; another model replaces it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from app.batch.worker import _share_trackers
from model.tracking import Tracker


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """`Tracker.load` replaced by a recorder (restored after the test, patch included)."""
    calls: list[tuple[Any, ...]] = []

    def fake_load(
        cls: type, name: str = "auto", weights: Any = None, device: str = "auto", **kw: Any
    ) -> object:
        calls.append((cls, name, weights, device, kw))
        return object()

    monkeypatch.setattr(Tracker, "load", classmethod(fake_load))
    return calls


def test_same_model_is_loaded_once_however_it_is_asked_for(loads: list[tuple[Any, ...]]) -> None:
    _share_trackers(torch.get_num_threads())  # the thread count this process already uses
    _share_trackers(torch.get_num_threads())  # a second worker setup does not wrap it twice
    first = Tracker.load("edgetam", weights=Path("/w"))
    assert Tracker.load(name="edgetam", weights="/w") is first
    assert Tracker.load("edgetam", Path("/w"), "auto") is first
    assert len(loads) == 1
    assert loads[0][0] is Tracker and loads[0][1] == "edgetam"


def test_another_model_replaces_the_kept_one(loads: list[tuple[Any, ...]]) -> None:
    _share_trackers(torch.get_num_threads())
    a = Tracker.load("edgetam")
    b = Tracker.load("sam2-tiny")
    assert b is not a
    assert Tracker.load("edgetam") is not a  # one model kept at a time: loaded again
    assert [c[1] for c in loads] == ["edgetam", "sam2-tiny", "edgetam"]
