"""Reading JSON that someone else wrote, one way for every file: whatever makes a document unreadable (bad
syntax, nesting too deep for Python's parser, an integer longer than `int()` converts) becomes the caller's
coded error naming the file, never a traceback."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from .errors import DataError


def loads(raw: str | bytes, path: Any = "<json>") -> Any:
    """`json.loads(raw)`; E118 naming `path` when the document nests deeper than the parser can follow. Any
    other failure is a `json.JSONDecodeError` for the caller to report with its code: bad syntax, and an
    integer too long for `int()` (a plain ValueError from the parser)."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise DataError("E118", path=path) from None
    except json.JSONDecodeError:
        raise
    except ValueError as exc:  # int()'s digit limit, bytes that are not UTF-8
        raise json.JSONDecodeError(str(exc), raw if isinstance(raw, str) else "", 0) from None


def read(path: str | Path, error: Callable[[str], Exception]) -> Any:
    """The JSON document in the file `path`; any failure to read or parse it raises `error(detail)`."""
    path = Path(path)
    try:
        return loads(path.read_text(encoding="utf-8-sig"), path)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(str(exc)) from None
    except DataError as exc:
        raise error(exc.message.rstrip(".")) from None
