"""The fit grade from what a lead says when it arrives and what the CRM knew before it (M2),
against grades worked out by hand from the default rules of config.py, on a portal that kept
Bitrix24's default size bands («менее 50», «50–250», «250–500», «более 500»)."""

import pytest

from b24metrics.config import Condition, GradeRule, GradingSettings
from b24metrics.grading import band_mapping, check_rule_fields, legal_form, one_grade_share, portal_band_mapping
from b24metrics.grading.bands import nearest_band
from b24metrics.grading.checks import FieldDef, field_problems
from b24metrics.kpis import refresh_grades

DEFAULT_BANDS = [("EMPLOYEES_1", "менее 50"), ("EMPLOYEES_2", "50-250"), ("EMPLOYEES_3", "250-500"),
                 ("EMPLOYEES_4", "более 500")]
BEFORE, LEAD_DAY, LATER = "2026-01-01 09:00:00+03", "2026-02-01 10:00:00+03", "2026-03-01 09:00:00+03"


def _company(con, cid, title, band, created, *, emails=None, phones=None, web=None, revenue=None):
    con.execute("INSERT INTO companies (id, title, employees, revenue, date_create, emails, phones, web) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [cid, title, band, revenue, created, emails, phones, web])


def _contact(con, cid, company, created, *, emails=None, phones=None):
    con.execute("INSERT INTO contacts (id, company_id, date_create, emails, phones) VALUES (?, ?, ?, ?, ?)",
                [cid, company, created, emails, phones])


def _won(con, did, *, company=None, contact=None, at):
    con.execute("INSERT INTO deals (id, company_id, contact_id, stage_id, stage_semantic_id, moved_time, date_create) "
                "VALUES (?, ?, ?, 'WON', 'S', ?, ?)", [did, company, contact, at, at])


def _lead(con, lid, *, created=LEAD_DAY, title=None, company=None, emails=None, phones=None, returning=None):
    con.execute(
        "INSERT INTO leads (id, company_title, company_id, emails, phones, has_email, has_phone, date_create, "
        "is_return_customer) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [lid, title, company, emails, phones, emails is not None, phones is not None, created, returning])


@pytest.fixture
def graded(warehouse):
    with warehouse.transaction() as con:
        for code, name in DEFAULT_BANDS:
            con.execute("INSERT INTO statuses (entity_id, status_id, name) VALUES ('EMPLOYEES', ?, ?)", [code, name])
        _company(con, 10, "ООО «Ромашка»", "EMPLOYEES_4", BEFORE, emails="info@romashka.ru")
        _company(con, 11, 'АО "Гамма"', "EMPLOYEES_3", BEFORE, web="https://www.gamma-corp.ru/about")
        _company(con, 12, "Бета", None, LATER)                      # made when a lead was converted
        _contact(con, 20, 11, BEFORE, phones="8 812 555 0101")      # a contact of Гамма
        _contact(con, 21, None, BEFORE, emails="petrov@mail.ru")    # a private person who bought
        _contact(con, 22, 10, BEFORE, emails="boss@gmail.com")      # a free address says nothing
        _won(con, 30, contact=21, at="2026-01-15 12:00:00+03")
        _won(con, 31, company=10, at="2026-01-20 12:00:00+03")
        _lead(con, 1, title="ООО Ромашка")                                      # by title, bought before
        _lead(con, 2, title="Гамма-Трейд", emails="buyer@gamma-corp.ru")        # by the site's domain
        _lead(con, 3, title="ИП Сидоров А.А.", emails="sidorov@yandex.ru", phones="+79001234567")
        _lead(con, 4, title='ООО "Вектор"', phones="+7 900 000 00 00")          # unknown to the CRM
        _lead(con, 5, emails="Petrov@mail.ru")                                  # a private person, again
        _lead(con, 6, phones="8 (812) 555-01-01")                               # by a contact's phone
        _lead(con, 7, company=12)                       # linked only by its conversion: not known then
        _lead(con, 8, company=10)                                               # linked, known before
        _lead(con, 9, title="Бета")                     # the company of that title came later
        _lead(con, 10, created="2026-01-10 10:00:00+03", title="Ромашка ООО")   # before Ромашка's win
        _lead(con, 11, title="Дельта", emails="anna@gmail.com")                 # gmail: no company by it
    assert refresh_grades(warehouse, GradingSettings()) == 11
    with warehouse.connect() as con:
        grades = {r[0]: r[1:] for r in con.execute("SELECT lead_id, score, grade, factors FROM lead_grades").fetchall()}
    return warehouse, grades


def test_leads_of_every_shape_get_the_grade_worked_out_by_hand(graded):
    _, g = graded
    # matched by title to a company of the top band «более 500» (1000+ mapped onto it), which won before
    assert g[1] == (75, "A", "large business: 1000+ employees: +60; returning client: +15")
    # matched by the domain of Гамма's site: 250-500 is medium (the 1000 bound mapped to 500)
    assert g[2] == (50, "B", "medium business: 250-999 employees: +40; corporate e-mail: +5; e-mail given: +5")
    # a sole trader with a free mailbox: D whatever contacts it gave
    assert g[3] == (10, "D", "sole trader (ИП): +0; phone given: +5; e-mail given: +5")
    # an organisation the CRM does not know: size unknown, C, not D "private person"
    assert g[4] == (25, "C", "organisation, size unknown: +20; phone given: +5")
    # a private person whose e-mail (any case) is a contact with a won deal before
    assert g[5] == (20, "C", "private person: no company named: +0; returning client: +15; e-mail given: +5")
    # by the phone of a contact of Гамма
    assert g[6] == (45, "B", "medium business: 250-999 employees: +40; phone given: +5")
    # the company linked at conversion, a month later, does not decide the grade
    assert g[7] == (0, "D", "private person: no company named: +0")
    assert g[8] == (75, "A", "large business: 1000+ employees: +60; returning client: +15")
    assert g[9] == (20, "C", "organisation, size unknown: +20")
    # Ромашка was known, its won deal came after this lead: not a returning client then
    assert g[10] == (60, "A", "large business: 1000+ employees: +60")
    # a title without a legal form still names an organisation; gmail says nothing of its size
    assert g[11] == (25, "C", "organisation, size unknown: +20; e-mail given: +5")


def test_the_features_say_how_each_lead_was_matched(graded):
    warehouse, _ = graded
    from b24metrics.grading.features import prepare_features
    from b24metrics.kpis.incremental import everything_in_scope

    with warehouse.connect() as con:
        everything_in_scope(con)
        prepare_features(con, GradingSettings())
        rows = {r[0]: r[1:] for r in con.execute(
            "SELECT lead_id, company_match, legal_form, client_type, email_domain, free_email, returning_client "
            "FROM lead_features").fetchall()}
        con.unregister("band_overrides")
    assert rows[1] == ("title", "organisation", "organisation", None, None, True)
    assert rows[2] == ("domain", "organisation", "organisation", "gamma-corp.ru", False, False)  # АО "Гамма"
    assert rows[3] == (None, "sole_trader", "sole_trader", "yandex.ru", True, False)
    assert rows[4] == (None, "organisation", "organisation", None, None, False)
    assert rows[5] == (None, None, "private_person", "mail.ru", True, True)
    assert rows[6] == ("phone", "organisation", "organisation", None, None, False)
    assert rows[7] == (None, None, "private_person", None, None, False)
    assert rows[8][:3] == ("linked", "organisation", "organisation")
    assert rows[11] == (None, None, "organisation", "gmail.com", True, False)


@pytest.mark.parametrize("title, form", [
    ("ООО «Ромашка»", "organisation"), ('ООО "Ромашка"', "organisation"), ("Ромашка ООО", "organisation"),
    ("«Ромашка», ООО", "organisation"), ("ПАО Сбербанк", "organisation"), ('ФГУП "Почта России"', "organisation"),
    ("ао «рога и копыта»", "organisation"), ("Общество с ограниченной ответственностью «Ёлка»", "organisation"),
    ("ИП Иванов И.И.", "sole_trader"), ("Иванов ИП", "sole_trader"), ("Ромашка", None),
    ("Проект ООО-Сервис Плюс", None), ("Сапиенс", None), ("", None), (None, None),
])
def test_legal_form_in_front_or_behind_the_title(warehouse, title, form):
    from b24metrics.grading.facts import define_macros

    assert legal_form(title) == form
    with warehouse.connect() as con:
        define_macros(con)
        assert con.execute("SELECT legal_form(?)", [title]).fetchall()[0][0] == form


def test_employee_thresholds_are_mapped_onto_the_bands_the_portal_has(graded):
    warehouse, _ = graded
    with warehouse.connect(read_only=True) as con:
        mapping = portal_band_mapping(con, GradingSettings())
        status = {"field_problems": check_rule_fields(con, GradingSettings()), "one_grade": one_grade_share(con)}
    assert status["field_problems"] == [] and status["one_grade"] is None
    by_threshold = {(m["rule"], m["threshold"]): m for m in mapping}
    top = by_threshold[("large business: 1000+ employees", 1000)]
    assert (top["mapped_to"], top["band"], top["band_name"]) == (500, "EMPLOYEES_4", "более 500")
    assert "top band «более 500»" in top["note"]
    assert by_threshold[("medium business: 250-999 employees", 250)]["mapped_to"] == 250
    assert by_threshold[("medium business: 250-999 employees", 1000)]["mapped_to"] == 500
    assert by_threshold[("small business: under 250 employees", 250)]["mapped_to"] == 250
    # a portal whose bands reach 1000 keeps the thresholds as written
    reaching = [("B1", "менее 50", 0), ("B2", "500-1000", 500), ("B3", "более 1000", 1000)]
    assert {m["mapped_to"] for m in band_mapping(reaching, GradingSettings()) if m["threshold"] == 1000} == {1000}
    assert nearest_band(300, [0, 50, 250, 500]) == 250 and nearest_band(700, [0, 50, 250, 500]) == 500
    assert band_mapping([], GradingSettings())[0]["mapped_to"] == 1000


def test_a_rule_on_a_custom_field_is_checked_against_the_portals_fields():
    size = FieldDef("UF_CRM_SIZE", "enumeration", items={"1801": "до 100", "1802": "свыше 1000"})
    fields = {"UF_CRM_SIZE": size, "UF_CRM_RATING": FieldDef("UF_CRM_RATING", "integer"),
              "UF_CRM_TAGS": FieldDef("UF_CRM_TAGS", "string", multiple=True)}

    def problems(*conds):
        rule = GradeRule(label="r", points=5, when=[Condition(field=f, op=o, value=v) for f, o, v in conds])
        return field_problems(GradingSettings(rules=[rule]), fields)

    assert problems(("UF_CRM_SIZE", "=", "свыше 1000"), ("UF_CRM_SIZE", "in", ["1801"]), ("UF_CRM_RATING", ">=", 4),
                    ("UF_CRM_TAGS", "=", "vip")) == []
    assert problems(("UF_CRM_GONE", "=", "x")) == [
        "grading rule 'r' reads UF_CRM_GONE, which the portal's leads do not have (deleted, renamed or misspelt?)"]
    assert "no item 'огромная'" in problems(("UF_CRM_SIZE", "=", "огромная"))[0]
    assert "compared as a text" in problems(("UF_CRM_RATING", ">", "много"))[0]
    assert "several values" in problems(("UF_CRM_TAGS", ">", "a"))[0]
    assert field_problems(GradingSettings(rules=[GradeRule(label="r", points=1, when=[
        Condition(field="UF_CRM_GONE", op="not_null")])]), None) == []   # nothing synced yet: nothing to hold against


def test_a_custom_enumeration_is_compared_by_label_or_id_and_a_multiple_field_by_any_value(warehouse):
    import json

    definitions = [
        {"ID": "1", "ENTITY_ID": "CRM_LEAD", "FIELD_NAME": "UF_CRM_SIZE", "USER_TYPE_ID": "enumeration", "MULTIPLE": "N",
         "LIST": [{"ID": "1801", "VALUE": "до 100"}, {"ID": "1802", "VALUE": "свыше 1000"}]},
        {"ID": "2", "ENTITY_ID": "CRM_LEAD", "FIELD_NAME": "UF_CRM_TAGS", "USER_TYPE_ID": "string", "MULTIPLE": "Y"},
    ]
    payloads = {1: {"UF_CRM_SIZE": "1802", "UF_CRM_TAGS": ["vip", "b2b"]},
                2: {"UF_CRM_SIZE": "1801", "UF_CRM_TAGS": ["b2c"]},
                3: {"UF_CRM_SIZE": None, "UF_CRM_TAGS": None}}
    with warehouse.transaction() as con:
        con.execute("INSERT INTO sync_state (stream, complete) VALUES ('lead_fields', true)")
        for d in definitions:
            con.execute("INSERT INTO raw_records (entity, id, payload, synced_at) "
                        "VALUES ('userfield', ?, ?, TIMESTAMPTZ '2026-02-01 10:00:00+00')", [d["ID"], json.dumps(d)])
        for lid, payload in payloads.items():
            con.execute("INSERT INTO leads (id) VALUES (?)", [lid])
            con.execute("INSERT INTO raw_records (entity, id, payload, synced_at) VALUES ('lead', ?, ?, now())",
                        [str(lid), json.dumps(payload)])
    rules = [
        GradeRule(label="over 1000 staff (by label)", points=50, when=[Condition(field="UF_CRM_SIZE", value="свыше 1000")]),
        GradeRule(label="small (by ID)", points=20, when=[Condition(field="UF_CRM_SIZE", op="in", value=["1801"])]),
        GradeRule(label="VIP", points=30, when=[Condition(field="UF_CRM_TAGS", value="vip")]),
        GradeRule(label="not VIP", points=1, when=[Condition(field="UF_CRM_TAGS", op="!=", value="vip")]),
    ]
    refresh_grades(warehouse, GradingSettings(rules=rules))
    with warehouse.connect() as con:
        g = dict(con.execute("SELECT lead_id, factors FROM lead_grades").fetchall())
    assert g == {1: "over 1000 staff (by label): +50; VIP: +30", 2: "small (by ID): +20; not VIP: +1",
                 3: "not VIP: +1"}


def test_a_changed_company_regrades_the_leads_matched_to_it_by_title_in_an_incremental_refresh():
    from b24metrics import pipeline
    from b24metrics.extract import STREAMS
    from b24metrics.kpis.refresh import refresh_kpis
    from tests.kpis.scenario import Scenario

    with Scenario() as s:
        company = s.company(created="2026-01-10 10:00", title="ООО «Ромашка»", employees="EMPLOYEES_2")  # 50-250
        named = s.lead(created="2026-02-01 10:00", COMPANY_TITLE="Ромашка, ООО")   # no link: matched by title
        others = [s.lead(created="2026-02-01 11:00") for _ in range(8)]
        s.sync()
        assert dict(s.sql("SELECT lead_id, grade || ' ' || score FROM lead_grades"))[named] == "C 25"
        with s.state.lock:   # the company grows; the portal bumps its DATE_MODIFY
            s.state.companies[company].update(EMPLOYEES="EMPLOYEES_5", DATE_MODIFY=s.portal.format_time(s.portal.clock()))
        settings = s.settings()
        with pipeline.open_client(settings) as client:
            pipeline.sync(client, s.warehouse, list(STREAMS.values()), settings)
        done = refresh_kpis(s.warehouse, settings)
        assert not done.full and done.scope[0] == 1   # only the matched lead, though nothing links it
        grades = dict(s.sql("SELECT lead_id, grade || ' ' || score FROM lead_grades"))
        assert grades[named] == "A 65" and all(grades[i] == "D 5" for i in others)
        assert s.sql("SELECT factors FROM lead_grades WHERE lead_id = ?", [named]) == [
            ("large business: 1000+ employees: +60; phone given: +5",)]



def test_a_won_deal_synced_later_makes_the_matched_lead_a_returning_client_in_an_incremental_refresh():
    from tests.kpis.scenario import Scenario

    with Scenario() as s:
        company = s.company(created="2026-01-10 10:00", title="ЗАО «Вега»", employees="EMPLOYEES_3")  # 250-500
        lead = s.lead(created="2026-02-01 10:00", COMPANY_TITLE="Вега")
        others = [s.lead(created="2026-02-01 11:00") for _ in range(8)]
        for _ in range(8):
            s.deal(created="2026-02-02 10:00")
        s.sync()
        assert s.sql("SELECT score, grade FROM lead_grades WHERE lead_id = ?", [lead]) == [(45, "B")]
        now = s.portal.format_time(s.portal.clock())
        # a deal won in January, entered into the CRM only now: the lead came from a client
        s.deal(created="2026-01-15 10:00", stage="WON", company=company, amount=1000, moved="2026-01-20 10:00")
        with s.state.lock:
            deal = max(s.state.deals)
            s.state.deals[deal]["DATE_MODIFY"] = now
        done = refresh_after_sync(s)
        assert not done.full and done.scope[0] == 1
        assert s.sql("SELECT score, grade, factors FROM lead_grades WHERE lead_id = ?", [lead]) == [
            (60, "A", "medium business: 250-999 employees: +40; returning client: +15; phone given: +5")]
        assert {g for (g,) in s.sql(f"SELECT grade FROM lead_grades WHERE lead_id IN ({', '.join(map(str, others))})")} == {"D"}


def test_a_deal_won_now_regrades_only_the_leads_of_its_client_that_came_after_the_win():
    from tests.kpis.scenario import Scenario

    with Scenario() as s:
        company = s.company(created="2026-01-10 10:00", title="ЗАО «Вега»", employees="EMPLOYEES_3")  # 250-500
        before = s.lead(created="2026-01-12 10:00", COMPANY_TITLE="Вега")
        after = s.lead(created="2026-02-01 10:00", COMPANY_TITLE="Вега")
        for _ in range(8):
            s.lead(created="2026-02-01 11:00")
            s.deal(created="2026-02-02 10:00")
        deal = s.deal(created="2026-01-15 10:00", stage="NEW", company=company, amount=1000)
        s.sync()
        grades = dict(s.sql("SELECT lead_id, grade FROM lead_grades"))
        assert grades[before] == grades[after] == "B"
        with s.state.lock:   # won on 20 January, entered only now
            s.state.deals[deal].update(STAGE_ID="WON", STAGE_SEMANTIC_ID="S", MOVED_TIME="2026-01-20T10:00:00+03:00",
                                       DATE_MODIFY=s.portal.format_time(s.portal.clock()))
        done = refresh_after_sync(s)
        assert not done.full and done.scope[0] == 1   # the lead that came after the win, not the one before
        grades = dict(s.sql("SELECT lead_id, grade FROM lead_grades"))
        assert (grades[before], grades[after]) == ("B", "A")


def test_a_contact_synced_after_the_lead_that_names_it_grades_the_lead_again_in_an_incremental_refresh():
    """The lead names its contact (CONTACT_ID), a client who won a deal before the lead came, but
    the contact reaches the warehouse only with a later sync: that sync grades the lead again,
    though no key of the lead's ever matched the contact."""
    from b24metrics.kpis.refresh import refresh_kpis
    from tests.kpis.scenario import Scenario

    with Scenario() as s:
        contact = s.contact(created="2026-01-05 10:00")
        lead = s.lead(created="2026-02-01 10:00", CONTACT_ID=str(contact))
        for _ in range(8):
            s.lead(created="2026-02-01 11:00")
            s.deal(created="2026-02-02 10:00")
        s.deal(created="2026-01-10 10:00", stage="WON", contact=contact, amount=1000, moved="2026-01-20 10:00")
        with s.state.lock:   # not among the contacts the portal lists yet
            held = s.state.contacts.pop(contact)
        s.sync()
        assert "returning client" not in s.sql("SELECT factors FROM lead_grades WHERE lead_id = ?", [lead])[0][0]
        with s.state.lock:
            s.state.contacts[contact] = {**held, "DATE_MODIFY": s.portal.format_time(s.portal.clock())}
        done = refresh_after_sync(s)
        assert not done.full and done.regraded == 1
        assert "returning client: +15" in s.sql("SELECT factors FROM lead_grades WHERE lead_id = ?", [lead])[0][0]
        graded = s.sql("SELECT lead_id, grade, score, factors FROM lead_grades ORDER BY 1")
        assert refresh_kpis(s.warehouse, s.settings(), full=True).full
        assert s.sql("SELECT lead_id, grade, score, factors FROM lead_grades ORDER BY 1") == graded


def refresh_after_sync(s):
    from b24metrics import pipeline
    from b24metrics.extract import STREAMS
    from b24metrics.kpis.refresh import refresh_kpis

    settings = s.settings()
    with pipeline.open_client(settings) as client:
        pipeline.sync(client, s.warehouse, list(STREAMS.values()), settings)
    return refresh_kpis(s.warehouse, settings)


@pytest.mark.parametrize("change", ["reopened", "moved to another client"])
def test_a_won_deal_reopened_or_moved_leaves_its_former_client_s_lead_returning_no_more_in_an_incremental_refresh(change):
    from tests.kpis.scenario import Scenario

    with Scenario() as s:
        company = s.company(created="2026-01-10 10:00", title="ЗАО «Вега»", employees="EMPLOYEES_3")  # 250-500
        elsewhere = s.company(created="2026-01-11 10:00", title="ООО «Альтаир»")
        lead = s.lead(created="2026-02-01 10:00", COMPANY_TITLE="Вега")
        others = [s.lead(created="2026-02-01 11:00") for _ in range(8)]
        for _ in range(8):
            s.deal(created="2026-02-02 10:00")
        won = s.deal(created="2026-01-15 10:00", stage="WON", company=company, amount=1000, moved="2026-01-20 10:00")
        s.sync()
        assert s.sql("SELECT score, grade FROM lead_grades WHERE lead_id = ?", [lead]) == [(60, "A")]
        now = s.portal.format_time(s.portal.clock())
        with s.state.lock:
            deal = s.state.deals[won]
            if change == "reopened":
                deal.update(STAGE_ID="PREPARATION", STAGE_SEMANTIC_ID="P", MOVED_TIME=now)
            else:
                deal.update(COMPANY_ID=str(elsewhere))
            deal["DATE_MODIFY"] = now
        done = refresh_after_sync(s)
        assert not done.full and done.scope[0] >= 1
        assert s.sql("SELECT score, grade, factors FROM lead_grades WHERE lead_id = ?", [lead]) == [
            (45, "B", "medium business: 250-999 employees: +40; phone given: +5")]
        assert {g for (g,) in s.sql(f"SELECT grade FROM lead_grades WHERE lead_id IN ({', '.join(map(str, others))})")} == {"D"}


def test_an_edit_that_leaves_a_won_deal_won_regrades_none_of_its_client_s_leads():
    from tests.kpis.scenario import Scenario

    with Scenario() as s:
        company = s.company(created="2026-01-10 10:00", title="ЗАО «Вега»", employees="EMPLOYEES_3")
        lead = s.lead(created="2026-02-01 10:00", COMPANY_TITLE="Вега")
        for _ in range(8):
            s.deal(created="2026-02-02 10:00")
        won = s.deal(created="2026-01-15 10:00", stage="WON", company=company, amount=1000, moved="2026-01-20 10:00")
        s.sync()
        assert s.sql("SELECT score, grade FROM lead_grades WHERE lead_id = ?", [lead]) == [(60, "A")]
        with s.state.lock:   # the amount is corrected: still won, same client, same stage
            s.state.deals[won].update(OPPORTUNITY="2000", DATE_MODIFY=s.portal.format_time(s.portal.clock()))
        done = refresh_after_sync(s)
        assert not done.full and done.scope == (0, 1)   # the deal itself, and no lead of its client
        assert s.sql("SELECT score, grade FROM lead_grades WHERE lead_id = ?", [lead]) == [(60, "A")]
