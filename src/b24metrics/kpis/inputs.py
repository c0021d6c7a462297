"""What the CRM does not hold: marketing spend, plan targets, tracking numbers, currency rates.

The spend file and the plan file are CSV (a header row; `,` or `;` between cells) or TOML
(`[[spend]]` / `[[plan]]` tables), in UTF-8 (with or without a BOM) or Windows-1251 (what
Excel saves as "CSV" on a Russian Windows). A bad row is reported with the file, its line and
the reason, and left out; the good rows are used. A missing or unreadable file is one
InputFileError from the readers; `load_inputs` reports it like a bad row and leaves that input
empty (input missing): a file a person has yet to fix never stops a sync, its grades or the
write-back.

`load_inputs` puts them into TEMP tables of the connection the KPI refresh runs on, where the
family SQL files read them:

    input_spend(month DATE, channel, amount DOUBLE, currency)
    input_spend_rows(period_start DATE, period_end DATE, channel, campaign, number, amount DOUBLE,
                     currency)              -- each row as written: day, week or month, with its
                                            -- UTM campaign and tracking number when it names them
    input_plan(period_start DATE, period_end DATE, period_kind, metric, target DOUBLE,
               channel, manager, manager_id, currency)
    input_tracking(number, channel)
    input_rates(currency, rate DOUBLE, base_currency)
    input_clock(now_local TIMESTAMP)     -- a fixed "now" for the plan forecast (tests); else empty
    input_rejection_field(field)         -- kpis.rejection_field, when set (marketing.sql, M6)
    input_lead_stages(kind, status_id)   -- [kpis.lead_stages]: accepted / qualified statuses (M3)

(INPUT_TABLES below holds their columns; the SQL files list the ones they read in their headers.)

A spend row covers a month (`month` or `period` = YYYY-MM), an ISO week (YYYY-Www) or a day
(YYYY-MM-DD), and may name a UTM campaign (`campaign`) and a tracking number (`number`) its
money bought. input_spend keeps the old shape, per month and channel (a week spanning two
months is split between them by its days); input_spend_rows keeps each row as written for the
cohort attribution (sql/attribution.sql) and a tracking number's own spend (sql/telephony.sql).

Channels are stored the way the KPI tables name them: a SOURCE_ID code or a source name of the
portal becomes the source's name; any other text (a tracking channel such as "Яндекс Директ")
stays as written. period_end is the period's last day (inclusive).
"""

from __future__ import annotations

import csv
import io
import logging
import math
import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Sequence, TypeVar

import duckdb

from b24metrics.config import KpiSettings, Settings
from b24metrics.errors import ConfigError
from b24metrics.kpis import lead_stages

log = logging.getLogger(__name__)

#: plan metrics: name -> what its actual counts in the plan's period (kpis/sql/money.sql)
PLAN_METRICS = {
    "leads": "leads created",
    "deals": "deals created",
    "won_deals": "deals won (their current stage is a success stage, reached in the period)",
    "revenue": "amount of the deals won in the period, in the plan's currency",
    "new_clients": "clients whose first won deal was won in the period",
    "calls": "calls started (incoming and outgoing)",
}
MONEY_METRICS = {"revenue"}

SPEND_COLUMNS = ("month", "channel", "amount", "currency", "campaign", "number")
PLAN_COLUMNS = ("period", "metric", "target", "channel", "manager", "currency")
_REQUIRED = {"spend": ("month", "channel", "amount"), "plan": ("period", "metric", "target")}
_OPTIONAL = {"spend": ("currency", "period", "campaign", "number"), "plan": ("channel", "manager", "currency")}
#: a required column another may stand for: a spend row's period in `period` instead of `month`
_INSTEAD = {"spend": {"month": "period"}}

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
_YEAR = re.compile(r"^(\d{4})$")
_WEEK = re.compile(r"^(\d{4})-?W(\d{2})$", re.IGNORECASE)
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_CURRENCY_ALIASES = {"RUR": "RUB"}   # the old ISO code Bitrix24 still shows in places
_USER_ID = re.compile(r"^(?:.*\s)?#?(\d+)$")


