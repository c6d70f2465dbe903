"""Which tracking models rotokit knows, and where their weights come from.

Real models are Hugging Face-format repositories (config.json + model.safetensors) fetched with
``huggingface_hub`` (resume, integrity check, progress bar, shared HF cache, ``ROTOKIT_CACHE``).
A local folder in the same format works everywhere a name does. Loading goes through
safetensors only, so a weights file can never run code.

The ``test-random-*`` entries are randomly initialised from a fixed seed: the real (or a scaled
down) architecture, so speed and plumbing are real, but the masks are meaningless. They exist for
tests and benchmarks, are never a default and print a warning when loaded.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from model.errors import DownloadCancelled, WeightsUnavailableError

if TYPE_CHECKING:
    from tqdm import tqdm

__all__ = [
    "ModelSpec",
    "MODELS",
    "default_model",
    "list_models",
    "download_model",
    "model_path",
    "resolve_weights",
    "is_random",
    "cache_dir",
]

Kind = Literal["sam2", "edgetam"]
WEIGHTS_FILE = "model.safetensors"


@dataclass(frozen=True)
class ModelSpec:
    """One entry of ``rotokit models list``; ``cached``/``path`` are filled in by
    ``list_models``."""

    name: str
    kind: Kind
    hub_id: str | None  # None for the random test models
    params_m: float  # millions of parameters
    download_mb: float  # size of model.safetensors
    licence: str
    description: str
    revision: str | None = None
    note: str = ""
    cached: bool = False
    path: Path | None = field(default=None, compare=False)


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in [
        ModelSpec(
            "sam2.1-tiny",
            "sam2",
            "facebook/sam2.1-hiera-tiny",
            38.9,
            156,
            "Apache-2.0",
            "SAM 2.1 Hiera-T: best quality per second on a GPU; ~6 s/frame on a 2-core CPU",
        ),
        ModelSpec(
            "sam2.1-small",
            "sam2",
            "facebook/sam2.1-hiera-small",
            46.0,
            185,
            "Apache-2.0",
            "SAM 2.1 Hiera-S",
        ),
        ModelSpec(
            "sam2.1-base-plus",
            "sam2",
            "facebook/sam2.1-hiera-base-plus",
            80.8,
            324,
            "Apache-2.0",
            "SAM 2.1 Hiera-B+: the GPU default",
        ),
        ModelSpec(
            "sam2.1-large",
            "sam2",
            "facebook/sam2.1-hiera-large",
            224.4,
            898,
            "Apache-2.0",
            "SAM 2.1 Hiera-L: highest quality, slowest",
        ),
        ModelSpec(
            "edgetam",
            "edgetam",
            "yonigozlan/EdgeTAM-hf",
            13.9,
            56,
            "Apache-2.0",
            "EdgeTAM (RepViT-M1 + 2D spatial perceiver): SAM 2 prompting and memory, ~6x faster "
            "per frame on CPU; the CPU/MPS default",
            note="facebook/EdgeTAM's main branch holds Meta's .pt checkpoint (not loadable without "
            "a conversion script); the Hugging Face-format port used by transformers is "
            "yonigozlan/EdgeTAM-hf (also offered as PR refs/pr/1 of facebook/EdgeTAM).",
        ),
        ModelSpec(
            "test-random-tiny",
            "sam2",
            None,
            38.9,
            0,
            "n/a",
            "TEST ONLY: random SAM 2.1-tiny architecture (fixed seed); masks are meaningless",
        ),
        ModelSpec(
            "test-random-edgetam",
            "edgetam",
            None,
            13.9,
            0,
            "n/a",
            "TEST ONLY: random EdgeTAM architecture (fixed seed); masks are meaningless",
        ),
        ModelSpec(
            "test-random-micro",
            "sam2",
            None,
            1.9,
            0,
            "n/a",
            "TEST ONLY: SAM 2 scaled down (256 px, narrow, shallow) so a clip tracks in seconds",
        ),
        ModelSpec(
            "test-random-micro-edgetam",
            "edgetam",
            None,
            6.4,
            0,
            "n/a",
            "TEST ONLY: EdgeTAM scaled down (256 px, RepViT-M0.9, narrow heads)",
        ),
    ]
}


def is_random(name: str) -> bool:
    return name.startswith("test-random-")


def default_model(device: str) -> str:
    """EdgeTAM where compute is scarce (CPU, Apple MPS); SAM 2.1 base-plus on CUDA."""
    return "sam2.1-base-plus" if str(device).startswith("cuda") else "edgetam"


def cache_dir() -> Path | None:
    """``ROTOKIT_CACHE`` if set; otherwise None, i.e. the shared Hugging Face cache."""
    value = os.environ.get("ROTOKIT_CACHE")
    return Path(value).expanduser() if value else None


def _spec(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        known = ", ".join(MODELS)
        raise WeightsUnavailableError(
            name, f"unknown model (known: {known})", fix="see `rotokit models list`"
        ) from None


def is_hf_folder(path: Path) -> bool:
    return (path / "config.json").is_file() and (path / WEIGHTS_FILE).is_file()


class _NullWriter:
    def write(self, _text: str) -> None:
        pass

    def flush(self) -> None:
        pass


def _reporting_tqdm(
    on_bytes: Callable[[int, int], None] | None, cancel: threading.Event | None
) -> type[tqdm]:
    """A silent tqdm class for ``snapshot_download``: reports the byte bar, stops on ``cancel``.

    huggingface_hub aggregates every file's bytes into one bar whose total grows as each file
    starts; raising from ``update`` stops the transfer (huggingface_hub 2.x then deletes the
    partial file: it resumes a *cut* connection within one download, not a cancelled one).
    """
    from tqdm import tqdm

    class ReportingTqdm(tqdm):  # type: ignore[misc]  # tqdm ships no type information
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.pop("name", None)
            kwargs["file"], kwargs["disable"] = _NullWriter(), False
            self._bytes = kwargs.get("unit") == "B" and not str(kwargs.get("desc", "")).startswith(
                "Downloading"
            )
            super().__init__(*args, **kwargs)

        def update(self, n: float | None = 1) -> bool | None:
            if cancel is not None and cancel.is_set():
                raise DownloadCancelled("download stopped by the user")
            out: bool | None = super().update(n)
            if self._bytes and on_bytes is not None:
                on_bytes(int(self.n), int(self.total or 0))
            return out

    return ReportingTqdm


def _snapshot(
    hub_id: str,
    revision: str | None,
    *,
    offline: bool,
    progress: bool,
    on_bytes: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    from huggingface_hub import snapshot_download
    from huggingface_hub.utils.tqdm import disable_progress_bars, enable_progress_bars

    quiet = not progress and on_bytes is None and cancel is None
    if not quiet and not progress:
        import huggingface_hub.constants as hub_constants

        hub_constants.DOWNLOAD_CHUNK_SIZE = (
            1024 * 1024
        )  # progress and cancel every MB, not every 10
    if quiet:
        disable_progress_bars()
    try:
        folder = snapshot_download(
            hub_id,
            revision=revision,
            cache_dir=cache_dir(),
            local_files_only=offline,
            allow_patterns=["config.json", "*.safetensors", "*.json"],
            # read at call time (huggingface_hub reads HF_ENDPOINT only at import): mirrors, tests
            endpoint=os.environ.get("HF_ENDPOINT") or None,
            tqdm_class=_reporting_tqdm(on_bytes, cancel) if not quiet and not progress else None,
        )
    finally:
        if quiet:
            enable_progress_bars()
    return Path(folder)


def model_path(name: str) -> Path:
    """Folder of a model already on this machine (never touches the network)."""
    spec = _spec(name)
    if spec.hub_id is None:
        raise WeightsUnavailableError(
            name, "is a random test model and has no weights on disk", fix="nothing to fetch"
        )
    try:
        folder = _snapshot(spec.hub_id, spec.revision, offline=True, progress=False)
    except Exception:  # huggingface_hub raises several types for "not in the cache"
        raise WeightsUnavailableError(name, "weights are not in the local cache") from None
    if not is_hf_folder(folder):
        raise WeightsUnavailableError(
            name, f"cached folder {folder} lacks config.json/{WEIGHTS_FILE}"
        )
    return folder


def download_model(
    name: str,
    progress: bool = True,
    *,
    on_bytes: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    """Fetch (or resume, or verify) a model's weights; returns its folder.

    ``on_bytes(done, total)`` reports bytes (instead of a terminal bar); setting ``cancel`` stops
    with `DownloadCancelled`. A connection cut mid-file is resumed with a Range request by
    huggingface_hub itself; a finished file is checked against the hub's sha256 and never fetched
    again.
    """
    spec = _spec(name)
    if spec.hub_id is None:
        raise WeightsUnavailableError(
            name, "is a random test model", fix="there is nothing to download"
        )
    try:
        folder = _snapshot(
            spec.hub_id,
            spec.revision,
            offline=False,
            progress=progress and on_bytes is None,
            on_bytes=on_bytes,
            cancel=cancel,
        )
    except DownloadCancelled:
        raise
    except Exception as exc:
        if isinstance(exc.__cause__ or exc.__context__, DownloadCancelled):
            raise DownloadCancelled(f"model {name!r}: download stopped by the user") from None
        offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")
        reason = (
            "cannot download while HF_HUB_OFFLINE is set"
            if offline
            else f"download of {spec.hub_id} failed ({type(exc).__name__}: {exc})".replace(
                "\n", " "
            )
        )
        raise WeightsUnavailableError(
            name,
            reason,
            fix=(
                "unset HF_HUB_OFFLINE, or "
                if offline
                else "check the connection and retry (a cut download resumes), or "
            )
            + "pass `--weights DIR` with a local Hugging Face-format folder, or try "
            "rotokit with `--model test-random-micro` (random weights: meaningless masks)",
        ) from None
    if not is_hf_folder(folder):
        raise WeightsUnavailableError(
            name,
            f"{spec.hub_id} has no {WEIGHTS_FILE} + config.json (not Hugging Face format)",
            fix="pass `--weights DIR` with a converted folder",
        )
    return folder


def resolve_weights(
    name_or_path: str | os.PathLike[str], offline: bool = False, progress: bool = True
) -> Path:
    """A registry name or a local HF-format folder → a folder holding config.json + safetensors.

    Offline, only the cache is consulted and a missing model raises WeightsUnavailableError.
    """
    text = str(name_or_path)
    if text not in MODELS:
        path = Path(text).expanduser()
        if path.is_dir():
            if not is_hf_folder(path):
                raise WeightsUnavailableError(
                    text,
                    f"folder has no config.json + {WEIGHTS_FILE} (Hugging Face format expected)",
                    fix="save one with transformers' `save_pretrained`, or use a registry name",
                )
            return path
        if os.sep in text or path.suffix:
            raise WeightsUnavailableError(text, "no such folder", fix="check the --weights path")
    spec = _spec(text)
    if spec.hub_id is None:
        raise WeightsUnavailableError(
            text,
            "is a random test model",
            fix="load it with Tracker.load(name), it is built, not downloaded",
        )
    if offline:
        return model_path(text)
    return download_model(text, progress=progress)


def read_kind(folder: Path) -> Kind:
    """The model family of an HF-format folder, from its config.json ``model_type``."""
    config = folder / "config.json"
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise WeightsUnavailableError(
            str(folder),
            f"{config} is not a readable JSON config ({exc})",
            fix="download the model again",
        ) from None
    model_type = data.get("model_type", "") if isinstance(data, dict) else ""
    if model_type.startswith("edgetam"):
        return "edgetam"
    if model_type.startswith("sam2"):
        return "sam2"
    raise WeightsUnavailableError(
        str(folder),
        f"config.json model_type {model_type!r} is not SAM 2 or EdgeTAM",
        fix="use a SAM 2.1 or EdgeTAM folder",
    )


def list_models() -> list[ModelSpec]:
    """Every registry entry with ``cached``/``path`` telling whether its weights are on disk."""
    out = []
    for spec in MODELS.values():
        path = None
        if spec.hub_id is not None:
            try:
                path = model_path(spec.name)
            except WeightsUnavailableError:
                path = None
        out.append(replace(spec, cached=path is not None or spec.hub_id is None, path=path))
    return out
