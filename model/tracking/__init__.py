"""SAM 2-family video tracking: ``Tracker.load()`` a model, open a ``TrackingSession`` on a clip.

App code sees only this module's names; the transformers backend lives behind
``model.tracking.backend`` so another tracker can be added without touching app/.
"""

from __future__ import annotations

from model.tracking.session import TrackingSession
from model.tracking.tracker import Tracker, pick_device, warm_imports
from model.tracking.types import Direction, FramePrompt, FrameProvider, ObjectMask

__all__ = [
    "Tracker",
    "TrackingSession",
    "ObjectMask",
    "FrameProvider",
    "FramePrompt",
    "Direction",
    "pick_device",
    "warm_imports",
]
