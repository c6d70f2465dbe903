"""PySide6 editor. The only package allowed to import Qt."""