class InputFileError(ConfigError):
    """An input file named in the config is missing, unreadable or has no usable header."""


#: input -> the KPI tables that are meaningless without it (money.sql, telephony.sql, and
#: attribution.sql's cohort view and payback: its CPL, CAC, ROMI and payback would read as zero
#: spend). The ripeness curve needs no spend. Currency rates are settings, not a file: a currency
#: without one is named on each figure it leaves out ("USD without a rate"), not missing as a whole.
INPUT_KPI_TABLES = {"spend": ("kpi_spend_return", "kpi_call_money", "kpi_attribution", "kpi_attribution_age"),
                    "plan": ("kpi_plan",)}
#: what the last KPI refresh made of each input file: kpi and the report say "input missing" by it
INPUT_STATUS = "input_status"


@dataclass(frozen=True)
class InputState:
    """What a refresh made of one input file."""

    input: str          # spend, plan
    file: str | None    # None: no file configured
    state: str          # read, missing (configured but unusable), unset
    rows: int = 0       # rows used
    skipped: int = 0    # rows left out
    detail: str = ""    # why it is missing


@dataclass(frozen=True)
class Spend:
    month: date             # the first day of the row's period (of its month for a month row)
    channel: str
    amount: float
    currency: str
    line: int = 0
    end: date | None = None          # the period's last day; None: the end of `month`'s month
    campaign: str | None = None      # the UTM campaign the money bought, if the row names one
    number: str | None = None        # the tracking number it bought, if the row names one

    @property
    def last_day(self) -> date:
        return self.end or _add_months(self.month.replace(day=1), 1) - timedelta(days=1)


@dataclass(frozen=True)
class Plan:
    period_start: date
    period_end: date        # the last day of the period
    period_kind: str        # month, quarter, year, week
    metric: str
    target: float
    channel: str | None
    manager: str | None
    currency: str | None    # money metrics only
    line: int = 0


# -- values ---------------------------------------------------------------------------------


def parse_amount(value: Any) -> float:
    """12500, "12 500", "12 500,50", "12500.5" -> a float; raises ValueError with the reason."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = re.sub(r"[\s\u00a0\u202f']", "", str(value))
        if not text:
            raise ValueError("no number")
        if "," in text and "." in text:
            raise ValueError(f"{value!r} mixes ',' and '.': write 1234.50 or 1 234,50")
        if text.count(",") > 1:
            raise ValueError(f"{value!r} is not a number (use spaces, not commas, between thousands)")
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            raise ValueError(f"{value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number")
    return number


def parse_month(value: Any) -> date:
    match = _MONTH.match(str(value).strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"month {value!r} is not YYYY-MM")
    return date(int(match.group(1)), int(match.group(2)), 1)


def parse_period(value: Any) -> tuple[date, date, str]:
    """YYYY-MM, YYYY-Qn, YYYY or YYYY-Www (ISO week) -> (first day, last day, kind)."""
    text = str(value).strip()
    if _MONTH.match(text):
        start = parse_month(text)
        return start, _add_months(start, 1) - timedelta(days=1), "month"
    if match := _QUARTER.match(text):
        start = date(int(match.group(1)), 3 * int(match.group(2)) - 2, 1)
        return start, _add_months(start, 3) - timedelta(days=1), "quarter"
    if match := _YEAR.match(text):
        year = int(match.group(1))
        return date(year, 1, 1), date(year, 12, 31), "year"
    if match := _WEEK.match(text):
        try:
            start = date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
        except ValueError:
            raise ValueError(f"{text!r}: year {match.group(1)} has no ISO week {match.group(2)}") from None
        return start, start + timedelta(days=6), "week"
    raise ValueError(f"period {text!r} is not YYYY-MM, YYYY-Qn, YYYY or YYYY-Www")


def parse_spend_period(value: Any) -> tuple[date, date]:
    """A spend row's period: YYYY-MM, YYYY-Www (ISO week) or YYYY-MM-DD -> (first day, last day)."""
    text = str(value).strip()
    if match := _DAY.match(text):
        try:
            day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            raise ValueError(f"day {text!r} is no date") from None
        return day, day
    if _WEEK.match(text) or _MONTH.match(text):
        start, end, _ = parse_period(text)
        return start, end
    raise ValueError(f"period {text!r} is not YYYY-MM, YYYY-Www or YYYY-MM-DD")


