"""`rotokit demo`: the whole pipeline on the bundled sample clip, in one command.

Builds a project with two objects (the dog under an emoji with an outline, the woman kept
sharp) and a pixelated background, tracks it and renders it with the audio. Without downloaded
weights it uses the randomly initialised test model and says so loudly: the plumbing, speed and
output are real, the mask shapes are not.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app.errors import RotokitError
from app.progress import ProgressBar
from app.project import Project, Prompt, add_object, add_prompt, save_project, set_effects
from app.render import render

__all__ = ["SAMPLE_CLIP", "build_demo_project", "run_demo", "pick_demo_model"]

SAMPLE_CLIP = Path(__file__).resolve().parents[1] / "resources" / "sample" / "dog_ball.mp4"


def build_demo_project(out_dir: Path, video: Path = SAMPLE_CLIP) -> Project:
    """A two-object project on the sample clip, saved in `out_dir/demo.rotokit`."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RotokitError(
            f"{out_dir}: cannot create the demo folder ({exc.strerror or exc})"
        ) from None
    project = Project.new(video, out_dir / "demo.rotokit")
    dog = add_object(project, name="dog")
    add_prompt(project, dog.id, Prompt(frame=0, box=[440, 190, 605, 282]))
    set_effects(
        project,
        dog.id,
        [
            {"type": "outline", "width": 3, "colour": "#ffd400"},
            {"type": "emoji", "emoji": "🐶", "scale": 0.9, "anchor": "top"},
        ],
    )
    woman = add_object(project, name="woman")
    add_prompt(
        project,
        woman.id,
        Prompt(frame=0, points=[[140, 130], [145, 205], [300, 300]], labels=[1, 1, 0]),
    )
    set_effects(project, None, [{"type": "pixelate", "block": 14}])
    save_project(project)
    return project


def pick_demo_model(requested: str | None) -> tuple[str, bool]:
    """(model name, is_random): the CPU default if its weights are cached, else the test model."""
    from model import registry
    from model.errors import WeightsUnavailableError

    if requested:
        return requested, requested.startswith("test-random")
    name = registry.default_model("cpu")
    try:
        registry.model_path(name)
        return name, False
    except WeightsUnavailableError:
        return "test-random-micro", True


def run_demo(
    out_dir: Path,
    *,
    model: str | None = None,
    quiet: bool = False,
    log: Callable[[str], None] = print,
) -> Path:
    from app.tracking_job import track_project

    name, is_random = pick_demo_model(model)
    if is_random:
        log(
            "*** no pretrained weights found: using the RANDOMLY INITIALISED test model "
            f"'{name}'. Tracking, effects, encoding and audio are real; the mask shapes are "
            "not. Run `rotokit models download edgetam` (needs internet) for real masks. ***"
        )
    from app.paths import check_output

    for name_ in ("demo.rotokit", "demo.mp4"):  # the bundled clip is never an output
        check_output(out_dir / name_, [("the bundled sample clip", SAMPLE_CLIP)])
    project = build_demo_project(out_dir)
    log(f"project: {project.path}")
    with ProgressBar("tracking", quiet) as bar:
        result = track_project(project, model=name, on_progress=bar, log=log)
    log(result.summary())
    output = out_dir / "demo.mp4"
    with ProgressBar("rendering", quiet) as bar:
        rendered = render(project, output, model=name, on_progress=bar, log=log)
    log(rendered.summary())
    return output
