"""JSON log lines carry their fields and no secret; health turns 503 when successes stop."""

import io
import json
import logging

from b24metrics import redact
from b24metrics.daemon.metrics import CycleOutcome, DaemonMetrics
from b24metrics.logsetup import JsonFormatter


def test_json_lines_carry_extra_fields_and_mask_secrets_in_them():
    redact.register_secret("canary-secret-4711")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("b24metrics.test.json")
    logger.addHandler(handler)
    logger.propagate = False
    redact.install()
    try:
        logger.warning("posting to %s", "https://x.bitrix24.ru/rest/1/canary-secret-4711/crm.lead.list",
                       extra={"event": "cycle_finished", "rows": 3, "detail": "url /rest/9/abc123/ said no",
                              "nested": {"secret": "canary-secret-4711"}})
        try:
            raise RuntimeError("failed at https://x.bitrix24.ru/rest/1/canary-secret-4711/")
        except RuntimeError:
            logger.exception("boom")
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines[0]["event"] == "cycle_finished" and lines[0]["rows"] == 3 and lines[0]["level"] == "WARNING"
    assert lines[0]["ts"].endswith("+00:00") and lines[0]["logger"] == "b24metrics.test.json"
    assert "RuntimeError" in lines[1]["exc"]
    assert "canary-secret-4711" not in stream.getvalue() and "abc123" not in stream.getvalue()


def test_health_is_503_once_the_last_success_is_older_than_the_limit():
    clock = [1_800_000_000.0]  # the metrics' own clock: the test ages the last success itself
    metrics = DaemonMetrics(interval=1, max_age=0.3, clock=lambda: clock[0])
    assert metrics.health()[0] == 200 and metrics.health()[1]["status"] == "starting"
    metrics.cycle_started("cycle")
    running = metrics.registry.get_sample_value("b24metrics_cycle_running")
    assert running == 1 and metrics.health()[1]["running"] == "cycle"
    metrics.cycle_ended(CycleOutcome("cycle", "ok", 0.1, rows=5, requests=2))
    status, body = metrics.health()
    assert status == 200 and body["status"] == "ok" and body["last_cycle"]["rows"] == 5
    assert body["running"] is None and metrics.registry.get_sample_value("b24metrics_cycle_running") == 0
    clock[0] += 0.125
    metrics.cycle_ended(CycleOutcome("cycle", "failed", 0.1, error="PortalUnavailable"))
    clock[0] += 0.125  # the success is 0.25 s old: within the limit
    assert metrics.health() == (200, metrics.health()[1]) and metrics.health()[1]["status"] == "failing"
    clock[0] += 0.125  # 0.375 s: past it (the failure, 0.25 s old, does not count)
    status, body = metrics.health()
    assert status == 503 and body["healthy"] is False and body["last_success"] == "2027-01-15T08:00:00+00:00"


def test_auto_format_is_json_off_a_terminal_and_text_on_one(monkeypatch):
    import sys

    from rich.logging import RichHandler

    from b24metrics.logsetup import setup_logging

    def ours():
        return [h for h in logging.getLogger().handlers if getattr(h, "_b24metrics", False)]

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    try:
        monkeypatch.setattr(sys, "stderr", io.StringIO())
        setup_logging("INFO", "auto")
        assert isinstance(ours()[0].formatter, JsonFormatter)
        monkeypatch.setattr(sys, "stderr", Terminal())
        setup_logging("INFO", "auto")
        assert isinstance(ours()[0], RichHandler)
        setup_logging("INFO", "json")
        assert isinstance(ours()[0].formatter, JsonFormatter)
    finally:
        for handler in ours():
            logging.getLogger().removeHandler(handler)
