"""The mask store: per-(object, frame) masks as COCO RLE in a SQLite file beside the project.

Why SQLite: one file (``clip.rotokit.masks``) that is written transactionally as propagation
yields frames (a crash loses at most the frame being written, never the store), read by the
GUI while a worker thread writes (WAL mode), and random access by frame without loading the
clip's masks into memory. Masks are COCO RLE (pycocotools), typically 0.5–3 KB per 1080p
object-frame.

Each object also records the hash of the prompts its masks were computed from, so the render
can tell masks that are missing or stale (prompts edited since tracking).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
from pycocotools import mask as mask_utils

from app.errors import ProjectError

if TYPE_CHECKING:
    from app.project.document import Project

__all__ = [
    "MaskStore", "STORE_VERSION", "masks_path_for", "encode_rle", "decode_rle", "rle_counts",
    "mask_bbox",
]

STORE_VERSION = 1
_SQLITE_MAGIC = b"SQLite format 3\x00"
_APPLICATION_ID = 0x526F746F  # "Roto": marks the file as ours in the SQLite header

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS masks (
    obj_id INTEGER NOT NULL,
    frame_idx INTEGER NOT NULL,
    counts BLOB NOT NULL,
    height INTEGER NOT NULL,
    width INTEGER NOT NULL,
    score REAL,
    updated REAL NOT NULL,
    PRIMARY KEY (obj_id, frame_idx)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS masks_by_frame ON masks (frame_idx);
CREATE TABLE IF NOT EXISTS prompt_hashes (
    obj_id INTEGER PRIMARY KEY,
    hash TEXT NOT NULL,
    model TEXT,
    updated REAL NOT NULL
);
"""


def masks_path_for(project_path: str | os.PathLike[str]) -> Path:
    """The sidecar store of a project: ``clip.rotokit`` → ``clip.rotokit.masks``."""
    project_path = Path(project_path)
    return project_path.with_name(project_path.name + ".masks")


def encode_rle(mask: np.ndarray) -> tuple[bytes, int, int]:
    """COCO RLE of a 2-D mask (bool or 0/1): ``(counts, height, width)``."""
    if mask.ndim != 2:
        raise ValueError(f"expected an H×W mask, got shape {mask.shape}")
    rle = mask_utils.encode(np.asfortranarray(mask, dtype=np.uint8))
    return rle["counts"], int(mask.shape[0]), int(mask.shape[1])


def decode_rle(counts: bytes, height: int, width: int) -> np.ndarray:
    """H×W bool mask from COCO RLE counts, C-contiguous.

    Decodes only the columns the mask's pixels span into a zeroed frame: pycocotools writes all
    H×W bytes column-major and the transpose to rows costs as much again; an object covers a
    fraction of the frame (≈ 8× faster on bench/conversions.py's 1080p masks).
    """
    runs = rle_counts(counts)
    if int(runs.sum()) != height * width:
        raise ValueError(f"RLE counts cover {int(runs.sum())} pixels, not {height}×{width}")
    out = np.zeros((height, width), np.uint8)
    ends = np.cumsum(runs)
    starts = ends - runs
    ones = slice(1, None, 2)  # runs alternate 0, 1, 0, … starting with zeros
    on_starts, on_ends = starts[ones], ends[ones]
    filled = on_ends > on_starts
    if not filled.any():
        return out.view(bool)
    x0 = int(on_starts[filled][0]) // height
    x1 = (int(on_ends[filled][-1]) - 1) // height + 1
    lo, hi = x0 * height, x1 * height  # column-major span of columns x0..x1
    keep = (ends > lo) & (starts < hi)
    values = (np.arange(len(runs)) % 2).astype(np.uint8)[keep]
    lengths = np.minimum(ends[keep], hi) - np.maximum(starts[keep], lo)
    columns = np.repeat(values, lengths).reshape(x1 - x0, height)
    out[:, x0:x1] = cv2.transpose(columns)
    return out.view(bool)


