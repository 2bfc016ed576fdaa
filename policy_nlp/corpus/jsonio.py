"""Reading JSON that someone else wrote (`loads`, from `policy_nlp.jsonio`, where every failure is a coded
error). Writing JSON into a page's <script> element (`script_json`), as the review and comparison pages do."""
from __future__ import annotations

import json
from typing import Any

from ..jsonio import loads

__all__ = ["loads", "script_json"]


def script_json(data: Any) -> str:
    """JSON that cannot end its <script> element or open markup (`<`, `>`, `&` and the JavaScript line
    separators U+2028/U+2029 written as escapes); a NaN or Infinity, which JavaScript's JSON.parse cannot
    read, is a ValueError rather than a page that does not work."""
    return (json.dumps(data, ensure_ascii=False, allow_nan=False).replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
