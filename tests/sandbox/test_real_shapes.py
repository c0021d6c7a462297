"""The shapes of real portals in the sandbox's data: leads that arrive unlinked with the
organisation's name as typed, sole traders and private people, free-mail and corporate
addresses, companies a lead can be matched to, the portal's own company, returning clients,
outcomes that depend on who the lead is and what it did, and channels that differ in
conversion, deal size, lag and spend. Every figure is computed here from the generated data."""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from datetime import datetime

import pytest

from b24metrics.sandbox import SandboxPortal
from b24metrics.sandbox.data import SIZE_FIELD, generate
from b24metrics.sandbox.data_channels import MAIN_LINE, TRACKED
from b24metrics.sandbox.data_orgs import FREE_MAIL
from b24metrics.sandbox.datetimes import parse_offset
from b24metrics.sandbox.inputs import PAID, TRACKING, spend_rows, write_inputs
from b24metrics.sandbox.state import PortalState

TZ = parse_offset("+03:00")
FORMS = "ооо|ао|пао|зао|нао|нко|фгуп"
SOLE_TRADER = re.compile(r"^(ИП|Индивидуальный предприниматель)\s|\sИП$")


@pytest.fixture(scope="module")
def state() -> PortalState:
    return generate(PortalState(), 42, 8000, None, TZ)


def norm_title(title: str) -> str:
    """A company name without its legal form, quotes, case, spaces and hyphens."""
    text = re.sub(r"[«»\"]", " ", title.lower())
    text = re.sub(rf"^\s*({FORMS})\s+|\s+({FORMS})\s*$", " ", text)
    return re.sub(r"[\s\-]", "", text)


def domain(lead: dict) -> str | None:
    return lead["EMAIL"][0]["VALUE"].split("@", 1)[1] if lead.get("EMAIL") else None