def rle_counts(counts: bytes) -> np.ndarray:
    """Run lengths of a COCO compressed RLE string (pycocotools' ``rleFrString``, vectorised).

    Each count is little-endian 5-bit groups, ``chr(48 + group)``, bit 0x20 = more groups
    follow, bit 0x10 of the last group = negative; from the fourth count on, each is stored as
    the difference to the count two before it.
    """
    c = np.frombuffer(counts, np.uint8).astype(np.int64) - 48
    last = np.flatnonzero((c & 0x20) == 0)  # the final group of each count
    if last.size == 0:
        return np.zeros(0, np.int64)
    first = np.concatenate(([0], last[:-1] + 1))
    groups = last - first + 1
    position = np.arange(c.size) - np.repeat(first, groups)
    x = np.add.reduceat((c & 0x1F) << (5 * position), first)
    negative = (c[last] & 0x10) != 0
    x[negative] -= np.left_shift(1, 5 * groups[negative])
    x[3::2] = np.cumsum(x[1::2])[1:]
    x[4::2] = np.cumsum(x[2::2])[1:]
    return x


def _rle_box(counts: bytes, height: int, width: int) -> tuple[int, int, int, int] | None:
    x, y, bw, bh = mask_utils.toBbox({"size": [height, width], "counts": counts}).tolist()
    if bw == 0 or bh == 0:  # pycocotools gives an empty mask a zero box
        return None
    return int(x), int(y), int(x + bw), int(y + bh)


