"""batch: chaining with $result references, halt, limits, PHP-shaped maps."""

from __future__ import annotations

from urllib.parse import quote, urlencode


def keyset_batch(first_after: int, pages: int) -> dict:
    cmd = {}
    for i in range(pages):
        after = str(first_after) if i == 0 else f"$result[req_{i - 1}][49][ID]"
        cmd[f"req_{i}"] = f"crm.lead.list?order[ID]=ASC&filter[>ID]={after}&select[]=ID&start=-1"
    return {"halt": 1, "cmd": cmd}


def test_keyset_chain_reads_pages_in_one_request(portal, rest):
    before = portal.stats.http_requests
    body = rest(portal, "batch", keyset_batch(0, 8))
    assert portal.stats.http_requests == before + 1
    result = body["result"]
    got = [int(row["ID"]) for i in range(8) for row in result["result"][f"req_{i}"]]
    assert got == sorted(portal.state.leads)[:400]
    assert result["result_error"] == []
    assert result["result_total"] == {f"req_{i}": 0 for i in range(8)}
    assert result["result_next"] == []
    assert set(result["result_time"]) == {f"req_{i}" for i in range(8)}
    assert {"start", "finish", "operating"} <= set(result["result_time"]["req_3"])
    assert set(body["time"]) >= {"start", "finish", "duration", "processing", "operating"}


def test_unresolvable_reference_becomes_empty_string(portal, rest):
    # 500 leads = 10 full pages: req_10 is empty, so req_11's "$result[req_10][49][ID]"
    # resolves to "" and its ">ID" condition is dropped: it reads the first page again
    body = rest(portal, "batch", keyset_batch(0, 12))["result"]["result"]
    assert len(body["req_9"]) == 50 and body["req_10"] == []
    assert [int(r["ID"]) for r in body["req_11"]] == sorted(portal.state.leads)[:50]


def test_references_inside_strings_and_other_shapes(portal, rest):
    body = rest(portal, "batch", {"cmd": {
        "first": "crm.lead.list?select[]=ID&start=0",
        "same": "crm.lead.get?id=$result[first][0][ID]",
        "status": "crm.lead.list?filter[STATUS_ID]=$result[same][STATUS_ID]"
                  "&filter[<%3DID]=$result[first][20][ID]&select[]=ID&select[]=STATUS_ID",
        "via_total": "crm.lead.list?filter[<%3DID]=$total[first]&select[]=ID&start=-1",
        "text": "crm.lead.list?filter[%25TITLE]=x$result[nope][0]y&select[]=ID",
    }})["result"]
    first = body["result"]["first"]
    same = body["result"]["same"]
    assert same["ID"] == first[0]["ID"]
    status_rows = body["result"]["status"]
    assert status_rows and all(r["STATUS_ID"] == same["STATUS_ID"] for r in status_rows)
    assert all(int(r["ID"]) <= int(first[20]["ID"]) for r in status_rows)
    assert body["result_total"]["first"] == len(portal.state.leads)
    assert body["result_next"] == {"first": 50}
    assert all(int(r["ID"]) <= len(portal.state.leads) for r in body["result"]["via_total"])
    assert body["result"]["text"] == []  # "x" + "" + "y" matches no title


def test_halt_stops_at_first_error(portal, rest):
    cmd = {"a": "crm.lead.list?select[]=ID&start=-1", "b": "crm.nope.list",
           "c": "crm.lead.list?select[]=ID&start=-1"}
    halted = rest(portal, "batch", {"halt": 1, "cmd": cmd})["result"]
    assert set(halted["result"]) == {"a"}
    assert halted["result_error"] == {"b": {"error": "ERROR_METHOD_NOT_FOUND", "error_description": "Method not found!"}}
    assert set(halted["result_time"]) == {"a"}
    for flag in (0, "0", "false", "N", False):
        full = rest(portal, "batch", {"halt": flag, "cmd": cmd})["result"]
        assert set(full["result"]) == {"a", "c"} and set(full["result_error"]) == {"b"}
    for flag in ("true", "Y", True, "1"):
        assert set(rest(portal, "batch", {"halt": flag, "cmd": cmd})["result"]["result"]) == {"a"}


def test_sub_command_errors_keep_http_200(portal, rest):
    body = rest(portal, "batch", {"cmd": {"x": f"crm.lead.get?id={max(portal.state.leads) + 1}",
                                          "y": "batch?cmd[z]=crm.lead.list"}})["result"]
    assert body["result"] == [] and body["result_total"] == [] and body["result_time"] == []
    assert body["result_error"]["x"] == {"error": "", "error_description": "Not found"}
    assert body["result_error"]["y"]["error"] == "ERROR_BATCH_METHOD_NOT_ALLOWED"


def test_more_than_50_commands_is_400(portal, rest):
    cmd = {f"c{i}": "crm.status.list" for i in range(51)}
    assert rest(portal, "batch", {"cmd": cmd}, expect=400) == {
        "error": "ERROR_BATCH_LENGTH_EXCEEDED", "error_description": "Max batch length exceeded"}
    fifty = {f"c{i}": "crm.status.list?start=-1" for i in range(50)}
    assert len(rest(portal, "batch", {"cmd": fifty})["result"]["result"]) == 50


def test_empty_batch_maps_are_json_arrays(portal, rest):
    body = rest(portal, "batch", {"cmd": {}})
    assert body["result"] == {"result": [], "result_error": [], "result_total": [],
                              "result_next": [], "result_time": []}


def test_list_shaped_cmd_gives_list_shaped_results(portal, rest):
    body = rest(portal, "batch", {"cmd": ["crm.lead.list?select[]=ID&start=-1", "crm.lead.get?id=1"]})["result"]
    assert isinstance(body["result"], list) and len(body["result"]) == 2
    assert body["result"][1]["ID"] == "1"


def test_form_encoded_and_get_batches(portal, http):
    url = portal.webhook_url + "batch"
    commands = {
        "a": "crm.lead.list?" + urlencode({"filter[>ID]": "3", "select[]": "ID", "start": "-1"}),
        "b": "crm.lead.list?" + urlencode({"filter[>ID]": "$result[a][0][ID]", "select[]": "ID", "start": "-1"}),
        "c": "crm.lead.list?filter%5B%25TITLE%5D=%D0%B7%D0%B2%D0%BE%D0%BD%D0%BE%D0%BA&select[]=ID&start=-1",
    }
    # the client encodes every cmd value once more; the form parsing decodes it once
    form = "halt=1&" + "&".join(f"cmd[{key}]={quote(value, safe='')}" for key, value in commands.items())
    responses = [
        http.post(url, content=form, headers={"Content-Type": "application/x-www-form-urlencoded"}),
        http.get(f"{url}?{form}"),
        http.post(url, json={"halt": 1, "cmd": commands}),
    ]
    bodies = [r.json()["result"] for r in responses]
    for response, body in zip(responses, bodies):
        assert response.status_code == 200
        a, b = body["result"]["a"], body["result"]["b"]
        assert int(a[0]["ID"]) > 3 and int(b[0]["ID"]) > int(a[0]["ID"])
        assert body["result"]["c"] and body["result_error"] == []
    assert bodies[0]["result"] == bodies[1]["result"] == bodies[2]["result"]


def test_sub_commands_count_as_method_calls_but_batch_once_in_bucket(fresh_portal, rest):
    fresh_portal.stats.reset()
    rest(fresh_portal, "batch", keyset_batch(0, 3))
    assert fresh_portal.stats.method_calls["crm.lead.list"] == 3
    assert fresh_portal.stats.method_calls["batch"] == 1
    assert fresh_portal.stats.http_requests == 1
