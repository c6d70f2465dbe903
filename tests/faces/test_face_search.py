"""`app.face_search.find_face_tracks`: the one face finder (anonymize, the editor, batch)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from app.errors import Cancelled, InvalidOption
from app.face_search import find_face_tracks


def test_finds_the_one_person_on_every_frame(media_dir: Path) -> None:
    progress: list[tuple[int, int]] = []
    found = find_face_tracks(
        media_dir / "people_audio.mp4", on_progress=lambda d, t: progress.append((d, t))
    )
    assert found.frames == 96 and found.shape == (360, 640) and found.fps == pytest.approx(24)
    (track,) = found.tracks  # README: one face on all 96 frames
    assert set(track.boxes) == set(range(96))
    x0, y0, x1, y1 = track.boxes[0]
    assert 0 <= x0 < x1 <= 640 and 0 <= y0 < y1 <= 360
    assert progress[-1] == (96, 96)
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)


def test_cancel_stops_the_search_and_its_decode_thread(media_dir: Path) -> None:
    cancel = threading.Event()

    def progress(done: int, total: int) -> None:
        if done >= 10:
            cancel.set()

    with pytest.raises(Cancelled, match="dog_ball.mp4"):
        find_face_tracks(media_dir / "dog_ball.mp4", on_progress=progress, cancel=cancel)
    assert [t.name for t in threading.enumerate() if t.name.startswith("rotokit-")] == []


@pytest.mark.parametrize("threshold", [0.0, 1.0, 1.5])
def test_threshold_outside_0_1_is_refused_before_any_work(threshold: float, tmp_path) -> None:
    with pytest.raises(InvalidOption, match=f"--threshold {threshold}: must be between 0 and 1"):
        find_face_tracks(tmp_path / "missing.mp4", threshold=threshold)
