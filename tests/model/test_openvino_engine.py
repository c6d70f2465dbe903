"""The OpenVINO image-encoder engine (P8): masks vs transformers' torch loop, export cache,
fallback. Micro EdgeTAM with non-trivial random weights (DESIGN.md §5) so masks are real
image-dependent shapes, not empty."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch
from model_helpers import DecodedClip, reference_masks

from model.errors import ModelError
from model.testmodels import build_random_model
from model.tracking import Tracker, TrackingSession, openvino_engine

pytest.importorskip("openvino")

DOG_BOX = [440, 190, 600, 280]
FRAMES = 24  # > 16 object pointers + 7 memories: the compiled memory attention runs


def nontrivial(name: str = "test-random-micro-edgetam"):
    """Random weights whose masks are neither empty nor full (DESIGN.md §5, applied by
    `build_random_model`)."""
    return build_random_model(name)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ROTOKIT_CACHE", str(tmp_path))
    return tmp_path / "rotokit-compiled"


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = (a | b).sum()
    return 1.0 if union == 0 else float((a & b).sum() / union)


def test_openvino_masks_match_transformers_torch_loop(cache):
    fast = Tracker.from_model(nontrivial(), "ov", engine="openvino")
    reference = Tracker.from_model(nontrivial(), "ref", optimize=False)
    assert fast.engine.startswith("OpenVINO") and "memory attention" in fast.engine
    assert reference.engine == "torch eager"
    assert list(cache.glob("*/vision_encoder.xml"))  # exported beside the weights' cache
    clip = DecodedClip("dog_ball.mp4", limit=FRAMES)
    with TrackingSession(fast, clip) as session:
        session.add_box(0, 1, DOG_BOX)
        ours = {f: m[1].mask for f, m in session.propagate()}
    ref = reference_masks(reference, clip, {1: (0, {"box": DOG_BOX})}, start=0)
    assert sorted(ours) == list(range(FRAMES))
    assert fast.backend.model.memory_attention.compiled_calls >= 4  # the steady state was compiled
    assert fast.backend.model.memory_encoder.compiled_calls == FRAMES  # every frame's memory
    for f in range(FRAMES):
        coverage = ref[f][1].mask.mean()
        assert 0.02 < coverage < 0.98, (f, coverage)  # the weights really make masks
        assert _iou(ours[f], ref[f][1].mask) >= 0.999, f


def test_the_encoder_graph_and_its_torch_fallback_give_the_same_projected_features(cache):
    """The graph also applies the mask decoder's high-resolution projections (conv_s0/conv_s1,
    made identities in the decoder); a shape it was not exported for (here two frames at once)
    runs in torch and must come out the same, projections included."""
    tracker = Tracker.from_model(nontrivial(), "ov", engine="openvino")
    model = tracker.backend.model
    size = tracker.image_size
    frames = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        graph = model.vision_encoder(frames[:1]).fpn_hidden_states
        fallback = model.vision_encoder(frames).fpn_hidden_states
        projected = model.get_image_features(frames[:1]).fpn_hidden_states
    hidden = model.config.mask_decoder_config.hidden_size
    expected = [hidden // 8, hidden // 4, hidden]  # conv_s0, conv_s1, untouched lowest level
    assert [m.shape[1] for m in graph] == [m.shape[1] for m in fallback] == expected
    for ours, torch_path in zip(graph, fallback, strict=True):
        torch.testing.assert_close(ours[0], torch_path[0], rtol=1e-4, atol=1e-5)
    assert projected[0].shape[-1] == hidden // 8  # get_image_features projects once, not twice


def test_export_happens_once_per_weights_then_is_read_from_the_cache(cache, caplog):
    with caplog.at_level(logging.WARNING, logger="model.tracking.openvino_engine"):
        Tracker.from_model(nontrivial(), "first", engine="openvino")
        assert "exporting the image encoder, memory attention and memory encoder" in caplog.text
        caplog.clear()
        Tracker.from_model(nontrivial(), "again", engine="openvino")
        assert "exporting" not in caplog.text
    assert len(list(cache.glob("*/vision_encoder.xml"))) == 1
    other = nontrivial()
    with torch.no_grad():  # other encoder weights: another key (of the decoder's weights only
        # the two projections the encoder graph applies count)
        other.vision_encoder.neck.convs[0].bias.add_(0.01)
    Tracker.from_model(other, "other", engine="openvino")
    assert len(list(cache.glob("*/vision_encoder.xml"))) == 2


def test_a_memory_encoder_that_no_longer_matches_its_export_form_is_not_exported(cache, caplog):
    """Should a transformers release change the memory encoder, rotokit's NCHW rewrite of it
    would compute something else: the export refuses, auto falls back to torch, loudly."""

    def changed(model):
        encoder = model.memory_encoder
        library_forward = encoder.forward
        encoder.forward = lambda features, masks: tuple(
            t * 1.01 for t in library_forward(features, masks)
        )
        return model

    with caplog.at_level(logging.WARNING):
        tracker = Tracker.from_model(changed(nontrivial()), "changed", engine="auto")
    assert tracker.engine == "torch eager (OpenVINO failed)"
    assert "memory encoder's export form no longer matches" in caplog.text
    assert not list(cache.glob("*/memory_encoder.xml"))
    with pytest.raises(ModelError, match="no longer matches transformers' module"):
        Tracker.from_model(changed(nontrivial()), "changed", engine="openvino")


def test_without_openvino_auto_falls_back_to_torch_and_explicit_request_fails(cache, monkeypatch):
    monkeypatch.setattr(openvino_engine, "available", lambda: False)
    tracker = Tracker.from_model(nontrivial(), "auto", engine="auto")
    assert tracker.engine == "torch eager (OpenVINO not installed)"
    assert not list(cache.glob("*/vision_encoder.xml"))
    with pytest.raises(ModelError, match="openvino package is not installed"):
        Tracker.from_model(nontrivial(), "ov", engine="openvino")
    with pytest.raises(ModelError, match="engine 'fast'"):
        Tracker.from_model(nontrivial(), "bad", engine="fast")


def test_sam2_models_stay_on_torch(cache):
    tracker = Tracker.load("test-random-micro", device="cpu")
    assert tracker.engine == "torch eager"
    with pytest.raises(ModelError, match="EdgeTAM models on the CPU only"):
        Tracker.load("test-random-micro", device="cpu", engine="openvino")


def test_the_default_engine_is_openvino_and_can_be_turned_off(cache, monkeypatch):
    monkeypatch.delenv("ROTOKIT_ENGINE", raising=False)
    assert Tracker.from_model(nontrivial(), "default").engine.startswith("OpenVINO")
    assert list(cache.glob("*/vision_encoder.xml"))
    monkeypatch.setenv("ROTOKIT_ENGINE", "torch")
    assert Tracker.from_model(nontrivial(), "opted out").engine == "torch eager"


def test_track_command_names_the_engine(cache, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ROTOKIT_ENGINE", "openvino")
    import json
    import shutil

    from model_helpers import clip_path

    from app.cli import main

    shutil.copy(clip_path("dog_ball.mp4"), tmp_path / "dog_ball.mp4")
    project = tmp_path / "edit.rotokit"
    project.write_text(
        json.dumps(
            {
                "rotokit": 1,
                "video": "dog_ball.mp4",
                "objects": [{"id": 1, "name": "dog", "prompts": [{"frame": 0, "box": DOG_BOX}]}],
            }
        ),
        encoding="utf-8",
    )
    code = main(
        [
            "track",
            str(project),
            "--model",
            "test-random-micro-edgetam",
            "--offline",
            "--range",
            "0:3",
        ]
    )
    out = capsys.readouterr()
    assert code == 0
    assert "engine: OpenVINO" in out.out + out.err
