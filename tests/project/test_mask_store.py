"""The sidecar mask store: exact round trip, concurrent use, stale detection, clear errors on bad
files."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.errors import ProjectError
from app.media import FrameSource
from app.project import (
    MaskStore,
    Prompt,
    add_object,
    add_prompt,
    load_project,
    mask_bbox,
    masks_path_for,
    prompts_hash,
    remove_prompt,
)


@pytest.fixture(scope="module")
def real_masks(media_dir: Path) -> list[np.ndarray]:
    """Masks shaped like real ones: the bright pixels of real dog_ball frames, cleaned up."""
    out = []
    with FrameSource(media_dir / "dog_ball.mp4") as frames:
        for frame in frames.iter_frames(0, 12):
            gray = cv2.cvtColor(frame.rgb, cv2.COLOR_RGB2GRAY)
            mask = cv2.morphologyEx(
                (gray > 150).astype(np.uint8), cv2.MORPH_OPEN, np.ones((5, 5), np.uint8)
            )
            out.append(mask.astype(bool))
    assert all(m.any() and not m.all() for m in out)
    return out


def test_masks_round_trip_exactly_and_survive_reopening(
    tmp_path: Path, real_masks: list[np.ndarray]
) -> None:
    path = tmp_path / "clip.rotokit.masks"
    with MaskStore(path) as store:
        for idx, mask in enumerate(real_masks):
            store.put_many(idx, {1: (mask, 0.9), 2: (~mask, 0.5 + idx / 100)})
    assert path.stat().st_size < sum(m.size for m in real_masks) // 8  # compressed
    with MaskStore(path) as store:
        for idx, mask in enumerate(real_masks):
            np.testing.assert_array_equal(store.get(idx, 1), mask)
            frame = store.frame_masks(idx)
            assert sorted(frame) == [1, 2]
            np.testing.assert_array_equal(frame[2], ~mask)
            assert frame[1].dtype == bool
        assert store.get(99, 1) is None and store.get(0, 3) is None
        assert store.frames_with_mask(1) == list(range(len(real_masks)))
        assert store.scores(2)[3] == pytest.approx(0.53)
        assert store.bbox(4, 1) == mask_bbox(real_masks[4])


def test_put_replaces_and_delete_range_and_object(
    tmp_path: Path, real_masks: list[np.ndarray]
) -> None:
    with MaskStore(tmp_path / "s.masks") as store:
        for idx in range(10):
            store.put(idx, 5, real_masks[idx], 0.8)
        store.put(3, 5, real_masks[0], 0.1)
        np.testing.assert_array_equal(store.get(3, 5), real_masks[0])
        assert store.score(3, 5) == pytest.approx(0.1)
        store.delete_range(5, 2, 6)
        assert store.frames_with_mask(5) == [0, 1, 6, 7, 8, 9]
        store.put(0, 6, real_masks[0])
        store.delete_object(5)
        assert store.frames_with_mask(5) == [] and store.object_ids() == [6]
        store.prune(keep_ids=[])
        assert store.object_ids() == []


def test_empty_mask_has_no_bbox(tmp_path: Path) -> None:
    with MaskStore(tmp_path / "s.masks") as store:
        store.put(0, 1, np.zeros((9, 7), bool), 0.0)
        assert store.get(0, 1).shape == (9, 7) and not store.get(0, 1).any()
        assert store.bbox(0, 1) is None and store.bbox(1, 1) is None


def test_stale_masks_are_detected_when_prompts_change(project_dir: Path, real_masks) -> None:
    project = load_project(project_dir / "clip.rotokit")
    ball = add_object(project, "ball")
    add_prompt(project, ball.id, Prompt(0, box=[10, 10, 50, 50]))
    with MaskStore(masks_path_for(project.path)) as store:
        assert store.stale_objects(project) == [1, ball.id]  # nothing tracked yet
        for obj in project.objects:
            store.put(0, obj.id, real_masks[0])
            store.set_prompts_hash(obj.id, prompts_hash(obj), model="test-random-micro")
        assert store.stale_objects(project) == []
        add_prompt(project, 1, Prompt(5, points=[[1, 2]], labels=[0]))
        assert store.stale_objects(project) == [1]
        remove_prompt(project, 1, 2)  # back to the prompts the masks came from
        assert store.stale_objects(project) == []
        add_object(project, "no prompts yet")  # nothing to track: not stale
        assert store.stale_objects(project) == []


def test_worker_writes_while_gui_thread_reads(tmp_path: Path, real_masks) -> None:
    store = MaskStore(tmp_path / "s.masks")
    reader = MaskStore(tmp_path / "s.masks", readonly=True)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for idx in range(200):
                store.put_many(idx, {1: (real_masks[idx % len(real_masks)], 0.5)})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=worker)
    thread.start()
    while thread.is_alive():
        frames = store.frames_with_mask(1)
        if frames:  # whatever the writer has committed is readable, from either connection
            assert store.get(frames[-1], 1) is not None  # same connection, another thread
            assert reader.get(frames[0], 1) is not None  # a second connection
    thread.join()
    assert not errors
    assert reader.frames_with_mask(1) == list(range(200))
    store.close()
    reader.close()


@pytest.mark.parametrize("content", [b"this is not a database at all" * 10, b"\x00" * 4096])
def test_non_sqlite_file_is_refused_and_untouched(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "clip.rotokit.masks"
    path.write_bytes(content)
    with pytest.raises(ProjectError, match=r"clip\.rotokit\.masks: not a rotokit mask store"):
        MaskStore(path)
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.rotokit.masks"]


def _filled_store(path: Path, masks: list[np.ndarray]) -> None:
    with MaskStore(path) as store:
        for idx, mask in enumerate(masks):
            store.put(idx, 1, mask, 0.5)
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=DELETE")  # fold the WAL into the main file
    con.close()


def test_truncated_store_gives_clear_error(tmp_path: Path, real_masks) -> None:
    path = tmp_path / "clip.rotokit.masks"
    _filled_store(path, real_masks)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ProjectError) as err:
        with MaskStore(path) as store:
            for idx in range(len(real_masks)):
                store.get(idx, 1)
    assert str(path) in str(err.value) and "mask store" in str(err.value)
    assert path.read_bytes() == data[: len(data) // 2]


def test_other_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE notes (x)")
    con.commit()
    con.close()
    before = path.read_bytes()
    with pytest.raises(ProjectError, match="an SQLite file but not a rotokit mask store"):
        MaskStore(path)
    assert path.read_bytes() == before


def test_newer_store_version_is_refused_and_untouched(tmp_path: Path, real_masks) -> None:
    path = tmp_path / "clip.rotokit.masks"
    _filled_store(path, real_masks[:2])
    con = sqlite3.connect(path)
    con.execute("UPDATE meta SET value='3' WHERE key='version'")
    con.commit()
    con.close()
    before = path.read_bytes()
    with pytest.raises(
        ProjectError,
        match=r"written by a newer rotokit \(mask store format 3; this version reads 2\)",
    ):
        MaskStore(path)
    assert path.read_bytes() == before


def test_failed_write_keeps_previous_masks(tmp_path: Path, real_masks) -> None:
    path = tmp_path / "s.masks"
    with MaskStore(path) as store:
        store.put_many(0, {1: (real_masks[0], 0.5), 2: (real_masks[1], 0.5)})
        with pytest.raises(ValueError):
            store.put_many(0, {1: (real_masks[2], 0.9), 2: (np.zeros((4, 4, 3), bool), 0.9)})
        np.testing.assert_array_equal(store.get(0, 1), real_masks[0])  # all or nothing

        # A failure inside the transaction (e.g. disk full) rolls the whole frame back.
        real_execute = sqlite3.Connection.executemany

        class Boom(sqlite3.OperationalError):
            pass

        def executemany_then_fail(conn, sql, rows):
            real_execute(conn, sql, rows)
            raise Boom("database or disk is full")

        conn = store._conn
        store._conn = _Proxy(conn, executemany_then_fail)
        with pytest.raises(ProjectError, match="disk is full"):
            store.put_many(0, {1: (real_masks[3], 0.9), 2: (real_masks[3], 0.9)})
        store._conn = conn
        np.testing.assert_array_equal(store.get(0, 1), real_masks[0])
        np.testing.assert_array_equal(store.get(0, 2), real_masks[1])


class _Proxy:
    """A connection whose executemany fails after writing (sqlite3.Connection can't be patched)."""

    def __init__(self, conn: sqlite3.Connection, executemany) -> None:
        self._conn, self._executemany = conn, executemany

    def executemany(self, sql, rows):
        return self._executemany(self._conn, sql, rows)

    def __getattr__(self, name):
        return getattr(self._conn, name)


def test_readonly_store_refuses_writes_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="mask store not found"):
        MaskStore(tmp_path / "none.masks", readonly=True)
    MaskStore(tmp_path / "s.masks").close()
    with MaskStore(tmp_path / "s.masks", readonly=True) as store:
        with pytest.raises(ProjectError, match="read-only"):
            store.put(0, 1, np.ones((2, 2), bool))


