"""raw_records.content_hash: what a record is, without the entries that change on their own."""

from __future__ import annotations

import hashlib
import json


def volatile_keys(own_fields: tuple[str, ...]) -> tuple[str, ...]:
    """The payload entries that do not change what a record is: DATE_MODIFY, which our own
    writes bump, and the fields our write-back fills, which the KPIs never read; as the text
    that starts each in json.dumps output (with the comma before it, so that a payload without
    the key reads the same; ID always comes first)."""
    return tuple(f', {json.dumps(key)}: ' for key in ("DATE_MODIFY", *own_fields))


def content_hash(text: str, volatile: tuple[str, ...]) -> int:
    """A 64-bit hash of a payload without its volatile entries (raw_records.content_hash).
    Plain find() per key: a regex over every payload doubled the cost of preparing a page."""
    for marker in volatile:
        start = text.find(marker)
        if start < 0:
            continue
        end = start + len(marker)
        if text.startswith('"', end):           # a string: up to its closing quote
            end += 1
            while True:
                end = text.find('"', end)
                slashes = len(text[:end]) - len(text[:end].rstrip("\\"))
                end += 1
                if slashes % 2 == 0:
                    break
        else:                                   # a number, true, false or null
            ends = [i for i in (text.find(",", end), text.find("}", end)) if i >= 0]
            end = min(ends) if ends else len(text)
        text = text[:start] + text[end:]
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
