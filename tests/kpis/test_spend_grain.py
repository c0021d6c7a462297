"""Spend rows at the grain people keep them: a month, an ISO week or a day, optionally naming
the UTM campaign and the tracking number the money bought; the old month-only files stay valid."""

from datetime import date
from pathlib import Path

import duckdb
import pytest

from b24metrics.config import load_settings
from b24metrics.kpis.inputs import load_inputs, month_shares, parse_spend_period, read_spend
from tests.kpis.test_inputs import WEBHOOK, write


@pytest.mark.parametrize("text, span", [
    ("2026-03", (date(2026, 3, 1), date(2026, 3, 31))),
    ("2026-W10", (date(2026, 3, 2), date(2026, 3, 8))),
    ("2026-W14", (date(2026, 3, 30), date(2026, 4, 5))),
    ("2026-03-05", (date(2026, 3, 5), date(2026, 3, 5))),
])
def test_a_spend_period_is_a_month_a_week_or_a_day(text, span):
    assert parse_spend_period(text) == span


@pytest.mark.parametrize("text", ["2026-02-30", "2026-Q1", "March", "2026-W54"])
def test_a_spend_period_that_is_none_of_them_says_so(text):
    with pytest.raises(ValueError):
        parse_spend_period(text)


def test_a_week_across_two_months_is_split_by_its_days():
    # ISO week 14 of 2026: 30 and 31 March, 1 to 5 April
    assert month_shares(date(2026, 3, 30), date(2026, 4, 5)) == [(date(2026, 3, 1), 2 / 7), (date(2026, 4, 1), 5 / 7)]


def test_spend_rows_with_period_campaign_and_number(tmp_path):
    path = write(tmp_path, "spend.csv", "\n".join([
        "period,channel,amount,currency,campaign,number",
        "2026-W14,WEB,7000,RUB,spring,",
        "2026-03-05,CALL,500,RUB,,+7 (495) 111-22-33",
        "2026-03,WEB,100,RUB,,",
        "2026-13,WEB,1,RUB,,",
    ]))
    rows, problems = read_spend(Path(path))
    assert [(r.month, r.last_day, r.campaign, r.number) for r in rows] == [
        (date(2026, 3, 30), date(2026, 4, 5), "spring", None),
        (date(2026, 3, 5), date(2026, 3, 5), None, "+7 (495) 111-22-33"),
        (date(2026, 3, 1), date(2026, 3, 31), None, None)]
    assert problems == [f"{path}:5: month '2026-13' is not YYYY-MM; row skipped"]


def test_an_old_month_file_still_reads_and_the_cash_view_gets_months(tmp_path):
    old = write(tmp_path, "old.csv", "month,channel,amount,currency\n2026-03,WEB,100,RUB\n")
    rows, problems = read_spend(Path(old))
    assert problems == [] and [(r.month, r.last_day, r.campaign, r.number) for r in rows] == [
        (date(2026, 3, 1), date(2026, 3, 31), None, None)]
    new = write(tmp_path, "new.csv", "period,channel,amount\n2026-W14,WEB,7000\n")
    con = duckdb.connect()
    con.execute("CREATE TABLE statuses (entity_id VARCHAR, status_id VARCHAR, name VARCHAR, deleted BOOLEAN)")
    con.execute("INSERT INTO statuses VALUES ('SOURCE', 'WEB', 'Веб-сайт', false)")
    settings = load_settings(read_file=False, portal={"webhook_url": WEBHOOK},
                             kpis={"spend_file": new, "base_currency": "RUB"})
    assert load_inputs(con, settings) == []
    # the cash view keeps months: the week's 2 March days and 5 April days
    assert con.execute("SELECT month, channel, round(amount, 6) FROM input_spend ORDER BY month").fetchall() == [
        (date(2026, 3, 1), "Веб-сайт", 2000.0), (date(2026, 4, 1), "Веб-сайт", 5000.0)]
    assert con.execute("SELECT * FROM input_spend_rows").fetchall() == [
        (date(2026, 3, 30), date(2026, 4, 5), "Веб-сайт", None, None, 7000.0, "RUB")]
