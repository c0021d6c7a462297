"""Raw portal strings to typed values. A value that does not parse becomes NULL and a
quarantine entry; the rest of the record still loads."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

import pyarrow as pa

from b24metrics.extract.streams import Column, Stream

ARROW = {
    "int": pa.int64(),
    "float": pa.float64(),
    "str": pa.string(),
    "bool": pa.bool_(),
    "datetime": pa.timestamp("us", tz="UTC"),
    "date": pa.date32(),
    "values": pa.string(),
}


def schema_of(stream: Stream) -> pa.Schema:
    return pa.schema([(c.name, ARROW[c.kind]) for c in stream.columns])


def coerce_value(kind: str, value: Any) -> Any:
    """Return the typed value; raise ValueError when the portal's text does not parse."""
    if value is None or value == "" or value == []:
        return None
    if kind == "str":
        return value if isinstance(value, str) else str(value)
    if kind == "values":
        return _multifield(value)
    if kind == "int":
        if isinstance(value, bool):
            raise ValueError("a flag where a number belongs")
        number = float(value)
        if number != int(number):
            raise ValueError("not a whole number")
        return int(number)
    if kind == "float":
        return float(str(value).replace(" ", "").replace(",", "."))
    if kind == "bool":
        text = str(value).upper()
        if text in ("Y", "1", "TRUE"):
            return True
        if text in ("N", "0", "FALSE"):
            return False
        raise ValueError("expected Y or N")
    if kind == "datetime":
        moment = datetime.fromisoformat(str(value))
        if moment.tzinfo is None:
            raise ValueError("a date without a time zone offset")
        return moment.astimezone(timezone.utc)
    if kind == "date":
        text = str(value)
        if len(text) == 10:
            return date.fromisoformat(text)
        # Bitrix24 writes a date as that day's UTC midnight in the portal's offset.
        return datetime.fromisoformat(text).astimezone(timezone.utc).date()
    raise AssertionError(kind)


def _multifield(value: Any) -> str | None:
    """[{"VALUE": "a@b.ru", "VALUE_TYPE": "WORK"}, ...] -> "a@b.ru, ..." (a bare string stays)."""
    if isinstance(value, str):
        return value.strip() or None
    items = value if isinstance(value, list) else list(value.values()) if isinstance(value, dict) else [value]
    texts = []
    for item in items:
        text = item.get("VALUE") if isinstance(item, dict) else item
        if isinstance(text, (str, int)) and str(text).strip():
            texts.append(str(text).strip().replace(",", " "))
    return ", ".join(texts) or None


def coerce_record(
    columns: tuple[Column, ...], record: dict[str, Any]
) -> tuple[dict[str, Any], list[tuple[str, str | None, str]]]:
    """Typed row plus (field, raw value, error) for each value that did not parse."""
    row: dict[str, Any] = {}
    problems: list[tuple[str, str | None, str]] = []
    for col in columns:
        raw = record.get(col.source)
        try:
            row[col.name] = coerce_value(col.kind, raw)
        except (TypeError, ValueError, OverflowError) as exc:
            row[col.name] = None
            problems.append((col.source, None if raw is None else str(raw)[:500], f"not {col.kind}: {exc}"))
    return row, problems
