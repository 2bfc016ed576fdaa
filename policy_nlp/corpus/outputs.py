"""Checking, before any work starts, that an output can be written: a command that would run a whole
evaluation or annotate a corpus and then fail to write its result stops at once with E103 instead."""
from __future__ import annotations

import tempfile
from pathlib import Path

from ..errors import DataError


def check_writable(path: str | Path | None, *, directory: bool = False) -> None:
    """E103 unless `path` (a file, or with `directory` a folder) can be written: it is not of the other kind,
    and a file can be created in its folder or, while that does not exist yet, the nearest folder above it
    (the one `mkdir(parents=True)` would create it in). None: nothing to check."""
    if path is None:
        return
    path = Path(path)
    if path.exists() and path.is_dir() != directory:
        raise DataError("E103", path=path, detail="it is a directory" if not directory else "it is not a directory")
    folder = path if directory else path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise DataError("E103", path=path, detail=f"{folder} is not a directory")
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise DataError("E103", path=path, detail=exc.strerror or str(exc)) from None
