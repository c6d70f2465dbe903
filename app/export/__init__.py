"""Dataset export: the project's tracked masks as COCO, YOLO-seg, DAVIS, MOTS, PNG or alpha mattes.

``export_dataset(project, store, fmt, out_dir, ...)`` is the one entry point (CLI and GUI);
each format lives in its own module with a docstring describing the layout it writes.
"""

from __future__ import annotations

from app.export.dataset import FORMATS, export_dataset

__all__ = ["export_dataset", "FORMATS"]
