"""Atomic writes: a file or folder is replaced only by a complete new one.

One helper for every writer of the package (reviewer JSON, review pages, tables, batch outputs, the cached
pkuseg model). It sits at the bottom of the package, next to `errors`, so that every layer (components,
corpus, learn, cli) can use it; it imports nothing of `policy_nlp`.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def replacing(path: str | Path, *, directory: bool = False) -> Iterator[Path]:
    """A temporary file (`.NAME.tmp`), or with `directory` a new temporary folder (`.NAME.tmp-*`), next to
    `path` to write into. When the block completes it replaces `path` (`os.replace`: readers see the old
    or the new one, never a part); when the block raises, `path` is left as it was and the temporary one is
    removed. `path`'s folder is created if missing. An existing folder `path` is removed just before the
    new one takes its place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if directory:
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; the folder it replaces is an ordinary one
    else:
        tmp = path.with_name(f".{path.name}.tmp")
    try:
        yield tmp
        if directory and path.is_dir():
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)


def atomic_write(path: str | Path, text: str) -> None:
    """Write `text` (UTF-8) to `path` through `replacing`: a failure (a full disk) leaves the old file as it
    was and no temporary file behind."""
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


__all__ = ["replacing", "atomic_write"]
