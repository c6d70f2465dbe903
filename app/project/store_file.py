"""The mask store's SQLite file: opening, refusing foreign or newer files, upgrading, locking.

`StoreFile` is the base of `app.project.masks.MaskStore`: it owns the one connection (WAL, so
the GUI reads while a worker writes; a lock, so both threads can share it), the schema and its
upgrade from format 1, and turns SQLite errors into one-line `ProjectError`s naming the file.
The records it holds are read and written by `StoreRecords` and `MaskStore` above it.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

from app.errors import ProjectError
from app.project.spans import ALL_FRAMES

__all__ = ["StoreFile", "STORE_VERSION", "APPLICATION_ID"]

STORE_VERSION = 2  # 2: video fingerprint, coverage spans, resume memory (1 is read and upgraded)
_SQLITE_MAGIC = b"SQLite format 3\x00"
APPLICATION_ID = 0x526F746F  # "Roto": marks the file as ours in the SQLite header

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


class StoreFile:
    """One open mask store file (see `MaskStore` for the parameters)."""

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
                    f"{self.path}: cannot create the mask store, "
                    f"folder {self.path.parent} does not exist"
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
        if tables and app_id != APPLICATION_ID:
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
                conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
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

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.DatabaseError as exc:
                raise self._error(exc) from None

    # ---- lifetime ---------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"
