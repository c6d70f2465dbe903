"""`rotokit models list|download|path`: the arguments and the run, registered by app.cli."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from model.registry import ModelSpec

__all__ = ["add_models_arguments", "model_table", "run_models"]


def add_models_arguments(p: argparse.ArgumentParser) -> None:
    """The models command's actions and their arguments."""
    msub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    msub.add_parser("list", help="known models, sizes, licences and what is cached")
    for action, help_ in (
        ("download", "download a model's weights"),
        ("path", "print where a model's weights are"),
    ):
        mp = msub.add_parser(action, help=help_)
        mp.add_argument("name")
        mp.add_argument(
            "-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="no progress bar"
        )


def model_table(specs: list[ModelSpec], cpu_default: str, gpu_default: str) -> str:
    """`models list`: one aligned row per model, the CPU and GPU defaults tagged."""
    rows = [("name", "params", "download", "licence", "status", "about")]
    for spec in specs:
        if spec.hub_id is None:
            status = "built-in (random)"
        else:
            status = "cached" if spec.cached else "not downloaded"
        tags = [
            t
            for t, d in (("CPU default", cpu_default), ("GPU default", gpu_default))
            if spec.name == d
        ]
        about = spec.description + (f" [{', '.join(tags)}]" if tags else "")
        size = f"{spec.download_mb:.0f} MB" if spec.download_mb else "-"
        rows.append((spec.name, f"{spec.params_m:.1f} M", size, spec.licence, status, about))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r[:5], widths, strict=True)) + "  " + r[5]
        for r in rows
    )


def run_models(args: argparse.Namespace) -> int:
    """List the models, download one (with a progress bar unless -q) or print where it is."""
    from model import registry

    if args.action == "list":
        print(
            model_table(
                registry.list_models(),
                registry.default_model("cpu"),
                registry.default_model("cuda"),
            )
        )
    elif args.action == "download":
        path = registry.download_model(args.name, progress=not args.quiet)
        print(path)
    elif args.action == "path":
        print(registry.model_path(args.name))
    return 0
