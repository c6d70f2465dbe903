"""The `rotokit` command (also `python -m app`), exactly as DESIGN.md section 3.

Every long command shows a progress bar on a terminal (`-q` silences it), stops cleanly on
Ctrl-C without leaving partial output, exits 0 on success, 1 with a one-line error for anything
the user can fix, 2 for usage errors and 130 when interrupted.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from app.cli_types import frame_range_arg
from app.errors import Cancelled, user_errors
from app.progress import ProgressBar

__all__ = ["main", "build_parser"]

EPILOG = """\
examples:
  rotokit clip.mp4                               open the editor on a video
  rotokit info clip.mp4 --json                   facts about a video
  rotokit track clip.rotokit --model edgetam     track every object's prompts
  rotokit render clip.rotokit -o edited.mp4      apply effects, keep audio
  rotokit anonymize street.mp4 -o safe.mp4       blur every face, offline
  rotokit export clip.rotokit --format coco -o dataset/
  rotokit export a.rotokit b.rotokit c.rotokit --format yolo --val 0.34 --every 5 -o ds/
  rotokit models list
  rotokit selfcheck --model edgetam              rotokit vs transformers' loop, same weights
  rotokit demo -o demo_out                       the whole pipeline on the bundled clip
  rotokit batch anonymize footage/ -o safe/      every clip in a folder, resumable
