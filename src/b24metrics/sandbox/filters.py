"""``filter`` / ``order`` / ``select`` of classic Bitrix24 list methods.

Records are dicts in wire format (see :mod:`.state`); ``kinds`` maps a field
name to its kind (see :mod:`.schema`).  Comparisons are type-aware:

* ``int``/``float`` compare as numbers, also when the filter value is a
  string from a query string (PHP ``floatval`` semantics: ``"12abc"`` is 12,
  ``"abc"`` is 0);
* ``datetime`` compares as instants; the filter value may be ISO with an
  offset, ``YYYY-MM-DD HH:MM:SS``, ``YYYY-MM-DDTHH:MM:SS`` or ``YYYY-MM-DD``
  (the last ones in the portal's zone).  Stored values are all in the
  portal's offset, so they compare correctly as strings;
* ``date`` compares as ``YYYY-MM-DD``; a stored value with a time (Bitrix
  writes date fields such as a deal's ``CLOSEDATE`` as UTC midnight in the
  portal's offset, ``2026-05-10T03:00:00+03:00``) counts as its UTC date;
* everything else compares as strings.

Filter key prefixes: ``>= > <= < = ! != @ !@ % !% =% %= !=% !%=`` (no prefix
means equals), plus ``><``/``!><`` (between / not between two values, both
inclusive) and ``?`` (treated as ``%``).  A list value with ``=``/no prefix means IN, with ``!``/``!=``
NOT IN.  An empty value (``""``/``null``) for ``> >= < <= % !% =% ...`` drops
the condition; ``=""`` matches empty/null fields and ``!""`` non-empty ones.
Unknown fields are ignored, as Bitrix24 ignores them.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

from .datetimes import normalize_date, normalize_datetime

__all__ = [
    "compile_filter",
    "id_lower_bound",
    "parse_order",
    "sort_records",
    "resolve_select",
    "php_floatval",
    "split_key",
]

# longest prefixes first
_PREFIXES = [
    ("!><", "nbetween"),
    ("!%=", "nlike"),
    ("!=%", "nlike"),
    ("!@", "nin"),
    ("!=", "ne"),
    ("!%", "ncontains"),
    (">=", "ge"),
    ("<=", "le"),
    ("=%", "like"),
    ("%=", "like"),
    ("><", "between"),
    (">", "gt"),
    ("<", "lt"),
    ("=", "eq"),
    ("!", "ne"),
    ("@", "in"),
    ("%", "contains"),
    ("?", "contains"),
]

_NUMERIC = ("int", "float")
_FLOAT_PREFIX = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")

Predicate = Callable[[dict[str, Any]], bool]


def php_floatval(value: Any) -> float:
    """PHP ``(float)$value``: leading numeric prefix of a string, else 0."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    if value is None:
        return 0.0
    if isinstance(value, (list, dict)):
        return 1.0 if value else 0.0
    match = _FLOAT_PREFIX.match(str(value))
    return float(match.group(0)) if match else 0.0


def split_key(key: str) -> tuple[str, str]:
    """``">=DATE_CREATE"`` -> ``("ge", "DATE_CREATE")``."""
    for prefix, op in _PREFIXES:
        if key.startswith(prefix):
            return op, key[len(prefix):].strip()
    return "eq", key.strip()


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return list(value.values())
    return [value]


def _scalar_text(value: Any) -> str:
    if value is None:
        return ""
    if value is True:
        return "Y"
    if value is False:
        return "N"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _like_regex(pattern: str) -> re.Pattern[str]:
    """SQL LIKE (``%`` any run, ``_`` one char), case-insensitive."""
    out = []
    for ch in pattern:
        if ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        else:
            out.append(re.escape(ch))
    return re.compile("^" + "".join(out) + "$", re.IGNORECASE | re.DOTALL)


def _utc_date(value: str) -> str:
    """The UTC date of a stored datetime (``2026-05-10T03:00:00+03:00`` -> ``2026-05-10``)."""
    try:
        return datetime.fromisoformat(value).astimezone(timezone.utc).date().isoformat()
    except ValueError:
        return value[:10]


