"""The mask store's trust records: which video, which frames from which prompts, resume memory.

Kept apart from `app.project.masks` (the masks themselves) and `app.project.store_file` (the
SQLite file) so each module has one job; all three share one connection and its transactions.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from app.errors import ProjectError
from app.project import spans as span_ops
from app.project.fingerprint import VideoFingerprint
from app.project.spans import Span
from app.project.store_file import StoreFile

__all__ = ["MemoryRow", "StoreRecords", "video_changed_message"]


@dataclass(frozen=True)
class MemoryRow:
    """The tracker's memory of one object after one frame of one propagation pass.

    ``plan`` names the pass (model, anchor frame, prompts hash): rows of another plan are
    useless and dropped. ``keep`` are the frames of this pass whose rows a resume still needs
    (the memory window behind this frame, and the head of the forward pass); others are dropped.
    """

    obj_id: int
    pass_: str
    frame_idx: int
    plan: str
    state: bytes
    keep: tuple[Span, ...] = ()


def video_changed_message(store_path: Path, video: Path, diffs: list[str]) -> str:
    project = store_path.with_name(store_path.name.removesuffix(".masks"))
    return (
        f"{video}: not the video these masks were computed on ({', '.join(diffs)}); "
        f"re-track with `rotokit track {project} --retrack` (or delete {store_path.name})"
    )


class StoreRecords(StoreFile):
    """The video, coverage and resume-memory records of a store (`MaskStore` adds the masks)."""

    # ---- video ----------------------------------------------------------------------------

    def video_fingerprint(self) -> VideoFingerprint | None:
        """The fingerprint of the video the masks were computed on (None: not recorded)."""
        try:
            rows = self._query("SELECT value FROM meta WHERE key='video_fingerprint'")
        except ProjectError:
            return None
        if not rows:
            return None
        try:
            return VideoFingerprint.from_dict(
                json.loads(rows[0][0]), where=f"{self.path}: video_fingerprint"
            )
        except (ValueError, TypeError):
            raise ProjectError(f"{self.path}: mask store's video record is damaged") from None

    def video_differences(self, current: VideoFingerprint) -> list[str]:
        """What differs between the masks' video and `current`
        ([] = the same, or unknown but fitting)."""
        recorded = self.video_fingerprint()
        if recorded is not None:
            return recorded.differences(current)
        sizes = self._query("SELECT DISTINCT width, height FROM masks LIMIT 4")
        return [
            f"masks are {w}x{h}, the video is {current.width}x{current.height}"
            for w, h in sizes
            if (w, h) != (current.width, current.height)
        ][:1]

    def check_video(self, current: VideoFingerprint, video: Path) -> None:
        """Refuse masks of another video (`ProjectError`, one line: what changed, how to
        re-track)."""
        diffs = self.video_differences(current)
        if diffs:
            raise ProjectError(video_changed_message(self.path, video, diffs))

    def bind_video(self, current: VideoFingerprint, video: Path) -> None:
        """Before writing masks: refuse another video's store, else record `current` in it."""
        self.check_video(current, video)
        if self.video_fingerprint() != current:
            self._set_meta("video_fingerprint", json.dumps(current.to_dict(), sort_keys=True))

    def reset(self, current: VideoFingerprint) -> None:
        """Forget every mask, coverage and memory row and record `current` (``track --retrack``)."""
        with self._transaction() as conn:
            for table in ("masks", "coverage", "memory", "prompt_hashes"):
                conn.execute(f"DELETE FROM {table}")
            conn.execute(
                "INSERT OR REPLACE INTO meta VALUES ('video_fingerprint', ?)",
                (json.dumps(current.to_dict(), sort_keys=True),),
            )

    def _set_meta(self, key: str, value: str) -> None:
        try:
            with self._transaction() as conn:
                conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
        except sqlite3.DatabaseError as exc:
            raise self._error(exc) from None

    # ---- coverage -------------------------------------------------------------------------

    def coverage(self, obj_id: int) -> list[tuple[int, int, str]]:
        """``(start, end, prompts_hash)`` spans of the frames computed for `obj_id`."""
        if self._version < 2:  # format 1 read-only: a hash covered every frame
            rows = self._query(
                "SELECT 0, 2147483647, hash FROM prompt_hashes WHERE obj_id=?", (obj_id,)
            )
        else:
            rows = self._query(
                "SELECT start, end, hash FROM coverage WHERE obj_id=? ORDER BY start", (obj_id,)
            )
        return [(int(a), int(b), h) for a, b, h in rows]

    def covered(self, obj_id: int, prompts_hash: str) -> list[Span]:
        """Spans of frames of `obj_id` computed from the prompts with this hash."""
        return [(a, b) for a, b, h in self.coverage(obj_id) if h == prompts_hash]

    def missing(self, obj_id: int, prompts_hash: str, start: int, end: int) -> list[Span]:
        """Spans of ``[start, end)`` where `obj_id` has no mask computed from these prompts."""
        return span_ops.missing(self.covered(obj_id, prompts_hash), start, end)

    def add_coverage(
        self, obj_id: int, span: Span, prompts_hash: str, model: str | None = None
    ) -> None:
        """Record that `obj_id`'s masks on `span` were computed from these prompts."""
        try:
            with self._transaction() as conn:
                self._cover(conn, obj_id, span, prompts_hash, model)
        except sqlite3.DatabaseError as exc:
            raise self._error(exc) from None

    def _cover(
        self,
        conn: sqlite3.Connection,
        obj_id: int,
        span: Span,
        prompts_hash: str | None,
        model: str | None,
    ) -> None:
        """Within a transaction: `span` now comes from `prompts_hash` (None: from nothing known)."""
        rows = conn.execute(
            "SELECT start, end, hash, model FROM coverage WHERE obj_id=?", (obj_id,)
        ).fetchall()
        spans: dict[tuple[str, str | None], list[Span]] = {}
        for a, b, h, m in rows:
            for piece in span_ops.subtract([(a, b)], span):
                spans.setdefault((h, m), []).append(piece)
        if prompts_hash is not None:  # one entry per hash: the newest model name wins
            same = [s for key in [k for k in spans if k[0] == prompts_hash] for s in spans.pop(key)]
            spans[(prompts_hash, model)] = span_ops.union(same, span)
        conn.execute("DELETE FROM coverage WHERE obj_id=?", (obj_id,))
        conn.executemany(
            "INSERT INTO coverage VALUES (?, ?, ?, ?, ?)",
            [(obj_id, a, b, h, m) for (h, m), found in spans.items() for a, b in found],
        )

    # ---- resume memory --------------------------------------------------------------------

    def memory_rows(
        self, obj_id: int, pass_: str, plan: str, frames: Iterable[int]
    ) -> dict[int, bytes]:
        """The stored memory of these frames of one pass (only rows of the same plan)."""
        wanted = set(frames)
        rows = self._query(
            "SELECT frame_idx, state FROM memory WHERE obj_id=? AND pass=? AND plan=?",
            (obj_id, pass_, plan),
        )
        return {int(f): bytes(s) for f, s in rows if f in wanted}

    def memory_frames(self, obj_id: int, pass_: str, plan: str) -> set[int]:
        """Frames of one pass with stored memory (without loading it)."""
        rows = self._query(
            "SELECT frame_idx FROM memory WHERE obj_id=? AND pass=? AND plan=?",
            (obj_id, pass_, plan),
        )
        return {int(r[0]) for r in rows}

    def drop_memory(self, obj_id: int, pass_: str | None = None, keep: Span | None = None) -> None:
        """Forget resume memory of `obj_id` (one pass or all), except frames in `keep`."""
        lo, hi = keep or (0, 0)
        try:
            with self._transaction() as conn:
                conn.execute(
                    "DELETE FROM memory WHERE obj_id=? AND (? IS NULL OR pass=?) "
                    "AND NOT (frame_idx>=? AND frame_idx<?)",
                    (obj_id, pass_, pass_, lo, hi),
                )
        except sqlite3.DatabaseError as exc:
            raise self._error(exc) from None

    def _put_memory(self, conn: sqlite3.Connection, row: MemoryRow) -> None:
        conn.execute("DELETE FROM memory WHERE obj_id=? AND plan!=?", (row.obj_id, row.plan))
        conn.execute(
            "INSERT OR REPLACE INTO memory VALUES (?, ?, ?, ?, ?)",
            (row.obj_id, row.pass_, row.frame_idx, row.plan, row.state),
        )
        keep = " OR ".join("(frame_idx>=? AND frame_idx<?)" for _ in row.keep) or "0"
        conn.execute(
            f"DELETE FROM memory WHERE obj_id=? AND pass=? AND NOT ({keep})",
            (row.obj_id, row.pass_, *(v for span in row.keep for v in span)),
        )
