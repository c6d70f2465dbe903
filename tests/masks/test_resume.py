"""A killed `track` or `render` resumes where it stopped and ends with the masks of an
uninterrupted run (issue 11, item 4). The kill is real: the fault hook SIGKILLs the process
after N stored frames, as `kill -9` would."""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pytest
from masks_helpers import CLIP_FRAMES, FAULT, all_masks, cli_env, run_cli, user_lines, write_project

# Two objects prompted on different frames: a forward pass from 8 and a backward pass from 7.
OBJECTS = [
    {
        "id": 1,
        "name": "dog",
        "prompts": [{"frame": 8, "points": [[160, 90]], "labels": [1]}],
        "effects": [{"type": "blur"}],
    },
    {
        "id": 2,
        "name": "ball",
        "prompts": [{"frame": 12, "box": [60, 40, 200, 150]}],
        "effects": [{"type": "pixelate"}],
    },
]


def _computed(stderr: str) -> int:
    found = re.findall(r"comput\w* (\d+) frames", stderr)
    assert found, stderr
    return int(found[-1])


@pytest.fixture(scope="module")
def reference(tmp_path_factory, short_clip, weights) -> dict:
    """Masks of one uninterrupted `rotokit track`."""
    project = write_project(tmp_path_factory.mktemp("ref"), short_clip, OBJECTS)
    done = run_cli("track", str(project), "--model", str(weights))
    assert done.returncode == 0, done.stderr
    assert _computed(done.stderr) == CLIP_FRAMES
    masks = all_masks(project.with_name("edit.rotokit.masks"), CLIP_FRAMES)
    assert len(masks) == 2 * CLIP_FRAMES
    coverage = np.mean([m.mean() for m in masks.values()])
    assert 0.02 < coverage < 0.98, coverage  # non-trivial masks, else equality proves nothing
    return masks


def _assert_same(masks: dict, reference: dict) -> None:
    assert masks.keys() == reference.keys()
    for key, mask in reference.items():
        np.testing.assert_array_equal(masks[key], mask, err_msg=f"frame, object {key}")


# Killed in the forward pass (after frame 22, the end of its head: always a memory checkpoint,
# so the forward pass never restarts) and in the backward pass.
@pytest.mark.parametrize("kill_after", [24, 36])
def test_killed_track_resumes_and_equals_an_uninterrupted_run(
    tmp_path, short_clip, weights, reference, kill_after
) -> None:
    project = write_project(tmp_path / "p", short_clip, OBJECTS)
    killed = run_cli("track", str(project), "--model", str(weights), **{FAULT: str(kill_after)})
    assert killed.returncode == -signal.SIGKILL
    store = project.with_name("edit.rotokit.masks")
    assert len(all_masks(store, CLIP_FRAMES)) == 2 * kill_after  # each stored frame survived

    again = run_cli("track", str(project), "--model", str(weights))
    assert again.returncode == 0, again.stderr
    # resumed at the last memory checkpoint at or before the kill (a pass without one restarts
    # at its anchor), never from the prompt for the whole clip
    assert CLIP_FRAMES - kill_after <= _computed(again.stderr) < CLIP_FRAMES
    _assert_same(all_masks(store, CLIP_FRAMES), reference)

    done = run_cli("track", str(project), "--model", str(weights))
    assert done.returncode == 0 and "masks are up to date" in done.stderr


def test_killed_render_resumes_its_tracking(tmp_path, short_clip, weights, reference) -> None:
    project = write_project(tmp_path / "p", short_clip, OBJECTS)
    out = tmp_path / "out.mp4"
    killed = run_cli(
        "render", str(project), "-o", str(out), "--model", str(weights), **{FAULT: "24"}
    )
    assert killed.returncode == -signal.SIGKILL and not out.exists()
    again = run_cli("render", str(project), "-o", str(out), "--model", str(weights))
    assert again.returncode == 0, again.stderr
    assert CLIP_FRAMES - 24 <= _computed(again.stderr) < CLIP_FRAMES
    assert "resuming" in again.stderr and out.is_file()
    _assert_same(all_masks(project.with_name("edit.rotokit.masks"), CLIP_FRAMES), reference)


def test_ctrl_c_says_how_many_frames_were_kept_and_that_the_next_run_resumes(
    tmp_path, short_clip, weights
) -> None:
    project = write_project(tmp_path / "p", short_clip, OBJECTS)
    store = project.with_name("edit.rotokit.masks")
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "track", str(project), "--model", str(weights)],
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
        try:
            with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as db:
                if db.execute("SELECT count(DISTINCT frame_idx) FROM masks").fetchone()[0] >= 3:
                    break
        except sqlite3.Error:
            continue
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 130
    lines = user_lines(stderr)
    assert "no partial output was kept" not in stderr
    kept = re.search(r"the masks of the (\d+) frame\(s\) computed are kept", lines[-1])
    assert kept and int(kept.group(1)) >= 3 and "resumes" in lines[-1], lines
    again = run_cli("track", str(project), "--model", str(weights))
    assert again.returncode == 0
    assert _computed(again.stderr) == CLIP_FRAMES - int(kept.group(1))
