"""Reading JSON that someone else wrote: nesting too deep for Python's parser is a coded error (E118), not
a RecursionError traceback. Syntax errors stay `json.JSONDecodeError` for the caller to report with its line.
Writing JSON into a page's <script> element (`script_json`), as the review and comparison pages do."""
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


def script_json(data: Any) -> str:
    """JSON that cannot end its <script> element or open markup (`<`, `>`, `&` and the JavaScript line
    separators U+2028/U+2029 written as escapes)."""
    return (json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
