"""Bundled emoji PNGs (OpenMoji, CC BY-SA 4.0); see ATTRIBUTION.md and index.json."""
