"""The report's cohort section on the hand-made data of tests/kpis/test_attribution_oracle.py,
seen on 10 April 2026: March is the headline cohort, 10 to 39 days old and so not ripe."""

import re
from datetime import datetime

import pytest

from b24metrics.report.build import write_report
from tests.kpis.scenario import Scenario
from tests.kpis.test_attribution_oracle import SPEND, build
from tests.kpis.test_inputs import refresh_with_inputs, write

NOW = datetime(2026, 4, 10, 12, 0)


@pytest.fixture(scope="module")
def html(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("cohorts")
    kpis = {"spend_file": write(folder, "spend.csv", SPEND), "base_currency": "RUB", "currency_rates": {"USD": 90}}
    with Scenario(kpis=kpis) as s:
        build(s)
        s.sync()
        refresh_with_inputs(s, s.settings(), now=NOW)
        pages = {}
        for lang in ("ru", "en"):
            write_report(s.warehouse, s.settings(), folder / f"{lang}.html", now=NOW, lang=lang)
            pages[lang] = (folder / f"{lang}.html").read_text(encoding="utf-8")
    return pages


def section(page: str, sid: str) -> str:
    return page.split(f'data-section="{sid}"')[1].split("</section>")[0]


def text(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<title>.*?</title>|<[^>]+>", " ", fragment, flags=re.S))


def test_the_section_names_its_view_model_and_what_is_to_date(html):
    cohorts = text(section(html["en"], "cohorts"))
    assert "Leads created in March 2026" in cohorts and "model: first touch" in cohorts
    assert "Revenue to date" in cohorts and "ROMI, projected" in cohorts
    # the channel, campaign and number tables, the number without spend of its own explained
    for column in ("Channel", "Campaign (UTM)", "Number"):
        assert f"{column} Spend, RUB" in cohorts
    assert "A number without spend of its own has no cost per client" in cohorts
    # the e-mail lead's 200 EUR cannot be added to roubles: the figure says so
    assert "E-mail" in cohorts and "EUR without a rate" in cohorts
    # the curve it projects by, with the cohorts it was learnt from
    assert "Projections follow the ripeness curve of the cohorts 2025-10-01 to 2025-10-11" in cohorts


def test_the_headline_never_shows_an_unripe_conversion_as_final(html):
    headline = text(section(html["en"], "headline"))
    assert "The March 2026 cohort is not ripe yet" in headline and "not final" in headline
    assert "ещё не созрела" in text(section(html["ru"], "headline"))


def test_the_cash_view_is_named_as_such(html):
    assert "Cash view" in text(section(html["en"], "money"))
    assert "Кассовый взгляд" in text(section(html["ru"], "money"))
