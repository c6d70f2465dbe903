"""Dataset export: tracked masks of one or many clips as COCO, YOLO-seg, DAVIS, MOTS, PNG or
alpha mattes.

``export_clips(clips, fmt, out_dir, options=...)`` merges several projects into one dataset
(CLI ``rotokit export PROJECT...``); ``export_dataset(project, store, fmt, out_dir, ...)`` is the
one-project form (GUI, ``rotokit batch export``). Each format lives in its own module with a
docstring describing the layout it writes.
"""

from __future__ import annotations

from app.export.dataset import FORMATS, Clip, ExportResult, export_clips, export_dataset
from app.export.options import ExportOptions

__all__ = ["export_dataset", "export_clips", "Clip", "ExportOptions", "ExportResult", "FORMATS"]
