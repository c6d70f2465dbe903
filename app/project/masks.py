"""The mask store: per-(object, frame) masks as COCO RLE in a SQLite file beside the project.

Why SQLite: one file (``clip.rotokit.masks``) that is written transactionally as propagation
yields frames (a crash loses at most the frame being written, never the store), read by the
GUI while a worker thread writes (WAL mode), and random access by frame without loading the
clip's masks into memory. Masks are COCO RLE (pycocotools), typically 0.5–3 KB per 1080p
object-frame.

Three more records make the masks trustworthy (format 2):
  * the video fingerprint they were computed on (``meta``): a reader refuses another video;
  * coverage: per object, the spans of frames computed and the hash of the prompts they were
    computed from, written in the same transaction as the masks, so staleness is per object
    *and* per frame span and an interrupted run knows exactly what it kept;
  * resume memory: the tracker's memory of the last few frames of each propagation pass
    (``memory``), also written with the masks, so a killed run continues from its last stored
    frame with exactly the state an uninterrupted run had (see `app.tracking_job`).
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

import numpy as np

from app.errors import ProjectError
from app.project.rle import decode_rle, encode_rle, mask_bbox, rle_box, rle_counts
from app.project.spans import ALL_FRAMES
from app.project.store_records import MemoryRow, StoreRecords

if TYPE_CHECKING:
    from app.project.document import Project

__all__ = [
    "MaskStore",
    "STORE_VERSION",
    "masks_path_for",
    "encode_rle",
    "decode_rle",
    "rle_counts",
    "mask_bbox",
    "MemoryRow",
]

STORE_VERSION = 2  # 2: video fingerprint, coverage spans, resume memory (1 is read and upgraded)
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
CREATE TABLE IF NOT EXISTS coverage (
    obj_id INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    hash TEXT NOT NULL,
    model TEXT,
    PRIMARY KEY (obj_id, start)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS memory (
    obj_id INTEGER NOT NULL,
    pass TEXT NOT NULL,
    frame_idx INTEGER NOT NULL,
    plan TEXT NOT NULL,
    state BLOB NOT NULL,
    PRIMARY KEY (obj_id, pass, frame_idx)
) WITHOUT ROWID;
"""


def masks_path_for(project_path: str | os.PathLike[str]) -> Path:
    """The sidecar store of a project: ``clip.rotokit`` → ``clip.rotokit.masks``."""
    project_path = Path(project_path)
    return project_path.with_name(project_path.name + ".masks")