def month_shares(start: date, end: date) -> list[tuple[date, float]]:
    """(first day of a month, share of the period's days in it) for a period of whole days."""
    days = (end - start).days + 1
    shares: dict[date, int] = {}
    day = start
    while day <= end:
        shares[day.replace(day=1)] = shares.get(day.replace(day=1), 0) + 1
        day += timedelta(days=1)
    return [(month, count / days) for month, count in shares.items()]


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def parse_currency(value: Any, default: str | None) -> str:
    text = str(value or "").strip().upper()
    if not text:
        if default:
            return default
        raise ValueError("no currency (and no kpis.base_currency to assume)")
    text = _CURRENCY_ALIASES.get(text, text)
    if not _CURRENCY.match(text):
        raise ValueError(f"currency {value!r} is not a three-letter code such as RUB")
    return text


def normalize_number(text: Any) -> str | None:
    """A phone number as its digits, a Russian 8XXXXXXXXXX as 7XXXXXXXXXX; a SIP line name
    ("reg133788") as lower-case text. Keep in step with phone_key() in sql/telephony.sql."""
    raw = str(text or "").strip()
    if not raw:
        return None
    if re.search(r"[^\W\d_]", raw):
        return raw.lower()
    digits = re.sub(r"\D", "", raw)
    if len(digits) == 11 and digits.startswith("8"):
        digits = "7" + digits[1:]
    return digits or None


# -- files ----------------------------------------------------------------------------------


def read_rows(path: Path, table: str) -> tuple[list[tuple[int, dict[str, Any]]], list[str]]:
    """(line, row with lower-case keys) of a CSV file or of the `[[table]]` tables of a TOML
    file, plus file-level remarks. Raises InputFileError when the file cannot be used at all."""
    if not path.is_file():
        raise InputFileError(f"{table} file {path} not found (kpis.{table}_file)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputFileError(f"{table} file {path} cannot be read: {exc.strerror or exc}") from None
    text = decode(data)
    if text is None:
        raise InputFileError(f"{table} file {path} cannot be read: it is neither UTF-8 nor Windows-1251 "
                             "text (save it as CSV)")
    if path.suffix.lower() == ".toml":
        rows = _toml_rows(path, text, table)
    elif path.suffix.lower() in (".csv", ".txt"):
        rows = _csv_rows(path, text, table)
    else:
        raise InputFileError(f"{table} file {path}: use a .csv or a .toml file")
    known = set(_REQUIRED[table]) | set(_OPTIONAL[table])
    unknown = sorted({k for _, row in rows for k in row if not k.startswith("(")} - known)
    remarks = [f"{path}: column(s) {', '.join(unknown)} ignored; "
               f"known: {', '.join(_REQUIRED[table] + _OPTIONAL[table])}"] if unknown else []
    return rows, remarks


ENCODINGS = ("utf-8-sig", "cp1251")
# C0 control characters other than tab, line feed, carriage return: no CSV or TOML holds them,
# while an .xlsx or a UTF-16 file renamed .csv is full of them (cp1251 decodes nearly any byte).
_BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def decode(data: bytes) -> str | None:
    """The text of a file: UTF-8 (a BOM dropped) when it is strictly that, else Windows-1251;
    None when it is neither (not text at all)."""
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return None if _BINARY.search(text) else text
    return None


def _csv_rows(path: Path, text: str, table: str) -> list[tuple[int, dict[str, Any]]]:
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        return _csv_cells(path, reader, table)
    except csv.Error as exc:   # a quote never closed swallows the file past csv's field size limit
        raise InputFileError(f"{table} file {path}:{reader.line_num}: {exc}") from None


def _csv_cells(path: Path, reader: Any, table: str) -> list[tuple[int, dict[str, Any]]]:
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, Any]]] = []
    for cells in reader:
        if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
            continue
        if header is None:
            header = [c.strip().lower() for c in cells]
            missing = [c for c in _REQUIRED[table] if c not in header
                       and _INSTEAD.get(table, {}).get(c) not in header]
            if missing:
                raise InputFileError(
                    f"{table} file {path}:{reader.line_num}: the header lacks {', '.join(missing)} "
                    f"(expected {','.join(_REQUIRED[table] + _OPTIONAL[table])})")
            continue
        row: dict[str, Any] = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header) if name}
        if len(cells) > len(header):
            row["(extra cells)"] = cells[len(header):]
        rows.append((reader.line_num, row))
    if header is None:
        raise InputFileError(f"{table} file {path} is empty: it needs a header row "
                             f"{','.join(_REQUIRED[table] + _OPTIONAL[table])}")
    return rows


