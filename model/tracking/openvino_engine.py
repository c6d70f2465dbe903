"""OpenVINO for EdgeTAM on the CPU: image encoder, memory attention and memory encoder as
compiled graphs.

The RepViT backbone + FPN neck (≈ a third of an EdgeTAM step in torch eager), the memory
attention (≈ a half) and the memory encoder (≈ 8 %) are exported once per model to OpenVINO IR
and run as compiled graphs, in fp32 (explicitly: on CPUs with bf16 units OpenVINO would otherwise
pick bf16, which moves masks). The memory attention graph has the steady state's token counts
baked in (full memory bank, the usual case after the first 16 frames); other shapes run the
torch module. Everything else — prompt encoder, mask decoder, perceiver, the memory bank itself —
stays in transformers' own torch code, so control flow is the library's; only float rounding
differs. What is traced and the drop-in modules: ``openvino_graphs``.

The IR lives in the weights' cache root (``ROTOKIT_CACHE`` or the Hugging Face hub cache) under
``rotokit-compiled/<key>/``, the key hashing the exported modules' weights, the input size and
the openvino / transformers / timm versions, so a new library or new weights export again and a
second start only reads the IR (plus OpenVINO's own compiled-blob cache in the same folder).
``openvino`` is an optional extra (``pip install rotokit[openvino]``); without it, or for
another model family or device, tracking runs in torch eager.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from model.tracking.openvino_graphs import (
    FeatureMaps,
    MemoryEncoderFeatures,
    OpenVinoMemoryAttention,
    OpenVinoMemoryEncoder,
    OpenVinoVisionEncoder,
    SteadyMemoryAttention,
    memory_attention_example,
    steady_memory_shape,
)

if TYPE_CHECKING:
    from transformers import EdgeTamVideoModel

__all__ = [
    "ENGINE_TORCH",
    "accelerate",
    "available",
    "compiled_cache_dir",
    "encoder_key",
    "engine_label",
    "steady_memory_shape",
]

log = logging.getLogger(__name__)

ENGINE_TORCH = "torch eager"
EXPORT_FORMAT = 5  # bump when what is exported changes
_CONFIG = {"INFERENCE_PRECISION_HINT": "f32", "PERFORMANCE_HINT": "LATENCY"}


def available() -> bool:
    try:
        import openvino  # noqa: F401
    except ImportError:
        return False
    return True


def compiled_cache_dir() -> Path:
    """Beside the weights: ``$ROTOKIT_CACHE`` or the Hugging Face hub cache,
    ``rotokit-compiled``."""
    from model import registry

    root = registry.cache_dir()
    if root is None:
        from huggingface_hub import constants

        root = Path(constants.HF_HUB_CACHE)
    return root / "rotokit-compiled"


def _versions() -> str:
    import openvino
    import timm
    import transformers

    return (
        f"ov{openvino.get_version().split('-')[0]}-tf{transformers.__version__}"
        f"-timm{timm.__version__}-f{EXPORT_FORMAT}"
    )


def encoder_key(modules: list[nn.Module], image_size: int) -> str:
    """Hash of the exported modules' (inference-folded) weights + input size + library versions."""
    digest = hashlib.blake2b(digest_size=12)
    for name, tensor in ((n, t) for m in modules for n, t in m.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    digest.update(f"{image_size}-{_versions()}".encode())
    return digest.hexdigest()


GRAPHS = ("vision_encoder", "memory_attention", "memory_encoder")  # the IR files of a key


def _traced(model: EdgeTamVideoModel, image_size: int) -> dict[str, tuple[nn.Module, Any]]:
    """Each graph's traced module and example input, by IR file name."""
    config = model.config
    frames, pointers, _ = steady_memory_shape(config)
    features, masks = _memory_encoder_shapes(model, image_size)
    generator = torch.Generator().manual_seed(0)
    memory_example = (
        torch.randn(*features, generator=generator),
        # the mask input is sigmoid(logits) scaled and shifted: about -10..10
        torch.rand(*masks, generator=generator) * 20 - 10,
    )
    return {
        "vision_encoder": (
            FeatureMaps(model.vision_encoder, _projections(model)).eval(),
            torch.zeros(1, 3, image_size, image_size),
        ),
        "memory_attention": (
            SteadyMemoryAttention(model.memory_attention, frames, pointers).eval(),
            memory_attention_example(config),
        ),
        "memory_encoder": (MemoryEncoderFeatures(model.memory_encoder).eval(), memory_example),
    }


def _memory_encoder_shapes(
    model: EdgeTamVideoModel, image_size: int
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(frame features, mask) shapes of one object's memory encoding: what is exported."""
    height, width = model.backbone_feature_sizes[-1]
    hidden = int(model.config.memory_encoder_hidden_size)
    return (1, hidden, height, width), (1, 1, image_size, image_size)


def _projections(model: EdgeTamVideoModel) -> tuple[nn.Module, nn.Module]:
    decoder = model.mask_decoder
    return decoder.conv_s0, decoder.conv_s1


def _check_rewrite(model: EdgeTamVideoModel, traced: nn.Module, example: Any) -> None:
    """rotokit's NCHW form of the memory encoder must compute what transformers' module does
    (float rounding apart); a transformers release that changes the module fails here, at
    export, and ``auto`` falls back to torch."""
    with torch.inference_mode():
        want = model.memory_encoder(*example)[0]
        got = traced(*example)
    error = float((got - want).abs().max() / want.abs().max().clamp_min(1e-6))
    if not error <= 1e-4:
        raise RuntimeError(
            "the memory encoder's export form no longer matches transformers' module "
            f"(relative error {error:.1e})"
        )


def _export(model: EdgeTamVideoModel, image_size: int, folder: Path) -> None:
    """Trace + convert every graph to IR (fp32 weights kept: ``compress_to_fp16=False``), into a
    temp folder renamed into place."""
    import openvino as ov

    graphs = _traced(model, image_size)
    _check_rewrite(model, *graphs["memory_encoder"])
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=folder.parent))
    try:
        for name, (traced, example) in graphs.items():
            inputs = example if isinstance(example, tuple) else (example,)
            with torch.no_grad():  # static shapes: the dynamic ones convert_model gives by
                # default are slower (bench/tracking_levers.py, "static shapes" rows)
                graph = ov.convert_model(
                    traced, example_input=example, input=[tuple(t.shape) for t in inputs]
                )
            ov.save_model(graph, str(tmp / f"{name}.xml"), compress_to_fp16=False)
        try:
            tmp.rename(folder)
        except OSError:  # another process exported the same key meanwhile
            if not _exported(folder):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _exported(folder: Path) -> bool:
    return all((folder / f"{name}.xml").is_file() for name in GRAPHS)


