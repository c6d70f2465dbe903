"""Tracking (SAM 2 family via transformers) and offline face detection.

Imports neither Qt nor app."""
