"""Checks of the inputs the CRM does not hold: the spend and plan files parse, their channels are
sources of the portal (or tracking channels), the tracking numbers have been called."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

from b24metrics.config import Settings
from b24metrics.doctor.check import Check, ok, problem, warning
from b24metrics.kpis.inputs import InputFileError, normalize_number, rate_rows, read_plan, read_spend, tracking_rows

_SHOWN = 3  # bad rows or unknown names quoted in one line; the rest are counted


def _some(items: Sequence[str]) -> str:
    more = f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else ""
    return "; ".join(items[:_SHOWN]) + more


def _file_check(
    name: str, path: Path | None, read: Callable[[Path, str | None], tuple[list, list[str]]],
    base: str | None, sources: dict[str, str] | None, tracking_channels: set[str],
) -> Check | None:
    if path is None:
        return None
    try:
        rows, bad = read(path, base)
    except InputFileError as exc:
        return problem(name, f"{exc}: the KPIs that need it say input missing",
                       "fix the file (a header row, then one row a line; UTF-8 or Windows-1251, "
                       "';' or ',' between cells) or correct its path")
    if sources is not None:
        unknown = sorted({r.channel for r in rows if getattr(r, "channel", None)
                          and r.channel.strip().casefold() not in sources
                          and r.channel.strip().casefold() not in tracking_channels})
        if unknown:
            known = sorted(set(sources.values()))
            skipped = f"; also {len(bad)} row(s) skipped: {_some(bad)}" if bad else ""
            return problem(name, f"{path}: channel(s) {', '.join(repr(c) for c in unknown)} are neither a source of "
                           f"the portal nor a tracking channel: their figures count with no leads{skipped}",
                           f"write the source as the portal names it ({', '.join(known[:8])}"
                           f"{' ...' if len(known) > 8 else ''}), or map a number to it in kpis.tracking_numbers")
    if bad:
        return warning(name, f"{len(bad)} row(s) skipped, {len(rows)} read: {_some(bad)}",
                       "correct those rows: the others are used meanwhile")
    checked = "" if sources is not None else " (channels not checked: the portal did not answer)"
    return ok(name, f"{path}: {len(rows)} row(s) read{checked}")


def input_file_checks(settings: Settings, sources: dict[str, str] | None) -> list[Check]:
    """The spend and plan files; `sources` (code or name casefolded -> name) None when the
    portal could not be read, so that the channels go unchecked."""
    kpis = settings.kpis
    rates, _ = rate_rows(kpis)
    base = rates[0][2] if rates else None
    tracking, _ = tracking_rows(kpis.tracking_numbers)
    tracking_channels = {channel.strip().casefold() for _, channel in tracking}
    checks = [
        _file_check("spend file", kpis.spend_file, read_spend, base, sources, tracking_channels),
        _file_check("plan file", kpis.plan_file, read_plan, base, sources, tracking_channels),
    ]
    return [c for c in checks if c is not None]


def tracking_check(settings: Settings, numbers_called: set[str] | None) -> Check | None:
    """The tracking numbers parse and each has had a call (`numbers_called`: the portal numbers of
    the calls in the warehouse, normalized; None before the first sync)."""
    numbers = settings.kpis.tracking_numbers
    if not numbers:
        return None
    name = "tracking numbers"
    rows, bad = tracking_rows(numbers)
    if bad:
        return warning(name, _some(bad), "write each number once, with the channel it advertises")
    if numbers_called is None:
        return ok(name, f"{len(rows)} number(s); whether they are called is seen after the first sync")
    silent = [number for number in numbers if normalize_number(number) not in numbers_called]
    if silent:
        return warning(name, f"no call in the warehouse on {', '.join(silent)} ({len(numbers_called)} portal "
                       "number(s) have calls): its channel gets no calls",
                       "write the number as the portal's telephony shows it, or remove it")
    return ok(name, f"{len(rows)} number(s), each with calls")


def rates_check(settings: Settings) -> Check | None:
    kpis = settings.kpis
    if not kpis.base_currency and not kpis.currency_rates:
        return None
    _, bad = rate_rows(kpis)
    if bad:
        return warning("currency rates", _some(bad), "set kpis.base_currency and a rate above zero per currency")
    return ok("currency rates", f"{len(kpis.currency_rates)} rate(s) into {kpis.base_currency}")
