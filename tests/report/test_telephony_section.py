"""The report's telephony section on the hand-made calls of tests/kpis/test_telephony_oracle.py,
seen on 10 April 2026 (March is the headline): a number's cost per client comes from its own
spend only, and a number without any says so instead of showing its channel's figure."""

from datetime import datetime

import pytest

from tests.kpis.scenario import Scenario
from tests.kpis.test_inputs import delete_on_portal, refresh_with_inputs, write
from tests.kpis.test_telephony_oracle import SPEND, TRACKING, build
from tests.report.pages import report_pages
from tests.report.test_cohort_section import section, text

NOW = datetime(2026, 4, 10, 12, 0)


@pytest.fixture(scope="module")
def html(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("telephony")
    kpis = {"tracking_numbers": TRACKING, "spend_file": write(folder, "spend.csv", SPEND), "base_currency": "RUB"}
    with Scenario(kpis=kpis) as s:
        gone = build(s)
        s.sync()
        delete_on_portal(s, **gone)
        refresh_with_inputs(s, s.settings(), now=NOW)
        pages = report_pages(s, folder, NOW)
    return pages


def cost_rows(page: str) -> dict[str, list[str]]:
    """The rows of the cost table (the section's last table), by number and currency."""
    table = section(page, "telephony").split("<table")[-1].split("</table>")[0]
    rows = {}
    for tr in table.split("<tr")[2:]:
        cells = [text("<td" + td).strip() for td in tr.split("<td")[1:]]
        rows[f"{cells[0]} {cells[1]}"] = cells[2:]
    return rows


def test_a_number_costs_its_own_spend_per_client(html):
    rows = cost_rows(html["en"])
    spend, clients, cost, revenue = rows["74951112233 RUB"]
    assert (spend, clients, cost, revenue) == ("RUB 108,000", "12", "RUB 9,000", "RUB 240,000")
    assert rows["74952223344 RUB"][1:3] == ["2", "no spend of its own"]
    assert "Spend that names only a channel is charged to none of its numbers" in text(section(html["en"], "telephony"))
    assert cost_rows(html["ru"])["74952223344 RUB"][2] == "нет своих расходов"
