"""The .rotokit file: the hand-written contract loads, saves are atomic and deterministic, errors
are clear."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.errors import ProjectError
from app.project import (
    FORMAT_VERSION,
    PALETTE,
    Project,
    Prompt,
    add_prompt,
    check_video,
    load_project,
    rename_object,
    save_project,
)

REPO = Path(__file__).resolve().parents[2]


def test_design_example_loads_with_defaults(project_dir: Path) -> None:
    project = load_project(project_dir / "clip.rotokit")
    assert project.video == "clip.mp4"
    assert project.video_path == project_dir / "clip.mp4"
    [dog] = project.objects
    assert (dog.id, dog.name, dog.visible) == (1, "dog", True)
    assert dog.colour == PALETTE[0]
    assert dog.prompts[0].points == [[320, 180], [300, 60]] and dog.prompts[0].labels == [1, 0]
    assert dog.prompts[1].box == [100, 50, 400, 300] and dog.prompts[1].points is None
    assert dog.effects == [{"type": "emoji", "emoji": "🐶", "scale": 1.2}]
    assert project.background_effects == [{"type": "pixelate", "block": 24}]
    assert not project.dirty


def test_save_keeps_the_hand_written_shape(project_dir: Path) -> None:
    path = project_dir / "clip.rotokit"
    original = json.loads(path.read_text(encoding="utf-8"))
    save_project(load_project(path))
    saved = json.loads(path.read_text(encoding="utf-8"))
    # Everything the person wrote is still there, in the same place; we only add fields.
    assert saved["rotokit"] == 1 and saved["video"] == "clip.mp4"
    assert saved["background"] == original["background"]
    for key, value in original["objects"][0].items():
        assert saved["objects"][0][key] == value
    assert set(saved["objects"][0]) == {"id", "name", "colour", "visible", "prompts", "effects"}
    assert "🐶" in path.read_text(encoding="utf-8")  # UTF-8, not \\u escapes


def test_load_save_load_save_is_byte_identical(project_dir: Path) -> None:
    path = project_dir / "clip.rotokit"
    data = json.loads(path.read_text(encoding="utf-8"))
    # Fields from a newer tool or added by hand survive, at every level.
    data["notes"] = {"author": "ana", "tags": ["a", "b"]}
    data["objects"][0]["locked"] = True
    data["objects"][0]["prompts"][0]["source"] = "click"
    data["background"]["opacity"] = 0.5
    data["objects"].append(
        {
            "id": 7,
            "name": "ball",
            "colour": "#ff0000",
            "visible": False,
            "prompts": [
                {"frame": 3, "points": [[1.5, 2.25]], "labels": [1], "box": [0, 0, 9.5, 9]}
            ],
        }
    )
    path.write_text(json.dumps(data), encoding="utf-8")

    project = load_project(path)
    check_video(project)  # records the fingerprint
    save_project(project)
    first = path.read_bytes()
    save_project(load_project(path))
    assert path.read_bytes() == first
    again = json.loads(first)
    assert again["notes"] == data["notes"]
    assert again["objects"][0]["locked"] is True
    assert again["objects"][0]["prompts"][0]["source"] == "click"
    assert again["background"]["opacity"] == 0.5
    assert again["objects"][1]["prompts"][0] == data["objects"][1]["prompts"][0]
    assert again["video_fingerprint"]["frame_count"] == 90


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d["objects"][0]["prompts"][0].update(labels=[1]),
            "objects[0].prompts[0].labels: expected as many labels as points (2), got 1",
        ),
        (
            lambda d: d["objects"][0]["prompts"][1].update(box=[400, 50, 100, 300]),
            "objects[0].prompts[1].box: expected x0 < x1 and y0 < y1",
        ),
        (lambda d: d["objects"][0]["prompts"][0].update(frame=-1), "objects[0].prompts[0].frame"),
        (
            lambda d: d["objects"][0]["prompts"][0].pop("labels"),
            "objects[0].prompts[0].labels: missing",
        ),
        (
            lambda d: d["objects"][0]["prompts"][0].update(labels=[1, 2]),
            "objects[0].prompts[0].labels[1]",
        ),
        (
            lambda d: d["objects"][0]["prompts"][0].update(points=[[1, 2], [3]]),
            "objects[0].prompts[0].points[1]",
        ),
        (
            lambda d: d["objects"][0]["prompts"].append({"frame": 2}),
            "objects[0].prompts[2]: a prompt needs",
        ),
        (lambda d: d["objects"][0].update(colour="red"), 'objects[0].colour: expected "#rrggbb"'),
        (lambda d: d["objects"][0].pop("id"), "objects[0].id: missing"),
        (
            lambda d: d["objects"].append({"id": 1}),
            "objects[1].id: duplicate id 1 (also objects[0])",
        ),
        (lambda d: d["objects"][0].update(effects=[{"block": 3}]), "objects[0].effects[0].type"),
        (
            lambda d: d["background"].update(effects={"type": "blur"}),
            "background.effects: expected a list",
        ),
        (lambda d: d.pop("video"), "video: expected the video file path"),
        (lambda d: d.update(objects={}), "objects: expected a list"),
        (lambda d: d.update(range=[10, 5]), "range [10, 5]: END must be greater than START"),
    ],
)
def test_invalid_fields_are_named(project_dir: Path, mutate, message: str) -> None:
    path = project_dir / "clip.rotokit"
    data = json.loads(path.read_text(encoding="utf-8"))
    mutate(data)
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ProjectError) as err:
        load_project(path)
    assert message in str(err.value)
    assert str(path) in str(err.value)


def test_newer_format_is_refused_clearly(project_dir: Path) -> None:
    path = project_dir / "clip.rotokit"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["rotokit"] = FORMAT_VERSION + 1
    path.write_text(json.dumps(data), encoding="utf-8")
    before = path.read_bytes()
    with pytest.raises(
        ProjectError, match=r"was written by a newer rotokit \(format 2; this version reads 1\)"
    ):
        load_project(path)
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "truncated"),  # first half of a real project file
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00garbage\xff\xfe", "not UTF-8"),
        (b"[1, 2, 3]", "expected a JSON object"),
        (b'{"video": "clip.mp4"}', 'not a rotokit project (no "rotokit" format number)'),
        (b'{"rotokit": 1, "video": "clip.mp4", "objects": [], "x": NaN}', "NaN is not allowed"),
    ],
)
def test_corrupt_project_gives_clear_error_and_file_untouched(
    project_dir: Path, content, message
) -> None:
    path = project_dir / "clip.rotokit"
    if content is None:
        full = path.read_bytes()
        content = full[: len(full) // 2]
    path.write_bytes(content)
    with pytest.raises(ProjectError) as err:
        load_project(path)
    assert str(path) in str(err.value) and message in str(err.value)
    assert path.read_bytes() == content


@pytest.mark.parametrize("failing", ["os.replace", "os.fsync", "write"])
def test_failed_save_leaves_previous_file_and_no_temp(
    project_dir: Path, monkeypatch, failing: str
) -> None:
    path = project_dir / "clip.rotokit"
    project = load_project(path)
    before = path.read_bytes()
    rename_object(project, 1, "a much longer name than before")

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    if failing == "os.replace":
        monkeypatch.setattr(os, "replace", boom)
    elif failing == "os.fsync":
        monkeypatch.setattr(os, "fsync", boom)
    else:
        import app.project.storage as storage

        real_dumps = storage.dumps_project

        def half_then_fail(*args, **kwargs):
            text = real_dumps(*args, **kwargs)
            raise OSError(5, f"I/O error after {len(text) // 2} bytes")

        monkeypatch.setattr(storage, "dumps_project", half_then_fail)
    with pytest.raises((ProjectError, OSError)):
        save_project(project)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in project_dir.iterdir()) == ["clip.mp4", "clip.rotokit"]
    assert project.dirty  # still unsaved
    load_project(path)


_SAVER = """
import os, signal, sys
from app.project import load_project, save_project, Prompt

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

