"""Mask store format 2: coverage written with the masks; format-1 stores keep their meaning."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from app.project import MaskStore
from app.project.spans import ALL_FRAMES
from app.project.store_file import APPLICATION_ID as _APPLICATION_ID

V1_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE masks (obj_id INTEGER NOT NULL, frame_idx INTEGER NOT NULL, counts BLOB NOT NULL,
    height INTEGER NOT NULL, width INTEGER NOT NULL, score REAL, updated REAL NOT NULL,
    PRIMARY KEY (obj_id, frame_idx)) WITHOUT ROWID;
CREATE TABLE prompt_hashes (obj_id INTEGER PRIMARY KEY, hash TEXT NOT NULL, model TEXT,
    updated REAL NOT NULL);
"""


def _v1_store(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA application_id={_APPLICATION_ID}")
        db.executescript(V1_SCHEMA)
        db.execute("INSERT INTO meta VALUES ('version', '1')")
        db.execute("INSERT INTO prompt_hashes VALUES (1, 'abc', 'edgetam', 0)")
    with MaskStore(path.with_name("tmp.masks")) as fresh:  # borrow a real RLE row
        fresh.put(0, 1, np.ones((4, 6), bool))
        row = fresh._query("SELECT * FROM masks")[0]
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO masks VALUES (?, ?, ?, ?, ?, ?, ?)", row)


def test_format_1_store_is_read_and_upgraded_with_the_same_meaning(tmp_path: Path) -> None:
    path = tmp_path / "old.rotokit.masks"
    _v1_store(path)
    with MaskStore(path, readonly=True) as old:  # read-only: not upgraded, still understood
        assert old.covered(1, "abc") == [(0, ALL_FRAMES)] and old.missing(1, "abc", 0, 90) == []
        assert old.video_fingerprint() is None
    with MaskStore(path) as store:
        assert store.covered(1, "abc") == [(0, ALL_FRAMES)]
        assert store.missing(1, "other", 0, 5) == [(0, 5)]
        assert store.get(0, 1).all()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta WHERE key='version'").fetchone() == ("2",)


def test_coverage_follows_the_frames_written_and_a_new_hash_replaces_the_old(
    tmp_path: Path,
) -> None:
    mask = np.zeros((4, 6), bool)
    with MaskStore(tmp_path / "s.masks") as store:
        for f in (0, 1, 2, 5):
            store.put_many(f, {1: (mask, 1.0)}, computed={1: ("h1", "m")})
        assert store.covered(1, "h1") == [(0, 3), (5, 6)]
        assert store.missing(1, "h1", 0, 8) == [(3, 5), (6, 8)]
        store.put_many(1, {1: (mask, 1.0)}, computed={1: ("h2", "m")})
        assert store.coverage(1) == [(0, 1, "h1"), (1, 2, "h2"), (2, 3, "h1"), (5, 6, "h1")]
        store.delete_range(1, 0, 3)
        assert store.coverage(1) == [(5, 6, "h1")] and store.get(0, 1) is None
