"""OpenVINO for EdgeTAM's image encoder on the CPU: the largest single cost of a tracking step.

The RepViT backbone + FPN neck (≈ half of an EdgeTAM step in torch eager) is exported once per
model to OpenVINO IR and run as one compiled graph, in fp32 (explicitly: on CPUs with bf16 units
OpenVINO would otherwise pick bf16, which moves masks). Everything else — prompt encoder, memory
attention, mask decoder, memory encoder, the memory bank — stays in transformers' own torch code,
so the model's maths and control flow are unchanged; only the encoder's float rounding differs.

The IR lives in the weights' cache root (``ROTOKIT_CACHE`` or the Hugging Face hub cache) under
``rotokit-compiled/<key>/``, the key hashing the encoder's weights, the input size and the
openvino / transformers / timm versions, so a new library or new weights export again and a
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

import torch
from torch import nn

__all__ = ["ENGINE_TORCH", "available", "accelerate", "compiled_cache_dir", "encoder_key"]

log = logging.getLogger(__name__)

ENGINE_TORCH = "torch eager"
EXPORT_FORMAT = 1  # bump when what is exported changes
_CONFIG = {"INFERENCE_PRECISION_HINT": "f32", "PERFORMANCE_HINT": "LATENCY"}


def available() -> bool:
    try:
        import openvino  # noqa: F401
    except ImportError:
        return False
    return True


def compiled_cache_dir() -> Path:
    """Beside the weights: ``$ROTOKIT_CACHE`` or the Hugging Face hub cache, ``rotokit-compiled``."""
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

    return f"ov{openvino.get_version().split('-')[0]}-tf{transformers.__version__}-timm{timm.__version__}-f{EXPORT_FORMAT}"


def encoder_key(encoder: nn.Module, image_size: int) -> str:
    """Hash of the encoder's (inference-folded) weights + input size + library versions."""
    digest = hashlib.blake2b(digest_size=12)
    for name, tensor in encoder.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    digest.update(f"{image_size}-{_versions()}".encode())
    return digest.hexdigest()


class _FeatureMaps(nn.Module):
    """The traced part: pixels → the FPN feature maps the video model reads (3 levels)."""

    def __init__(self, encoder: nn.Module) -> None:
        super().__init__()
        self.encoder = encoder

    def forward(self, pixel_values: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return tuple(self.encoder(pixel_values, return_dict=True).fpn_hidden_states)


class OpenVinoVisionEncoder(nn.Module):
    """Drop-in for ``model.vision_encoder``: same output type and fields the video model reads.

    Position encodings depend only on the shape and come from the torch neck (cached there).
    Any input but the exported 1×3×S×S frame goes to the torch encoder it wraps."""

    def __init__(self, torch_encoder: nn.Module, compiled, image_size: int, output_cls) -> None:
        super().__init__()
        self.torch_encoder = torch_encoder
        self.config = torch_encoder.config
        self._compiled = compiled
        self._request = compiled.create_infer_request()
        self._shape = (1, 3, image_size, image_size)
        self._output_cls = output_cls

    def forward(self, pixel_values: torch.Tensor, **kwargs):
        if tuple(pixel_values.shape) != self._shape or pixel_values.device.type != "cpu":
            return self.torch_encoder(pixel_values, **kwargs)
        x = pixel_values.detach().to(torch.float32).contiguous().numpy()
        result = self._request.infer({0: x}, share_inputs=True, share_outputs=False)
        maps = [torch.from_numpy(result[k]) for k in range(len(self._compiled.outputs))]
        position = self.torch_encoder.neck.position_encoding
        encodings = [position(m.shape, m.device, m.dtype) for m in maps]
        return self._output_cls(last_hidden_state=None, fpn_hidden_states=maps, fpn_position_encoding=encodings)


def _export(encoder: nn.Module, image_size: int, folder: Path) -> None:
    """Trace + convert to IR (fp32 weights kept: ``compress_to_fp16=False``), atomically."""
    import openvino as ov

    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=folder.parent))
    try:
        example = torch.zeros(1, 3, image_size, image_size)
        with torch.no_grad():
            graph = ov.convert_model(_FeatureMaps(encoder).eval(), example_input=example)
        ov.save_model(graph, str(tmp / "vision_encoder.xml"), compress_to_fp16=False)
        try:
            tmp.rename(folder)
        except OSError:  # another process exported the same key meanwhile
            if not (folder / "vision_encoder.xml").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def accelerate(model, image_size: int, threads: int | None = None) -> str:
    """Run ``model``'s image encoder through OpenVINO (export on first use); returns the engine
    label for the status bar / CLI, or raises ImportError/RuntimeError for the caller to fall
    back on torch."""
    import openvino as ov

    encoder = model.vision_encoder
    if isinstance(encoder, OpenVinoVisionEncoder):
        return engine_label()
    from transformers.models.edgetam.modeling_edgetam import EdgeTamVisionEncoderOutput

    folder = compiled_cache_dir() / encoder_key(encoder, image_size)
    xml = folder / "vision_encoder.xml"
    if not xml.is_file():
        log.warning(
            "rotokit: exporting the image encoder to OpenVINO (once per model and library version, "
            "about a minute) into %s", folder,
        )
        t0 = time.perf_counter()
        _export(encoder, image_size, folder)
        log.warning("rotokit: OpenVINO export done in %.0f s", time.perf_counter() - t0)
    core = ov.Core()
    config = dict(_CONFIG, CACHE_DIR=str(folder / "blob"))
    config["INFERENCE_NUM_THREADS"] = int(threads or torch.get_num_threads() or os.cpu_count() or 1)
    compiled = core.compile_model(str(xml), "CPU", config)
    model.vision_encoder = OpenVinoVisionEncoder(encoder, compiled, image_size, EdgeTamVisionEncoderOutput)
    return engine_label()


def engine_label() -> str:
    import openvino as ov

    return f"OpenVINO {ov.get_version().split('-')[0]} fp32 image encoder + torch"