def accelerate(model: EdgeTamVideoModel, image_size: int, threads: int | None = None) -> str:
    """Run ``model``'s image encoder, steady-state memory attention and memory encoder through
    OpenVINO (export on first use, then read from the cache); returns the engine label for the
    status bar / CLI, or raises for the caller to fall back on torch."""
    import openvino as ov

    if isinstance(model.vision_encoder, OpenVinoVisionEncoder):
        return engine_label()
    from transformers.models.edgetam.modeling_edgetam import EdgeTamVisionEncoderOutput

    modules = [getattr(model, name) for name in GRAPHS]
    projections = _projections(model)
    folder = compiled_cache_dir() / encoder_key([*modules, *projections], image_size)
    if not _exported(folder):
        log.warning(
            "rotokit: exporting the image encoder, memory attention and memory encoder to "
            "OpenVINO (once per model and library version, a minute or two) into %s",
            folder,
        )
        t0 = time.perf_counter()
        _export(model, image_size, folder)
        log.warning("rotokit: OpenVINO export done in %.0f s", time.perf_counter() - t0)
    core = ov.Core()
    config: dict[str, str | int] = dict(_CONFIG, CACHE_DIR=str(folder / "blob"))
    config["INFERENCE_NUM_THREADS"] = int(threads or torch.get_num_threads() or os.cpu_count() or 1)
    compiled = {
        name: core.compile_model(str(folder / f"{name}.xml"), "CPU", config) for name in GRAPHS
    }
    vision, attention, memory = modules
    model.vision_encoder = OpenVinoVisionEncoder(
        vision, projections, compiled["vision_encoder"], image_size, EdgeTamVisionEncoderOutput
    )
    # the encoder graph applies them (the video model's get_image_features is their only user)
    model.mask_decoder.conv_s0 = nn.Identity()  # type: ignore[assignment]
    model.mask_decoder.conv_s1 = nn.Identity()  # type: ignore[assignment]
    model.memory_attention = OpenVinoMemoryAttention(  # type: ignore[assignment]  # drop-in
        attention, compiled["memory_attention"], steady_memory_shape(model.config)
    )
    model.memory_encoder = OpenVinoMemoryEncoder(  # type: ignore[assignment]  # drop-in
        memory,
        compiled["memory_encoder"],
        _memory_encoder_shapes(model, image_size),
    )
    return engine_label()


def engine_label() -> str:
    import openvino as ov

    return (
        f"OpenVINO {ov.get_version().split('-')[0]} fp32 "
        "(image encoder, memory attention, memory encoder) + torch"
    )
