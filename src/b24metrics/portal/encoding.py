"""Parameters as PHP reads them: the query strings inside batch commands."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote


def php_query(params: dict[str, Any]) -> str:
    """Encode nested params the way PHP's http_build_query does (a[b][0]=c)."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        _flatten(str(key), value, pairs)
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)


def _flatten(prefix: str, value: Any, out: list[tuple[str, str]]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(f"{prefix}[{key}]", item, out)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _flatten(f"{prefix}[{index}]", item, out)
    elif isinstance(value, bool):
        out.append((prefix, "1" if value else "0"))
    elif value is None:
        out.append((prefix, ""))
    else:
        out.append((prefix, str(value)))