def _toml_rows(path: Path, text: str, table: str) -> list[tuple[int, dict[str, Any]]]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputFileError(f"{table} file {path} is not valid TOML: {exc}") from None
    tables = data.get(table, [])
    if not isinstance(tables, list):
        raise InputFileError(f"{table} file {path}: write each row as a [[{table}]] table")
    # tomllib keeps no positions: the n-th [[table]] header is the n-th row
    header = re.compile(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]")
    lines = [n for n, line in enumerate(text.splitlines(), 1) if header.match(line)]
    lines += [0] * (len(tables) - len(lines))    # inline arrays: no line of their own
    return [(line, {str(k).lower(): v for k, v in row.items()} if isinstance(row, dict) else {"(not a table)": row})
            for line, row in zip(lines, tables)]


def _bad(path: Path, line: int, reason: str) -> str:
    return f"{path}:{line}: {reason}" if line else f"{path}: {reason}"


def read_spend(path: Path, base_currency: str | None = None) -> tuple[list[Spend], list[str]]:
    rows, problems = read_rows(path, "spend")
    spend = []
    for line, row in rows:
        try:
            if "(extra cells)" in row:
                raise ValueError("more cells than the header has columns (a comma in an unquoted amount?)")
            channel = str(row.get("channel") or "").strip()
            if not channel:
                raise ValueError("no channel")
            amount = parse_amount(row.get("amount"))
            if amount < 0:
                raise ValueError(f"amount {row.get('amount')!r} is negative")
            if str(row.get("period") or "").strip():
                start, end = parse_spend_period(row.get("period"))
            elif str(row.get("month") or "").strip():
                start, end = parse_month(row.get("month")), None
            else:
                raise ValueError("no month (or period)")
            spend.append(Spend(start, channel, amount, parse_currency(row.get("currency"), base_currency), line,
                               end=end, campaign=str(row.get("campaign") or "").strip() or None,
                               number=str(row.get("number") or "").strip() or None))
        except ValueError as exc:
            problems.append(_bad(path, line, f"{exc}; row skipped"))
    return spend, problems


def read_plan(path: Path, base_currency: str | None = None) -> tuple[list[Plan], list[str]]:
    rows, problems = read_rows(path, "plan")
    plans: list[Plan] = []
    for line, row in rows:
        try:
            if "(extra cells)" in row:
                raise ValueError("more cells than the header has columns (a comma in an unquoted target?)")
            start, end, kind = parse_period(row.get("period", ""))
            metric = str(row.get("metric") or "").strip().lower()
            if metric not in PLAN_METRICS:
                raise ValueError(f"unknown metric {row.get('metric')!r}; one of {', '.join(PLAN_METRICS)}")
            target = parse_amount(row.get("target"))
            if target <= 0:
                raise ValueError(f"target {row.get('target')!r} must be above zero")
            currency = (parse_currency(row.get("currency"), base_currency) if metric in MONEY_METRICS
                        else None)
            plans.append(Plan(start, end, kind, metric, target,
                              str(row.get("channel") or "").strip() or None,
                              str(row.get("manager") or "").strip() or None, currency, line))
        except ValueError as exc:
            problems.append(_bad(path, line, f"{exc}; row skipped"))
    return plans, problems


