"""fast-bitrix24 1.8.14 and our own client read the same rows from the same sandbox.

Two independent clients, two ways of paging: fast-bitrix24's ``get_all`` pages by offset
(``start=0, 50, ...``, the later pages in its own batches) and its ``call_batch`` sends a
``batch`` body as written; ours reads by keyset (``>ID``, ``start=-1``, pages chained through
``$result[pN][49][ID]``) and encodes batch commands itself. Every row must come out the same:
the same IDs, the same fields, the same values.
"""

from __future__ import annotations

from typing import Any

import pytest

fast_bitrix24 = pytest.importorskip("fast_bitrix24")

from fast_bitrix24.utils import http_build_query  # noqa: E402

from b24metrics.portal import PortalClient, iter_pages  # noqa: E402
from b24metrics.sandbox import SandboxPortal  # noqa: E402

# get_all() warns about "*" in select whenever params hold a filter key spelled in lower case
# (it checks the upper-cased keys for "filter"): a harmless warning of the library's own.
pytestmark = pytest.mark.filterwarnings("ignore:You are selecting all fields:UserWarning")


@pytest.fixture(scope="module")
def sandbox():
    # fast-bitrix24's own throttle (a pool of 50, then 2 requests/s) stays well inside these limits
    with SandboxPortal(seed=11, leads=420, rate=50, burst=200) as portal:
        yield portal


@pytest.fixture(scope="module")
def bitrix(sandbox):
    return fast_bitrix24.Bitrix(sandbox.webhook_url, verbose=False)


@pytest.fixture(scope="module")
def ours(sandbox):
    with PortalClient(sandbox.webhook_url, rate=50, burst=200) as client:
        yield client


