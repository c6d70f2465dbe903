"""Issue 11 item 7: no traceback ever reaches a user.

Every subcommand is run against a table of ordinary mistakes (bad files, bad flags, bad values).
Each must end with exactly one line on stderr that names the problem, exit code 1 (a problem
with the inputs) or 2 (usage), and never the last-resort "internal error" line (that one exists
so a bug still prints one line; a case reaching it here is a bug to fix, not a pass).
Commands that narrate their progress get ``-q``, as a script would pass. Runs in-process
through `app.cli.main`; a few cases also as a real process, where logging
output of the libraries (transformers, PyAV) would show up too.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from app.cli import main
from app.project import MaskStore, masks_path_for
from tests.safety.imagegen import huge_png
from tests.shared_media import REPO, clip_path

OBJ = {
    "id": 1,
    "name": "b",
    "prompts": [{"frame": 0, "box": [200, 100, 400, 260]}],
    "effects": [{"type": "blur", "strength": 8}],
}


def _project(folder: Path, name: str, **fields) -> None:
    data = {"rotokit": 1, "video": "clip.mp4", "objects": [OBJ]}
    data.update(fields)
    (folder / name).write_text(json.dumps(data))


@pytest.fixture(scope="module")
def w(tmp_path_factory) -> Path:
    """A folder of good and bad inputs shared by the table."""
    w = tmp_path_factory.mktemp("bad")
    shutil.copy(clip_path("odd_size.mp4"), w / "clip.mp4")
    (w / "garbage.mp4").write_bytes(np.random.default_rng(0).bytes(4000))
    (w / "empty.mp4").write_bytes(b"")
    (w / "dir.mp4").mkdir()
    os.mkfifo(w / "fifo.mp4")
    _project(w, "good.rotokit")
    _project(w, "tracked.rotokit")
    mask = np.zeros((359, 641), bool)
    mask[100:260, 200:400] = True
    from app.project import load_project, prompts_hash

    with MaskStore(masks_path_for(w / "tracked.rotokit")) as store:
        for i in range(60):
            store.put(i, 1, mask, 1.0)
        store.set_prompts_hash(1, prompts_hash(load_project(w / "tracked.rotokit").object(1)))
    (w / "garbage.rotokit").write_text("{not json")
    (w / "empty.rotokit").write_text("")
    (w / "list.rotokit").write_text("[1, 2]")
    (w / "newer.rotokit").write_text(json.dumps({"rotokit": 99, "video": "clip.mp4"}))
    _project(w, "novideo.rotokit", video="gone.mp4")
    _project(w, "fifovideo.rotokit", video="fifo.mp4")
    _project(w, "dirvideo.rotokit", video="dir.mp4")
    _project(w, "garbagevideo.rotokit", video="garbage.mp4")
    _project(w, "badeffect.rotokit", objects=[{**OBJ, "effects": [{"type": "sparkle"}]}])
    _project(
        w, "badparam.rotokit", objects=[{**OBJ, "effects": [{"type": "blur", "strength": -4}]}]
    )
    _project(
        w, "noemoji.rotokit", objects=[{**OBJ, "effects": [{"type": "emoji", "emoji": "gone.png"}]}]
    )
    huge_png(w / "big.png")
    _project(
        w, "bigemoji.rotokit", objects=[{**OBJ, "effects": [{"type": "emoji", "emoji": "big.png"}]}]
    )
    _project(w, "range.rotokit", range=[0, 99999])
    _project(w, "badrange.rotokit", range=[9, 3])
    _project(
        w, "offframe.rotokit", objects=[{**OBJ, "prompts": [{"frame": 500, "box": [1, 1, 9, 9]}]}]
    )
    _project(w, "badstore.rotokit")
    (w / "badstore.rotokit.masks").write_bytes(b"this is not sqlite" * 10)
    for name, config, weights in (
        ("st", '{"model_type": "edgetam_video"}', os.urandom(3000)),
        ("cfg", "garbage{", b""),
    ):
        (w / "weights" / name).mkdir(parents=True)
        (w / "weights" / name / "config.json").write_text(config)
        (w / "weights" / name / "model.safetensors").write_bytes(weights)
    (w / "weights" / "empty").mkdir()
    (w / "full").mkdir()
    (w / "full" / "keep.txt").write_text("mine")
    (w / "afile").write_text("x")
    return w


# (id, argv with {w} for the folder, exit code, text the one line must contain)
CASES = [
    ("info-missing", "info {w}/nope.mp4", 1, "no such file"),
    ("info-folder", "info {w}/dir.mp4", 1, "is a directory"),
    ("info-empty", "info {w}/empty.mp4", 1, "empty file"),
    ("info-garbage", "info {w}/garbage.mp4", 1, "garbage.mp4"),
    ("info-fifo", "info {w}/fifo.mp4", 1, "FIFO"),
    ("info-device", "info /dev/null", 1, "character device"),
    ("info-no-arg", "info", 2, "required"),
    ("info-bad-flag", "info {w}/clip.mp4 --colour", 2, "unrecognized arguments"),
    ("track-missing", "track {w}/nope.rotokit", 1, "project file not found"),
    ("track-garbage", "track {w}/garbage.rotokit", 1, "invalid JSON"),
    ("track-empty", "track {w}/empty.rotokit", 1, "empty"),
    ("track-list", "track {w}/list.rotokit", 1, "expected a JSON object"),
    ("track-newer", "track {w}/newer.rotokit", 1, "newer rotokit"),
    ("track-folder", "track {w}/full", 1, "is a folder"),
    ("track-no-video", "track {w}/novideo.rotokit", 1, "video not found"),
    ("track-video-fifo", "track {w}/fifovideo.rotokit", 1, "FIFO"),
    ("track-video-dir", "track {w}/dirvideo.rotokit", 1, "is a folder"),
    ("track-video-garbage", "track {w}/garbagevideo.rotokit", 1, "garbage.mp4"),
    ("track-bad-range-text", "track {w}/good.rotokit --range abc", 2, "--range 'abc'"),
    ("track-bad-range-order", "track {w}/good.rotokit --range 9:3", 2, "END must be greater"),
    (
        "track-weights-garbage",
        "track {w}/good.rotokit --weights {w}/weights/st",
        1,
        "not a readable safetensors",
    ),
    (
        "track-weights-config",
        "track {w}/good.rotokit --weights {w}/weights/cfg",
        1,
        "not a readable JSON config",
    ),
    (
        "track-weights-empty",
        "track {w}/good.rotokit --weights {w}/weights/empty",
        1,
        "no config.json",
    ),
    (
        "track-weights-missing",
        "track {w}/good.rotokit --weights {w}/weights/nope",
        1,
        "no such folder",
    ),
    ("track-unknown-model", "track {w}/good.rotokit --model nope --offline", 1, "nope"),
    ("track-bad-device", "track {w}/good.rotokit --device tpu", 2, "invalid choice"),
    ("track-bad-direction", "track {w}/good.rotokit --direction up", 2, "invalid choice"),
    ("track-prompt-off-clip", "track {w}/offframe.rotokit", 1, "past the last frame"),
    ("render-over-video", "render {w}/good.rotokit -o {w}/clip.mp4", 1, "the project's video"),
    ("render-over-project", "render {w}/good.rotokit -o {w}/good.rotokit", 1, "project file"),
    ("render-bad-ext", "render {w}/tracked.rotokit -o {w}/o.avi", 1, "unknown output extension"),
    (
        "render-codec-container",
        "render {w}/tracked.rotokit -o {w}/o.mp4 --codec vp9",
        1,
        "cannot be written to .mp4",
    ),
    ("render-crf-high", "render {w}/tracked.rotokit -o {w}/o.mp4 --crf 999", 1, "0 to 51"),
    ("render-crf-text", "render {w}/tracked.rotokit -o {w}/o.mp4 --crf high", 2, "--crf"),
    (
        "render-preset",
        "render {w}/tracked.rotokit -o {w}/o.mp4 --preset bogus",
        1,
        "--preset 'bogus'",
    ),
    ("render-no-output", "render {w}/tracked.rotokit", 2, "-o/--output"),
    (
        "render-no-folder",
        "render {w}/tracked.rotokit -o {w}/nofolder/o.mp4",
        1,
        "output directory does not exist",
    ),
    ("render-output-is-folder", "render {w}/tracked.rotokit -o {w}/dir.mp4", 1, "is a directory"),
    (
        "render-range-past",
        "render {w}/tracked.rotokit -o {w}/o.mp4 --range 0:99999",
        1,
        "past the clip's 60 frames",
    ),
    ("render-project-range", "render {w}/range.rotokit -o {w}/o.mp4", 1, "past the clip's 60"),
    (
        "render-project-bad-range",
        "render {w}/badrange.rotokit -o {w}/o.mp4",
        1,
        "END must be greater",
    ),
    ("render-bad-effect", "render {w}/badeffect.rotokit -o {w}/o.mp4", 1, "sparkle"),
    ("render-bad-param", "render {w}/badparam.rotokit -o {w}/o.mp4", 1, "strength"),
    ("render-missing-emoji", "render {w}/noemoji.rotokit -o {w}/o.mp4", 1, "gone.png"),
    ("render-huge-emoji", "render {w}/bigemoji.rotokit -o {w}/o.mp4", 1, "megapixels"),
    (
        "render-garbage-store",
        "render {w}/badstore.rotokit -o {w}/o.mp4",
        1,
        "not a rotokit mask store",
    ),
    (
        "render-bad-codec",
        "render {w}/tracked.rotokit -o {w}/o.mp4 --codec av2",
        2,
        "invalid choice",
    ),
    ("anonymize-self", "anonymize {w}/clip.mp4 -o {w}/clip.mp4", 1, "the input video"),
    (
        "anonymize-project-self",
        "anonymize {w}/clip.mp4 -o {w}/a.mp4 --project {w}/clip.mp4",
        1,
        "the input video",
    ),
    ("anonymize-missing", "anonymize {w}/nope.mp4 -o {w}/a.mp4", 1, "no such file"),
    ("anonymize-garbage", "anonymize {w}/garbage.mp4 -o {w}/a.mp4", 1, "garbage.mp4"),
    ("anonymize-fifo", "anonymize {w}/fifo.mp4 -o {w}/a.mp4", 1, "FIFO"),
    (
        "anonymize-threshold",
        "anonymize {w}/clip.mp4 -o {w}/a.mp4 --threshold 5",
        1,
        "--threshold 5.0",
    ),
    (
        "anonymize-threshold-text",
        "anonymize {w}/clip.mp4 -o {w}/a.mp4 --threshold lots",
        2,
        "--threshold",
    ),
    (
        "anonymize-effect",
        "anonymize {w}/clip.mp4 -o {w}/a.mp4 --effect glitter",
        2,
        "invalid choice",
    ),
    ("anonymize-bad-ext", "anonymize {w}/clip.mp4 -o {w}/a.txt", 1, "unknown output extension"),
    ("export-format", "export {w}/tracked.rotokit --format voc -o {w}/ds", 2, "invalid choice"),
    (
        "export-nonempty",
        "export {w}/tracked.rotokit --format png -o {w}/full",
        1,
        "not an empty folder",
    ),
    (
        "export-over-project",
        "export {w}/tracked.rotokit --format png -o {w}/tracked.rotokit",
        1,
        "project file",
    ),
    (
        "export-range-text",
        "export {w}/tracked.rotokit --format png -o {w}/ds --range 5",
        2,
        "START:END",
    ),
    (
        "export-range-past",
        "export {w}/tracked.rotokit --format png -o {w}/ds --range 50:70",
        1,
        "past the clip's 60",
    ),
    (
        "export-unknown-model",
        "export {w}/good.rotokit --format png -o {w}/ds --model nope --offline -q",
        1,
        "nope",
    ),
    (
        "export-garbage-project",
        "export {w}/garbage.rotokit --format png -o {w}/ds",
        1,
        "invalid JSON",
    ),
    ("models-no-action", "models", 2, "required"),
    ("models-bad-action", "models frobnicate", 2, "invalid choice"),
    ("models-download-unknown", "models download nope", 1, "nope"),
    ("models-path-unknown", "models path nope", 1, "nope"),
    ("demo-output-is-file", "demo -o {w}/afile -q", 1, "cannot create the demo folder"),
    ("demo-unknown-model", "demo -o {w}/demo --model nope -q", 1, "nope"),
    ("demo-bad-flag", "demo --fast", 2, "unrecognized arguments"),
    ("batch-no-kind", "batch", 2, "required"),
    ("batch-missing-input", "batch anonymize {w}/nope.mp4 -o {w}/bout", 2, "no such file"),
    (
        "batch-bad-engine",
        "batch anonymize {w}/clip.mp4 -o {w}/bout --engine spark",
        2,
        "invalid choice",
    ),
    ("batch-zero-jobs", "batch anonymize {w}/clip.mp4 -o {w}/bout --jobs 0", 2, "--jobs 0"),
    ("batch-outdir-is-file", "batch anonymize {w}/clip.mp4 -o {w}/afile", 2, "not a folder"),
    (
        "batch-missing-list",
        "batch anonymize @{w}/nolist.txt -o {w}/bout",
        2,
        "cannot read the input list",
    ),
    ("batch-export-no-format", "batch export {w}/tracked.rotokit -o {w}/bout", 2, "--format"),
    ("batch-render-garbage", "batch render {w}/garbage.rotokit -o {w}/bout -q", 1, "invalid JSON"),
    (
        "batch-export-garbage",
        "batch export {w}/garbage.rotokit --format png -o {w}/bout2 -q",
        1,
        "invalid JSON",
    ),
    ("selfcheck-unknown-model", "selfcheck --model nope --offline", 1, "nope"),
    (
        "selfcheck-garbage-clip",
        "selfcheck --clip {w}/garbage.mp4 --model test-random-micro",
        1,
        "garbage.mp4",
    ),
    ("selfcheck-no-frames", "selfcheck --frames 0", 1, "at least 2 frames"),
    ("selfcheck-weights-missing", "selfcheck --weights {w}/weights/nope", 1, "no such folder"),
    (
        "selfcheck-weights-garbage",
        "selfcheck --weights {w}/weights/st",
        1,
        "not a readable safetensors",
    ),
    ("top-bad-flag", "--frobnicate", 2, "unrecognized arguments"),
    ("gui-missing-file", "{w}/nope.mp4", 1, "no such file"),
]


def _argv(template: str, w: Path) -> list[str]:
    return [part.replace("{w}", str(w)) for part in template.split()]


def _check(code: int, err: str, expected_code: int, text: str) -> None:
    lines = err.strip().splitlines()
    assert "Traceback" not in err, err
    assert len(lines) == 1, err
    assert "internal error" not in err, err
    assert code == expected_code, err
    assert text in lines[0], lines[0]


def test_the_table_is_big_and_covers_every_subcommand():
    assert len(CASES) >= 40
    first = {c[1].split()[0] for c in CASES}
    assert {"info", "track", "render", "anonymize", "export", "models", "demo"} <= first


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_one_line_and_exit_code(case, w, capsys, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    _, template, expected_code, text = case
    code = main(_argv(template, w))
    _check(code, capsys.readouterr().err, expected_code, text)


def test_unreadable_mask_store(w, tmp_path, monkeypatch, capsys):
    """A permission error on the store (chmod does not stop root, so open() is made to fail as it
    does for a user without read access)."""
    import builtins

    project = tmp_path / "p.rotokit"
    shutil.copy(w / "tracked.rotokit", project)
    project.write_text(
        (w / "tracked.rotokit").read_text().replace('"clip.mp4"', json.dumps(str(w / "clip.mp4")))
    )
    shutil.copy(masks_path_for(w / "tracked.rotokit"), masks_path_for(project))
    real_open = builtins.open
    store = str(masks_path_for(project))

    def guarded(file, *args, **kwargs):
        if str(file) == store:
            raise PermissionError(13, "Permission denied", store)
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded)
    code = main(["render", str(project), "-o", str(tmp_path / "o.mp4"), "-q"])
    _check(code, capsys.readouterr().err, 1, "cannot read the mask store (Permission denied)")


@pytest.mark.parametrize(
    "template, text",
    [
        ("track {w}/good.rotokit --weights {w}/weights/st -q", "not a readable safetensors"),
        ("render {w}/tracked.rotokit -o {w}/o.mp4 --preset bogus", "--preset 'bogus'"),
        ("anonymize {w}/clip.mp4 -o {w}/clip.mp4", "the input video"),
    ],
)
def test_as_a_real_process(w, template, text):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-m", "app", *_argv(template, w)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    _check(proc.returncode, proc.stderr, 1, text)
