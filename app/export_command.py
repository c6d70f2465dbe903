"""`rotokit export PROJECT... --format F -o DIR`: the arguments and the run, registered by app.cli.

Several projects become one dataset (see `app.export.export_clips`); objects whose masks are
missing or stale are tracked first, as `rotokit render` does.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from contextlib import ExitStack

from app.cli_types import bounded, frame_range_arg
from app.progress import ProgressBar

__all__ = ["add_export_arguments", "run_export"]


_positive_int = bounded(int, 1)
_fraction = bounded(float, 0.0, 1.0)  # --val/--test are < 1 (ExportOptions); an IoU may be 1
_non_negative = bounded(float, 0.0)
_quality = bounded(int, 1, 100, note="JPEG quality")


def add_export_arguments(p: argparse.ArgumentParser) -> None:
    """The export command's arguments (model arguments are added by the caller)."""
    p.add_argument(
        "projects",
        nargs="+",
        metavar="PROJECT",
        help="one or more .rotokit projects; several are merged into one dataset",
    )
    p.add_argument(
        "--format", required=True, choices=["coco", "yolo", "davis", "mots", "png", "alpha"]
    )
    p.add_argument("-o", "--output", required=True)
    p.add_argument(
        "--range",
        type=frame_range_arg,
        metavar="START:END",
        help="frames of every project to consider (END exclusive)",
    )
    p.add_argument(
        "--no-images",
        dest="images",
        action="store_false",
        help="write annotations only, not the frames as images",
    )
    g = p.add_argument_group("dataset")
    g.add_argument(
        "--val",
        type=_fraction,
        default=0.0,
        metavar="F",
        help="share of the clips (not frames) in the validation split, e.g. 0.2",
    )
    g.add_argument(
        "--test",
        type=_fraction,
        default=0.0,
        metavar="F",
        help="share of the clips in the test split",
    )
    g.add_argument(
        "--seed", type=int, default=0, help="seed of the clip shuffle before splitting (default 0)"
    )
    g.add_argument(
        "--classes",
        metavar="FILE",
        help="classes.txt: one name per line fixes class ids and order across exports",
    )
    g.add_argument(
        "--every", type=_positive_int, default=1, metavar="N", help="keep one frame in N"
    )
    g.add_argument(
        "--min-change",
        type=_fraction,
        default=None,
        metavar="T",
        help="skip frames whose masks all have IoU > T with the last kept frame, e.g. 0.9",
    )
    g.add_argument(
        "--keep-empty",
        action="store_true",
        help="coco/yolo: also write frames without any object (negatives)",
    )
    g.add_argument("--image-format", choices=["jpg", "png"], default="jpg")
    g.add_argument(
        "--quality",
        type=_quality,
        default=None,
        metavar="Q",
        help="JPEG quality 1–100 (default 95)",
    )
    g.add_argument(
        "--simplify",
        type=_non_negative,
        default=None,
        metavar="PX",
        help="yolo: polygon tolerance in pixels (default: the largest of 2/1/0.5 px keeping "
        "IoU ≥ 0.98 with the mask; 0 = exact outline)",
    )


def run_export(
    args: argparse.Namespace, progress: Callable[[str], ProgressBar], say: Callable[[str], None]
) -> int:
    """Track what is stale, then export every project into one dataset. `progress(label)` gives a
    context-managed `on_progress` callback (the CLI's progress bar)."""
    from app.export import Clip, ExportOptions, export_clips
    from app.project import MaskStore, load_project, masks_path_for
    from app.tracking_job import track_stale

    options = ExportOptions(
        every=args.every,
        min_change=args.min_change,
        keep_empty=args.keep_empty,
        image_format=args.image_format,
        quality=args.quality,
        simplify=args.simplify,
        val=args.val,
        test=args.test,
        seed=args.seed,
        classes=args.classes,
    )
    from app.paths import check_output, project_inputs

    projects = [load_project(path) for path in args.projects]
    for project in projects:  # before tracking: no work is wasted on a refused output
        check_output(args.output, project_inputs(project))
    for project in projects:
        with progress("tracking") as bar:
            track_stale(
                project,
                model=args.model,
                offline=args.offline,
                on_progress=bar,
                log=say,
                frame_range=args.range or project.frame_range,
            )
    with ExitStack() as stack:
        clips = [
            Clip(
                project,
                stack.enter_context(MaskStore(masks_path_for(path), readonly=True)),
                args.range,
            )
            for project, path in zip(projects, args.projects, strict=True)
        ]
        bar = stack.enter_context(progress(f"export {args.format}"))
        result = export_clips(
            clips, args.format, args.output, images=args.images, options=options, on_progress=bar
        )
    say(result.summary())
    if args.format == "yolo" and not options.has_split:
        say("note: data.yaml validates on the training frames; add --val 0.2 to hold out clips")
    return 0
