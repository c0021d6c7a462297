"""How the report writes numbers and periods, and which periods it shows (no data set needed)."""

from datetime import date

import pytest

from b24metrics.report.charts import nice_ticks
from b24metrics.report.fmt import NBSP, NNBSP, Locale
from b24metrics.report.window import make_window, year_before

RU, EN = Locale("ru"), Locale("en")


def test_russian_numbers_money_and_shares():
    assert RU.number(1234567) == f"1{NNBSP}234{NNBSP}567"
    assert RU.number(1234.5) == f"1{NNBSP}234,5"
    assert RU.number(378000.0, "money", "RUB") == f"378{NNBSP}000{NBSP}₽"
    assert RU.number(850.25, "money", "RUB") == f"850,25{NBSP}₽"
    assert RU.number(1500, "money", "USD") == f"1{NNBSP}500{NBSP}$"
    assert RU.number(-100.0, "%") == f"−100{NBSP}%"
    assert RU.number(12.5, "min") == f"12,5{NBSP}мин"
    assert RU.number(None, "money", "RUB") == "—"


def test_english_numbers_money_and_shares():
    assert EN.number(1234567) == "1,234,567"
    assert EN.number(378000.0, "money", "RUB") == f"RUB{NBSP}378,000"
    assert EN.number(1500.5, "money", "USD") == "$1,500"  # whole units from a thousand up
    assert EN.number(-850.25, "money", "EUR") == "−€850.25"
    assert EN.number(12.5, "%") == "12.5%"
    assert EN.number(3, "days") == f"3{NBSP}days"


def test_changes_are_percent_of_before_and_points_for_shares():
    assert RU.change(110, 100) == (f"+10,0{NBSP}%", 1)
    assert EN.change(90, 100) == ("−10.0%", -1)
    assert EN.change(31.4, 36.4, "%") == ("−5.0 pp", -1)
    assert RU.change(5, 0) == ("новое", 1)
    assert EN.change(None, 3) == ("", 0)


def test_period_names():
    assert RU.period("month", date(2026, 10, 1)) == "октябрь 2026"
    assert EN.period("quarter", date(2026, 7, 1)) == "Q3 2026"
    assert EN.period("week", date(2026, 10, 26)) == "week 44, 2026 (26.10–01.11)"
    assert RU.short_period("month", date(2026, 1, 1)) == "янв 26"


def test_window_ends_with_the_last_whole_period_and_shows_the_one_under_way():
    w = make_window("month", date(2026, 11, 23))
    assert w.headline == date(2026, 10, 1) and w.periods[0] == date(2025, 11, 1)
    assert w.periods[-1] == date(2026, 11, 1) and w.running(date(2026, 11, 1)) and not w.running(w.headline)
    assert len(w.periods) == 13 and w.until == date(2026, 12, 1)
    fixed = make_window("month", date(2026, 11, 23), until=date(2026, 11, 1))
    assert fixed.periods[-1] == fixed.headline == date(2026, 10, 1) and len(fixed.periods) == 12
    weeks = make_window("week", date(2026, 11, 4), until=date(2026, 11, 2))
    assert weeks.headline == date(2026, 10, 26) and all(p.weekday() == 0 for p in weeks.periods)
    assert make_window("quarter", date(2026, 11, 23), since=date(2026, 2, 1)).periods[0] == date(2026, 4, 1)
    with pytest.raises(ValueError):
        make_window("all", date(2026, 11, 23))


def test_year_before_matches_the_cut():
    assert year_before("week", date(2026, 10, 26)) == date(2025, 10, 27)  # ISO week 44 of 2025
    assert year_before("day", date(2028, 2, 29)) == date(2027, 2, 28)
    assert year_before("month", date(2026, 10, 1)) == date(2025, 10, 1)


def test_ticks_are_round_and_whole_for_counts():
    assert nice_ticks(37) == [0, 10, 20, 30, 40]
    assert nice_ticks(2, whole=True) == [0, 1, 2]
    assert nice_ticks(0) == [0]