stage = sys.argv[2]
if stage == "before_rename":
    os.replace = die
elif stage == "mid_write":
    real_fdopen = os.fdopen

    class HalfWriter:
        def __init__(self, fh):
            self.fh = fh
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            self.fh.close()
        def write(self, data):
            self.fh.write(data[: len(data) // 2])
            self.fh.flush()
            die()

    os.fdopen = lambda *a, **k: HalfWriter(real_fdopen(*a, **k))

p = load_project(sys.argv[1])
obj = p.objects[0]
points = [[float(i), float(i + 1)] for i in range(50)]
obj.prompts = [Prompt(f, points=points, labels=[1] * 50) for f in range(400)]
print("ready", flush=True)
i = 0
while True:
    obj.name = f"dog {i}"
    save_project(p)
    i += 1
"""


@pytest.mark.parametrize("stage", ["mid_write", "before_rename", "random"])
def test_killing_a_save_midway_never_breaks_the_project(project_dir: Path, stage: str) -> None:
    """SIGKILL a process while it saves: the file on disk is the old or the new project, whole."""
    path = project_dir / "clip.rotokit"
    before = path.read_bytes()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for delay in (0.05, 0.21, 0.43) if stage == "random" else (0,):
        proc = subprocess.Popen(
            [sys.executable, "-c", _SAVER, str(path), stage],
            stdout=subprocess.PIPE,
            env=env,
            cwd=REPO,
        )
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait() == -signal.SIGKILL
        project = load_project(path)
        assert project.objects[0].name.startswith("dog")
        assert len(project.objects[0].prompts) in (2, 400)
    if stage != "random":
        assert path.read_bytes() == before  # died before the rename: the old file, byte for byte


def test_relative_video_survives_moving_the_folder(project_dir: Path, tmp_path: Path) -> None:
    project = load_project(project_dir / "clip.rotokit")
    check_video(project)
    save_project(project)
    moved = tmp_path / "elsewhere" / "renamed"
    moved.parent.mkdir()
    shutil.move(project_dir, moved)
    project = load_project(moved / "clip.rotokit")
    assert project.video_path == moved / "clip.mp4"
    assert check_video(project).frame_count == 90


def test_save_as_rebases_and_autosave_leaves_path_alone(project_dir: Path, tmp_path: Path) -> None:
    project = load_project(project_dir / "clip.rotokit")
    rename_object(project, 1, "puppy")
    assert project.dirty

    autosave = tmp_path / "cache" / "autosave" / "clip.rotokit"
    save_project(project, autosave)
    assert project.path == project_dir / "clip.rotokit" and project.dirty
    restored = load_project(autosave)
    assert restored.video_path.resolve() == (project_dir / "clip.mp4").resolve()
    assert restored.objects[0].name == "puppy"

    sub = project_dir / "versions" / "v2.rotokit"
    sub.parent.mkdir()
    project.set_path(sub)
    save_project(project)
    assert not project.dirty
    assert json.loads(sub.read_text(encoding="utf-8"))["video"] == "../clip.mp4"
    assert load_project(sub).video_path.resolve() == (project_dir / "clip.mp4").resolve()


def test_absolute_video_path_stays_absolute(project_dir: Path, tmp_path: Path) -> None:
    project = Project.new(project_dir / "clip.mp4")
    assert Path(project.video).is_absolute()
    out = save_project(project, tmp_path / "p.rotokit")
    assert json.loads(out.read_text(encoding="utf-8"))["video"] == str(project_dir / "clip.mp4")
    # A new project given a path stores the video relative to it.
    project = Project.new(project_dir / "clip.mp4", project_dir / "new.rotokit")
    assert project.video == "clip.mp4"


def test_unsaved_project_needs_a_path() -> None:
    with pytest.raises(ProjectError, match="not been saved yet"):
        save_project(Project.new("/nowhere/clip.mp4"))


def test_changed_video_is_reported(project_dir: Path, media_dir: Path) -> None:
    path = project_dir / "clip.rotokit"
    project = load_project(path)
    check_video(project)
    save_project(project)

    shutil.copy(media_dir / "people_audio.mp4", project_dir / "clip.mp4")
    with pytest.raises(ProjectError) as err:
        check_video(load_project(path))
    msg = str(err.value)
    assert str(project_dir / "clip.mp4") in msg and "not the video this project was made on" in msg
    assert "frame count 90 → 96" in msg

    # Same size and length, one byte changed near the start: still caught.
    shutil.copy(media_dir / "dog_ball.mp4", project_dir / "clip.mp4")
    check_video(load_project(path))
    data = bytearray((project_dir / "clip.mp4").read_bytes())
    data[5000] ^= 0xFF
    (project_dir / "clip.mp4").write_bytes(bytes(data))
    with pytest.raises(ProjectError, match="content differs"):
        check_video(load_project(path))

    (project_dir / "clip.mp4").unlink()
    with pytest.raises(ProjectError, match=r"clip\.mp4: video not found"):
        check_video(load_project(path))


def test_fingerprint_uses_displayed_size(media_dir: Path, tmp_path: Path) -> None:
    project = Project.new(media_dir / "rotated.mp4", tmp_path / "r.rotokit")
    fp = check_video(project)
    assert (fp.width, fp.height, fp.frame_count) == (360, 640, 90)
    fp = check_video(Project.new(media_dir / "vfr.mp4", tmp_path / "v.rotokit"))
    assert fp.frame_count == 82


def test_prompt_constructed_in_code_is_validated() -> None:
    with pytest.raises(ProjectError, match="expected as many labels as points"):
        Prompt(0, points=[[1, 2]], labels=[1, 0])
    with pytest.raises(ProjectError, match="needs points, a box or a mask_ref"):
        Prompt(0)


def test_effect_parameters_are_checked_by_the_effects_engine(project_dir: Path) -> None:
    path = project_dir / "clip.rotokit"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["objects"][0]["effects"] = [
        {"type": "blur", "strength": 5},
        {"type": "pixelate", "size": 3},
    ]
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ProjectError, match=r"objects\[0\]\.effects\[1\]: .*pixelate.*size"):
        load_project(path)
    data["objects"][0]["effects"] = [{"type": "sparkles"}]
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ProjectError, match=r"objects\[0\]\.effects\[0\]: .*sparkles"):
        load_project(path)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d["objects"][0]["prompts"][1].update(frame=90),
            r"objects\[0\]\.prompts\[1\]\.frame: 90 is past the last frame \(89\)",
        ),
        (
            lambda d: (
                d["objects"][0]["prompts"][0]["points"].append([641, 10])
                or d["objects"][0]["prompts"][0]["labels"].append(1)
            ),
            r"objects\[0\]\.prompts\[0\]\.points\[2\]: \[641, 10\] is outside the 640x360 frame",
        ),
        (
            lambda d: d["objects"][0]["prompts"][1].update(box=[700, 10, 800, 20]),
            r"prompts\[1\]\.box: .* does not overlap",
        ),
        (lambda d: d.update(range=[0, 100]), r"range 0:100 goes past the clip's 90 frames"),
    ],
)
def test_prompts_off_the_video_are_named(project_dir: Path, mutate, message: str) -> None:
    path = project_dir / "clip.rotokit"
    data = json.loads(path.read_text(encoding="utf-8"))
    mutate(data)
    path.write_text(json.dumps(data), encoding="utf-8")
    project = load_project(path)  # the file alone is valid...
    with pytest.raises(ProjectError, match=message):
        check_video(project)  # ...but not on this video


def test_prompt_mask_file_is_read_relative_to_the_project(project_dir: Path) -> None:
    import cv2
    import numpy as np

    from app.project import load_prompt_mask

    mask = np.zeros((360, 640), np.uint8)
    cv2.circle(mask, (300, 200), 40, 255, -1)
    (project_dir / "masks").mkdir()
    cv2.imwrite(str(project_dir / "masks" / "dog0.png"), mask)
    project = load_project(project_dir / "clip.rotokit")
    add_prompt(project, 1, Prompt(0, mask_ref="masks/dog0.png"))
    check_video(project)
    np.testing.assert_array_equal(
        load_prompt_mask(project, project.objects[0].prompts[-1]), mask > 0
    )
    cv2.imwrite(str(project_dir / "masks" / "dog0.png"), mask[:100])
    with pytest.raises(
        ProjectError, match=r"dog0\.png: prompt mask is 640x100, the video is 640x360"
    ):
        load_prompt_mask(project, project.objects[0].prompts[-1])
    with pytest.raises(ProjectError, match=r"nope\.png: prompt mask not found"):
        load_prompt_mask(project, Prompt(0, mask_ref="nope.png"))


def test_autosave_path_is_per_project_in_the_cache(
    project_dir: Path, tmp_path: Path, monkeypatch
) -> None:
    from app.project import autosave_path

    monkeypatch.setenv("ROTOKIT_CACHE", str(tmp_path / "cache"))
    project = load_project(project_dir / "clip.rotokit")
    path = autosave_path(project)
    assert path.parent == tmp_path / "cache" / "autosave" and path.name.startswith("clip-")
    other = Project.new(project_dir / "clip.mp4")  # never saved: keyed by its video
    assert autosave_path(other) != path and autosave_path(other).suffix == ".rotokit"
    rename_object(project, 1, "autosaved dog")
    save_project(project, path)
    assert load_project(path).objects[0].name == "autosaved dog"
    assert project.dirty and project.path == project_dir / "clip.rotokit"


@pytest.mark.skipif(sys.platform != "linux", reason="the XDG cache folder is Linux's")
def test_autosave_without_rotokit_cache_goes_to_the_xdg_cache(
    project_dir: Path, tmp_path: Path, monkeypatch
) -> None:
    """Where autosaves were before platformdirs computed it: existing ones are still found."""
    from app.project import autosave_path

    project = load_project(project_dir / "clip.rotokit")
    monkeypatch.delenv("ROTOKIT_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert autosave_path(project).parent == tmp_path / "xdg" / "rotokit" / "autosave"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert autosave_path(project).parent == tmp_path / "home" / ".cache" / "rotokit" / "autosave"
