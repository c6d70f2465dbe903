"""``rotokit batch anonymize|render|export``: the command-line front end of `run_batch`.

Kept out of `app/cli.py` (which only registers it) so the batch options live in one place.
Exit codes: 0 when no input failed, 1 when any did (after all were processed), 2 for usage
errors (bad inputs, two inputs writing one output), 130 after Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["add_batch_parser", "cmd_batch"]

ParserT = TypeVar("ParserT", bound=argparse.ArgumentParser)  # the main CLI's parser class

EPILOG = """\
INPUT is a video file, a folder (searched recursively), a glob ('clips/**/*.mp4', quoted) or
@list.txt (one input per line, relative to the list). Outputs mirror the inputs' paths under
OUTDIR; OUTDIR/report.jsonl gets one line per input. A rerun skips what is already done.

examples:
  rotokit batch anonymize footage/ -o safe/ --jobs 2
  rotokit batch anonymize @todo.txt -o safe/ --engine ray --ray-address 10.0.0.5:6379
  rotokit batch render projects/ -o rendered/ --codec h264 --crf 20
  rotokit batch export projects/ --format coco -o datasets/
"""


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="output folder")
    p.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="clips processed at the same time (default: one per CPU core locally, "
        "the cluster's CPUs / --threads with Ray)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        metavar="T",
        help="CPU threads per clip (default: cores / jobs)",
    )
    p.add_argument(
        "--engine",
        choices=["local", "ray"],
        default="local",
        help="local worker processes (default) or Ray (pip install 'rotokit[ray]')",
    )
    p.add_argument(
        "--ray-address",
        metavar="ADDR",
        help="join this Ray cluster (e.g. 10.0.0.5:6379); default: start Ray locally",
    )
    p.add_argument("--force", action="store_true", help="redo inputs the report says are done")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or messages")


def _model(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--model",
        default="auto",
        help="tracking model for projects whose masks are missing or stale",
    )
    p.add_argument("--offline", action="store_true", help="never touch the network")


def add_batch_parser(sub: argparse._SubParsersAction[ParserT]) -> ParserT:
    """Register ``batch`` and its three commands on the main parser's subparsers."""
    help_ = "run anonymize, render or export over many clips (local processes or Ray)"
    batch = sub.add_parser(
        "batch",
        help=help_,
        description=help_,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bsub = batch.add_subparsers(dest="batch_kind", required=True, metavar="COMMAND")

    def add(kind: str, positional: str, what: str) -> argparse.ArgumentParser:
        p = bsub.add_parser(
            kind,
            help=what,
            description=what,
            epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.add_argument("inputs", nargs="+", metavar=positional)
        p.set_defaults(func=cmd_batch)
        _common(p)
        return p

    p = add("anonymize", "INPUT", "hide every face in every clip (offline), one project per clip")
    p.add_argument("--effect", default="blur", choices=["blur", "pixelate", "solid", "emoji"])
    p.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="face detector score threshold, 0–1 (default 0.5)",
    )
    p.add_argument("--no-audio", dest="keep_audio", action="store_false", help="drop the audio")

    p = add("render", "PROJECT", "render every project (tracks first where masks are missing)")
    p.add_argument("--codec", default="h264", choices=["h264", "hevc", "vp9", "prores", "ffv1"])
    p.add_argument("--crf", type=int, help="quality (lower is better); codec default if omitted")
    p.add_argument("--preset", help="encoder speed preset, e.g. veryfast, medium, slow")
    p.add_argument("--no-audio", dest="keep_audio", action="store_false", help="drop the audio")
    _model(p)

    p = add("export", "PROJECT", "export every project's masks as a dataset (one per project)")
    p.add_argument(
        "--format", required=True, choices=["coco", "yolo", "davis", "mots", "png", "alpha"]
    )
    p.add_argument(
        "--no-images",
        dest="images",
        action="store_false",
        help="write annotations only, not the frames as images",
    )
    _model(p)
    return batch


def _params(args: argparse.Namespace) -> dict[str, Any]:
    if args.batch_kind == "anonymize":
        if args.threshold is not None and not 0.0 < args.threshold < 1.0:
            raise _Usage(f"--threshold {args.threshold}: must be between 0 and 1 (e.g. 0.5)")
        return {"effect": args.effect, "threshold": args.threshold, "keep_audio": args.keep_audio}
    if args.batch_kind == "render":
        return {
            "codec": args.codec,
            "crf": args.crf,
            "preset": args.preset,
            "model": args.model,
            "offline": args.offline,
            "keep_audio": args.keep_audio,
        }
    return {
        "format": args.format,
        "images": args.images,
        "model": args.model,
        "offline": args.offline,
    }


class _Usage(Exception):
    pass


def cmd_batch(args: argparse.Namespace) -> int:
    from app.batch.inputs import BatchUsageError
    from app.batch.jobs import BatchOptions
    from app.batch.runner import default_jobs, run_batch

    def say(message: str) -> None:
        if not args.quiet:
            print(message, file=sys.stderr)

    try:
        for name in ("jobs", "threads"):
            if getattr(args, name) is not None and getattr(args, name) < 1:
                raise _Usage(f"--{name} {getattr(args, name)}: must be at least 1")
        if args.ray_address and args.engine != "ray":
            raise _Usage("--ray-address needs --engine ray")
        jobs = args.jobs or (default_jobs() if args.engine == "local" else None)
        threads = args.threads or max(1, (os.cpu_count() or 1) // (jobs or os.cpu_count() or 1))
        options = BatchOptions(args.batch_kind, Path(args.output), _params(args), threads)
        summary = run_batch(
            options,
            args.inputs,
            engine=args.engine,
            jobs=jobs,
            ray_address=args.ray_address,
            force=args.force,
            quiet=args.quiet,
            log=say,
        )
    except (_Usage, BatchUsageError) as exc:
        print(f"rotokit: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"rotokit: interrupted; finished clips are in {Path(args.output) / 'report.jsonl'}, "
            "no partial output was kept; run the same command again to resume",
            file=sys.stderr,
        )
        return 130
    for line in summary.lines(args.batch_kind, options.out_dir / "report.jsonl"):
        if not args.quiet or line.startswith("  failed"):
            print(line, file=sys.stderr)
    return summary.exit_code
