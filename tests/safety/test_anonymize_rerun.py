"""Issue 11 item 6: re-running anonymize keeps the person's edits to the face project."""

from __future__ import annotations

import json

import av
import numpy as np
import pytest

from app.cli import main
from tests.shared_media import clip_path


def _first_face_box(project_file) -> tuple[int, list[float]]:
    prompt = json.loads(project_file.read_text())["objects"][0]["prompts"][0]
    return prompt["frame"], prompt["box"]


def _frame(path, index: int) -> np.ndarray:
    with av.open(str(path)) as c:
        for i, f in enumerate(c.decode(video=0)):
            if i == index:
                return f.to_ndarray(format="rgb24").astype(int)
    raise AssertionError(index)


@pytest.fixture
def first_run(tmp_path):
    video = tmp_path / "b.mp4"
    video.write_bytes(clip_path("people_audio.mp4").read_bytes())
    out, project = tmp_path / "safe.mp4", tmp_path / "safe.rotokit"
    assert main(["anonymize", str(video), "-o", str(out), "-q"]) == 0
    assert json.loads(project.read_text())["objects"], "the clip should have a face"
    return video, out, project


def test_rerun_keeps_who_stays_visible_and_their_name(first_run, capsys):
    video, out, project = first_run
    frame, box = _first_face_box(project)
    x0, y0, x1, y1 = (int(v) for v in box)
    blurred = _frame(out, frame)[y0:y1, x0:x1]
    data = json.loads(project.read_text())
    data["objects"][0]["visible"] = False
    data["objects"][0]["name"] = "the magician (consented)"
    project.write_text(json.dumps(data))
    capsys.readouterr()

    assert main(["anonymize", str(video), "-o", str(out)]) == 0
    assert "kept the choices for 1 person(s)" in capsys.readouterr().err
    again = json.loads(project.read_text())["objects"][0]
    assert again["name"] == "the magician (consented)" and again["visible"] is False
    # and the new video honours it: the face is no longer hidden
    source = _frame(video, frame)[y0:y1, x0:x1]
    shown = _frame(out, frame)[y0:y1, x0:x1]
    assert np.abs(shown - source).mean() < np.abs(blurred - source).mean() / 3


def test_rerun_refuses_when_choices_would_be_lost_and_force_replaces(first_run, capsys):
    video, out, project = first_run
    data = json.loads(project.read_text())
    data["objects"].append(
        {
            "id": 99,
            "name": "my car",
            "prompts": [{"frame": 0, "box": [10, 10, 60, 60]}],
            "effects": [{"type": "pixelate"}],
        }
    )
    project.write_text(json.dumps(data))
    before_project, before_video = project.read_bytes(), out.read_bytes()
    capsys.readouterr()

    assert main(["anonymize", str(video), "-o", str(out), "-q"]) == 1
    err = capsys.readouterr().err
    assert "my car" in err and "--force" in err and len(err.strip().splitlines()) == 1
    assert project.read_bytes() == before_project and out.read_bytes() == before_video

    assert main(["anonymize", str(video), "-o", str(out), "-q", "--force"]) == 0
    names = [o["name"] for o in json.loads(project.read_text())["objects"]]
    assert "my car" not in names and all(n.startswith("face ") for n in names)


def test_a_damaged_project_or_other_footage_is_not_replaced_without_force(first_run, capsys):
    video, out, project = first_run
    before = project.read_bytes()
    video.write_bytes(clip_path("dog_ball.mp4").read_bytes())  # same name, other people
    assert main(["anonymize", str(video), "-o", str(out), "-q"]) == 1
    err = capsys.readouterr().err
    assert "different version of b.mp4" in err and "--force" in err
    assert project.read_bytes() == before
    project.write_text("{ damaged")
    assert main(["anonymize", str(video), "-o", str(out), "-q"]) == 1
    assert "--force" in capsys.readouterr().err
    assert project.read_text() == "{ damaged"
