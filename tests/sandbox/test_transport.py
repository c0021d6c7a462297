"""Webhook auth, method names, parameter transports, envelope and errors."""

from __future__ import annotations

import json
import socket
import urllib.request
from urllib.parse import quote, urlsplit

import httpx
import pytest

from b24metrics.sandbox import SandboxPortal

TIME_KEYS = {"start", "finish", "duration", "processing", "date_start", "date_finish",
             "operating_reset_at", "operating"}


def test_addresses(portal):
    assert isinstance(portal.port, int) and portal.port > 0
    assert portal.base_url == f"http://127.0.0.1:{portal.port}"
    assert portal.webhook_url == f"{portal.base_url}/rest/1/{portal.token}/"
    assert len(portal.token) == 16 and int(portal.token, 16) >= 0


def test_wrong_token_or_user_is_401_and_never_echoes_the_token(portal, http):
    for url in (f"{portal.base_url}/rest/1/{portal.token}x/crm.lead.list",
                f"{portal.base_url}/rest/2/{portal.token}/crm.lead.list",
                f"{portal.base_url}/rest/1/nope/crm.lead.list"):
        response = http.post(url, json={})
        assert response.status_code == 401
        assert response.json() == {"error": "NO_AUTH_FOUND", "error_description": "Wrong authorization data"}
        assert portal.token not in response.text
        assert response.headers["content-type"].startswith("application/json")


def test_other_paths_are_404(portal, http):
    for path in ("/", "/rest/", "/rest/1/", f"/rest/1/{portal.token}", "/favicon.ico"):
        response = http.get(portal.base_url + path)
        assert response.status_code == 404, path
        assert "error" in response.json()
        assert portal.token not in response.text


def test_unknown_method_is_404(portal, http):
    response = http.post(portal.webhook_url + "crm.lead.nonexistent", json={})
    assert response.status_code == 404
    assert response.json() == {"error": "ERROR_METHOD_NOT_FOUND", "error_description": "Method not found!"}


def test_method_names_are_case_insensitive_with_optional_json_suffix(portal, http):
    ids = None
    for name in ("crm.lead.list", "CRM.LEAD.LIST", "Crm.Lead.List.json", "crm.lead.list.JSON"):
        response = http.post(portal.webhook_url + name, json={"select": ["ID"]})
        assert response.status_code == 200, name
        page = [row["ID"] for row in response.json()["result"]]
        assert ids is None or page == ids
        ids = page


def test_success_envelope_and_time_block(portal, http):
    response = http.post(portal.webhook_url + "crm.lead.list", json={})
    body = response.json()
    assert list(body) == ["result", "next", "total", "time"]
    assert body["total"] == 500 and body["next"] == 50 and len(body["result"]) == 50
    t = body["time"]
    assert set(t) == TIME_KEYS
    assert t["finish"] >= t["start"] and t["duration"] >= 0 and t["processing"] >= 0
    assert t["date_start"].endswith("+03:00") and "T" in t["date_start"]
    assert isinstance(t["operating_reset_at"], int) and t["operating_reset_at"] > t["start"]
    assert t["operating"] >= 0


