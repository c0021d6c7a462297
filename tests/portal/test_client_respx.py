"""The unit edges of the httpx client, with respx standing in for the portal."""

import json
import socket
import ssl

import httpx
import pytest
import respx

from b24metrics import errors
from b24metrics.portal import PortalClient
from b24metrics.portal.scheduler import Deferrals

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


# -- a dead or wrong portal ----------------------------------------------------------------------

def _raise(exc: BaseException, cause: BaseException | None = None):
    """A respx side effect raising `exc` from `cause`, the way httpx chains httpcore and OS errors."""
    def effect(request):
        raise exc from cause
    return effect


WHERE = "portal.example:443"

# One row per answer: what the portal (or what stands at its URL) does, the error class that
# comes of it, a phrase of its one line, and whether it is retried (sent more than once).
ANSWERS = [
    pytest.param(httpx.Response(501, text="<h1>Not Implemented</h1>", headers={"content-type": "text/html"}),
                 errors.WrongPortal, "answered HTTP 501 Not Implemented", False, id="501"),
    pytest.param(httpx.Response(404, text="<html>Not Found</html>", headers={"content-type": "text/html"}),
                 errors.WrongPortal, "HTTP 404 Not Found, an HTML page", False, id="404-html"),
    pytest.param(httpx.Response(404, json={"detail": "Not Found"}),
                 errors.WrongPortal, "no Bitrix24 portal at this URL", False, id="404-foreign-json"),
    pytest.param(httpx.Response(405, text="Method Not Allowed"),
                 errors.WrongPortal, "HTTP 405 Method Not Allowed", False, id="405-static-site"),
    pytest.param(httpx.Response(200, text="<!doctype html><title>Welcome</title>"),
                 errors.WrongPortal, "an HTML page, not Bitrix24's JSON", False, id="200-html"),
    pytest.param(httpx.Response(200, text="hello", headers={"content-type": "text/plain"}),
                 errors.WrongPortal, "(text/plain)", False, id="200-text"),
    pytest.param(_raise(httpx.ConnectError("[SSL: WRONG_VERSION_NUMBER] wrong version number"),
                        ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1000)")),
                 errors.WrongPortal, "does not speak https on this port", False, id="tls-to-plain-http"),
    # Bitrix24's own JSON errors keep their meaning.
    pytest.param(httpx.Response(404, json={"error": "ERROR_METHOD_NOT_FOUND", "error_description": "Method not found!"}),
                 errors.MethodNotFound, "ERROR_METHOD_NOT_FOUND", False, id="404-bitrix-json"),
    pytest.param(httpx.Response(503, json={"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"}),
                 errors.RateLimited, "QUERY_LIMIT_EXCEEDED", True, id="503-bitrix-json"),
    pytest.param(httpx.Response(401, text="Unauthorized"), errors.AuthFailed, WHERE, False, id="401-text"),
    # No answer, or a server error: transient, retried, named by host and what happened.
    pytest.param(httpx.Response(502, text="<html>Bad Gateway</html>"),
                 errors.PortalUnavailable, f"{WHERE} answered HTTP 502", True, id="502"),
    pytest.param(_raise(httpx.ConnectError("[Errno 111] Connection refused"), ConnectionRefusedError(111, "refused")),
                 errors.PortalTimeout, f"{WHERE}: connection refused", True, id="refused"),
    pytest.param(_raise(httpx.ReadError("[Errno 104] Connection reset by peer"), ConnectionResetError(104, "reset")),
                 errors.PortalTimeout, f"{WHERE}: connection reset", True, id="reset"),
    pytest.param(httpx.ConnectTimeout("timed out"), errors.PortalTimeout, "connecting timed out", True,
                 id="connect-timeout"),
    pytest.param(httpx.ReadTimeout("timed out"), errors.PortalTimeout, "timed out waiting for the answer", True,
                 id="read-timeout"),
    pytest.param(httpx.RemoteProtocolError("Server disconnected without sending a response."),
                 errors.PortalTimeout, "connection closed without an answer", True, id="closed"),
    pytest.param(_raise(httpx.ConnectError("[Errno -2] Name or service not known"), socket.gaierror(-2, "unknown")),
                 errors.PortalTimeout, "host name not found", True, id="dns"),
]