# -- into the refresh connection ------------------------------------------------------------


class _Channels:
    """Turns a SOURCE_ID code or a source name into the name the KPI tables use."""

    def __init__(self, con: duckdb.DuckDBPyConnection, extra: Sequence[str] = ()) -> None:
        sources = con.execute("SELECT status_id, coalesce(name, status_id) FROM statuses "
                              "WHERE entity_id = 'SOURCE' AND NOT deleted").fetchall()
        self.names = {code.casefold(): name for code, name in sources}
        self.names.update({name.casefold(): name for _, name in sources})
        self.extra = {e.casefold() for e in extra}

    def resolve(self, text: str) -> tuple[str, bool]:
        """(the channel's name, whether the portal or the tracking map knows it)."""
        key = text.strip().casefold()
        if key in self.names:
            return self.names[key], True
        return text.strip(), key in self.extra


def _managers(con: duckdb.DuckDBPyConnection) -> tuple[dict[int, str], dict[str, list[int]]]:
    users = con.execute("SELECT id, trim(coalesce(name, '')), trim(coalesce(last_name, '')) FROM users "
                        "WHERE NOT deleted").fetchall()
    by_name: dict[str, list[int]] = {}
    for uid, first, last in users:
        for name in {f"{first} {last}".strip(), f"{last} {first}".strip()} - {""}:
            by_name.setdefault(name.casefold(), []).append(uid)
    return {uid: f"{first} {last}".strip() for uid, first, last in users}, by_name


def _resolve_manager(text: str, ids: dict[int, str], by_name: dict[str, list[int]]) -> int:
    """A user ID ("5", "#5", "Ольга Кузнецова #5") or a full name -> the user's ID."""
    if match := _USER_ID.match(text.strip()):
        uid = int(match.group(1))
        if uid in ids:
            return uid
        raise ValueError(f"manager {text!r}: the portal has no user #{uid}")
    found = by_name.get(text.strip().casefold(), [])
    if len(found) == 1:
        return found[0]
    if found:
        raise ValueError(f"manager {text!r} names {len(found)} users; write the user ID (#{found[0]})")
    raise ValueError(f"manager {text!r}: no user of the portal has that name")


def tracking_rows(numbers: dict[str, str]) -> tuple[list[tuple[str, str]], list[str]]:
    rows: dict[str, tuple[str, str]] = {}
    problems = []
    for number, channel in numbers.items():
        key = normalize_number(number)
        if not key:
            problems.append(f"kpis.tracking_numbers: {number!r} is not a phone number; skipped")
        elif not str(channel or "").strip():
            problems.append(f"kpis.tracking_numbers: {number!r} has no channel; skipped")
        elif key in rows and rows[key][1] != channel.strip():
            problems.append(f"kpis.tracking_numbers: {number!r} is the number {rows[key][0]!r} again "
                            f"with another channel; {rows[key][1]!r} kept")
        else:
            rows.setdefault(key, (number, channel.strip()))
    return [(key, channel) for key, (_, channel) in rows.items()], problems


