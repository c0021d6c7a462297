"""M3 with [kpis.lead_stages]: the portal says which lead statuses mean accepted into work (SAL)
and qualified (SQL); left empty, the inference stands. Figures worked out by hand.

Lead statuses: NEW "Не обработан" 10, IN_PROCESS "В работе" 20, PROCESSED "Обработан" 30,
CONVERTED "Качественный лид" (S), JUNK "Некачественный лид" (F)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from b24metrics.config import LeadStageSettings
from b24metrics.kpis.lead_stages import stages_used
from b24metrics.kpis.refresh import refresh_kpis
from b24metrics.report import write_report
from tests.kpis.scenario import Scenario
from tests.kpis.test_speed_oracle import path

MARCH = "2026-03-01"


@pytest.fixture(scope="module")
def s():
    with Scenario() as s:
        def lead(*statuses: str) -> int:
            at = [f"2026-03-02 {10 + i}:00" for i in range(len(statuses))]
            made = s.lead(created=at[0], status=statuses[-1])
            path(s, "lead", made, *zip(statuses, at))
            return made
        lead("NEW", "IN_PROCESS")                        # a: in work now
        lead("NEW", "IN_PROCESS", "PROCESSED")           # b: processed, open
        lead("NEW", "PROCESSED", "CONVERTED")            # c: converted
        lead("NEW", "IN_PROCESS", "JUNK")                # d: junked after a call
        lead("NEW", "JUNK")                              # e: junked at once
        lead("NEW")                                      # f: untouched
        s.sync()
        yield s


def m3(s: Scenario, **lead_stages) -> tuple:
    done = refresh_kpis(s.warehouse, s.settings(kpis={"lead_stages": lead_stages}))
    row = next(r for r in s.rows("qualification_rates", period="month") if str(r["period"]) == MARCH)
    return (row["accepted"], row["sal_rate"], row["qualified"], row["sql_rate"]), done.problems


def test_the_default_infers_accepted_and_qualified(s):
    # accepted: a b c d (once in a status but the first and the failures); qualified: c, converted
    assert m3(s) == ((4, 66.7, 1, 25.0), [])


def test_a_configured_accepted_status_changes_sal(s):
    # IN_PROCESS is only "tried to call" here: accepted is PROCESSED (b c), c converted as well
    assert m3(s, accepted=["PROCESSED"]) == ((2, 33.3, 1, 50.0), [])


def test_statuses_by_name_and_a_qualified_list(s):
    # accepted: IN_PROCESS (a b d) and whatever is qualified: Обработан (b c); qualified: b c
    assert m3(s, accepted=["IN_PROCESS"], qualified=["обработан"]) == ((4, 66.7, 2, 50.0), [])


def test_an_unknown_status_is_reported_and_means_no_lead_not_the_inference(s):
    counts, problems = m3(s, accepted=["UC_NOPE"])
    assert counts == (1, 16.7, 1, 100.0)             # only c, converted
    assert problems == ["kpis.lead_stages.accepted: 'UC_NOPE' is no lead status of the portal (an ID or a name); "
                        "no lead is counted by it"]


def test_which_statuses_are_used_is_said_in_words(s):
    with s.warehouse.connect(read_only=True) as con:
        inferred = stages_used(con, LeadStageSettings())
        chosen = stages_used(con, LeadStageSettings(accepted=["Обработан"]))
    assert [(u.kind, u.statuses, u.configured) for u in inferred] == [
        ("accepted", ("В работе (IN_PROCESS)", "Обработан (PROCESSED)", "Качественный лид (CONVERTED)"), False),
        ("qualified", ("Качественный лид (CONVERTED)",), False)]
    assert inferred[0].text.startswith("SAL (accepted into work): В работе (IN_PROCESS), Обработан (PROCESSED), "
                                       "Качественный лид (CONVERTED), or qualified, or converted (inferred: ")
    assert chosen[0].statuses == ("Обработан (PROCESSED)",) and chosen[0].configured
    assert chosen[0].text.endswith("(kpis.lead_stages.accepted)")
    # without a warehouse: the configured IDs as written, and no names to infer from
    assert [u.statuses for u in stages_used(None, LeadStageSettings(qualified=["PROCESSED"]))] == [(), ("PROCESSED",)]


def test_the_report_names_the_statuses_it_counts(s, tmp_path):
    settings = s.settings(kpis={"lead_stages": {"accepted": ["PROCESSED"]}})
    refresh_kpis(s.warehouse, settings)
    out = tmp_path / "report.html"
    write_report(s.warehouse, settings, out, until=date(2026, 4, 1), now=datetime(2026, 4, 15, 12), lang="en")
    html = out.read_text(encoding="utf-8")
    assert ("SAL (accepted into work): Обработан (PROCESSED) (set in kpis.lead_stages); "
            "SQL (qualified): Качественный лид (CONVERTED) (inferred)") in html
