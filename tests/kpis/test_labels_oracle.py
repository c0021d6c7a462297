"""Custom field values as a person reads them (M6's reason): an enumeration's item text instead of
its ID, a crm_status field's status name, an employee field's user, a boolean's yes/no, each
value of a multiple field; the stored value stays beside it in reason_id for exports and BI."""

from __future__ import annotations

import os

import pytest
from typer.testing import CliRunner

from b24metrics.cli import app
from b24metrics.sandbox.userfields import DEAL_UF, LEAD_UF, userfield_add
from tests.kpis.scenario import Scenario

FIELD = "UF_CRM_REJECT"
REASONS = ["Дорого", "Не выходит на связь", "Выбрали конкурента", "Нет бюджета"]


@pytest.fixture
def s():
    with Scenario() as scenario:
        yield scenario


def _field(s: Scenario, entity, user_type: str, **fields) -> None:
    userfield_add(s.portal, {"fields": {"FIELD_NAME": FIELD, "USER_TYPE_ID": user_type, **fields}}, entity)


def _reasons(s: Scenario, kind: str) -> list[tuple]:
    return s.sql("SELECT reason, reason_id, count(*) FROM kpi_rejections WHERE kind = ? GROUP BY ALL ORDER BY ALL",
                 [kind])


def enumerations(s: Scenario) -> None:
    """Rejection reasons as an enumeration with items 1801-1804 on leads, and as a multiple
    enumeration on deals (1805-1806)."""
    s.state.next_enum_id = 1801
    _field(s, LEAD_UF, "enumeration", LIST=[{"VALUE": v} for v in REASONS])
    _field(s, DEAL_UF, "enumeration", MULTIPLE="Y", LIST=[{"VALUE": "Долго"}, {"VALUE": "Дорого"}])
    for value in ("1801", "1801", "1802", "1804", None):
        s.lead(created="2026-03-03 10:00", status="JUNK", **{FIELD: value})
    s.lead(created="2026-03-03 10:00", status="IN_PROCESS", **{FIELD: "1803"})       # not lost
    s.deal(created="2026-03-03 10:00", stage="LOSE", **{FIELD: ["1806", "1805"]})
    s.deal(created="2026-03-03 10:00", stage="LOSE", **{FIELD: ["1805"]})
    s.sync(kpis={"rejection_field": FIELD})


def test_enumeration_items_show_their_text_and_keep_their_id(s):
    enumerations(s)
    assert _reasons(s, "lead") == [
        ("(none)", None, 1), ("Дорого", "1801", 2), ("Не выходит на связь", "1802", 1), ("Нет бюджета", "1804", 1)]
    # each value of a multiple field, in the order the portal keeps them
    assert _reasons(s, "deal") == [("Долго", "1805", 1), ("Дорого, Долго", "1806, 1805", 1)]
    (march,) = [r for r in s.rows("lead_rejections", period="month", by="reason") if r["reason"] == "Дорого"]
    assert (march["lost"], march["share"]) == (2, 40.0)                       # 2 of 5 lost leads


def test_an_item_renamed_on_the_portal_renames_the_label_at_the_next_refresh(s):
    enumerations(s)
    with s.state.lock:
        next(i for i in s.state.lead_userfields[-1]["LIST"] if i["ID"] == "1801")["VALUE"] = "Слишком дорого"
    s.sync(kpis={"rejection_field": FIELD})
    assert ("Слишком дорого", "1801", 2) in _reasons(s, "lead")


@pytest.mark.parametrize("user_type, settings, value, label", [
    ("crm_status", {"ENTITY_TYPE": "SOURCE"}, "CALL", "Звонок"),
    ("employee", {}, "5", None),                 # the user's name, as every KPI names a manager
    ("boolean", {}, "1", "yes"),
    ("boolean", {"LABEL": ["нет", "да, отказ"]}, "1", "да, отказ"),
    ("string", {}, "сам передумал", "сам передумал"),
])
def test_other_field_types_show_what_the_portal_shows(s, user_type, settings, value, label):
    _field(s, LEAD_UF, user_type, SETTINGS=settings)
    s.lead(created="2026-03-03 10:00", status="JUNK", **{FIELD: value})
    s.sync(kpis={"rejection_field": FIELD})
    if label is None:
        user = s.state.users[5]
        label = f"{user['NAME']} {user['LAST_NAME']} #5"
    stored = s.sql("SELECT json_extract_string(payload, '$.' || ?) FROM raw_records WHERE entity = 'lead'", [FIELD])
    assert _reasons(s, "lead") == [(label, stored[0][0], 1)]


def test_kpi_command_prints_the_labels(s):
    enumerations(s)
    env = {"B24M_WAREHOUSE__PATH": str(s.warehouse.path), "B24M_KPIS__REJECTION_FIELD": FIELD}
    run = CliRunner().invoke(app, ["kpi", "lead_rejections", "--by", "reason", "--since", "2026-03-01",
                                   "--until", "2026-04-01", "--format", "csv"], env={**os.environ, **env})
    assert run.exit_code == 0, run.output
    lines = run.output.splitlines()
    assert lines[0].startswith("period,reason,")
    reasons = {line.split(",")[1] for line in lines[1:]}
    assert reasons == {"(none)", "Дорого", "Не выходит на связь", "Нет бюджета"}
    assert not any("1801" in line for line in lines)


def test_the_report_names_rejection_reasons_by_their_labels(s, tmp_path):
    from datetime import datetime

    from b24metrics.report import write_report

    enumerations(s)
    settings = s.settings(kpis={"rejection_field": FIELD})
    write_report(s.warehouse, settings, tmp_path / "r.html", now=datetime(2026, 4, 2, 10, 0))
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    section = html.split('id="rejections"')[1].split("</section>")[0]
    assert 'data-kpi="lead_rejections" data-m="lost" data-pk="month" data-p="2026-03-01" data-by="reason" ' \
           'data-k="Дорого" data-v="2"' in section
    for label in ("Дорого", "Не выходит на связь", "Нет бюджета", "Дорого, Долго", "(нет)"):
        assert f"<td>{label}</td>" in section, label
    assert "1801" not in section and "1805" not in section
