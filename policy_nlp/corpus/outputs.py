"""Outputs: checked before any work starts (a command that would run a whole evaluation or annotate a corpus
and then fail to write its result stops at once with E103 instead), and locked while a run writes them.
They are written through `policy_nlp.atomic` (a complete new file replaces the old one)."""
from __future__ import annotations

import os
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


class OutLock:
    """An exclusive lock on an output for a whole run (`.NAME.lock` next to it, flock, removed at the end): a
    second run on the same output stops at once with `code` (E105 for training, E119 for batch outputs)
    naming the first one's process, instead of both writing it."""

    def __init__(self, out: Path, code: str = "E105"):
        self.path = out.with_name(f".{out.name}.lock")
        self.code = code
        self.fd: int | None = None

    def __enter__(self) -> "OutLock":
        try:
            import fcntl
        except ImportError:  # no flock on this platform: no lock
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = os.read(fd, 32).decode("ascii", "replace").strip() or "unknown"
                os.close(fd)
                raise DataError(self.code, pid=holder, path=self.path.with_name(self.path.name[1:-len(".lock")]))
            try:  # the holder before us removes the file when it is done: lock the file that is there now
                if os.stat(self.path).st_ino == os.fstat(fd).st_ino:
                    break
            except FileNotFoundError:
                pass
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self.fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            try:
                os.unlink(self.path)  # before the lock is released: a waiting run then locks a new file
            except OSError:
                pass
            os.close(self.fd)
            self.fd = None