def by_id(rows: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    keyed = {int(row["ID"]): row for row in rows}
    assert len(keyed) == len(rows), "a row came twice"
    return keyed


def keyset_rows(client: PortalClient, method: str, **listing: Any) -> list[dict[str, Any]]:
    return [row for page in iter_pages(client, method, **listing) for row in page.rows]


# (method, fast-bitrix24's params, our iter_pages arguments, the IDs the portal holds)
LISTINGS = {
    "leads": ("crm.lead.list", {"select": ["*", "UF_*"]},
              {"select": ["*", "UF_*"]}, lambda s: s.leads),
    "leads_in_work": ("crm.lead.list", {"select": ["ID", "TITLE", "STATUS_ID", "OPPORTUNITY", "DATE_MODIFY"],
                                        "filter": {"STATUS_ID": "IN_PROCESS", ">OPPORTUNITY": 1000}},
                      {"select": ["ID", "TITLE", "STATUS_ID", "OPPORTUNITY", "DATE_MODIFY"],
                       "filter": {"STATUS_ID": "IN_PROCESS", ">OPPORTUNITY": 1000}}, None),
    "deals": ("crm.deal.list", {"select": ["*", "UF_*"]},
              {"select": ["*", "UF_*"]}, lambda s: s.deals),
    "contacts": ("crm.contact.list", {"select": ["*", "UF_*"]},
                 {"select": ["*", "UF_*"]}, lambda s: s.contacts),
    "companies": ("crm.company.list", {"select": ["*", "UF_*"]},
                  {"select": ["*", "UF_*"]}, lambda s: s.companies),
    # crm.stagehistory.list answers result.items; fast-bitrix24 unwraps it, we name the wrapper
    "lead_history": ("crm.stagehistory.list", {"entityTypeId": 1},
                     {"wrapper": "items", "extra": {"entityTypeId": 1}},
                     lambda s: s.stage_history[1]),
    "deal_history": ("crm.stagehistory.list", {"entityTypeId": 2, "filter": {"STAGE_SEMANTIC_ID": "S"}},
                     {"wrapper": "items", "extra": {"entityTypeId": 2}, "filter": {"STAGE_SEMANTIC_ID": "S"}},
                     None),
    "users": ("user.get", {}, {"style": "user"}, lambda s: s.users),
}


@pytest.mark.parametrize("name", list(LISTINGS))
def test_get_all_and_our_keyset_listing_return_the_same_rows(name, sandbox, bitrix, ours):
    method, fb_params, listing, held = LISTINGS[name]
    theirs = by_id(bitrix.get_all(method, fb_params))
    mine = by_id(keyset_rows(ours, method, **listing))
    assert theirs.keys() == mine.keys()
    assert [theirs[i] for i in sorted(theirs)] == [mine[i] for i in sorted(mine)]
    assert mine  # not trivially equal
    if held is not None:  # the whole table: every row the portal holds, several pages of it
        with sandbox.state.lock:
            assert sorted(mine) == sorted(int(i) for i in held(sandbox.state))
        assert len(mine) > 50 or name == "users"


def batch_commands() -> dict[str, tuple[str, dict[str, Any]]]:
    """Several lists in one batch; later commands refer to earlier results."""
    lead_select = ["ID", "TITLE", "STATUS_ID", "ASSIGNED_BY_ID", "DATE_MODIFY", "UF_*"]
    return {
        "leads": ("crm.lead.list", {"order": {"ID": "ASC"}, "filter": {">ID": 0}, "select": lead_select,
                                    "start": -1}),
        # the next keyset page: after the last ID of the page before
        "leads_next": ("crm.lead.list", {"order": {"ID": "ASC"}, "filter": {">ID": "$result[leads][49][ID]"},
                                         "select": lead_select, "start": -1}),
        "deals": ("crm.deal.list", {"order": {"ID": "ASC"}, "filter": {">CONTACT_ID": 0},
                                    "select": ["ID", "TITLE", "STAGE_ID", "CATEGORY_ID", "CONTACT_ID",
                                               "OPPORTUNITY", "CLOSEDATE"]}),
        "deal_contact": ("crm.contact.list", {"filter": {"ID": "$result[deals][0][CONTACT_ID]"},
                                              "select": ["ID", "NAME", "LAST_NAME", "TYPE_ID"]}),
        "deal_history": ("crm.stagehistory.list", {"entityTypeId": 2, "order": {"ID": "ASC"},
                                                   "filter": {"OWNER_ID": "$result[deals][0][ID]"}}),
        "lead_history": ("crm.stagehistory.list", {"entityTypeId": 1, "order": {"ID": "ASC"},
                                                   "filter": {">ID": 0}, "start": -1}),
        "owner": ("user.get", {"FILTER": {"ID": "$result[leads][0][ASSIGNED_BY_ID]"}}),
        "users": ("user.get", {"sort": "ID", "order": "ASC"}),
    }


def fast_bitrix24_cmd(commands: dict[str, tuple[str, dict[str, Any]]], references: str) -> dict[str, str]:
    """fast-bitrix24 sends `cmd` strings as they are given. `encoded`: built with its own
    http_build_query (which percent-encodes "$result[...]"); `raw`: references written into
    the query string by hand, as its README shows (`filter[ID]=$result[deals][0][ID]`)."""
    cmd = {}
    for key, (method, params) in commands.items():
        query = http_build_query(params).rstrip("&")
        if references == "raw":
            for ref in ("$result[leads][49][ID]", "$result[deals][0][CONTACT_ID]", "$result[deals][0][ID]",
                        "$result[leads][0][ASSIGNED_BY_ID]"):
                query = query.replace(http_build_query({"x": ref})[2:-1], ref)
            assert "%24" not in query
        cmd[key] = f"{method}?{query}"
    return cmd


@pytest.mark.parametrize("references", ["encoded", "raw"])
def test_call_batch_and_our_batch_return_the_same_results(references, sandbox, bitrix, ours):
    commands = batch_commands()
    theirs = bitrix.call_batch({"halt": 0, "cmd": fast_bitrix24_cmd(commands, references)})
    reply = ours.batch(commands)
    assert reply.errors == {}
    assert set(theirs) == set(reply.results) == set(commands)
    for key in commands:
        assert theirs[key] == reply.results[key], key

    # ...and both are what the portal holds: the references resolved to the right rows
    got = reply.results
    leads = [int(r["ID"]) for r in got["leads"] + got["leads_next"]]
    assert leads == sorted(sandbox.state.leads)[:100]
    first_deal = got["deals"][0]
    assert [c["ID"] for c in got["deal_contact"]] == [first_deal["CONTACT_ID"]]
    history = got["deal_history"]["items"]
    assert history and {row["OWNER_ID"] for row in history} == {int(first_deal["ID"])}
    assert len(got["lead_history"]["items"]) == 50
    assert [u["ID"] for u in got["owner"]] == [got["leads"][0]["ASSIGNED_BY_ID"]]
    assert sorted(int(u["ID"]) for u in got["users"]) == sorted(sandbox.state.users)[:50]


def test_call_batch_pages_match_get_all_and_iter_pages(sandbox, bitrix, ours):
    """A keyset walk written by hand in fast-bitrix24 batches (10 chained pages a request)
    reads what get_all and our iter_pages read: every deal, once."""
    select = ["ID", "TITLE", "STAGE_ID", "CATEGORY_ID", "DATE_MODIFY", "UF_*"]
    walked, after = [], 0
    while True:
        cmd = {}
        for i in range(10):
            ref = str(after) if i == 0 else f"$result[p{i - 1}][49][ID]"
            cmd[f"p{i}"] = "crm.deal.list?" + http_build_query(
                {"order": {"ID": "ASC"}, "select": select, "start": -1}).rstrip("&") + f"&filter[>ID]={ref}"
        result = bitrix.call_batch({"halt": 1, "cmd": cmd})
        pages = [result.get(f"p{i}") or [] for i in range(10)]
        done = False
        for page in pages:
            walked += page
            if len(page) < 50:
                done = True
                break
        if done:
            break
        after = int(walked[-1]["ID"])
    mine = keyset_rows(ours, "crm.deal.list", select=select)
    everything = bitrix.get_all("crm.deal.list", {"select": select})
    assert [int(r["ID"]) for r in walked] == sorted(sandbox.state.deals)
    assert walked == mine == sorted(everything, key=lambda r: int(r["ID"]))
