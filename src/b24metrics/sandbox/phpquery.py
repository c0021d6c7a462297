"""PHP-style query strings, parsed the way PHP's ``parse_str`` does.

Bitrix24 is a PHP application, so every GET query string, every
``application/x-www-form-urlencoded`` body and every ``batch`` sub-command
is read with PHP's rules:

* pairs are separated by ``&``; a pair without ``=`` has the value ``""``;
* keys and values are percent-decoded and ``+`` means a space;
* ``a[b][c]=1`` builds nested arrays, ``a[]=1`` appends;
* in the base name (before the first ``[``) spaces and dots become ``_``,
  and an unmatched ``[`` becomes ``_`` too;
* numeric string keys are integer keys, so ``a[]`` after ``a[5]`` goes to 6;
* a later value for the same key replaces the earlier one.

PHP arrays are ordered maps.  They come out as ``dict`` with ``str`` keys,
except that a map whose keys are exactly ``0..n-1`` in order comes out as a
``list`` (``select[]=ID&select[]=TITLE`` gives ``["ID", "TITLE"]``).

This module is part of the sandbox portal and deliberately shares no code
with the project's HTTP client.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Iterator
from urllib.parse import unquote_plus

__all__ = ["parse_php_query", "php_params_from_pairs", "php_key_parts", "is_int_key"]

_INT_KEY = re.compile(r"^(0|-?[1-9][0-9]*)$")


def is_int_key(key: str) -> bool:
    """True when PHP would store ``key`` as an integer array key."""
    if not _INT_KEY.match(key):
        return False
    return -(2**63) <= int(key) < 2**63


def php_key_parts(key: str) -> list[str | None] | None:
    """Split a decoded key into its base name and bracket parts.

    ``None`` in the list stands for ``[]`` (append).  Returns ``None`` when
    PHP would drop the pair (an empty base name).
    """
    key = key.lstrip(" ")
    bracket = key.find("[")
    if bracket == -1:
        base = key
        rest = ""
    else:
        base = key[:bracket]
        rest = key[bracket:]
    parts: list[str | None] = []
    # Parse the bracket groups; stop at the first malformed one.
    pos = 0
    malformed_base_tail = ""
    while pos < len(rest) and rest[pos] == "[":
        close = rest.find("]", pos + 1)
        if close == -1:
            if not parts:
                # The first "[" is unmatched: it is part of the base name.
                malformed_base_tail = rest[pos:]
            break
        inner = rest[pos + 1 : close]
        parts.append(inner if inner != "" else None)
        pos = close + 1
    base = base + malformed_base_tail
    if base == "":
        return None
    # PHP: in the variable name, " ", "." and the first unmatched "[" become "_".
    base = base.replace(" ", "_").replace(".", "_")
    if malformed_base_tail:
        base = base.replace("[", "_", 1)
    return [base, *parts]


class _PhpArray(dict):
    """An ordered PHP array under construction."""

    __slots__ = ("next_index",)

    def __init__(self) -> None:
        super().__init__()
        self.next_index = 0

    def put(self, key: str | None, value: Any) -> str:
        if key is None:
            key = str(self.next_index)
        if is_int_key(key):
            as_int = int(key)
            key = str(as_int)
            if as_int >= self.next_index:
                self.next_index = as_int + 1
        self[key] = value
        return key


def _assign(root: _PhpArray, parts: list[str | None], value: str) -> None:
    node = root
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if last:
            node.put(part, value)
            return
        child = node.get(part) if part is not None else None
        if not isinstance(child, _PhpArray):
            child = _PhpArray()
            node.put(part, child)
        node = child


def _finish(value: Any) -> Any:
    if isinstance(value, _PhpArray):
        items = {k: _finish(v) for k, v in value.items()}
        keys = list(items)
        if keys and keys == [str(i) for i in range(len(keys))]:
            return list(items.values())
        return items
    return value


def php_params_from_pairs(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Build PHP request variables from already-decoded ``(key, value)`` pairs."""
    root = _PhpArray()
    for key, value in pairs:
        parts = php_key_parts(key)
        if parts is None:
            continue
        _assign(root, parts, value)
    return {k: _finish(v) for k, v in root.items()}


def _pairs(query: str) -> Iterator[tuple[str, str]]:
    for pair in query.split("&"):
        if pair == "":
            continue
        if "=" in pair:
            raw_key, raw_value = pair.split("=", 1)
        else:
            raw_key, raw_value = pair, ""
        yield (unquote_plus(raw_key, encoding="utf-8", errors="replace"),
               unquote_plus(raw_value, encoding="utf-8", errors="replace"))


def parse_php_query(query: str | bytes | None) -> dict[str, Any]:
    """Parse ``query`` exactly like PHP's ``parse_str`` (see module docstring).

    The top level is always a ``dict`` (PHP variables, never a list).
    """
    if not query:
        return {}
    if isinstance(query, bytes):
        query = query.decode("utf-8", errors="replace")
    return php_params_from_pairs(_pairs(query))
