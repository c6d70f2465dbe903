"""``OUTDIR/report.jsonl``: one JSON line per input, appended as each finishes; the resume record.

Only the coordinating process writes it (workers and Ray actors send their results back), one
``write`` + ``fsync`` per line, so a killed batch leaves whole lines and never a torn one that
a rerun would misread. A rerun trusts a ``done`` (or ``skipped``) line only when its input
fingerprint and options match and the output is still there.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

__all__ = ["ClipResult", "Report", "REPORT_NAME"]

REPORT_NAME = "report.jsonl"


@dataclass
class ClipResult:
    """What happened to one input (one report line)."""

    input: str
    output: str
    status: str  # done | skipped | failed (cancelled clips are never written)
    error: str | None = None
    seconds: float = 0.0
    frames: int | None = None
    faces: int | None = None  # anonymize: face tracks hidden
    fingerprint: str = ""
    options: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        data = asdict(self)
        extra = data.pop("extra")
        if data["faces"] is None:
            data.pop("faces")
        data["seconds"] = round(self.seconds, 3)
        return json.dumps({**data, **extra}, ensure_ascii=False)


class Report:
    """The report file of one output folder: earlier lines (for resuming) and appending."""

    def __init__(self, out_dir: Path) -> None:
        self.path = Path(out_dir) / REPORT_NAME
        self.previous: dict[str, dict[str, Any]] = {}
        if self.path.is_file():
            with open(self.path, encoding="utf-8") as fh:
                for line in fh:
                    try:
                        entry = json.loads(line)
                    except json.JSONDecodeError:
                        continue  # a line cut by a crash of another tool: ignore it
                    if isinstance(entry, dict) and isinstance(entry.get("input"), str):
                        self.previous[entry["input"]] = entry  # the last line per input wins
        self._fh: TextIO | None = None

    def is_done(self, input_path: str, output: Path, fingerprint: str, options: str) -> bool:
        """True when the last run finished this input, from the same content and options."""
        entry = self.previous.get(input_path)
        return (
            entry is not None
            and entry.get("status") in ("done", "skipped")
            and entry.get("fingerprint") == fingerprint
            and entry.get("options") == options
            and entry.get("output") == str(output)
            and output.exists()
        )

    def earlier(self, input_path: str) -> dict[str, Any]:
        return self.previous.get(input_path, {})

    def append(self, result: ClipResult) -> None:
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "a", encoding="utf-8")
        self._fh.write(result.to_json() + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