def test_store_in_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="folder .* does not exist"):
        MaskStore(tmp_path / "gone" / "clip.rotokit.masks")


def _shapes(h: int, w: int, rng: np.random.Generator) -> list[np.ndarray]:
    corner = np.zeros((h, w), bool)
    corner[-1, -1] = True
    origin = np.zeros((h, w), bool)
    origin[0, 0] = True
    masks = [np.zeros((h, w), bool), np.ones((h, w), bool), corner, origin]
    for _ in range(6):
        masks.append(rng.random((h, w)) < rng.random())  # many runs, some crossing columns
        disc = np.zeros((h, w), np.uint8)
        cv2.circle(
            disc,
            (int(rng.integers(0, w)), int(rng.integers(0, h))),
            int(rng.integers(1, max(2, h))),
            1,
            -1,
        )
        masks.append(disc.astype(bool))
    return masks


@pytest.mark.parametrize(("h", "w"), [(1, 1), (3, 5), (7, 2), (361, 641), (1080, 1920)])
def test_rle_decoding_matches_pycocotools(h: int, w: int) -> None:
    from pycocotools import mask as mask_utils

    from app.project.masks import decode_rle, encode_rle

    for mask in _shapes(h, w, np.random.default_rng(h * w)):
        counts, height, width = encode_rle(mask)
        ours = decode_rle(counts, height, width)
        reference = mask_utils.decode({"size": [height, width], "counts": counts}).astype(bool)
        assert ours.dtype == bool and ours.flags.c_contiguous and ours.shape == (h, w)
        assert np.array_equal(ours, reference)


def test_rle_with_wrong_pixel_count_is_refused() -> None:
    from app.project.masks import decode_rle, encode_rle

    counts, _, _ = encode_rle(np.ones((4, 4), bool))
    with pytest.raises(ValueError, match="16 pixels, not 4×5"):
        decode_rle(counts, 4, 5)


def test_damaged_mask_row_names_object_and_frame(tmp_path: Path) -> None:
    path = tmp_path / "clip.rotokit.masks"
    with MaskStore(path) as store:
        store.put(3, 7, np.ones((4, 4), bool))
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE masks SET width=5")
    with (
        MaskStore(path, readonly=True) as store,
        pytest.raises(ProjectError, match="object 7 on frame 3 is damaged"),
    ):
        store.frame_masks(3)


def test_boxes_are_the_tight_boxes_of_the_masks(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    shapes = _shapes(48, 64, rng) + _shapes(361, 641, rng)
    with MaskStore(tmp_path / "m.masks") as store:
        for i, mask in enumerate(shapes):
            store.put(i, 1 + i % 3, mask)
            masks, boxes = store.frame_masks_and_boxes(i)
            assert np.array_equal(masks[1 + i % 3], mask)
            assert boxes == {1 + i % 3: mask_bbox(mask)}