class _Converter:
    """Turns filter values and record values of one kind into comparable keys."""

    def __init__(self, kind: str, tz: timezone) -> None:
        self.kind = kind
        self.tz = tz

    def filter_value(self, value: Any) -> Any:
        """The comparable form of a filter value, or ``None`` if it is empty/invalid."""
        if value is None or value == "":
            return None
        kind = self.kind
        if kind in _NUMERIC:
            return php_floatval(value)
        if kind == "datetime":
            return normalize_datetime(value, self.tz) if isinstance(value, str) else None
        if kind == "date":
            return normalize_date(value, self.tz) if isinstance(value, str) else None
        if kind == "bool":
            if isinstance(value, bool):
                return value
            return str(value).strip().upper() in ("Y", "1", "TRUE", "YES")
        if isinstance(value, (list, dict)):
            return None
        return _scalar_text(value)

    def record_value(self, value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, (list, dict)):
            return value or None
        kind = self.kind
        if kind in _NUMERIC:
            try:
                return float(value)
            except (TypeError, ValueError):
                return php_floatval(value)
        if kind == "bool":
            return bool(value)
        if kind == "date" and isinstance(value, str) and len(value) > 10:
            return _utc_date(value)
        return value if isinstance(value, str) else _scalar_text(value)


def _condition(field: str, op: str, raw: Any, conv: _Converter) -> Predicate | None:
    """One filter condition as a predicate, or ``None`` when it is dropped."""
    rv = conv.record_value
    # A link such as COMPANY_ID=0 means "no company": "=0" also matches empty links.
    zero_is_empty = conv.kind == "int" and field != "ID" and field.endswith("_ID")

    def get(rec: dict[str, Any]) -> Any:
        value = rv(rec.get(field))
        if zero_is_empty and value is None:
            return 0.0
        return value

    if op in ("eq", "ne") and isinstance(raw, (list, dict)):
        op = "in" if op == "eq" else "nin"

    if op in ("in", "nin"):
        wanted = [conv.filter_value(v) for v in _as_list(raw)]
        want_empty = any(w is None for w in wanted)
        values = {w for w in wanted if w is not None}

        def is_in(rec: dict[str, Any]) -> bool:
            value = rv(rec.get(field))
            if value is None:
                return want_empty or (zero_is_empty and 0.0 in values)
            if isinstance(value, list):
                return any(rv(v) in values for v in value)
            return value in values

        if op == "in":
            if not wanted:
                return lambda rec: False
            return is_in
        if not wanted:
            return None
        return lambda rec: not is_in(rec)

    if op in ("between", "nbetween"):
        bounds = [conv.filter_value(v) for v in _as_list(raw)] if isinstance(raw, (list, dict)) else []
        if len(bounds) != 2 or bounds[0] is None or bounds[1] is None:
            return None
        low, high = bounds

        def between(rec: dict[str, Any]) -> bool:
            value = rv(rec.get(field))
            if value is None or isinstance(value, list):
                return False
            try:
                return low <= value <= high
            except TypeError:
                return False

        if op == "between":
            return between
        return lambda rec: rv(rec.get(field)) is not None and not between(rec)

    if op in ("contains", "ncontains", "like", "nlike"):
        if raw is None or raw == "" or isinstance(raw, (list, dict)):
            return None
        text = _scalar_text(raw)
        if op in ("contains", "ncontains"):
            needle = text.casefold()

            def contains(rec: dict[str, Any]) -> bool:
                value = rec.get(field)
                return value is not None and needle in _scalar_text(value).casefold()
        else:
            regex = _like_regex(text)

            def contains(rec: dict[str, Any]) -> bool:
                value = rec.get(field)
                return value is not None and regex.match(_scalar_text(value)) is not None

        if op in ("contains", "like"):
            return contains
        return lambda rec: not contains(rec)

    if raw is None or raw == "":
        if op == "eq":
            return lambda rec: rv(rec.get(field)) is None
        if op == "ne":
            return lambda rec: rv(rec.get(field)) is not None
        return None  # empty comparison value: condition ignored

    target = conv.filter_value(raw)
    if target is None:
        return None  # an unparseable date: the sandbox drops the condition

    def equal(rec: dict[str, Any]) -> bool:
        value = get(rec)
        if isinstance(value, list):  # a multiple user field matches on any element
            return any(rv(item) == target for item in value)
        return value == target

    if op == "eq":
        return equal
    if op == "ne":
        return lambda rec: not equal(rec)

    def compare(rec: dict[str, Any], op: str = op) -> bool:
        value = rv(rec.get(field))
        if value is None or isinstance(value, list):
            return False
        try:
            if op == "gt":
                return value > target
            if op == "ge":
                return value >= target
            if op == "lt":
                return value < target
            return value <= target
        except TypeError:
            return False

    return compare