@pytest.mark.parametrize("answer, error, phrase, retried", ANSWERS)
@respx.mock
def test_what_answers_decides_the_error(client, answer, error, phrase, retried):
    if isinstance(answer, httpx.Response):
        route = respx.post(BASE + "crm.lead.list").mock(return_value=answer)
    else:
        route = respx.post(BASE + "crm.lead.list").mock(side_effect=answer)
    with pytest.raises(errors.B24MetricsError) as caught:
        client.call("crm.lead.list")
    assert type(caught.value) is error
    text = str(caught.value)
    assert phrase in text and "\n" not in text and SECRET not in text
    assert route.call_count == (1 + client.max_retries if retried else 1)
    if error is errors.WrongPortal:
        assert isinstance(caught.value, errors.StopError) and not isinstance(caught.value, errors.RetryError)
        assert WHERE in text and "portal.webhook_url" in text


class FakeTime:
    """A clock that moves only when the client sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _patient_client(clock: FakeTime, **kw) -> PortalClient:
    kw = {"max_retries": 100, "backoff": 1.0, "max_backoff": 4.0, "give_up_after": 20.0, **kw}
    return PortalClient(BASE, rate=1000, burst=1000, sleep=clock.sleep, clock=clock, **kw)


@respx.mock
def test_a_dead_portal_is_given_up_after_give_up_after_seconds_naming_host_and_cause():
    clock = FakeTime()
    respx.post(BASE + "crm.lead.list").mock(
        side_effect=_raise(httpx.ConnectError("[Errno 111] Connection refused"), ConnectionRefusedError(111, "x")))
    with _patient_client(clock) as client, pytest.raises(errors.PortalUnreachable) as caught:
        client.call("crm.lead.list")
    spent = clock.now - 1000.0
    assert 20.0 <= spent < 20.0 + 4.0 * 1.25 + 0.001  # one backoff past the limit at most
    text = str(caught.value)
    assert isinstance(caught.value, errors.RetryError)
    assert f"{WHERE}: connection refused" in text and "gave up" in text and "give_up_after_seconds = 20" in text
    assert SECRET not in text and "\n" not in text


@respx.mock
def test_failures_add_up_across_requests_until_an_answer_comes():
    clock = FakeTime()
    route = respx.post(BASE + "crm.lead.list").mock(side_effect=httpx.ReadTimeout("timed out"))
    with _patient_client(clock, max_retries=2) as client:
        with pytest.raises(errors.PortalTimeout):  # a short outage: the request's retries run out first
            client.call("crm.lead.list")
        clock.now += 8  # the caller sends it again later, the portal still silent
        with pytest.raises(errors.PortalTimeout):
            client.call("crm.lead.list")
        clock.now += 8
        with pytest.raises(errors.PortalUnreachable) as caught:
            client.call("crm.lead.list")
        assert "timed out waiting for the answer" in str(caught.value)
        # An answer in between starts the count afresh.
        route.side_effect = [_ok([]), httpx.ReadTimeout("timed out"), httpx.ReadTimeout("timed out"),
                             httpx.ReadTimeout("timed out")]
        assert client.call("crm.lead.list").result == []
        with pytest.raises(errors.PortalTimeout):
            client.call("crm.lead.list")


@respx.mock
def test_a_client_idle_between_failures_starts_the_count_afresh():
    clock = FakeTime()
    respx.post(BASE + "crm.lead.list").mock(side_effect=httpx.ConnectTimeout("timed out"))
    with _patient_client(clock, max_retries=1, give_up_after=20.0, timeout=5.0) as client:
        with pytest.raises(errors.PortalTimeout):
            client.call("crm.lead.list")
        clock.now += 3600  # the next daemon cycle, an hour on
        with pytest.raises(errors.PortalTimeout):  # not PortalUnreachable at its first failure
            client.call("crm.lead.list")


@respx.mock
def test_a_long_503_storm_is_rate_limiting_not_a_dead_portal():
    clock = FakeTime()
    respx.post(BASE + "crm.lead.list").mock(
        return_value=httpx.Response(503, json={"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many"}))
    with _patient_client(clock, max_retries=30) as client, pytest.raises(errors.RateLimited):
        client.call("crm.lead.list")
    assert clock.now - 1000.0 > 20.0  # it went on past give_up_after: the portal answers


def test_the_scheduler_sends_no_work_again_to_a_portal_given_up_on():
    deferrals = Deferrals()
    assert deferrals.allow("leads", errors.PortalTimeout("refused", method="batch"))
    assert not deferrals.allow("leads", errors.PortalUnreachable("refused; gave up", method="batch"))
