"""Model registry and weights handling, without network."""

from __future__ import annotations

import pytest
from model_helpers import DecodedClip, assert_masks_match

from model import registry
from model.errors import ModelError, WeightsUnavailableError
from model.tracking import Tracker, TrackingSession


@pytest.fixture(autouse=True)
def empty_cache(tmp_path, monkeypatch):
    """An empty ROTOKIT_CACHE and no hub access: nothing may be fetched."""
    monkeypatch.setenv("ROTOKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return tmp_path / "cache"


def test_registry_names_and_defaults():
    assert {"sam2.1-tiny", "sam2.1-small", "sam2.1-base-plus", "sam2.1-large", "edgetam"} <= set(
        registry.MODELS
    )
    assert registry.MODELS["sam2.1-tiny"].hub_id == "facebook/sam2.1-hiera-tiny"
    assert registry.MODELS["edgetam"].kind == "edgetam"
    assert registry.default_model("cpu") == "edgetam"
    assert registry.default_model("mps") == "edgetam"
    assert registry.default_model("cuda").startswith("sam2.1-")
    for device in ("cpu", "mps", "cuda"):
        assert not registry.is_random(registry.default_model(device))


def test_list_models_reports_nothing_cached(empty_cache):
    listed = {spec.name: spec for spec in registry.list_models()}
    assert not listed["edgetam"].cached and listed["edgetam"].path is None
    assert listed["test-random-micro"].hub_id is None


def test_offline_missing_weights_name_the_model_and_the_fix():
    with pytest.raises(WeightsUnavailableError) as info:
        registry.resolve_weights("sam2.1-small", offline=True)
    message = str(info.value)
    assert "sam2.1-small" in message
    assert "rotokit models download sam2.1-small" in message and "--weights" in message
    with pytest.raises(WeightsUnavailableError, match="'edgetam'"):
        registry.model_path("edgetam")
    with pytest.raises(WeightsUnavailableError, match="edgetam"):
        Tracker.load("edgetam", device="cpu", offline=True)


def test_unknown_model_and_bad_folders(tmp_path):
    with pytest.raises(WeightsUnavailableError, match="unknown model.*sam2.1-tiny"):
        registry.resolve_weights("sam3-huge")
    (tmp_path / "empty").mkdir()
    with pytest.raises(WeightsUnavailableError, match="config.json"):
        registry.resolve_weights(tmp_path / "empty")
    with pytest.raises(WeightsUnavailableError, match="no such folder"):
        registry.resolve_weights(tmp_path / "missing" / "weights")
    with pytest.raises(ModelError, match="device 'tpu'"):
        Tracker.load("test-random-micro", device="tpu")


def test_local_hf_folder_from_save_pretrained_gives_identical_masks(tmp_path, micro):
    folder = tmp_path / "micro-hf"
    micro.backend.model.save_pretrained(folder)
    assert (folder / "config.json").is_file() and (folder / "model.safetensors").is_file()
    assert not list(folder.glob("*.bin"))  # safetensors only
    loaded = Tracker.load(weights=folder, device="cpu", offline=True)
    assert not loaded.random_weights
    clip = DecodedClip("dog_ball.mp4", limit=10)

    def run(tracker):
        with TrackingSession(tracker, clip) as session:
            session.add_box(0, 1, [440, 190, 600, 280])
            return {f: m for f, m in session.propagate()}

    # same weights and code: identical up to a pixel whose logit is within float rounding of 0
    # (thread counts); every mask non-trivial, or the comparison would prove nothing
    assert_masks_match(run(loaded), run(micro), range(10), min_iou=0.9999)
