"""Lead grades against figures computed by hand from the default rules of config.py (M2)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from b24metrics.config import Condition, GradeRule, GradingSettings
from b24metrics.grading import grades_by_source
from b24metrics.kpis import refresh_grades
from b24metrics.warehouse import Warehouse

BANDS = [("EMPLOYEES_1", "менее 50"), ("EMPLOYEES_2", "50-250"), ("EMPLOYEES_3", "250-500"),
         ("EMPLOYEES_4", "500-1000"), ("EMPLOYEES_5", "более 1 000")]


def _fill(warehouse, companies, leads, extra_statuses=()):
    with warehouse.transaction() as con:
        for code, name in BANDS + list(extra_statuses):
            con.execute("INSERT INTO statuses (entity_id, status_id, name) VALUES ('EMPLOYEES', ?, ?)", [code, name])
        con.execute("INSERT INTO statuses (entity_id, status_id, name) VALUES ('SOURCE', 'WEB', 'Веб-сайт')")
        for cid, band, revenue in companies:
            con.execute("INSERT INTO companies (id, employees, revenue) VALUES (?, ?, ?)", [cid, band, revenue])
        for lid, cid, phone, email, source, payload in leads:
            con.execute(
                "INSERT INTO leads (id, company_id, has_phone, has_email, source_id) VALUES (?, ?, ?, ?, ?)",
                [lid, cid, phone, email, source],
            )
            con.execute("INSERT INTO raw_records (entity, id, payload, synced_at) VALUES ('lead', ?, ?, now())", [str(lid), payload or "{}"])


def _grades(warehouse):
    with warehouse.connect() as con:
        return {r[0]: r[1:] for r in con.execute("SELECT lead_id, score, grade, factors FROM lead_grades").fetchall()}


def test_default_rules_by_hand(warehouse):
    _fill(
        warehouse,
        companies=[(10, "EMPLOYEES_5", None), (11, "EMPLOYEES_3", 50e6), (12, "EMPLOYEES_2", None),
                   (13, "EMPLOYEES_1", 150e6), (14, "EMPLOYEES_1", None), (15, None, None)],
        leads=[
            (1, 10, True, True, "WEB", None),     # 60 + 5 + 5 = 70 -> A
            (2, 11, False, False, "WEB", None),   # 40 + 15 = 55 -> B
            (3, 12, True, False, None, None),     # 20 + 5 = 25 -> C
            (4, 13, False, False, "WEB", None),   # 60 + 20 = 80 -> A (revenue alone makes A)
            (5, 14, True, False, "WEB", None),    # 20 + 5 = 25 -> C
            (6, None, True, True, "WEB", None),   # 0 + 5 + 5 = 10 -> D
            (7, 15, False, False, "WEB", None),   # an organisation of unknown size: 20 -> C
        ],
    )
    assert refresh_grades(warehouse, GradingSettings()) == 7
    g = _grades(warehouse)
    assert g[1] == (70, "A", "large business: 1000+ employees: +60; phone given: +5; e-mail given: +5")
    assert g[2] == (55, "B", "medium business: 250-999 employees: +40; revenue 10-100 mln: +15")
    assert g[3][:2] == (25, "C")
    assert g[4] == (80, "A", "large business: revenue above 100 mln: +60; small business: under 250 employees: +20")
    assert g[5][:2] == (25, "C")
    assert g[6] == (10, "D", "private person: no company named: +0; phone given: +5; e-mail given: +5")
    # a company of unknown size is an organisation all the same: C, not D
    assert g[7] == (20, "C", "organisation, size unknown: +20")

    mix = {r["source"]: r for r in grades_by_source(warehouse)}
    assert mix["Веб-сайт"]["leads"] == 6 and mix["Веб-сайт"]["a"] == 2 and mix["Веб-сайт"]["d"] == 1
    assert mix["(no source)"]["c"] == 1
    assert mix["Веб-сайт"]["target_share_pct"] == round(100 * 3 / 6, 1)


def test_band_override_and_custom_field_rule(warehouse):
    _fill(
        warehouse,
        companies=[(10, "EMPLOYEES_9", None)],
        leads=[(1, 10, False, False, "WEB", '{"UF_CRM_RATING": "5"}'), (2, None, False, False, "WEB", '{"UF_CRM_RATING": "2"}')],
        extra_statuses=[("EMPLOYEES_9", "крупные")],  # a name with no number in it
    )
    settings_ = GradingSettings(
        employee_bands={"EMPLOYEES_9": 5000},
        rules=[
            GradeRule(label="huge", points=50, when=[Condition(field="company_employees_min", op=">=", value=1000)]),
            GradeRule(label="rated 4-5", points=30, when=[Condition(field="UF_CRM_RATING", op=">=", value=4)]),
            GradeRule(label="penalty", points=-10, when=[]),
        ],
        thresholds={"A": 70, "B": 40, "C": 1},
    )
    refresh_grades(warehouse, settings_)
    g = _grades(warehouse)
    assert g[1] == (70, "A", "huge: +50; rated 4-5: +30; penalty: -10")
    assert g[2] == (0, "D", "penalty: -10")


@pytest.fixture(scope="module")
def one_lead(tmp_path_factory):
    wh = Warehouse(tmp_path_factory.mktemp("g") / "wh.duckdb")
    wh.migrate()
    _fill(wh, companies=[], leads=[(1, None, True, False, None, None)])
    return wh


@settings(max_examples=20, deadline=None)
@given(points=st.lists(st.integers(-80, 80), min_size=1, max_size=6))
def test_score_is_clamped_and_grade_follows_thresholds(one_lead, points):
    wh = one_lead
    rules = [GradeRule(label=f"r{i}", points=p, when=[Condition(field="has_phone", op="=", value=True)])
             for i, p in enumerate(points)]
    refresh_grades(wh, GradingSettings(rules=rules))
    score, grade, factors = _grades(wh)[1]
    assert score == max(0, min(100, sum(points)))
    assert grade == ("A" if score >= 60 else "B" if score >= 40 else "C" if score >= 20 else "D")
    assert factors.count(";") == len(points) - 1
