"""Batch inputs: files, folders (recursive), globs and ``@list.txt`` → clips with mirrored outputs.

Each input keeps a path relative to the root it was found under (the folder searched, the fixed
part of a glob, or its own folder for a plain file), so ``in/sub/b.mp4`` found under ``in``
lands at ``OUTDIR/sub/b.mp4``. Two inputs that would write the same output are a usage error:
the batch refuses before any work rather than letting one clip overwrite another's result.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

from app.errors import RotokitError

__all__ = ["BatchUsageError", "Clip", "VIDEO_SUFFIXES", "PROJECT_SUFFIXES", "expand_inputs"]

#: what a folder search picks up for ``batch anonymize`` (FFmpeg reads them all)
VIDEO_SUFFIXES = frozenset(
    {
        ".mp4",
        ".m4v",
        ".mov",
        ".mkv",
        ".webm",
        ".avi",
        ".mpg",
        ".mpeg",
        ".ts",
        ".mts",
        ".m2ts",
        ".wmv",
        ".flv",
        ".3gp",
        ".ogv",
    }
)
#: what a folder search picks up for ``batch render`` and ``batch export``
PROJECT_SUFFIXES = frozenset({".rotokit"})

_GLOB_CHARS = frozenset("*?[")


class BatchUsageError(RotokitError):
    """The batch's inputs or options are wrong as given (CLI exit code 2)."""


@dataclass(frozen=True)
class Clip:
    """One input of the batch: its absolute path and its path relative to where it was found."""

    path: Path
    relative: Path


def _is_glob(text: str) -> bool:
    return any(c in text for c in _GLOB_CHARS)


def _glob_root(pattern: str) -> Path:
    """The longest leading part of ``pattern`` without wildcards (what outputs are relative to)."""
    parts = Path(pattern).parts
    fixed: list[str] = []
    for part in parts[:-1]:
        if _is_glob(part):
            break
        fixed.append(part)
    return Path(*fixed) if fixed else Path(".")


def _walk(folder: Path, suffixes: frozenset[str], exclude: Path | None) -> list[Path]:
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        # never descend into the output folder (a rerun would take last run's outputs as inputs)
        # nor into hidden folders (the writers' temp files and mask stores live there)
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not d.startswith(".") and (exclude is None or (here / d).absolute() != exclude)
        )
        found += [
            here / f
            for f in sorted(filenames)
            if Path(f).suffix.lower() in suffixes and not f.startswith(".")
        ]
    return found


def _expand_one(
    text: str, base: Path, suffixes: frozenset[str], exclude: Path | None, seen_lists: set[Path]
) -> list[Clip]:
    if text.startswith("@"):
        listing = (base / text[1:]).absolute()
        if listing in seen_lists:
            raise BatchUsageError(f"{listing}: the list includes itself")
        try:
            lines = listing.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise BatchUsageError(
                f"{listing}: cannot read the input list ({exc.strerror or exc})"
            ) from None
        clips = []
        for line in lines:
            line = line.strip()
            if line and not line.startswith("#"):  # entries are relative to the list's folder
                clips += _expand_one(
                    line, listing.parent, suffixes, exclude, seen_lists | {listing}
                )
        return clips
    path = base / text
    if path.is_dir():
        return [Clip(p.absolute(), p.relative_to(path)) for p in _walk(path, suffixes, exclude)]
    if path.is_file():
        return [Clip(path.absolute(), Path(path.name))]
    if _is_glob(text):
        root = base / _glob_root(text)
        matches = sorted(Path(m) for m in glob.glob(str(base / text), recursive=True))
        clips = []
        for match in matches:
            if match.is_file():
                clips.append(Clip(match.absolute(), match.relative_to(root)))
            elif match.is_dir():
                clips += [
                    Clip(p.absolute(), p.relative_to(root)) for p in _walk(match, suffixes, exclude)
                ]
        if not clips:
            raise BatchUsageError(f"{text}: no file matches this pattern")
        return clips
    raise BatchUsageError(f"{path}: no such file or folder")


def expand_inputs(
    inputs: list[str], suffixes: frozenset[str], *, exclude: Path | None = None
) -> list[Clip]:
    """Every clip named by ``inputs``, in order, each once; folders are searched recursively for
    files with ``suffixes``, skipping ``exclude`` (the output folder).

    Raises `BatchUsageError` for an input that names nothing or an empty result.
    """
    exclude = exclude.absolute() if exclude is not None else None
    clips: list[Clip] = []
    seen: set[Path] = set()
    for text in inputs:
        for clip in _expand_one(text, Path("."), suffixes, exclude, set()):
            if clip.path not in seen and (exclude is None or exclude not in clip.path.parents):
                seen.add(clip.path)
                clips.append(clip)
    if not clips:
        kinds = ", ".join(sorted(suffixes))
        raise BatchUsageError(f"no input files found in {' '.join(inputs)} (looked for {kinds})")
    return clips
