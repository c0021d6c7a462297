"""Oracle test of what the CRM cards show (kpis/sql/cards.sql, the write-back's values): a deal's
cycle or age, its channel's win rate, a company's purchases and LTV, worked out by hand.

The win rate counts the deals closed in the last `kpis.win_rate_days` before now, and an
open deal's age counts to now, so the dates here are set relative to today."""

from datetime import datetime, timedelta, timezone

import pytest

from b24metrics.kpis import refresh_kpis
from tests.kpis.scenario import Scenario

MSK = timezone(timedelta(hours=3))   # the scenario portal's wall clock
RATES = {"base_currency": "RUB", "currency_rates": {"USD": 90.0}}   # no rate for EUR


def wall(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


@pytest.fixture(scope="module")
def cards():
    now = datetime.now(MSK).replace(second=0, microsecond=0)
    day = (now - timedelta(days=20)).replace(hour=0, minute=0)    # 20 days ago, midnight
    at = day.replace(hour=10)
    with Scenario() as s:
        a, b = s.company(created="2024-01-10 10:00"), s.company(created="2024-01-10 10:00")
        c, d = s.company(created="2024-01-10 10:00"), s.company(created="2024-01-10 10:00")
        deals = {
            "won_4d2h": s.deal(created=wall(at), moved=wall(at + timedelta(days=4, hours=2)), stage="WON",
                               amount=100_000, company=a, source="WEB"),
            "won_1d_usd": s.deal(created=wall(at), moved=wall(at + timedelta(days=1)), stage="WON",
                                 amount=1_000, currency="USD", company=a, source="WEB"),
            "lost_10d12h": s.deal(created=wall(day), moved=wall(day + timedelta(days=10, hours=12)), stage="LOSE",
                                  amount=5_000, company=b, source="WEB"),
            "won_eur": s.deal(created=wall(at), moved=wall(at + timedelta(days=2)), stage="WON",
                              amount=2_000, currency="EUR", company=b, source="CALL"),
            "won_rub": s.deal(created=wall(at), moved=wall(at + timedelta(days=3)), stage="WON",
                              amount=3_000, company=b, source="WEB"),
            "open_5d1h": s.deal(created=wall(now - timedelta(days=5, hours=1)), stage="PREPARATION", source="WEB"),
            "lost_long_ago": s.deal(created=wall(at - timedelta(days=800)), moved=wall(at - timedelta(days=790)),
                                    stage="LOSE", source="WEB"),
            "won_eur_only": s.deal(created=wall(at), moved=wall(at + timedelta(days=1)), stage="WON",
                                   amount=500, currency="EUR", company=d, source="CALL"),
        }
        s.sync(kpis=RATES)

        def read(win_rate_days: int):
            refresh_kpis(s.warehouse, s.settings(kpis={**RATES, "win_rate_days": win_rate_days}))
            with s.warehouse.connect(read_only=True) as con:
                deal_rows = con.execute("SELECT deal_id, cycle_days, channel_win_rate FROM kpi_deal_cards").fetchall()
                company_rows = con.execute(
                    "SELECT company_id, purchases, ltv, ltv_currency, ltv_mixed FROM kpi_company_cards").fetchall()
            return {r[0]: r[1:] for r in deal_rows}, {r[0]: r[1:] for r in company_rows}

        yield deals, {"a": a, "b": b, "c": c, "d": d}, read


def test_a_deals_cycle_and_an_open_deals_age(cards):
    deals, _, read = cards
    rows, _ = read(365)
    assert rows[deals["won_4d2h"]][0] == pytest.approx(4 + 2 / 24)        # creation to won, 98 h
    assert rows[deals["won_1d_usd"]][0] == pytest.approx(1.0)
    assert rows[deals["lost_10d12h"]][0] == pytest.approx(10.5)           # creation to its loss
    assert rows[deals["open_5d1h"]][0] == 5.0                             # whole days of age, now


def test_a_channels_win_rate_over_the_window(cards):
    deals, _, read = cards
    rows, _ = read(365)
    # WEB closed in the last 365 days: 3 won (100,000 RUB, 1,000 USD, 3,000 RUB), 1 lost -> 75 %
    # CALL: 2 won, none lost -> 100 %; every deal carries its channel's rate, open ones too
    assert {rows[deals[k]][1] for k in ("won_4d2h", "lost_10d12h", "open_5d1h", "lost_long_ago")} == {75.0}
    assert rows[deals["won_eur"]][1] == 100.0
    all_time, _ = read(0)
    # and the loss of 790 days ago with them: 3 won of 5 closed -> 60 %
    assert all_time[deals["won_4d2h"]][1] == 60.0 and all_time[deals["won_eur"]][1] == 100.0


def test_a_companys_purchases_and_ltv_never_mix_currencies(cards):
    _, companies, read = cards
    _, rows = read(365)
    # A: 100,000 RUB + 1,000 USD x 90 = 190,000 RUB, every deal converts
    assert rows[companies["a"]] == (2, pytest.approx(190_000.0), "RUB", False)
    # B: 3,000 RUB and 2,000 EUR without a rate (its loss does not count): no LTV, and that is why
    assert rows[companies["b"]] == (2, None, None, True)
    # C never bought; D bought in euros only: its LTV stays in euros
    assert rows[companies["c"]] == (0, None, None, False)
    assert rows[companies["d"]] == (1, pytest.approx(500.0), "EUR", False)