class MaskStore(StoreRecords):
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
                self._conn = sqlite3.connect(
                    uri, uri=True, check_same_thread=False, isolation_level=None
                )
                self._conn.execute("PRAGMA query_only=ON")
            else:
                self._conn = sqlite3.connect(
                    self.path, check_same_thread=False, isolation_level=None
                )
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
                raise ProjectError(
                    f"{self.path}: cannot create the mask store, folder {self.path.parent} does not exist"
                )
            return
        if self.path.is_dir():
            raise ProjectError(f"{self.path}: is a folder, not a mask store")
        try:
            with open(self.path, "rb") as fh:
                head = fh.read(100)
        except OSError as exc:  # permission denied, I/O error: one line naming the store
            raise ProjectError(
                f"{self.path}: cannot read the mask store ({exc.strerror or exc})"
            ) from None
        if len(head) == 0:
            return  # an empty file (e.g. touched) becomes a new store
        if len(head) < 100 or not head.startswith(_SQLITE_MAGIC):
            raise ProjectError(
                f"{self.path}: not a rotokit mask store (damaged or another kind of file)"
            )

    def _open(self) -> None:
        conn = self._conn
        (app_id,) = conn.execute("PRAGMA application_id").fetchone()
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if tables and app_id != _APPLICATION_ID:
            raise ProjectError(f"{self.path}: an SQLite file but not a rotokit mask store")
        self._version = STORE_VERSION
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
            self._version = version
        if self.readonly:
            if not tables:
                raise ProjectError(f"{self.path}: empty mask store (run tracking first)")
            return
        conn.execute("PRAGMA journal_mode=WAL")  # readers (GUI) never block the writer (worker)
        conn.execute(
            "PRAGMA synchronous=NORMAL"
        )  # WAL + NORMAL: a killed process loses nothing committed
        if not tables or self._version < STORE_VERSION:
            with self._transaction():
                conn.execute(f"PRAGMA application_id={_APPLICATION_ID}")
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                if tables:  # format 1: a prompts hash meant "every frame comes from these prompts"
                    conn.execute(
                        "INSERT OR IGNORE INTO coverage SELECT obj_id, 0, ?, hash, model "
                        "FROM prompt_hashes",
                        (ALL_FRAMES,),
                    )
                    conn.execute("DELETE FROM prompt_hashes")
                conn.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('version', ?)", (str(STORE_VERSION),)
                )
            self._version = STORE_VERSION
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

    def put(
        self, frame_idx: int, obj_id: int, mask: np.ndarray, score: float | None = None
    ) -> None:
        """Store (replace) one object's mask on one frame."""
        self.put_many(frame_idx, {obj_id: (mask, score)})

    def put_many(
        self,
        frame_idx: int,
        masks: Mapping[int, tuple[np.ndarray, float | None]],
        *,
        computed: Mapping[int, tuple[str, str | None]] | None = None,
        memory: Iterable[MemoryRow] = (),
    ) -> None:
        """Store all objects' masks of one frame in one transaction (as propagation yields them).

        ``computed`` ``{obj_id: (prompts_hash, model)}`` records the frame in those objects'
        coverage and ``memory`` the tracker's resume state, in the same transaction: after a
        kill, what the store says was computed is exactly what it holds.
        """
        now = time.time()
        rows = []
        for obj_id, (mask, score) in masks.items():
            counts, height, width = encode_rle(np.asarray(mask))
            rows.append(
                (
                    int(obj_id),
                    int(frame_idx),
                    counts,
                    height,
                    width,
                    None if score is None else float(score),
                    now,
                )
            )
        try:
            with self._transaction() as conn:
                conn.executemany("INSERT OR REPLACE INTO masks VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
                for obj_id, (digest, model) in (computed or {}).items():
                    self._cover(conn, int(obj_id), (frame_idx, frame_idx + 1), digest, model)
                for row in memory:
                    self._put_memory(conn, row)
        except sqlite3.DatabaseError as exc:
            raise self._error(exc) from None

    def delete_object(self, obj_id: int) -> None:
        """Forget every mask, the coverage and the resume memory of `obj_id`."""
        try:
            with self._transaction() as conn:
                for table in ("masks", "prompt_hashes", "coverage", "memory"):
                    conn.execute(f"DELETE FROM {table} WHERE obj_id=?", (obj_id,))
        except sqlite3.DatabaseError as exc:
            raise self._error(exc) from None

    def delete_range(self, obj_id: int, start: int, end: int) -> None:
        """Forget the masks (and their coverage) of `obj_id` on frames ``start <= frame_idx < end``."""
        try:
            with self._transaction() as conn:
                conn.execute(
                    "DELETE FROM masks WHERE obj_id=? AND frame_idx>=? AND frame_idx<?",
                    (obj_id, start, end),
                )
                self._cover(conn, obj_id, (start, end), None, None)
        except sqlite3.DatabaseError as exc:
            raise self._error(exc) from None

    def prune(self, keep_ids: Iterable[int]) -> None:
        """Delete masks of objects no longer in the project (call on save, not on remove: undo)."""
        keep = sorted(set(int(i) for i in keep_ids))
        for obj_id in self.object_ids():
            if obj_id not in keep:
                self.delete_object(obj_id)

    def set_prompts_hash(self, obj_id: int, prompts_hash: str, model: str | None = None) -> None:
        """Record that *every* frame's mask of the object (present or not) comes from these prompts.

        For masks made all at once (face ovals, imports, tests); tracking records coverage frame
        by frame instead (``put_many(computed=...)``).
        """
        try:
            with self._transaction() as conn:
                conn.execute("DELETE FROM coverage WHERE obj_id=?", (obj_id,))
                self._cover(conn, obj_id, (0, ALL_FRAMES), prompts_hash, model)
        except sqlite3.DatabaseError as exc:
            raise self._error(exc) from None

    # ---- reading ----------------------------------------------------------------------------

    def get(self, frame_idx: int, obj_id: int) -> np.ndarray | None:
        """The mask of `obj_id` on `frame_idx`, or None if none is stored."""
        rows = self._query(
            "SELECT counts, height, width FROM masks WHERE obj_id=? AND frame_idx=?",
            (obj_id, frame_idx),
        )
        return self._decode(frame_idx, obj_id, *rows[0]) if rows else None

    def score(self, frame_idx: int, obj_id: int) -> float | None:
        rows = self._query(
            "SELECT score FROM masks WHERE obj_id=? AND frame_idx=?", (obj_id, frame_idx)
        )
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
        rows = self._query(
            "SELECT obj_id, counts, height, width FROM masks WHERE frame_idx=? ORDER BY obj_id",
            (frame_idx,),
        )
        masks = {
            obj_id: self._decode(frame_idx, obj_id, counts, h, w) for obj_id, counts, h, w in rows
        }
        boxes = {obj_id: rle_box(counts, h, w) for obj_id, counts, h, w in rows}
        return masks, boxes

    def _decode(self, frame_idx: int, obj_id: int, counts: bytes, h: int, w: int) -> np.ndarray:
        try:
            return decode_rle(counts, h, w)
        except ValueError as exc:
            raise ProjectError(
                f"{self.path}: mask of object {obj_id} on frame {frame_idx} is damaged ({exc})"
            ) from None

    def frame_scores(self, frame_idx: int) -> dict[int, float | None]:
        """Every stored object's score on `frame_idx`, by obj_id."""
        return dict(
            self._query(
                "SELECT obj_id, score FROM masks WHERE frame_idx=? ORDER BY obj_id", (frame_idx,)
            )
        )

    def frame_rles(self, frame_idx: int) -> dict[int, dict]:
        """Like `frame_masks` but undecoded COCO RLE dicts (``{"size": [h, w], "counts": bytes}``)."""
        rows = self._query(
            "SELECT obj_id, counts, height, width FROM masks WHERE frame_idx=? ORDER BY obj_id",
            (frame_idx,),
        )
        return {obj_id: {"size": [h, w], "counts": counts} for obj_id, counts, h, w in rows}

    def frames_with_mask(self, obj_id: int) -> list[int]:
        """Sorted frame indices where `obj_id` has a stored mask (for the timeline)."""
        return [
            r[0]
            for r in self._query(
                "SELECT frame_idx FROM masks WHERE obj_id=? ORDER BY frame_idx", (obj_id,)
            )
        ]

    def scores(self, obj_id: int) -> dict[int, float | None]:
        """Per-frame score of `obj_id` (presence / predicted IoU from the tracker)."""
        return dict(
            self._query(
                "SELECT frame_idx, score FROM masks WHERE obj_id=? ORDER BY frame_idx", (obj_id,)
            )
        )

    def frame_states(self, obj_id: int) -> list[tuple[int, float | None, bool]]:
        """``(frame, score, empty)`` of every stored mask of `obj_id`: what a timeline lane shows
        (empty = the mask has no pixel), read in one query without decoding the masks."""
        rows = self._query(
            "SELECT frame_idx, score, counts, height, width FROM masks WHERE obj_id=? "
            "ORDER BY frame_idx",
            (obj_id,),
        )
        return [(f, score, rle_box(counts, h, w) is None) for f, score, counts, h, w in rows]

    def bbox(self, frame_idx: int, obj_id: int) -> tuple[int, int, int, int] | None:
        """``(x0, y0, x1, y1)`` of the stored mask (exclusive ends); None if missing or empty."""
        rows = self._query(
            "SELECT counts, height, width FROM masks WHERE obj_id=? AND frame_idx=?",
            (obj_id, frame_idx),
        )
        if not rows:
            return None
        return rle_box(*rows[0])

    def object_ids(self) -> list[int]:
        """Objects that have masks or coverage."""
        other = "prompt_hashes" if self._version < 2 else "coverage"
        rows = self._query(f"SELECT obj_id FROM masks UNION SELECT obj_id FROM {other} ORDER BY 1")
        return [r[0] for r in rows]

    def prompts_hash(self, obj_id: int) -> str | None:
        """The prompts hash all of the object's computed frames share (None: none or mixed)."""
        hashes = {h for _a, _b, h in self.coverage(obj_id)}
        return hashes.pop() if len(hashes) == 1 else None

    def stale_objects(self, project: Project, start: int = 0, end: int | None = None) -> list[int]:
        """Objects with prompts that lack masks computed from their current prompts on some
        frame of ``[start, end)`` (default: the whole recorded video)."""
        from app.project.document import prompts_hash

        if end is None:
            fp = self.video_fingerprint()
            end = fp.frame_count if fp is not None else start + 1
        return [
            obj.id
            for obj in project.objects
            if obj.prompts and self.missing(obj.id, prompts_hash(obj), start, end)
        ]

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
