"""The unit edges of the httpx client, with respx standing in for the portal."""

import json

import httpx
import pytest
import respx

from b24metrics import errors
from b24metrics.portal import PortalClient

SECRET = "s3cr3t-token-respx"
BASE = f"https://portal.example/rest/7/{SECRET}/"


@pytest.fixture
def client():
    c = PortalClient(BASE, rate=1000, burst=1000, max_retries=3, backoff=0.001, sleep=lambda s: None)
    yield c
    c.close()


def _ok(result, **extra):
    return httpx.Response(200, json={"result": result, "time": {"operating": 0.1}, **extra})


@respx.mock
def test_call_returns_result_next_total(client):
    route = respx.post(BASE + "crm.lead.list").mock(return_value=_ok([{"ID": "1"}], next=50, total=120))
    reply = client.call("crm.lead.list", {"filter": {">ID": 0}})
    assert reply.result == [{"ID": "1"}] and reply.next == 50 and reply.total == 120
    assert json.loads(route.calls[0].request.content) == {"filter": {">ID": 0}}


@respx.mock
def test_wrong_token_is_auth_failed_and_hides_the_secret(client):
    respx.post(BASE + "profile").mock(
        return_value=httpx.Response(401, json={"error": "NO_AUTH_FOUND", "error_description": "Wrong authorization data"})
    )
    with pytest.raises(errors.AuthFailed) as caught:
        client.call("profile")
    assert "NO_AUTH_FOUND" in str(caught.value)
    assert isinstance(caught.value, errors.StopError)
    assert SECRET not in str(caught.value) and SECRET not in repr(client)


@respx.mock
def test_503_is_retried_then_succeeds(client):
    route = respx.post(BASE + "crm.lead.list").mock(
        side_effect=[
            httpx.Response(503, json={"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"}),
            httpx.Response(502, text="bad gateway"),
            httpx.ConnectTimeout("timed out"),
            _ok([]),
        ]
    )
    assert client.call("crm.lead.list").result == []
    assert route.call_count == 4
    assert client.stats.retries == 3 and client.stats.rate_limited == 1


@respx.mock
def test_retries_run_out(client):
    respx.post(BASE + "crm.lead.list").mock(
        return_value=httpx.Response(503, json={"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many"})
    )
    with pytest.raises(errors.RateLimited):
        client.call("crm.lead.list")
    assert client.stats.requests == 4  # the first try and 3 retries


@respx.mock
def test_operation_time_limit_is_not_retried_blindly(client):
    route = respx.post(BASE + "crm.lead.list").mock(
        return_value=httpx.Response(429, json={"error": "OPERATION_TIME_LIMIT", "error_description": "blocked"})
    )
    with pytest.raises(errors.OperationTimeLimit):
        client.call("crm.lead.list")
    assert route.call_count == 1


@respx.mock
def test_error_in_a_200_body_is_an_error(client):
    respx.post(BASE + "x.y").mock(return_value=httpx.Response(200, json={"error": "ACCESS_DENIED", "error_description": "no"}))
    with pytest.raises(errors.AccessDenied):
        client.call("x.y")


@respx.mock
def test_transport_error_text_hides_the_secret(client):
    respx.post(BASE + "x.y").mock(side_effect=httpx.ConnectError(f"cannot reach {BASE}x.y"))
    with pytest.raises(errors.PortalTimeout) as caught:
        client.call("x.y")
    assert SECRET not in str(caught.value)


@respx.mock
def test_batch_encodes_php_queries_and_reads_php_empty_maps(client):
    route = respx.post(BASE + "batch").mock(
        return_value=_ok({"result": {"a": [{"ID": "3"}], "b": True}, "result_error": [], "result_total": [],
                          "result_next": [], "result_time": {"a": {}, "b": {}}})
    )
    reply = client.batch(
        {"a": ("crm.lead.list", {"filter": {">ID": 2}, "select": ["ID", "TITLE"]}),
         "b": ("crm.lead.update", {"id": 3, "fields": {"UF_CRM_X": "A B"}})},
        halt=True,
    )
    sent = json.loads(route.calls[0].request.content)
    assert sent["halt"] == 1
    assert sent["cmd"]["a"] == "crm.lead.list?filter%5B%3EID%5D=2&select%5B0%5D=ID&select%5B1%5D=TITLE"
    assert sent["cmd"]["b"] == "crm.lead.update?id=3&fields%5BUF_CRM_X%5D=A%20B"
    assert reply.results["a"] == [{"ID": "3"}] and reply.errors == {}


@respx.mock
def test_batch_command_error_is_reported_not_raised(client):
    respx.post(BASE + "batch").mock(
        return_value=_ok({"result": {"a": True}, "result_error": {"b": {"error": "", "error_description": "Not found"}}})
    )
    reply = client.batch({"a": ("crm.lead.update", {"id": 1}), "b": ("crm.lead.update", {"id": 2})})
    assert isinstance(reply.errors["b"], errors.RecordRejected)
    assert reply.errors["b"].description == "Not found"


def test_batch_of_51_is_refused_before_sending(client):
    with pytest.raises(errors.InvalidRequest):
        client.batch({str(i): ("profile", {}) for i in range(51)})


@respx.mock
def test_moved_portal_is_followed_with_the_body(client):
    respx.post(BASE + "crm.lead.list").mock(
        return_value=httpx.Response(302, headers={"location": "https://new.example/rest/7/x/crm.lead.list"})
    )
    moved = respx.post("https://new.example/rest/7/x/crm.lead.list").mock(return_value=_ok([]))
    client.call("crm.lead.list", {"select": ["ID"]})
    assert json.loads(moved.calls[0].request.content) == {"select": ["ID"]}


@respx.mock
def test_html_error_page_is_a_protocol_error(client):
    respx.post(BASE + "x.y").mock(return_value=httpx.Response(200, text="<html>maintenance</html>"))
    with pytest.raises(errors.PortalProtocolError):
        client.call("x.y")
