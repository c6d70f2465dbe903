"""Offline face detection (CenterFace, vendored) and per-person face tracks for anonymization."""

from __future__ import annotations

from model.faces.detector import FaceDetection, FaceDetector, default_model_path
from model.faces.scan import scan_faces
from model.faces.tracks import FaceTrack, track_faces

__all__ = [
    "FaceDetection",
    "FaceDetector",
    "FaceTrack",
    "default_model_path",
    "scan_faces",
    "track_faces",
]