def test_get_query_string_and_post_bodies_agree(portal, http):
    url = portal.webhook_url + "crm.lead.list"
    pairs = [("filter[>ID]", "20"), ("filter[<=ID]", "60"), ("order[ID]", "DESC"),
             ("select[]", "ID"), ("select[]", "TITLE")]
    # "=" inside a key must be percent-encoded, or PHP (and the sandbox) split the pair there
    query = "&".join(f"{quote(k, safe='[]')}={quote(v)}" for k, v in pairs)
    expected = [row["ID"] for row in http.get(f"{url}?{query}").json()["result"]]
    assert expected and all(20 < int(i) <= 60 for i in expected)
    assert expected == sorted(expected, key=int, reverse=True)

    as_json = http.post(url, json={"filter": {">ID": 20, "<=ID": "60"}, "order": {"ID": "DESC"},
                                   "select": ["ID", "TITLE"]})
    as_form = http.post(url, content=query.encode(),
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    as_multipart = http.post(url, files={"select[]": (None, "ID")}, data={
        "filter[>ID]": "20", "filter[<=ID]": "60", "order[ID]": "DESC"})
    # query-string parameters merge with body parameters
    as_mixed = http.post(f"{url}?order[ID]=DESC&select[]=ID",
                         json={"filter": {">ID": 20, "<=ID": 60}})
    for response in (as_json, as_form, as_multipart, as_mixed):
        assert response.status_code == 200, response.text
        assert [row["ID"] for row in response.json()["result"]] == expected
    assert set(as_json.json()["result"][0]) == {"ID", "TITLE"}
    assert set(as_multipart.json()["result"][0]) == {"ID"}


def test_urllib_and_raw_socket_clients(portal):
    data = json.dumps({"filter": {"ID": 1}, "select": ["ID"]}).encode()
    request = urllib.request.Request(portal.webhook_url + "crm.lead.list", data=data,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.loads(response.read())["result"] == [{"ID": "1"}]

    # two requests on one keep-alive connection, the first with a chunked body
    path = urlsplit(portal.webhook_url).path + "crm.lead.list"
    with socket.create_connection(("127.0.0.1", portal.port), timeout=10) as sock:
        body = b'{"filter":{"ID":1},"select":["ID"]}'
        chunked = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     f"Transfer-Encoding: chunked\r\n\r\n".encode() + chunked)
        sock.sendall(f"GET {path}?filter[ID]=1&select[]=ID HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        received = b""
        while received.count(b'"result":[{"ID":"1"}]') < 2:
            chunk = sock.recv(65536)
            assert chunk, received
            received += chunk
        assert received.count(b"HTTP/1.1 200") == 2


def test_bad_json_is_400_invalid_request(portal, http):
    response = http.post(portal.webhook_url + "crm.lead.list", content=b'{"filter": ',
                         headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"] == "INVALID_REQUEST"
    response = http.post(portal.webhook_url + "crm.lead.list", content=b'"just a string"',
                         headers={"Content-Type": "application/json"})
    assert response.status_code == 400


def test_auth_key_in_body_is_ignored(portal, http):
    response = http.post(portal.webhook_url + "crm.lead.list",
                         json={"auth": "whatever", "filter": {"ID": 1}, "select": ["ID"]})
    assert response.json()["result"] == [{"ID": "1"}]


def test_uppercase_parameter_names(portal, rest):
    body = rest(portal, "crm.lead.list", {"FILTER": {"ID": 1}, "SELECT": ["ID"]})
    assert body["result"] == [{"ID": "1"}]


def test_stop_is_idempotent_and_closes_the_port():
    sandbox = SandboxPortal(leads=0, token="fixedtoken")
    assert sandbox.token == "fixedtoken"
    with sandbox:
        port = sandbox.port
        with httpx.Client() as client:  # a keep-alive connection stays open across stop()
            assert client.post(sandbox.webhook_url + "crm.lead.list", json={}).json()["result"] == []
            sandbox.stop()
            with pytest.raises(httpx.TransportError):
                client.post(sandbox.webhook_url + "crm.lead.list", json={})
    sandbox.stop()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_malformed_request_line_answers_json_without_the_token(portal):
    path = urlsplit(portal.webhook_url).path + "crm.lead.list"
    with socket.create_connection(("127.0.0.1", portal.port), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1 junk\r\nHost: x\r\n\r\n".encode())
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    assert b" 400 " in received.split(b"\r\n", 1)[0]
    assert b'"error":"INVALID_REQUEST"' in received
    assert portal.token.encode() not in received


def test_helper_methods(portal, rest):
    fields = rest(portal, "crm.lead.fields")["result"]
    assert fields["ID"]["isReadOnly"] is True and fields["TITLE"]["isReadOnly"] is False
    assert all(fields[d["FIELD_NAME"]]["isDynamic"] for d in portal.state.lead_userfields)
    assert rest(portal, "server.time")["result"].endswith("+03:00")
    company_id = min(portal.state.companies)
    assert rest(portal, "crm.company.get", {"id": company_id})["result"]["ID"] == str(company_id)
