"""The diff's comparison and rounding, which decide whether a value is sent again."""

from datetime import timezone

import duckdb
import pytest
from hypothesis import example, given, settings, strategies as st

from b24metrics.config import HYGIENE_MEASURES
from b24metrics.kpis import find
from b24metrics.sandbox.userfields import coerce_uf_value
from b24metrics.writeback.plan import SAME_MACRO, number_text, same


@pytest.fixture(scope="module")
def con():
    con = duckdb.connect()
    con.execute(SAME_MACRO)
    yield con
    con.close()


numbers = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12)
number_texts = st.one_of(
    numbers.map(repr), numbers.map(lambda x: f"{x:.2f}"), st.integers(-10**9, 10**9).map(str),
    numbers.map(lambda x: f" {x:.1f} "),
)
values = st.one_of(
    st.none(), st.just(""), st.just(" "), number_texts, st.text(max_size=8),
    st.tuples(number_texts, st.sampled_from(["RUB", "rub", "USD", " EUR"])).map("|".join),
)


@settings(max_examples=400, deadline=None)
@given(values, values)
@example(" ", "\r").via("found by CI: str.strip() took the \\r, SQL trim() did not")
@example("1\xa0", "1").via("a Unicode space: float() reads it, DuckDB's cast does not")
def test_python_and_sql_agree_on_what_is_the_same(con, a, b):
    assert same(a, b) == con.execute("SELECT wb_same(?, ?)", [a, b]).fetchall()[0][0]


def test_what_the_portal_means_by_the_same_value(con):
    for old, new in [("12.50", "12.5"), (None, ""), ("87", "87.0"), ("100.5|RUB", "100.50|rub"), ("A ", "A")]:
        assert same(old, new) and con.execute("SELECT wb_same(?, ?)", [old, new]).fetchall()[0][0]
    for old, new in [("12.5", "12.51"), ("100|RUB", "100|USD"), ("A", "B"), (None, "0")]:
        assert not same(old, new)


@settings(max_examples=300, deadline=None)
@given(numbers, st.integers(0, 2))
def test_our_rounding_is_the_portals(con, value, decimals):
    """A value rounded otherwise than the portal rounds it would differ after every sync and be
    written again forever: the double field stores what we send rounded to its PRECISION."""
    ours = con.execute(f"SELECT {number_text('?::DOUBLE', decimals)}", [value]).fetchall()[0][0]
    definition = {"FIELD_NAME": "UF_CRM_X", "USER_TYPE_ID": "double", "SETTINGS": {"PRECISION": decimals}}
    stored = coerce_uf_value(definition, ours, timezone.utc)
    assert same(stored, ours)
    assert same(coerce_uf_value(definition, f"{value:.10f}", timezone.utc), ours)


def test_the_gate_knows_every_hygiene_measure():
    assert set(HYGIENE_MEASURES) == {m.name for m in find("H1").measures}
