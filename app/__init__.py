"""rotokit core: project document, media I/O, render/export pipeline, CLI (no Qt here)."""

__version__ = "0.1.0"