def ts(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def won_by_lead(state: PortalState) -> dict[str, float]:
    won: dict[str, float] = defaultdict(float)
    for deal in state.deals.values():
        if deal["LEAD_ID"] is not None and deal["STAGE_SEMANTIC_ID"] == "S":
            won[deal["LEAD_ID"]] += float(deal["OPPORTUNITY"])
    return won


def matched_at_entry(state: PortalState, lead: dict, by_title: dict, by_domain: dict) -> dict | None:
    """The company a lead names (the client it is linked to at once, else one found by title or
    e-mail domain), if it was in the CRM when the lead came."""
    company = None
    if lead["IS_RETURN_CUSTOMER"] == "Y":
        company = state.companies[int(lead["COMPANY_ID"])]
    elif lead["COMPANY_TITLE"]:
        company = by_title.get(norm_title(lead["COMPANY_TITLE"]))
    if company is None and domain(lead) in by_domain:
        company = by_domain[domain(lead)]
    if company is not None and company["DATE_CREATE"] > lead["DATE_CREATE"]:
        return None
    return company


def indexes(state: PortalState) -> tuple[dict, dict]:
    by_title, by_domain = {}, {}
    for company in state.companies.values():
        by_title.setdefault(norm_title(company["TITLE"]), company)
        if company.get("WEB"):
            by_domain[company["WEB"][0]["VALUE"].removeprefix("https://")] = company
    return by_title, by_domain


def test_leads_arrive_unlinked_with_the_name_as_typed(state):
    leads = list(state.leads.values())
    unlinked = [lead for lead in leads if lead["COMPANY_ID"] is None]
    assert 0.55 < len(unlinked) / len(leads) < 0.8
    # a converted private person gets a contact and no company; nobody else is linked
    assert all(lead["CONTACT_ID"] is None for lead in unlinked if lead["STATUS_ID"] != "CONVERTED")
    titled = [lead["COMPANY_TITLE"] for lead in unlinked if lead["COMPANY_TITLE"]]
    assert 0.45 < len(titled) / len(unlinked) < 0.75   # many name an organisation; the rest leave it empty
    shapes = {
        "form in front, «»": r"^(ООО|АО|ПАО|ЗАО|НАО|НКО|ФГУП) «[^»]+»$",
        'form in front, ""': r'^(ООО|АО|ПАО|ЗАО|НАО|НКО|ФГУП) "[^"]+"$',
        "form behind": r"\s(ООО|АО|ПАО|ЗАО|НАО|НКО|ФГУП)$",
        "sole trader": r"^ИП [А-ЯЁ][а-яё]+ [А-ЯЁ]\.",
        "no legal form": rf"^(?!.*\b({FORMS.upper()}|ИП)\b)[^«»\"]+$",
    }
    for shape, pattern in shapes.items():
        count = sum(bool(re.search(pattern, title)) for title in titled)
        assert count > 0.02 * len(titled), f"{shape}: {count} of {len(titled)}"
    sole = [lead for lead in leads if lead["COMPANY_TITLE"] and SOLE_TRADER.search(lead["COMPANY_TITLE"])]
    assert 0.08 < len(sole) / len(leads) < 0.25
    # a sole trader is the person who wrote: the title carries the lead's own last name
    assert all(lead["LAST_NAME"] in lead["COMPANY_TITLE"] for lead in sole)
    positions = [lead["POST"] for lead in unlinked if lead["COMPANY_TITLE"] and not SOLE_TRADER.search(lead["COMPANY_TITLE"])]
    assert 0.3 < sum(p is not None for p in positions) / len(positions) < 0.8


def test_phone_and_email_multifields_with_free_and_corporate_domains(state):
    leads = list(state.leads.values())
    for lead in leads:
        assert (lead["HAS_PHONE"] == "Y") == bool(lead.get("PHONE"))
        assert (lead["HAS_EMAIL"] == "Y") == bool(lead.get("EMAIL"))
        for item in lead.get("PHONE", []) + lead.get("EMAIL", []):
            assert set(item) == {"ID", "VALUE_TYPE", "VALUE", "TYPE_ID"}
    mailed = [lead for lead in leads if lead.get("EMAIL")]
    free = [lead for lead in mailed if domain(lead) in FREE_MAIL]
    assert 0.4 < len(free) / len(mailed) < 0.8 and len({domain(lead) for lead in free}) >= 8
    company_domains = {c["WEB"][0]["VALUE"].removeprefix("https://") for c in state.companies.values() if c.get("WEB")}
    corporate = [lead for lead in mailed if domain(lead) not in FREE_MAIL]
    assert corporate and all(domain(lead) in company_domains for lead in corporate)
    # private people and sole traders write from free mail; organisations mostly from their own domain
    private = [lead for lead in mailed if not lead["COMPANY_TITLE"] and lead["COMPANY_ID"] is None]
    assert sum(domain(lead) in FREE_MAIL for lead in private) / len(private) > 0.7
    organisations = [lead for lead in mailed if lead["COMPANY_TITLE"] and not SOLE_TRADER.search(lead["COMPANY_TITLE"])]
    assert sum(domain(lead) not in FREE_MAIL for lead in organisations) / len(organisations) > 0.5


def test_unlinked_leads_can_be_matched_to_companies_already_in_the_crm(state):
    by_title, by_domain = indexes(state)
    unlinked = [lead for lead in state.leads.values() if lead["COMPANY_ID"] is None]
    by_how = defaultdict(int)
    for lead in unlinked:
        title = by_title.get(norm_title(lead["COMPANY_TITLE"])) if lead["COMPANY_TITLE"] else None
        mail = by_domain.get(domain(lead))
        if title is not None and title["DATE_CREATE"] <= lead["DATE_CREATE"]:
            by_how["title"] += 1
        if mail is not None and mail["DATE_CREATE"] <= lead["DATE_CREATE"]:
            by_how["domain"] += 1
    assert by_how["title"] > 0.1 * len(unlinked) and by_how["domain"] > 0.1 * len(unlinked)
    # a company's titles are its own: no two companies share a normalised title or a domain
    titles = [norm_title(c["TITLE"]) for c in state.companies.values()]
    assert len(set(titles)) == len(titles)


def test_the_portal_s_own_company_is_listed_and_linked_to_nothing(state):
    mine = [c for c in state.companies.values() if c["IS_MY_COMPANY"] == "Y"]
    assert len(mine) == 1 and mine[0]["ID"] == "1" and mine[0]["TITLE"] == "ООО «ТехноПром»"
    own = mine[0]["ID"]
    assert all(lead["COMPANY_ID"] != own for lead in state.leads.values())
    assert all(deal["COMPANY_ID"] != own for deal in state.deals.values())
    assert all(contact["COMPANY_ID"] != own for contact in state.contacts.values())
    # the employees write from its domain
    assert all(user["EMAIL"].endswith("@tehnoprom.example") for user in state.users.values())


def test_returning_clients_are_linked_at_once(state):
    returning = [lead for lead in state.leads.values() if lead["IS_RETURN_CUSTOMER"] == "Y"]
    assert 0.05 < len(returning) / len(state.leads) < 0.35
    first_conversion: dict[str, str] = {}
    for lead in state.leads.values():
        if lead["STATUS_ID"] == "CONVERTED" and lead["IS_RETURN_CUSTOMER"] == "N":
            first_conversion[lead["COMPANY_ID"]] = min(first_conversion.get(lead["COMPANY_ID"], "9"), lead["MOVED_TIME"])
    for lead in returning:
        company = state.companies[int(lead["COMPANY_ID"])]
        assert lead["COMPANY_TITLE"] == company["TITLE"]
        # the company became a client through an earlier lead of it
        assert first_conversion[lead["COMPANY_ID"]] <= lead["DATE_CREATE"]


def test_large_organisations_known_at_entry_win_at_least_twice_as_often_as_private_people(state):
    by_title, by_domain = indexes(state)
    won = won_by_lead(state)
    groups: dict[str, list[dict]] = defaultdict(list)
    for lead in state.leads.values():
        if lead["STATUS_SEMANTIC_ID"] == "P":
            continue
        company = matched_at_entry(state, lead, by_title, by_domain)
        if company is not None and company["EMPLOYEES"] in ("EMPLOYEES_4", "EMPLOYEES_5"):
            groups["large"].append(lead)
        elif company is not None and company["EMPLOYEES"] == "EMPLOYEES_1":
            groups["small"].append(lead)
        elif company is None and not lead["COMPANY_TITLE"] and domain(lead) in (*FREE_MAIL, None):
            groups["private"].append(lead)
        elif lead["COMPANY_TITLE"] and SOLE_TRADER.search(lead["COMPANY_TITLE"]):
            groups["sole trader"].append(lead)
    rate = {name: sum(lead["ID"] in won for lead in leads) / len(leads) for name, leads in groups.items()}
    revenue = {name: sum(won[lead["ID"]] for lead in leads) / len(leads) for name, leads in groups.items()}
    assert min(len(leads) for leads in groups.values()) > 200
    assert rate["large"] >= 2 * rate["private"] and rate["large"] >= 2 * rate["sole trader"]
    assert rate["large"] > rate["small"] > rate["private"]
    assert revenue["large"] > 5 * revenue["private"]  # they also buy bigger


def test_engaged_leads_win_more(state):
    inbound: dict[str, int] = defaultdict(int)
    for activity in state.activities.values():
        if activity["OWNER_TYPE_ID"] == "1" and (activity["DIRECTION"] == "1" or activity["TYPE_ID"] == "1"):
            inbound[activity["OWNER_ID"]] += 1
    won = won_by_lead(state)
    closed = [lead for lead in state.leads.values() if lead["STATUS_SEMANTIC_ID"] != "P"]
    cold = [lead for lead in closed if inbound[lead["ID"]] == 0]
    engaged = [lead for lead in closed if inbound[lead["ID"]] >= 2]
    assert len(cold) > 500 and len(engaged) > 300

    def rate(leads: list[dict]) -> float:
        return sum(lead["ID"] in won for lead in leads) / len(leads)

    assert rate(engaged) > 1.5 * rate(cold)


def test_channels_differ_in_lag_conversion_and_deal_size(state):
    lags: dict[str, list[float]] = defaultdict(list)
    for deal in state.deals.values():
        # from the lead to its deal's close (won or lost: how long the channel's leads take to ripen)
        if deal["LEAD_ID"] is not None and deal["STAGE_SEMANTIC_ID"] != "P":
            lead = state.leads[int(deal["LEAD_ID"])]
            lags[lead["SOURCE_ID"]].append((ts(deal["MOVED_TIME"]) - ts(lead["DATE_CREATE"])) / 86400)
    median = {source: statistics.median(days) for source, days in lags.items() if len(days) >= 20}
    # days for an ad click, months for a trade show contact
    assert median["ADVERTISING"] < 20 and median["TRADE_SHOW"] > 45
    assert median["TRADE_SHOW"] > 3 * median["ADVERTISING"] and median["WEBFORM"] > 1.5 * median["CALLBACK"]
    by_source: dict[str, list[dict]] = defaultdict(list)
    for lead in state.leads.values():
        if lead["STATUS_SEMANTIC_ID"] != "P":
            by_source[lead["SOURCE_ID"]].append(lead)
    conversion = {s: sum(lead["STATUS_ID"] == "CONVERTED" for lead in leads) / len(leads) for s, leads in by_source.items()}
    assert conversion["RECOMMENDATION"] > 2 * conversion["ADVERTISING"]
    amounts: dict[str | None, list[float]] = defaultdict(list)
    for deal in state.deals.values():
        if deal["LEAD_ID"] is not None and float(deal["OPPORTUNITY"]) > 0:
            amounts[state.leads[int(deal["LEAD_ID"])]["SOURCE_ID"]].append(float(deal["OPPORTUNITY"]))
    assert statistics.median(amounts["TRADE_SHOW"]) > 3 * statistics.median(amounts["ADVERTISING"])


def test_campaigns_and_tracking_numbers_carry_their_leads_and_calls(state):
    campaigns = {lead["UTM_CAMPAIGN"] for lead in state.leads.values() if lead["UTM_CAMPAIGN"]}
    assert {"direct_leadgen", "vk_retarget", "brand_search", "webinar_series"} <= campaigns
    # a campaign that stopped three months before the anchor has no leads since
    last = max(lead["DATE_CREATE"] for lead in state.leads.values() if lead["UTM_CAMPAIGN"] == "vk_retarget")
    assert last < "2026-08-01"
    lines: dict[str, set[str]] = defaultdict(set)
    for call in state.calls.values():
        if call["CRM_ENTITY_TYPE"] == "LEAD" and call["CALL_TYPE"] in ("2", "3"):
            lines[call["CRM_ENTITY_ID"]].add(call["PORTAL_NUMBER"])
    called = [lines[lead["ID"]] for lead in state.leads.values() if lead["SOURCE_ID"] == "CALL" and lead["ID"] in lines]
    assert all(len(numbers) == 1 for numbers in called)   # a caller keeps to the number it dialled
    dialled = {next(iter(numbers)) for numbers in called}
    assert dialled == {MAIN_LINE, *TRACKED}
    assert MAIN_LINE not in TRACKING and set(TRACKING) == set(TRACKED)


def test_spend_rows_name_campaigns_and_numbers_and_one_channel_pays_another_does_not():
    """The demo's story, from a 20,000-lead sandbox (the e2e size): the cohorts of the twelve
    months the spend covers, their won deals against the spend of their channel."""
    rows = spend_rows(seed=42, leads=20_000)
    assert {row["channel"] for row in rows} == set(PAID)
    assert any(row["campaign"] for row in rows) and any(row["number"] for row in rows)
    assert {row["number"] for row in rows if row["number"]} == set(TRACKED)
    assert any(not row["campaign"] and not row["number"] for row in rows)
    state = generate(PortalState(), 42, 20_000, None, TZ)
    months = {row["month"] for row in rows}
    names = {source: name for name, source in PAID.items()}
    won = won_by_lead(state)
    revenue: dict[str, float] = defaultdict(float)
    for lead in state.leads.values():
        if lead["DATE_CREATE"][:7] in months and lead["SOURCE_ID"] in names:
            revenue[names[lead["SOURCE_ID"]]] += won.get(lead["ID"], 0.0)
    spend: dict[str, float] = defaultdict(float)
    for row in rows:
        if row["number"] is None:  # a number's own money bought the calls to it, not the channel's leads
            spend[row["channel"]] += row["amount"]
    romi = {channel: (revenue[channel] - spend[channel]) / spend[channel] for channel in PAID}
    assert romi["Реклама"] < -0.5 and romi["CRM-форма"] > 1.0 and romi["Веб-сайт"] > 0


def test_write_inputs_writes_only_the_columns_the_reader_knows(tmp_path):
    full = write_inputs(tmp_path / "full", seed=3, leads=500)
    old = write_inputs(tmp_path / "old", seed=3, leads=500, spend_columns=("month", "channel", "amount", "currency"))
    full_lines = open(full["spend_file"], encoding="utf-8").read().splitlines()
    old_lines = open(old["spend_file"], encoding="utf-8").read().splitlines()
    assert full_lines[0] == "month,channel,campaign,number,amount,currency"
    assert old_lines[0] == "month,channel,amount,currency" and len(old_lines) == len(full_lines)

    def totals(lines: list[str], amount: int) -> dict[tuple[str, str], float]:
        out: dict[tuple[str, str], float] = defaultdict(float)
        for line in lines[1:]:
            cells = line.split(",")
            out[(cells[0], cells[1])] += float(cells[amount])
        return out

    assert totals(full_lines, 4) == totals(old_lines, 2)   # a channel's month adds up the same
    assert full["tracking_numbers"] == TRACKING


def test_size_field_and_default_bands_are_portal_options():
    plain = generate(PortalState(), 5, 600, None, TZ)
    shaped = generate(PortalState(), 5, 600, None, TZ, size_field=True, default_bands=True)
    assert SIZE_FIELD not in plain.leads[1] and not any(d["FIELD_NAME"] == SIZE_FIELD for d in plain.lead_userfields)
    definition = next(d for d in shaped.lead_userfields if d["FIELD_NAME"] == SIZE_FIELD)
    items = {item["ID"]: item["VALUE"] for item in definition["LIST"]}
    assert definition["USER_TYPE_ID"] == "enumeration" and len(items) == 4
    values = [lead[SIZE_FIELD] for lead in shaped.leads.values()]
    assert set(values) - {None} <= set(items) and 0.2 < sum(v is not None for v in values) / len(values) < 0.8
    # the option changes that field and nothing else of the leads
    assert [{k: v for k, v in lead.items() if k != SIZE_FIELD} for lead in shaped.leads.values()] == list(
        plain.leads.values())
    bands = {row["STATUS_ID"]: row["NAME"] for row in shaped.statuses if row["ENTITY_ID"] == "EMPLOYEES"}
    assert bands == {"EMPLOYEES_1": "менее 50", "EMPLOYEES_2": "50-250", "EMPLOYEES_3": "250-500",
                     "EMPLOYEES_4": "более 500"}
    assert {c["EMPLOYEES"] for c in shaped.companies.values()} <= set(bands)
    assert "EMPLOYEES_5" in {c["EMPLOYEES"] for c in plain.companies.values()}


def test_multifields_are_listed_only_when_selected(rest):
    with SandboxPortal(seed=4, leads=60, rate=1000.0, burst=1000) as portal:
        plain = rest(portal, "crm.lead.list", {"select": ["*", "UF_*"]})["result"]
        named = rest(portal, "crm.lead.list", {"select": ["ID", "COMPANY_TITLE", "PHONE", "EMAIL"]})["result"]
        companies = rest(portal, "crm.company.list", {"select": ["ID", "TITLE", "EMAIL", "WEB"]})["result"]
        fields = rest(portal, "crm.lead.fields", {})["result"]
    assert all("PHONE" not in lead and "EMAIL" not in lead for lead in plain)
    assert any("EMAIL" in lead for lead in named) and any("PHONE" in lead for lead in named)
    assert any("WEB" in company for company in companies) and all("PHONE" not in c for c in companies)
    assert fields["EMAIL"]["type"] == "crm_multifield" and fields["EMAIL"]["isMultiple"] is True


def test_a_stage_nobody_uses_and_deals_won_straight_from_the_first_stage(state):
    stages = {row["STATUS_ID"] for row in state.statuses if row["ENTITY_ID"].startswith("DEAL_STAGE")}
    history = defaultdict(list)
    for row in state.stage_history[2].values():
        history[row["OWNER_ID"]].append(row["STAGE_ID"])
    visited = {stage for rows in history.values() for stage in rows}
    unused = stages - visited
    assert "C1:UC_A81KZP" in unused and "C1:UC_A81KZP" in stages
    # managers jump: the history holds the move that happened, NEW then WON, nothing between
    jumps = [rows for rows in history.values() if rows in (["NEW", "WON"], ["C1:NEW", "C1:WON"], ["C3:NEW", "C3:WON"])]
    won = [deal for deal in state.deals.values() if deal["STAGE_SEMANTIC_ID"] == "S"]
    assert len(jumps) > 0.05 * len(won)