"""

COMMANDS = (
    "info",
    "track",
    "render",
    "anonymize",
    "export",
    "models",
    "demo",
    "gui",
    "batch",
    "selfcheck",
)


def _say(args: argparse.Namespace, message: str) -> None:
    if not getattr(args, "quiet", False):
        print(message, file=sys.stderr)


# --- commands ---------------------------------------------------------------------------


def cmd_info(args: argparse.Namespace) -> int:
    from app.media import format_info, probe

    info = probe(args.video)
    if args.json:
        print(json.dumps(info.to_dict(), indent=2))
    else:
        print(format_info(info))
    return 0


def cmd_track(args: argparse.Namespace) -> int:
    from app.project import load_project
    from app.tracking_job import track_project

    project = load_project(args.project)
    with ProgressBar("tracking", args.quiet) as bar:
        result = track_project(
            project,
            model=args.model,
            weights=args.weights,
            device=args.device,
            direction=args.direction,
            frame_range=args.range,
            offline=args.offline,
            retrack=args.retrack,
            on_progress=bar,
            log=lambda m: _say(args, m),
        )
    _say(args, result.summary())
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    from app.project import load_project
    from app.render import render

    project = load_project(args.project)
    with ProgressBar("rendering", args.quiet) as bar:
        result = render(
            project,
            args.output,
            codec=args.codec,
            crf=args.crf,
            preset=args.preset,
            model=args.model,
            offline=args.offline,
            frame_range=args.range,
            on_progress=bar,
            log=lambda m: _say(args, m),
        )
    _say(args, result.summary())
    return 0


def cmd_anonymize(args: argparse.Namespace) -> int:
    from app.anonymize import anonymize

    with ProgressBar("anonymizing", args.quiet) as bar:
        result = anonymize(
            args.video,
            args.output,
            effect=args.effect,
            threshold=args.threshold,
            keep_audio=args.keep_audio,
            project_path=args.project,
            force=args.force,
            on_progress=bar,
        )
    _say(args, result.summary())
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from app.export_command import run_export

    return run_export(args, lambda label: ProgressBar(label, args.quiet), lambda m: _say(args, m))


def cmd_models(args: argparse.Namespace) -> int:
    from app.models_command import run_models

    return run_models(args)


def cmd_demo(args: argparse.Namespace) -> int:
    from app.demo import run_demo

    run_demo(Path(args.output), model=args.model, quiet=args.quiet, log=lambda m: _say(args, m))
    return 0


def cmd_selfcheck(args: argparse.Namespace) -> int:
    from app.selfcheck import format_verdict, run_selfcheck

    # the per-frame IoU lines are the command's output (stdout); -q keeps only the verdict
    result = run_selfcheck(
        args.model,
        weights=args.weights,
        clip=args.clip,
        frames=args.frames,
        device=args.device,
        offline=args.offline,
        log=(lambda m: None) if args.quiet else print,
    )
    print(format_verdict(result), file=sys.stdout if result.passed else sys.stderr)
    return 0 if result.passed else 1


def _check_can_open_window() -> None:
    """Fail in one line where Qt would abort the process: no desktop session on Linux."""
    import os

    from app.errors import RotokitError

    if sys.platform.startswith("linux") and not any(
        os.environ.get(v) for v in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    ):
        raise RotokitError(
            "no display to open the editor on (DISPLAY and WAYLAND_DISPLAY are "
            "unset); the command-line tools work without one: rotokit --help"
        )


def cmd_gui(args: argparse.Namespace) -> int:
    if args.path is not None and not Path(args.path).exists():
        from app.errors import RotokitError

        raise RotokitError(f"{args.path}: no such file")
    _check_can_open_window()
    from app.gui import run

    return run(args.path, model=args.model, device=args.device, weights=args.weights)


# --- parser -----------------------------------------------------------------------------


def _add_model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--model",
        default="auto",
        help="tracking model name (see `rotokit models list`); default: auto "
        "(edgetam on CPU, sam2.1-base-plus on CUDA)",
    )
    p.add_argument(
        "--offline",
        action="store_true",
        help="never touch the network; use cached or local weights only",
    )


def build_parser() -> argparse.ArgumentParser:
    from app.command_guard import OneLineParser

    parser = OneLineParser(
        prog="rotokit",
        description="Segmentation-driven video editor: click objects, SAM 2 tracks them, "
        "effects follow them, audio is kept. Without a command, opens the editor.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from app import __version__

    parser.add_argument("--version", action="version", version=f"rotokit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(
        name: str,
        func: Callable[[argparse.Namespace], int],
        help_: str,
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name,
            help=help_,
            description=help_,
            epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.set_defaults(func=func)
        p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or messages")
        return p

    p = add(
        "info",
        cmd_info,
        "print width, height, fps, frame count, duration, rotation, codecs and audio of a video",
    )
    p.add_argument("video")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = add(
        "track",
        cmd_track,
        "propagate every object's prompts through the clip and store the masks beside the project",
    )
    p.add_argument("project")
    _add_model_args(p)
    p.add_argument(
        "--weights", help="local folder in Hugging Face format (config.json + model.safetensors)"
    )
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    p.add_argument("--direction", default="both", choices=["forward", "backward", "both"])
    p.add_argument(
        "--range", type=frame_range_arg, metavar="START:END", help="frames to track (END exclusive)"
    )
    p.add_argument(
        "--retrack",
        action="store_true",
        help="forget the stored masks and track again (e.g. the video was replaced)",
    )

    p = add(
        "render",
        cmd_render,
        "apply every object's and the background's effects, "
        "re-encode, keep audio (tracks first if masks are missing)",
    )
    p.add_argument("project")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--codec", default="h264", choices=["h264", "hevc", "vp9", "prores", "ffv1"])
    p.add_argument("--crf", type=int, help="quality (lower is better); codec default if omitted")
    p.add_argument("--preset", help="encoder speed preset, e.g. veryfast, medium, slow")
    p.add_argument(
        "--range",
        type=frame_range_arg,
        metavar="START:END",
        help="render only these frames (END exclusive); audio is cut to match",
    )
    _add_model_args(p)

    p = add(
        "anonymize",
        cmd_anonymize,
        "find every face offline, track it and hide it; also "
        "writes a project to keep chosen people unblurred",
    )
    p.add_argument("video")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--effect", default="blur", choices=["blur", "pixelate", "solid", "emoji"])
    p.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="face detector score threshold, 0–1 (default 0.5; lower finds more faces)",
    )
    p.add_argument(
        "--keep-audio",
        dest="keep_audio",
        action="store_true",
        default=True,
        help="copy the audio (default)",
    )
    p.add_argument("--no-audio", dest="keep_audio", action="store_false", help="drop the audio")
    p.add_argument("--project", help="where to write the project (default: OUTPUT.rotokit)")
    p.add_argument(
        "--force",
        action="store_true",
        help="replace an existing project there; by default the choices in it "
        "(names, who stays visible, effects) are kept for matching faces",
    )

    p = add("export", cmd_export, "export masks as a dataset; several projects make one dataset")
    from app.export_command import add_export_arguments

    add_export_arguments(p)
    _add_model_args(p)

    from app.batch.cli import add_batch_parser

    add_batch_parser(sub)

    p = add("models", cmd_models, "list, download or locate tracking models")
    from app.models_command import add_models_arguments

    add_models_arguments(p)

    p = add(
        "demo",
        cmd_demo,
        "track and render the bundled sample clip with two objects and different effects",
    )
    p.add_argument("-o", "--output", default="demo_out")
    p.add_argument(
        "--model",
        default=None,
        help="tracking model (default: the CPU default when its weights are cached, "
        "else the random test model, said loudly)",
    )

    p = add(
        "selfcheck",
        cmd_selfcheck,
        "track two objects with rotokit and with transformers' "
        "reference loop on the same weights; per-frame IoU, "
        "exit 1 below 0.999",
    )
    _add_model_args(p)
    p.add_argument("--weights", help="local folder in Hugging Face format (instead of --model)")
    p.add_argument("--clip", help="video to check on (default: the bundled sample clip)")
    p.add_argument("--frames", type=int, default=8, help="first N frames (default 8)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])

    p = add("gui", cmd_gui, "open the editor (also: rotokit VIDEO|PROJECT)")
    p.add_argument("path", nargs="?", help="a video or a .rotokit project")
    p.add_argument("--model", default=None, help="tracking model (default: the saved choice)")
    p.add_argument("--device", default=None, choices=["auto", "cpu", "cuda", "mps"])
    p.add_argument(
        "--weights",
        default=None,
        help="local folder in Hugging Face format (config.json + model.safetensors)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # `rotokit [--model M] [VIDEO|PROJECT] [--weights DIR]` opens the editor: route everything that
    # is not a command (options in any order included) to the gui command.
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version")):
        argv = ["gui", *argv]
    from app.command_guard import CommandGuard, Terminated, exit_code, report_bug, report_os_error

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help/--version (0) or a one-line usage error (2)
        return exit_code(exc)
    guard = CommandGuard(args)
    try:
        return guard.done(int(args.func(args)))
    except Terminated:
        print(
            "rotokit: terminated (SIGTERM); unfinished output files were removed", file=sys.stderr
        )
        return 143
    except KeyboardInterrupt:
        print("rotokit: interrupted; no partial output was kept", file=sys.stderr)
        return 130
    except Cancelled as exc:
        print(f"rotokit: {exc}", file=sys.stderr)
        return 130
    except user_errors() as exc:
        message = str(exc).replace("\n", " ")
        print(f"rotokit: error: {message}", file=sys.stderr)
        return 1
    except OSError as exc:  # a file problem no module turned into a RotokitError
        print(report_os_error(exc), file=sys.stderr)
        return 1
    except Exception as exc:  # a bug: still one line, never a traceback (ROTOKIT_DEBUG=1 shows it)
        print(report_bug(exc), file=sys.stderr)
        return 1
    finally:
        guard.close()
