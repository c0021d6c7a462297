from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from b24metrics.extract.coerce import coerce_value

OFFSETS = st.integers(-12 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


@given(moment=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)), tz=OFFSETS)
def test_a_portal_datetime_in_any_offset_is_the_same_instant(moment, tz):
    aware = moment.replace(microsecond=0, tzinfo=tz)
    parsed = coerce_value("datetime", aware.isoformat())
    assert parsed == aware and parsed.tzinfo == timezone.utc


@given(day=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), tz=OFFSETS)
def test_a_date_is_its_utc_midnight_in_any_offset(day, tz):
    midnight = datetime(day.year, day.month, day.day, tzinfo=timezone.utc).astimezone(tz)
    assert coerce_value("date", midnight.isoformat()) == day
    assert coerce_value("date", day.isoformat()) == day


@pytest.mark.parametrize("kind, raw", [("float", "двенадцать"), ("int", "1.5"), ("bool", "maybe"),
                                       ("datetime", "31.02.2025"), ("datetime", "2025-03-01T10:00:00")])
def test_unparseable_values_raise(kind, raw):
    with pytest.raises(ValueError):
        coerce_value(kind, raw)


def test_money_and_flags():
    assert coerce_value("float", "15 000,50") == 15000.5
    assert coerce_value("bool", "Y") is True and coerce_value("bool", True) is True
    assert coerce_value("int", "0042") == 42 and coerce_value("str", None) is None


def test_a_multifield_keeps_its_values_joined():
    emails = [{"ID": "1", "VALUE": "anna@romashka.ru", "VALUE_TYPE": "WORK"},
              {"ID": "2", "VALUE": " anna@mail.ru ", "VALUE_TYPE": "HOME"}, {"ID": "3", "VALUE": ""}]
    assert coerce_value("values", emails) == "anna@romashka.ru, anna@mail.ru"
    assert coerce_value("values", {"n0": {"VALUE": "+7 (495) 111-22-33"}}) == "+7 (495) 111-22-33"
    assert coerce_value("values", "https://romashka.ru") == "https://romashka.ru"
    assert coerce_value("values", [{"VALUE": "a,b@x.ru"}]) == "a b@x.ru"   # the separator stays unambiguous
    assert coerce_value("values", []) is None and coerce_value("values", [{"VALUE": None}]) is None
