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

Layers: `app.project.store_file` (the SQLite file: schema, upgrade, transactions),
`app.project.store_records` (those three records), this module (the masks), and
`app.project.rle` (the RLE codec and its measured fast decode).
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from app.errors import ProjectError
from app.project.rle import CocoRle, decode_rle, encode_rle, mask_bbox, rle_box, rle_counts
from app.project.spans import ALL_FRAMES
from app.project.store_file import STORE_VERSION
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

    The file itself (connection, schema, upgrade, transactions) is `StoreFile`; the video,
    coverage and resume records are `StoreRecords`; this class reads and writes the masks.
    """

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
        """Forget the masks (and their coverage) of `obj_id` on frames
        ``start <= frame_idx < end``."""
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

    def frame_rles(self, frame_idx: int) -> dict[int, CocoRle]:
        """Like `frame_masks` but undecoded COCO RLE dicts
        (``{"size": [h, w], "counts": bytes}``)."""
        rows = self._query(
            "SELECT obj_id, counts, height, width FROM masks WHERE frame_idx=? ORDER BY obj_id",
            (frame_idx,),
        )
        return {obj_id: CocoRle(size=[h, w], counts=counts) for obj_id, counts, h, w in rows}

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
        from app.project.codec import prompts_hash

        if end is None:
            fp = self.video_fingerprint()
            end = fp.frame_count if fp is not None else start + 1
        return [
            obj.id
            for obj in project.objects
            if obj.prompts and self.missing(obj.id, prompts_hash(obj), start, end)
        ]
