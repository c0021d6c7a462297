"""The keyset lister against the sandbox: every lead exactly once, in ID order."""

import math
import threading

import pytest

from b24metrics import errors
from b24metrics.portal import iter_pages


@pytest.mark.parametrize("count", [0, 1, 49, 50, 51, 2500, 2501, 10000])
def test_every_lead_exactly_once_in_id_order(portals, client_for, count):
    portal = portals(seed=count, leads=count)
    client = client_for(portal)
    pages = list(iter_pages(client, "crm.lead.list", select=["ID", "TITLE"]))
    ids = [int(row["ID"]) for page in pages for row in page.rows]
    assert ids == sorted(portal.state.leads)
    assert len(ids) == len(set(ids)) == count
    # One plain call first, then up to 2,500 rows per batch request.
    assert client.stats.requests == 1 + (math.ceil((count - 49) / 2500) if count >= 50 else 0)
    assert portal.stats.rejected_503 == 0


def test_a_burst_of_200_calls_gets_no_503_from_a_fresh_bucket(portals, client_for):
    portal = portals(seed=1, leads=10, rate=25.0, burst=50)
    client = client_for(portal, rate=25.0, burst=50)
    failures = []

    def worker():
        try:
            for _ in range(50):
                client.call("crm.status.list", {"filter": {"ENTITY_ID": "SOURCE"}})
        except Exception as exc:  # reported below: a thread must not swallow it
            failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert client.stats.requests == 200
    assert portal.stats.rejected_503 == 0 and portal.stats.status_codes.get(503, 0) == 0
    assert client.stats.waited > 0  # it held requests back rather than letting the portal refuse them


def test_an_injected_503_is_retried(portals, client_for):
    portal = portals(seed=1, leads=60)
    client = client_for(portal, backoff=0.05)
    portal.faults.fail_next(2, status=503, error="QUERY_LIMIT_EXCEEDED", method="crm.lead.list")
    rows = client.call("crm.lead.list", {"start": -1}).result
    assert len(rows) == 50
    assert portal.stats.status_codes[503] == 2
    assert client.stats.retries == 2 and client.stats.rate_limited == 2


def test_a_5xx_storm_longer_than_the_retries_stops_with_a_clear_error(portals, client_for):
    portal = portals(seed=1, leads=5)
    client = client_for(portal, backoff=0.01, max_retries=2)
    portal.faults.fail_next(10, status=500, error="INTERNAL_SERVER_ERROR", description="boom")
    with pytest.raises(errors.PortalUnavailable, match="INTERNAL_SERVER_ERROR"):
        client.call("crm.lead.list")
    assert client.stats.requests == 3


def test_a_wrong_token_names_no_auth_found_and_hides_the_secret(portals):
    from b24metrics.portal import PortalClient

    portal = portals(seed=1, leads=5, token="right-token-1234")
    wrong = portal.webhook_url.replace("right-token-1234", "wrong-token-98765")
    with PortalClient(wrong) as client:
        with pytest.raises(errors.AuthFailed) as caught:
            client.call("crm.lead.list")
    assert "NO_AUTH_FOUND" in str(caught.value)
    assert "wrong-token-98765" not in str(caught.value) and "right-token-1234" not in str(caught.value)
