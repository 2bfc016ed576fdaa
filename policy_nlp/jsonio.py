"""Reading JSON that someone else wrote, one way for every file: whatever makes a document unreadable (bad
syntax, nesting too deep for Python's parser, an integer longer than `int()` converts, NaN or Infinity where
only finite numbers are allowed) becomes the caller's coded error naming the file, never a traceback."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Callable

from .errors import DataError


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:20]} is not finite")
    return value


def _constant(name: str):
    raise ValueError(f"{name} is not a finite number")


def loads(raw: str | bytes, path: Any = "<json>", *, finite: bool = False) -> Any:
    """`json.loads(raw)`; E118 naming `path` when the document nests deeper than the parser can follow. Any
    other failure is a `json.JSONDecodeError` for the caller to report with its code: syntax, an integer too
    long to convert, and with `finite` NaN, Infinity or a number too large for a float."""
    try:
        if finite:
            return json.loads(raw, parse_float=_finite, parse_constant=_constant)
        return json.loads(raw)
    except RecursionError:
        raise DataError("E118", path=path) from None
    except json.JSONDecodeError:
        raise
    except ValueError as exc:  # int()'s digit limit, a non-finite number, bytes that are not UTF-8
        raise json.JSONDecodeError(str(exc), raw if isinstance(raw, str) else "", 0) from None


def read(path: str | Path, error: Callable[[str], Exception], *, finite: bool = False) -> Any:
    """The JSON document in the file `path`; any failure to read or parse it raises `error(detail)`."""
    path = Path(path)
    try:
        return loads(path.read_text(encoding="utf-8-sig"), path, finite=finite)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(str(exc)) from None
    except DataError as exc:
        raise error(exc.message.rstrip(".")) from None