def rate_rows(kpis: KpiSettings) -> tuple[list[tuple[str, float, str]], list[str]]:
    """(currency, value of one unit in the base currency, base currency); the base itself is 1."""
    if not kpis.base_currency:
        return [], (["kpis.currency_rates ignored: no kpis.base_currency to convert into"]
                    if kpis.currency_rates else [])
    try:
        base = parse_currency(kpis.base_currency, None)
    except ValueError as exc:
        return [], [f"kpis.base_currency: {exc}; no conversion"]
    rates = {base: (1.0, base)}
    problems = []
    for currency, rate in kpis.currency_rates.items():
        try:
            code = parse_currency(currency, None)
            if not (isinstance(rate, (int, float)) and math.isfinite(rate) and rate > 0):
                raise ValueError(f"rate {rate!r} must be a number above zero")
        except ValueError as exc:
            problems.append(f"kpis.currency_rates.{currency}: {exc}; that currency stays apart")
            continue
        if code != base:
            rates[code] = (float(rate), base)
    return [(code, rate, b) for code, (rate, b) in rates.items()], problems


#: the input tables, made on the refresh's connection for the SQL files to read: declared here only
INPUT_TABLES = {
    "input_spend": "month DATE, channel VARCHAR, amount DOUBLE, currency VARCHAR",
    "input_spend_rows": "period_start DATE, period_end DATE, channel VARCHAR, campaign VARCHAR, number VARCHAR, "
                        "amount DOUBLE, currency VARCHAR",
    "input_plan": "period_start DATE, period_end DATE, period_kind VARCHAR, metric VARCHAR, target DOUBLE, "
                  "channel VARCHAR, manager VARCHAR, manager_id BIGINT, currency VARCHAR",
    "input_tracking": "number VARCHAR, channel VARCHAR",
    "input_rates": "currency VARCHAR, rate DOUBLE, base_currency VARCHAR",
    "input_clock": "now_local TIMESTAMP",
    "input_rejection_field": "field VARCHAR",
    "input_lead_stages": "kind VARCHAR, status_id VARCHAR",
}


