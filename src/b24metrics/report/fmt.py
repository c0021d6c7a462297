"""Numbers, money and periods as a reader of the report's language expects them.

Russian: narrow no-break spaces between thousands, a decimal comma, the currency sign after
the amount ("1 234 567 ₽"), "12,5 %". English: "1,234,567", "RUB 1,234,567", "$1,234.50",
"12.5%". A value the KPI layer left empty (NULL: nothing to divide by, a mixed currency) is a
dash, never a zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from b24metrics.report.window import quarter_index

NNBSP = "\u202f"   # narrow no-break space: Russian thousands separator
NBSP = "\u00a0"    # before a unit or a currency sign: the number and its unit stay on one line
DASH = "—"

LANGS = ("ru", "en")
SIGNS = {"RUB": "₽", "RUR": "₽", "USD": "$", "EUR": "€", "GBP": "£", "CNY": "¥", "KZT": "₸", "UAH": "₴", "BYN": "Br"}
_EN_PREFIX = {"USD": "$", "EUR": "€", "GBP": "£"}  # English writes these signs in front

_UNITS = {
    "ru": {"min": "мин", "days": "дн.", "h": "ч", "s": "с"},
    "en": {"min": "min", "days": "days", "h": "h", "s": "s"},
}
_MONTHS = {
    "ru": ["январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь",
           "ноябрь", "декабрь"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
}
_SHORT_MONTHS = {
    "ru": ["янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"],
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
}
_ROMAN = ["I", "II", "III", "IV"]


def as_number(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        number = float(value)
        return None if math.isnan(number) else number
    return None


@dataclass(frozen=True)
class Locale:
    lang: str = "ru"

    def __post_init__(self) -> None:
        if self.lang not in LANGS:
            raise ValueError(f"unknown language {self.lang!r}; one of {', '.join(LANGS)}")

    # -- numbers ------------------------------------------------------------------------------

    def plain(self, value: float, decimals: int) -> str:
        text = f"{value:,.{decimals}f}"
        if self.lang == "ru":
            text = text.replace(",", NNBSP).replace(".", ",")
        return text.replace("-", "−")  # a true minus sign: a hyphen breaks lines and reads as a dash

    def number(self, value: object, unit: str = "", currency: str | None = None) -> str:
        """A KPI value with its unit: "%", "money" (needs its currency), "min", "days", "h", "s" or ""."""
        number = as_number(value)
        if number is None:
            return DASH
        if unit == "money":
            return self.money(number, currency)
        if unit == "%":
            text = self.plain(number, _decimals(number, 1))
            return f"{text}{NBSP}%" if self.lang == "ru" else f"{text}%"
        text = self.plain(number, _decimals(number, 1))
        suffix = _UNITS[self.lang].get(unit)
        return f"{text}{NBSP}{suffix}" if suffix else text

    def money(self, value: float, currency: str | None) -> str:
        # Cents matter in a cost per lead, not in a revenue of millions.
        text = self.plain(value, 0 if abs(value) >= 1000 or value == int(value) else 2)
        code = (currency or "").upper()
        if not code:
            return text
        if self.lang == "ru":
            return f"{text}{NBSP}{SIGNS.get(code, code)}"
        if code in _EN_PREFIX:
            sign = "−" if text.startswith("−") else ""
            return f"{sign}{_EN_PREFIX[code]}{text.lstrip('−')}"
        return f"{code}{NBSP}{text}"

    def change(self, current: object, before: object, unit: str = "") -> tuple[str, int]:
        """How `current` moved from `before`: the text and its direction (-1, 0, 1). Shares move
        in percentage points; everything else in percent of the value before."""
        now, then = as_number(current), as_number(before)
        if now is None or then is None:
            return "", 0
        direction = (now > then) - (now < then)
        if unit == "%":
            points = now - then
            text = self.plain(points, 1)
            text = ("+" if points > 0 else "") + text
            return (f"{text}{NBSP}п.п." if self.lang == "ru" else f"{text} pp"), direction
        if then == 0:
            return ("", direction) if now == 0 else ("new" if self.lang == "en" else "новое", direction)
        share = 100.0 * (now - then) / abs(then)
        text = ("+" if share > 0 else "") + self.plain(share, 1)
        return (f"{text}{NBSP}%" if self.lang == "ru" else f"{text}%"), direction

    # -- periods ------------------------------------------------------------------------------

    def period(self, kind: str, start: date | None) -> str:
        """A period's name in full: "октябрь 2026", "week 43, 2026 (19.10–25.10)", "Q3 2026"."""
        if start is None:
            return "за всё время" if self.lang == "ru" else "all time"
        if kind == "day":
            return start.strftime("%d.%m.%Y") if self.lang == "ru" else start.isoformat()
        if kind == "week":
            year, week, _ = start.isocalendar()
            end = start + timedelta(days=6)
            span = f"{start:%d.%m}–{end:%d.%m}"
            return f"неделя {week}, {year} ({span})" if self.lang == "ru" else f"week {week}, {year} ({span})"
        if kind == "month":
            return f"{_MONTHS[self.lang][start.month - 1]} {start.year}"
        if kind == "quarter":
            q = quarter_index(start)
            return f"{_ROMAN[q]} кв. {start.year}" if self.lang == "ru" else f"Q{q + 1} {start.year}"
        return str(start.year)

    def short_period(self, kind: str, start: date) -> str:
        """A period's name on a chart axis: "окт 26", "W43", "Q3 26"."""
        if kind == "day":
            return f"{start:%d.%m}"
        if kind == "week":
            return f"{'н' if self.lang == 'ru' else 'W'}{start.isocalendar()[1]}"
        if kind == "month":
            return f"{_SHORT_MONTHS[self.lang][start.month - 1]} {start:%y}"
        if kind == "quarter":
            q = quarter_index(start)
            return f"{_ROMAN[q]} {start:%y}" if self.lang == "ru" else f"Q{q + 1} {start:%y}"
        return str(start.year)


def _decimals(value: float, most: int) -> int:
    """Whole numbers without a decimal tail; others with `most` decimals."""
    return 0 if value == int(value) else most