def mask_bbox(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """``[x0, y0, x1, y1]`` (exclusive x1/y1) of a mask's pixels, or None when empty."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


class MaskStore:
    """Masks keyed by ``(obj_id, frame_idx)``; safe to share between a worker and the GUI thread.

    Parameters
    ----------
    path
        The store file (see `masks_path_for`). Created when missing unless `readonly`.
    readonly
        Open without ever writing (e.g. export while the GUI may own the store).

    Raises
    ------
    ProjectError
        The file is not a mask store, is damaged, or was written by a newer rotokit.
    """

    def __init__(self, path: str | os.PathLike[str], *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self._lock = threading.RLock()
        self._check_header()
        try:
            if readonly:
                if not self.path.is_file():
                    raise ProjectError(f"{self.path}: mask store not found (run tracking first)")
                # mode=rw + query_only where we may write the folder: a mode=ro connection creates
                # the WAL's -wal/-shm files but may not delete them on close, leaving litter
                # beside the project after every render; this one never writes a mask either
                writable = os.access(self.path, os.W_OK) and os.access(self.path.parent, os.W_OK)
                uri = f"{self.path.absolute().as_uri()}?mode={'rw' if writable else 'ro'}"
                self._conn = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
                self._conn.execute("PRAGMA query_only=ON")
            else:
                self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._open()
        except sqlite3.DatabaseError as exc:
            if hasattr(self, "_conn"):
                self._conn.close()
            raise self._error(exc) from None

    # ---- opening / checks ----------------------------------------------------------------

    def _check_header(self) -> None:
        """Refuse non-SQLite files before SQLite touches them (it could otherwise write to them)."""
        if not self.path.exists():
            if not self.path.parent.is_dir():
                raise ProjectError(f"{self.path}: cannot create the mask store, folder {self.path.parent} does not exist")
            return
        if self.path.is_dir():
            raise ProjectError(f"{self.path}: is a folder, not a mask store")
        try:
            with open(self.path, "rb") as fh:
                head = fh.read(100)
        except OSError as exc:  # permission denied, I/O error: one line naming the store
            raise ProjectError(f"{self.path}: cannot read the mask store ({exc.strerror or exc})") from None
        if len(head) == 0:
            return  # an empty file (e.g. touched) becomes a new store
        if len(head) < 100 or not head.startswith(_SQLITE_MAGIC):
            raise ProjectError(f"{self.path}: not a rotokit mask store (damaged or another kind of file)")

    def _open(self) -> None:
        conn = self._conn
        (app_id,) = conn.execute("PRAGMA application_id").fetchone()
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if tables and app_id != _APPLICATION_ID:
            raise ProjectError(f"{self.path}: an SQLite file but not a rotokit mask store")
        if "meta" in tables:
            row = conn.execute("SELECT value FROM meta WHERE key='version'").fetchone()
            version = int(row[0]) if row and str(row[0]).isdigit() else None
            if version is None:
                raise ProjectError(f"{self.path}: mask store has no version record (damaged)")
            if version > STORE_VERSION:
                raise ProjectError(
                    f"{self.path} was written by a newer rotokit (mask store format {version}; "
                    f"this version reads {STORE_VERSION})"
                )
        if self.readonly:
            if not tables:
                raise ProjectError(f"{self.path}: empty mask store (run tracking first)")
            return
        conn.execute("PRAGMA journal_mode=WAL")  # readers (GUI) never block the writer (worker)
        conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable at checkpoints, never corrupt
        if not tables:
            with self._transaction():
                conn.execute(f"PRAGMA application_id={_APPLICATION_ID}")
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (str(STORE_VERSION),))
        # Touch the tables once so a truncated file fails here, not mid-render.
        conn.execute("SELECT count(*) FROM masks").fetchone()

    def _error(self, exc: sqlite3.Error) -> ProjectError:
        return ProjectError(f"{self.path}: mask store is damaged or unreadable ({exc})")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self.readonly:
                raise ProjectError(f"{self.path}: mask store opened read-only")
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if "within a transaction" not in str(exc):
                    raise self._error(exc) from None
            try:
                yield self._conn
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
            else:
                if self._conn.in_transaction:
                    self._conn.execute("COMMIT")

    def _query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.DatabaseError as exc:
                raise self._error(exc) from None

    # ---- writing ----------------------------------------------------------------------------

    def put(self, frame_idx: int, obj_id: int, mask: np.ndarray, score: float | None = None) -> None:
        """Store (replace) one object's mask on one frame."""
        self.put_many(frame_idx, {obj_id: (mask, score)})

    def put_many(self, frame_idx: int, masks: Mapping[int, tuple[np.ndarray, float | None]]) -> None:
        """Store all objects' masks of one frame in one transaction (as propagation yields them)."""
        now = time.time()
        rows = []
        for obj_id, (mask, score) in masks.items():
            counts, height, width = encode_rle(np.asarray(mask))
            rows.append((int(obj_id), int(frame_idx), counts, height, width, None if score is None else float(score), now))
        try:
            with self._transaction() as conn:
                conn.executemany("INSERT OR REPLACE INTO masks VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        except sqlite3.DatabaseError as exc:
            raise self._error(exc) from None

    def delete_object(self, obj_id: int) -> None:
        """Forget every mask and the prompts hash of `obj_id`."""
        try:
            with self._transaction() as conn:
                conn.execute("DELETE FROM masks WHERE obj_id=?", (obj_id,))
                conn.execute("DELETE FROM prompt_hashes WHERE obj_id=?", (obj_id,))
        except sqlite3.DatabaseError as exc:
            raise self._error(exc) from None

    def delete_range(self, obj_id: int, start: int, end: int) -> None:
        """Forget the masks of `obj_id` on frames ``start <= frame_idx < end`` (before re-propagating)."""
        try:
            with self._transaction() as conn:
                conn.execute("DELETE FROM masks WHERE obj_id=? AND frame_idx>=? AND frame_idx<?", (obj_id, start, end))
        except sqlite3.DatabaseError as exc:
            raise self._error(exc) from None

    def prune(self, keep_ids: Iterable[int]) -> None:
        """Delete masks of objects no longer in the project (call on save, not on remove: undo)."""
        keep = sorted(set(int(i) for i in keep_ids))
        for obj_id in self.object_ids():
            if obj_id not in keep:
                self.delete_object(obj_id)

    def set_prompts_hash(self, obj_id: int, prompts_hash: str, model: str | None = None) -> None:
        """Record which prompts (see `app.project.prompts_hash`) the object's masks come from."""
        try:
            with self._transaction() as conn:
                conn.execute(
                    "INSERT OR REPLACE INTO prompt_hashes VALUES (?, ?, ?, ?)", (obj_id, prompts_hash, model, time.time())
                )
        except sqlite3.DatabaseError as exc:
            raise self._error(exc) from None

    # ---- reading ----------------------------------------------------------------------------

    def get(self, frame_idx: int, obj_id: int) -> np.ndarray | None:
        """The mask of `obj_id` on `frame_idx`, or None if none is stored."""
        rows = self._query(
            "SELECT counts, height, width FROM masks WHERE obj_id=? AND frame_idx=?", (obj_id, frame_idx)
        )
        return self._decode(frame_idx, obj_id, *rows[0]) if rows else None

    def score(self, frame_idx: int, obj_id: int) -> float | None:
        rows = self._query("SELECT score FROM masks WHERE obj_id=? AND frame_idx=?", (obj_id, frame_idx))
        return rows[0][0] if rows else None

    def frame_masks(self, frame_idx: int) -> dict[int, np.ndarray]:
        """Every stored object mask on `frame_idx`, by obj_id."""
        return self.frame_masks_and_boxes(frame_idx)[0]

    def frame_masks_and_boxes(
        self, frame_idx: int
    ) -> tuple[dict[int, np.ndarray], dict[int, tuple[int, int, int, int] | None]]:
        """Masks on `frame_idx` and each one's tight ``(x0, y0, x1, y1)`` box (exclusive ends,
        None when empty), read from the RLE in the same query so the two always agree even
        while a worker writes."""
        rows = self._query("SELECT obj_id, counts, height, width FROM masks WHERE frame_idx=? ORDER BY obj_id", (frame_idx,))
        masks = {obj_id: self._decode(frame_idx, obj_id, counts, h, w) for obj_id, counts, h, w in rows}
        boxes = {obj_id: _rle_box(counts, h, w) for obj_id, counts, h, w in rows}
        return masks, boxes

    def _decode(self, frame_idx: int, obj_id: int, counts: bytes, h: int, w: int) -> np.ndarray:
        try:
            return decode_rle(counts, h, w)
        except ValueError as exc:
            raise ProjectError(f"{self.path}: mask of object {obj_id} on frame {frame_idx} is "
                               f"damaged ({exc})") from None

    def frame_scores(self, frame_idx: int) -> dict[int, float | None]:
        """Every stored object's score on `frame_idx`, by obj_id."""
        return dict(self._query("SELECT obj_id, score FROM masks WHERE frame_idx=? ORDER BY obj_id", (frame_idx,)))

    def frame_rles(self, frame_idx: int) -> dict[int, dict]:
        """Like `frame_masks` but undecoded COCO RLE dicts (``{"size": [h, w], "counts": bytes}``)."""
        rows = self._query("SELECT obj_id, counts, height, width FROM masks WHERE frame_idx=? ORDER BY obj_id", (frame_idx,))
        return {obj_id: {"size": [h, w], "counts": counts} for obj_id, counts, h, w in rows}

    def frames_with_mask(self, obj_id: int) -> list[int]:
        """Sorted frame indices where `obj_id` has a stored mask (for the timeline)."""
        return [r[0] for r in self._query("SELECT frame_idx FROM masks WHERE obj_id=? ORDER BY frame_idx", (obj_id,))]

    def scores(self, obj_id: int) -> dict[int, float | None]:
        """Per-frame score of `obj_id` (presence / predicted IoU from the tracker)."""
        return dict(self._query("SELECT frame_idx, score FROM masks WHERE obj_id=? ORDER BY frame_idx", (obj_id,)))

    def bbox(self, frame_idx: int, obj_id: int) -> tuple[int, int, int, int] | None:
        """``(x0, y0, x1, y1)`` of the stored mask (exclusive ends); None if missing or empty."""
        rows = self._query("SELECT counts, height, width FROM masks WHERE obj_id=? AND frame_idx=?", (obj_id, frame_idx))
        if not rows:
            return None
        return _rle_box(*rows[0])

    def object_ids(self) -> list[int]:
        """Objects that have masks or a prompts hash."""
        rows = self._query("SELECT obj_id FROM masks UNION SELECT obj_id FROM prompt_hashes ORDER BY 1")
        return [r[0] for r in rows]

    def prompts_hash(self, obj_id: int) -> str | None:
        rows = self._query("SELECT hash FROM prompt_hashes WHERE obj_id=?", (obj_id,))
        return rows[0][0] if rows else None

    def stale_objects(self, project: Project) -> list[int]:
        """Objects with prompts whose masks are missing or were computed from other prompts."""
        from app.project.document import prompts_hash

        stale = []
        for obj in project.objects:
            if not obj.prompts:
                continue
            if self.prompts_hash(obj.id) != prompts_hash(obj) or not self._query(
                "SELECT 1 FROM masks WHERE obj_id=? LIMIT 1", (obj.id,)
            ):
                stale.append(obj.id)
        return stale

    # ---- lifetime ---------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> MaskStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"MaskStore({str(self.path)!r})"