def load_inputs(con: duckdb.DuckDBPyConnection, settings: Settings, *, now: datetime | None = None,
                states: list[InputState] | None = None) -> list[str]:
    """Create the input TEMP tables on `con` from the config and the files it names; return
    (and log, one line per file) the problems found. `now` fixes the moment the plan forecast
    counts from, as the portal's wall clock (default: the refresh's own time). `states`, when
    given, receives what became of the spend and the plan file."""
    states = states if states is not None else []
    kpis = settings.kpis
    for name, columns in INPUT_TABLES.items():
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} ({columns})")
    tracking, problems = tracking_rows(kpis.tracking_numbers)
    channels = _Channels(con)
    tracking = [(number, channels.resolve(channel)[0]) for number, channel in tracking]
    channels = _Channels(con, [channel for _, channel in tracking])
    _insert(con, "input_tracking", tracking)

    rates, rate_problems = rate_rows(kpis)
    problems += rate_problems
    _insert(con, "input_rates", rates)
    base = rates[0][2] if rates else None

    if kpis.spend_file is None:
        states.append(InputState("spend", None, "unset", detail="kpis.spend_file is not set"))
    else:
        spend, spend_problems = _read_or_missing(read_spend, kpis.spend_file, base)
        states.append(_state("spend", kpis.spend_file, spend, spend_problems))
        problems += spend_problems
        rows, detail = [], []
        unknown = _Unseen(con)
        for item in spend:
            channel, known = channels.resolve(item.channel)
            if not known and unknown.first("channel", channel):
                problems.append(_bad(kpis.spend_file, item.line, f"channel {item.channel!r} is neither a source "
                                     "of the portal nor a tracking channel: its spend counts with no leads"))
            number = normalize_number(item.number) if item.number else None
            for what, value, shown in (("campaign", item.campaign, item.campaign), ("number", number, item.number)):
                if value and not unknown.seen(what, value) and unknown.first(what, value):
                    problems.append(_bad(kpis.spend_file, item.line, unknown.reason(what, shown)))
            for month, share in month_shares(item.month, item.last_day):
                rows.append((month, channel, item.amount * share, item.currency))
            detail.append((item.month, item.last_day, channel, item.campaign, number, item.amount, item.currency))
        _insert(con, "input_spend", rows)
        _insert(con, "input_spend_rows", detail)

    if kpis.plan_file is None:
        states.append(InputState("plan", None, "unset", detail="kpis.plan_file is not set"))
    else:
        plans, plan_problems = _read_or_missing(read_plan, kpis.plan_file, base)
        states.append(_state("plan", kpis.plan_file, plans, plan_problems))
        problems += plan_problems
        ids, by_name = _managers(con)
        plan_rows: list[tuple] = []
        seen: dict[tuple, int] = {}
        for plan in plans:
            try:
                plan_channel: str | None = None
                if plan.channel:
                    plan_channel, known = channels.resolve(plan.channel)
                    if not known:
                        raise ValueError(f"channel {plan.channel!r} is neither a source of the portal "
                                         "nor a tracking channel")
                manager_id = _resolve_manager(plan.manager, ids, by_name) if plan.manager else None
            except ValueError as exc:
                problems.append(_bad(kpis.plan_file, plan.line, f"{exc}; row skipped"))
                continue
            key = (plan.period_start, plan.period_end, plan.metric, plan_channel, manager_id, plan.currency)
            if key in seen:
                problems.append(_bad(kpis.plan_file, plan.line, f"the same target as line {seen[key]} "
                                     "(period, metric, channel, manager); row skipped"))
                continue
            seen[key] = plan.line
            label = f"{ids[manager_id]} #{manager_id}".strip() if manager_id is not None else None
            plan_rows.append((plan.period_start, plan.period_end, plan.period_kind, plan.metric, plan.target,
                         plan_channel, label, manager_id, plan.currency))
        _insert(con, "input_plan", plan_rows)

    if now is not None:
        _insert(con, "input_clock", [(now,)])
    if kpis.rejection_field:
        _insert(con, "input_rejection_field", [(kpis.rejection_field,)])
    stages, stage_problems = lead_stages.resolve(con, kpis.lead_stages)
    problems += stage_problems
    if stages:
        _insert(con, "input_lead_stages", stages)
    files = [str(p) for p in (kpis.spend_file, kpis.plan_file) if p is not None]
    for line in _per_file(problems, files):
        log.warning("input: %s", line)
    return problems


