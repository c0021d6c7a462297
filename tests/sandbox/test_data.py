"""The seeded data generator."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime

from b24metrics.sandbox import SandboxPortal
from b24metrics.sandbox.data import generate
from b24metrics.sandbox.datetimes import ANCHOR, parse_offset
from b24metrics.sandbox.schema import COMPANY_NAMES, LEAD_NAMES
from b24metrics.sandbox.state import PortalState

TZ = parse_offset("+03:00")


def dump(state: PortalState) -> str:
    return json.dumps([state.statuses, state.companies, state.leads, state.lead_userfields],
                      ensure_ascii=False, sort_keys=True)


def test_same_seed_same_bytes_different_seed_different_data():
    a = generate(PortalState(), 11, 800, None, TZ)
    b = generate(PortalState(), 11, 800, None, TZ)
    c = generate(PortalState(), 12, 800, None, TZ)
    assert dump(a) == dump(b)
    assert dump(a) != dump(c)
    assert [r["TITLE"] for r in a.leads.values()] != [r["TITLE"] for r in c.leads.values()]
    # the portal object seeds the same way
    assert dump(SandboxPortal(seed=11, leads=800).state) == dump(a)


def test_sizes_and_ids():
    state = generate(PortalState(), 1, 1000, None, TZ)
    assert len(state.leads) == 1000 and len(state.companies) == 200
    ids = list(state.leads)
    assert ids[0] == 1 and ids == sorted(ids) and len(set(ids)) == 1000
    assert max(ids) > 1000  # gaps, as on real portals
    assert all(int(r["ID"]) == i for i, r in state.leads.items())
    assert all(list(r)[: len(LEAD_NAMES)] == LEAD_NAMES for r in state.leads.values())
    # the standard fields in order, then the multifields a company has (PHONE, EMAIL, WEB)
    assert all([n for n in r if n not in ("PHONE", "EMAIL", "WEB")] == COMPANY_NAMES for r in state.companies.values())
    assert all(list(r)[len(COMPANY_NAMES):] == [n for n in ("PHONE", "EMAIL", "WEB") if n in r]
               for r in state.companies.values())
    assert len(generate(PortalState(), 1, 0, None, TZ).companies) == 20
    assert len(generate(PortalState(), 1, 0, None, TZ).leads) == 0
    assert len(generate(PortalState(), 1, 10, 7, TZ).companies) == 7


def test_leads_are_realistic_and_consistent():
    state = generate(PortalState(), 5, 3000, None, TZ)
    leads = list(state.leads.values())
    anchor = ANCHOR.timestamp()
    semantic = {"NEW": "P", "IN_PROCESS": "P", "PROCESSED": "P", "CONVERTED": "S", "JUNK": "F"}
    statuses = Counter(r["STATUS_ID"] for r in leads)
    assert set(statuses) == set(semantic)
    # leads arrive unlinked: only a conversion or a returning client links one to a company
    with_company = sum(r["COMPANY_ID"] is not None for r in leads) / len(leads)
    assert 0.2 < with_company < 0.45
    assert any(r["SOURCE_ID"] is None for r in leads)
    assert len({r["ASSIGNED_BY_ID"] for r in leads}) >= 6
    created = [datetime.fromisoformat(r["DATE_CREATE"]).timestamp() for r in leads]
    assert created == sorted(created)  # IDs are handed out in time order
    assert anchor - 541 * 86400 <= min(created) and max(created) < anchor
    for r in leads:
        assert r["STATUS_SEMANTIC_ID"] == semantic[r["STATUS_ID"]]
        assert (r["DATE_CLOSED"] is not None) == (semantic[r["STATUS_ID"]] != "P")
        assert r["DATE_CREATE"] <= r["MOVED_TIME"] <= r["DATE_MODIFY"]
        assert datetime.fromisoformat(r["DATE_MODIFY"]).timestamp() < anchor
        assert r["DATE_CREATE"].endswith("+03:00")
        if r["COMPANY_ID"] is not None:
            company = state.companies[int(r["COMPANY_ID"])]
            assert r["IS_RETURN_CUSTOMER"] == "Y" or r["STATUS_ID"] == "CONVERTED"
            if r["IS_RETURN_CUSTOMER"] == "Y":  # recognised at once: the client's company and its title
                assert r["COMPANY_TITLE"] == company["TITLE"]
                assert company["DATE_CREATE"] <= r["DATE_CREATE"]
            else:  # picked or created by the manager who converted the lead
                assert company["DATE_CREATE"] <= r["MOVED_TIME"]
            assert company["IS_MY_COMPANY"] == "N"
        else:
            assert r["IS_RETURN_CUSTOMER"] == "N"
        assert r["OPPORTUNITY"].replace(".", "", 1).isdigit()
        assert r["NAME"] and r["LAST_NAME"] and all("А" <= ch <= "я" or ch == "ё" for ch in r["NAME"])
        if r["UTM_SOURCE"] is not None:
            assert r["SOURCE_ID"] in ("WEB", "WEBFORM", "ADVERTISING", "CALLBACK")


def test_companies_cover_every_band_with_consistent_revenue():
    state = generate(PortalState(), 9, 0, 5, TZ)
    assert {c["EMPLOYEES"] for c in state.companies.values()} == {f"EMPLOYEES_{i}" for i in range(1, 6)}
    state = generate(PortalState(), 9, 2000, None, TZ)
    companies = list(state.companies.values())
    assert any(c["REVENUE"] is None for c in companies)
    medians = {}
    for band in (f"EMPLOYEES_{i}" for i in range(1, 6)):
        revenues = sorted(float(c["REVENUE"]) for c in companies if c["EMPLOYEES"] == band and c["REVENUE"])
        medians[band] = revenues[len(revenues) // 2]
    assert list(medians.values()) == sorted(medians.values())
    titles = [c["TITLE"] for c in companies]
    assert any(t.startswith("ООО «") for t in titles) and any(t.startswith("ИП ") for t in titles)
    assert all(c["CURRENCY_ID"] == "RUB" for c in companies)


def test_time_zone_only_changes_the_offset():
    moscow = generate(PortalState(), 2, 50, None, TZ)
    utc = generate(PortalState(), 2, 50, None, parse_offset("+00:00"))
    for a, b in zip(moscow.leads.values(), utc.leads.values()):
        assert datetime.fromisoformat(a["DATE_CREATE"]) == datetime.fromisoformat(b["DATE_CREATE"])
        assert b["DATE_CREATE"].endswith("+00:00")


def test_default_sizes_follow_the_lead_count():
    """Default sizes: 10,000 leads, 2,000 companies, 3,333 deals, 5,000 contacts,
    30,000 activities (the cap), 10,000 calls and the stage history of leads and deals.
    (How fast that is generated is the benchmark's business, not a test's.)"""
    state = generate(PortalState(), 1, 10_000, None, TZ)
    assert len(state.companies) == 2000 and len(state.contacts) == 5000
    assert len(state.deals) == 3333 and len(state.activities) == 30_000 and len(state.calls) == 10_000