def compile_filter(flt: Any, kinds: dict[str, str], tz: timezone) -> Predicate | None:
    """A predicate for ``flt``, or ``None`` when every record matches."""
    if not isinstance(flt, dict):
        return None
    conditions: list[Predicate] = []
    for key, raw in flt.items():
        op, field = split_key(str(key))
        field = field.upper()
        kind = kinds.get(field)
        if kind is None or kind == "object":
            continue
        cond = _condition(field, op, raw, _Converter(kind, tz))
        if cond is not None:
            conditions.append(cond)
    if not conditions:
        return None
    if len(conditions) == 1:
        return conditions[0]
    return lambda rec: all(cond(rec) for cond in conditions)


def id_lower_bound(flt: Any) -> tuple[float | None, bool]:
    """The tightest ``>ID``/``>=ID`` bound of ``flt``: ``(value, inclusive)``."""
    best: float | None = None
    inclusive = True
    if not isinstance(flt, dict):
        return best, inclusive
    for key, raw in flt.items():
        op, field = split_key(str(key))
        if field.upper() != "ID" or op not in ("gt", "ge") or raw is None or raw == "":
            continue
        if isinstance(raw, (list, dict)):
            continue
        value = php_floatval(raw)
        if best is None or value > best or (value == best and op == "gt"):
            best, inclusive = value, op == "ge"
    return best, inclusive


def parse_order(order: Any, kinds: dict[str, str]) -> list[tuple[str, bool]]:
    """``{"DATE_CREATE": "DESC", "ID": "ASC"}`` -> ``[(field, descending), ...]``.

    Unknown fields are ignored; ``ID ASC`` is appended as a tie-breaker.
    """
    result: list[tuple[str, bool]] = []
    if isinstance(order, dict):
        items: Iterable[tuple[Any, Any]] = order.items()
    elif isinstance(order, list):
        items = ((name, "ASC") for name in order)
    else:
        items = ()
    seen = set()
    for name, direction in items:
        field = str(name).strip().upper()
        if field not in kinds or kinds[field] == "object" or field in seen:
            continue
        seen.add(field)
        result.append((field, str(direction).strip().upper() == "DESC"))
    if "ID" not in seen and "ID" in kinds:
        result.append(("ID", False))
    return result


def sort_records(records: list[dict[str, Any]], order: list[tuple[str, bool]],
                 kinds: dict[str, str], tz: timezone) -> list[dict[str, Any]]:
    """Stable multi-key sort; empty values first in ascending order (as MySQL)."""
    for field, descending in reversed(order):
        conv = _Converter(kinds[field], tz)
        rv = conv.record_value
        numeric = kinds[field] in _NUMERIC

        def key(rec: dict[str, Any], field: str = field) -> tuple[int, Any]:
            value = rv(rec.get(field))
            if value is None:
                return (0, 0.0 if numeric else "")
            if isinstance(value, list):
                value = _scalar_text(value[0]) if value else ""
                return (1, value if not numeric else php_floatval(value))
            if isinstance(value, bool):
                return (1, int(value))
            return (1, value)

        records.sort(key=key, reverse=descending)
    return records


def resolve_select(select: Any, standard: list[str], user_fields: list[str],
                   explicit_only: tuple[str, ...] = (), default: tuple[str, ...] = ("*",)) -> list[str]:
    """The output field names for ``select`` (``ID`` always first).

    No select (or an empty one) means ``default`` (all standard fields unless
    told otherwise); ``*`` adds all standard fields and ``UF_*`` all user
    fields; explicit names of existing fields are added; unknown names are
    ignored.  ``explicit_only`` fields (multifields such as ``PHONE``) come
    only when named, after the others.
    """
    names = [str(name).strip().upper() for name in _as_list(select) if name is not None] if select else []
    if not names:
        if default == ("*",):
            return list(standard)
        names = list(default)
    wanted: set[str] = {"ID"}
    for name in names:
        if name == "*":
            wanted.update(standard)
        elif name == "UF_*":
            wanted.update(user_fields)
        else:
            wanted.add(name)
    ordered = [name for name in standard if name in wanted]
    ordered += [name for name in user_fields if name in wanted]
    ordered += [name for name in explicit_only if name in wanted]
    if "ID" in ordered:
        ordered.remove("ID")
    return ["ID", *ordered]