class _Unseen:
    """What the portal has seen of the names a spend file uses: UTM campaigns of its leads and
    deals, the numbers its calls came to and the tracking map's. Each unknown name is reported
    once per file, at its first line."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.known: dict[str, set[str]] = {}    # read when a row first names one: most files name none
        self.told: set[tuple[str, str]] = set()

    def _read(self, what: str) -> set[str]:
        if what == "campaign":
            return {r[0] for r in self.con.execute(
                "SELECT DISTINCT utm_campaign FROM leads WHERE NOT deleted UNION "
                "SELECT DISTINCT utm_campaign FROM deals WHERE NOT deleted").fetchall() if r[0]}
        return ({key for r in self.con.execute("SELECT DISTINCT portal_number FROM calls").fetchall()
                 if (key := normalize_number(r[0]))}
                | {r[0] for r in self.con.execute("SELECT number FROM input_tracking").fetchall()})

    def seen(self, what: str, value: str) -> bool:
        if what not in self.known:
            self.known[what] = self._read(what)
        return value in self.known[what]

    def first(self, what: str, value: str) -> bool:
        """True the first time a name is told; False after (one line per name and file)."""
        key = (what, value.casefold())
        if key in self.told:
            return False
        self.told.add(key)
        return True

    @staticmethod
    def reason(what: str, shown: str | None) -> str:
        if what == "campaign":
            return (f"campaign {shown!r} is the UTM campaign of no lead or deal of the portal: "
                    "its spend counts with no leads")
        return (f"number {shown!r} is neither a number the portal's calls came to nor in kpis.tracking_numbers: "
                "its spend counts with no leads")


_LOGGED_ROWS = 5


def _per_file(problems: list[str], files: list[str]) -> list[str]:
    """The problems as log lines: one per input file (its bad rows, up to a few, in one line), so
    that a daemon cycle warns once per file however many rows are bad; settings one each."""
    lines: list[str] = []
    grouped: dict[str, list[str]] = {}
    for problem in problems:
        owner = next((f for f in files if problem.startswith(f + ":")), None)
        if owner is None:
            lines.append(problem)
        else:
            grouped.setdefault(owner, []).append(problem[len(owner) + 1:].strip())
    for owner, found in grouped.items():
        if len(found) == 1:
            lines.append(f"{owner}: {found[0]}")
            continue
        shown = "; ".join(f"line {p}" if p[:1].isdigit() else p for p in found[:_LOGGED_ROWS])
        more = f"; and {len(found) - _LOGGED_ROWS} more" if len(found) > _LOGGED_ROWS else ""
        lines.append(f"{owner}: {len(found)} problems: {shown}{more}")
    return lines


def _state(name: str, path: Path, rows: list, problems: list[str]) -> InputState:
    if problems and not rows and problems[0].endswith(_MISSING):
        return InputState(name, str(path), "missing", detail=problems[0].removesuffix(_MISSING))
    skipped = sum(p.endswith("row skipped") for p in problems)
    if skipped and not rows:
        return InputState(name, str(path), "missing", skipped=skipped,
                          detail=f"{name} file {path}: none of its {skipped} row(s) could be used")
    return InputState(name, str(path), "read", rows=len(rows), skipped=skipped)


def save_input_states(con: duckdb.DuckDBPyConnection, states: list[InputState]) -> None:
    """Keep what the refresh made of the input files in the warehouse, beside the KPI tables
    built from them."""
    con.execute(f"CREATE OR REPLACE TABLE {INPUT_STATUS} (input VARCHAR, file VARCHAR, state VARCHAR, "
                "rows INTEGER, skipped INTEGER, detail VARCHAR)")
    _insert(con, INPUT_STATUS, [(s.input, s.file, s.state, s.rows, s.skipped, s.detail) for s in states])


def missing_input(con: duckdb.DuckDBPyConnection, table: str) -> str | None:
    """"input missing: ..." when a KPI table was built without an input file it needs (set, but
    not readable at the last refresh); None when it had it, or none is set."""
    needs = [name for name, tables in INPUT_KPI_TABLES.items() if table in tables]
    if not needs:
        return None
    known = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                        [INPUT_STATUS]).fetchall()[0][0]
    if not known:
        return None    # a warehouse refreshed before the status was kept: nothing to say
    found = con.execute(f"SELECT detail FROM {INPUT_STATUS} WHERE input IN ({', '.join('?' for _ in needs)}) "
                        "AND state = 'missing' ORDER BY input", needs).fetchall()
    return f"input missing: {'; '.join(d for (d,) in found)}" if found else None


_Row = TypeVar("_Row", Spend, Plan)


def _read_or_missing(
    reader: Callable[[Path, str | None], tuple[list[_Row], list[str]]], path: Path, base: str | None
) -> tuple[list[_Row], list[str]]:
    """The file's rows, or none and one problem saying why: an input a person has to fix leaves
    its KPIs without input, not the refresh (and the sync, grades, write-back around it) failed."""
    try:
        return reader(path, base)
    except InputFileError as exc:
        return [], [f"{exc}{_MISSING}"]


_MISSING = "; input missing: the KPIs that need it are left without it"


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple]) -> None:
    # A list per column, unnested side by side: executemany runs one INSERT per row (1 ms each),
    # and a VALUES list binds every value as a parameter of its own (0.07-0.09 s for a 750-row
    # plan file, 0.005 s this way).
    if not rows:
        return
    columns = [list(column) for column in zip(*rows)]
    con.execute(f"INSERT INTO {table} SELECT " + ", ".join(f"unnest(${n})" for n in range(1, len(columns) + 1)),
                columns)
