"""Reading JSON that someone else wrote: nesting too deep for Python's parser is a coded error (E118), not
a RecursionError traceback. Syntax errors stay `json.JSONDecodeError` for the caller to report with its line."""
from __future__ import annotations

import json
from typing import Any

from ..errors import DataError


def loads(raw: str | bytes, path: Any = "<json>") -> Any:
    """`json.loads(raw)`; E118 naming `path` when the document nests deeper than the parser can follow."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise DataError("E118", path=path) from None
