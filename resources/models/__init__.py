"""Vendored model files (the offline face detector); a package so the data ships in the wheel."""
