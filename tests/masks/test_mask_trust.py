"""Masks are only used on the video and the frames they were computed for (issue 11, items 2-3).

Runs `rotokit` in-process as a user would: hand-written project, track, render, export.
"""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest
from masks_helpers import CLIP_FRAMES, cut_clip, user_lines, write_project

from app.cli import main
from app.project import MaskStore, fingerprint_video, load_project, masks_path_for, prompts_hash

DOG = {
    "id": 1,
    "name": "dog",
    "prompts": [{"frame": 0, "points": [[160, 90]], "labels": [1]}],
    "effects": [{"type": "blur", "strength": 8}],
}


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # the machine is shared: no thread oversubscription


def _run(capsys, *args: str) -> tuple[int, list[str]]:
    code = main(list(args))
    return code, user_lines(capsys.readouterr().err)


def _frames(path: Path) -> int:
    with av.open(str(path)) as c:
        return sum(1 for _ in c.decode(video=0))


def _covered(project_path: Path) -> list[tuple[int, int]]:
    project = load_project(project_path)
    with MaskStore(masks_path_for(project_path), readonly=True) as store:
        return store.covered(1, prompts_hash(project.object(1)))


# ---- item 2: masks from another video --------------------------------------------------------


@pytest.fixture
def tracked(tmp_path, short_clip, weights, capsys) -> Path:
    project = write_project(tmp_path / "p", short_clip, [DOG])
    code, _ = _run(capsys, "track", str(project), "--model", str(weights), "-q")
    assert code == 0
    return project


def test_track_records_the_video_fingerprint_of_a_hand_written_project(tracked: Path) -> None:
    with MaskStore(masks_path_for(tracked), readonly=True) as store:
        assert store.video_fingerprint() == fingerprint_video(tracked.parent / "clip.mp4")
    assert "video_fingerprint" not in json.loads(
        tracked.read_text()
    )  # the user's file is untouched


@pytest.mark.parametrize(
    "size, changed", [((320, 180), "content differs"), ((322, 182), "size 320x180 → 322x182")]
)
def test_render_and_export_refuse_a_replaced_video_in_one_line(
    tracked, tmp_path, weights, capsys, size, changed
) -> None:
    cut_clip(tracked.parent / "clip.mp4", size=size, skip=20)  # another part of the footage
    out = tmp_path / "out.mp4"
    code, lines = _run(capsys, "render", str(tracked), "-o", str(out), "--model", str(weights))
    assert code == 1 and len(lines) == 1, lines
    assert "not the video these masks were computed on" in lines[0] and changed in lines[0]
    assert f"rotokit track {tracked} --retrack" in lines[0]
    assert not out.exists()
    code, lines = _run(
        capsys,
        "export",
        str(tracked),
        "--format",
        "coco",
        "-o",
        str(tmp_path / "ds"),
        "--model",
        str(weights),
    )
    assert code == 1 and len(lines) == 1 and changed in lines[0], lines
    code, lines = _run(capsys, "track", str(tracked), "--model", str(weights))
    assert code == 1 and changed in lines[0]

    # the way out the message names: re-track, then render works on the new video
    code, _ = _run(capsys, "track", str(tracked), "--retrack", "--model", str(weights), "-q")
    assert code == 0
    code, lines = _run(capsys, "render", str(tracked), "-o", str(out), "--model", str(weights))
    assert code == 0, lines
    assert _frames(out) == CLIP_FRAMES
    with MaskStore(masks_path_for(tracked), readonly=True) as store:
        assert store.get(0, 1).shape == (size[1], size[0])


# ---- item 3: incomplete masks ----------------------------------------------------------------


def test_track_a_range_then_full_render_tracks_the_rest(
    tmp_path, short_clip, weights, capsys
) -> None:
    project = write_project(tmp_path / "p", short_clip, [DOG])
    assert (
        _run(capsys, "track", str(project), "--range", "0:10", "--model", str(weights), "-q")[0]
        == 0
    )
    assert _covered(project) == [(0, 10)]
    out = tmp_path / "out.mp4"
    code, lines = _run(capsys, "render", str(project), "-o", str(out), "--model", str(weights))
    assert code == 0, lines
    assert "computing 30 frames (1 resumed)" in lines[-1]  # frames 10-39 only, continued from 9
    assert _covered(project) == [(0, CLIP_FRAMES)]
    with MaskStore(masks_path_for(project), readonly=True) as store:
        assert all(store.get(f, 1) is not None for f in range(CLIP_FRAMES))

    # the same masks as one uninterrupted track of the whole clip
    whole = write_project(tmp_path / "q", short_clip, [DOG])
    assert _run(capsys, "track", str(whole), "--model", str(weights), "-q")[0] == 0
    with (
        MaskStore(masks_path_for(project), readonly=True) as a,
        MaskStore(masks_path_for(whole), readonly=True) as b,
    ):
        for f in range(CLIP_FRAMES):
            np.testing.assert_array_equal(a.get(f, 1), b.get(f, 1), err_msg=f"frame {f}")
        coverage = np.mean([a.get(f, 1).mean() for f in range(CLIP_FRAMES)])
    assert 0.02 < coverage < 0.98


def test_render_of_a_range_tracks_only_what_that_range_needs(
    tmp_path, short_clip, weights, capsys
) -> None:
    late = dict(DOG, prompts=[{"frame": 16, "points": [[160, 90]], "labels": [1]}])
    project = write_project(tmp_path / "p", short_clip, [late])
    out = tmp_path / "out.mp4"
    code, lines = _run(
        capsys, "render", str(project), "-o", str(out), "--range", "0:10", "--model", str(weights)
    )
    assert code == 0, lines
    # frames 0-9 come from tracking backward from the prompt on 16; frame 15 (the first
    # backward step) reads the memory of 16-30: 15 forward + 16 backward frames, not 40
    assert "computing 31 frames" in lines[-1]
    assert _covered(project) == [(0, 31)]
    assert _frames(out) == 10
    with MaskStore(masks_path_for(project), readonly=True) as store:
        assert store.get(31, 1) is None

    # export of a later range computes only what is still missing (31-39, resumed at 31)
    code, lines = _run(
        capsys,
        "export",
        str(project),
        "--format",
        "png",
        "-o",
        str(tmp_path / "ds"),
        "--range",
        "30:40",
        "--model",
        str(weights),
    )
    assert code == 0, lines
    assert _covered(project) == [(0, CLIP_FRAMES)]
    assert any("resuming the fwd pass at frame 31" in line for line in lines), lines


def test_export_refuses_frames_never_computed(tracked, tmp_path) -> None:
    from app.errors import ExportError
    from app.export import export_dataset

    project = load_project(tracked)
    with MaskStore(masks_path_for(tracked)) as store:
        store.delete_range(1, 5, 7)  # as if those frames were never tracked
    with (
        MaskStore(masks_path_for(tracked), readonly=True) as store,
        pytest.raises(ExportError, match=r"'dog' on frames 5-6"),
    ):
        export_dataset(project, store, "coco", tmp_path / "ds")
    assert not (tmp_path / "ds").exists()
