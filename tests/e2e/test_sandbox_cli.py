"""`b24metrics sandbox` with its fault options: a client tested against it meets what they say."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import httpx


def _serve(*options: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "b24metrics", "sandbox", "--leads", "40", "--rate", "100",
                             "--burst", "1000", *options], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def test_refusals_and_malformed_records_as_the_options_say():
    proc, url = _serve("--refuse", "1", "--malformed", "40")
    try:
        with httpx.Client(timeout=10) as http:
            answers = [http.post(url + "crm.lead.update", json={"id": 7, "fields": {"TITLE": "x"}}) for _ in range(3)]
            leads = http.post(url + "crm.lead.list", json={"select": ["*"], "start": -1,
                                                            "order": {"ID": "ASC"}}).json()["result"]
    finally:
        proc.send_signal(signal.SIGINT)   # Ctrl-C: it stops and says what it injected
        said, _ = proc.communicate(timeout=10)
    # every lead refuses its next two updates, then accepts
    assert [a.status_code for a in answers] == [400, 400, 200]
    assert "locked by another user" in answers[0].text
    broken = {"12 500,00 руб.", "31.02.2024", "Иванов"}
    assert sum(1 for lead in leads if broken & {str(v) for v in lead.values()}) >= 30
    assert "80 lead updates refused" in said and "40 malformed records" in said


def test_storms_come_on_schedule():
    proc, url = _serve("--storm-every", "0.5", "--storm-seconds", "60")
    try:
        seen = []
        deadline = time.monotonic() + 30   # the first storm comes within a second; a safety net
        with httpx.Client(timeout=10) as http:
            while 503 not in seen and time.monotonic() < deadline:
                seen.append(http.post(url + "crm.lead.list", json={"start": -1}).status_code)
                time.sleep(0.1)
        assert seen[-1] == 503, seen
    finally:
        proc.send_signal(signal.SIGINT)   # Ctrl-C: it stops and says what it injected
        said, _ = proc.communicate(timeout=10)
    assert "503 storms" in said
