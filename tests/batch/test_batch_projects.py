"""`batch render` of a hand-written project that needs tracking first: tracked with the model
loaded once per worker, and a rerun skips it (the resume key sees the store as tracked)."""

from __future__ import annotations

import json
from pathlib import Path

import av
import cv2

from app.media import probe
from tests.batch.conftest import report, run
from tests.shared_media import clip_path


def _tiny_project(folder: Path, name: str, frames: int = 8) -> Path:
    """A 160×90 clip of the first frames of people_audio.mp4 and a project with one box prompt."""
    video = folder / f"{name}.mp4"
    with av.open(str(clip_path("people_audio.mp4"))) as src, av.open(str(video), "w") as out:
        stream = out.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 160, 90, "yuv420p"
        for i, frame in enumerate(src.decode(video=0)):
            if i == frames:
                break
            rgb = cv2.resize(
                frame.to_ndarray(format="rgb24"), (160, 90), interpolation=cv2.INTER_AREA
            )
            out.mux(stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
        out.mux(stream.encode())
    project = folder / f"{name}.rotokit"
    project.write_text(
        json.dumps(
            {
                "rotokit": 1,
                "video": video.name,
                "objects": [
                    {
                        "id": 1,
                        "name": "face",
                        "prompts": [{"frame": 0, "box": [60, 20, 100, 60]}],
                        "effects": [{"type": "pixelate", "block": 8}],
                    }
                ],
            }
        )
    )
    return project


def test_render_tracks_stale_projects_and_a_rerun_skips_them(tmp_path: Path) -> None:
    projects = tmp_path / "projects"
    (projects / "sub").mkdir(parents=True)
    _tiny_project(projects, "one")
    _tiny_project(projects / "sub", "two")
    out = tmp_path / "out"
    args = (
        "batch",
        "render",
        str(projects),
        "-o",
        str(out),
        "--model",
        "test-random-micro",
        "--jobs",
        "1",
        "-q",
    )
    code, err = run(*args)
    assert code == 0, err
    assert err.count("RANDOM weights (test-random-micro)") == 1  # one worker, the model loaded once
    assert [x["status"] for x in report(out)] == ["done", "done"]
    assert probe(out / "one.mp4").frame_count == 8 and probe(out / "sub/two.mp4").frame_count == 8
    assert (projects / "sub/two.rotokit.masks").is_file()  # tracked into the project's own store

    code, err = run(*args)
    assert code == 0, err
    assert [x["status"] for x in report(out)[2:]] == ["skipped", "skipped"]
