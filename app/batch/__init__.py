"""Batch jobs: ``rotokit batch anonymize|render|export`` over many clips, locally or on Ray.

``run_batch(options, inputs, engine=...)`` is the entry point (`app.batch.runner`); inputs
expand in `app.batch.inputs`, each clip is made by the single-clip code through
`app.batch.jobs`, in a `app.batch.worker.Worker` that a local process (`app.batch.local`) or
a Ray actor (`app.batch.ray_engine`) hosts; `app.batch.report` writes ``report.jsonl``.
"""

from app.batch.jobs import BatchOptions
from app.batch.runner import BatchSummary, run_batch

__all__ = ["BatchOptions", "BatchSummary", "run_batch"]
