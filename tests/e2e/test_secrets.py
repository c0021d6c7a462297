"""A unique canary as the webhook secret: it must surface in no log line, no exception text,
no table of the warehouse, no CLI output."""

import logging
import os
import subprocess
import sys
import uuid

import pytest

from b24metrics import errors, pipeline
from b24metrics.logsetup import setup_logging
from b24metrics.portal import PortalClient


class Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(self.format(record))


def test_canary_in_no_log_no_error_no_table(portals, settings_for):
    canary = "canary" + uuid.uuid4().hex
    portal = portals(seed=11, leads=150, token=canary, rate=20.0, burst=50)
    settings = settings_for(portal, log_level="DEBUG")
    setup_logging("DEBUG")
    sink = Collect()
    sink.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    logging.getLogger().addHandler(sink)
    texts = []
    try:
        warehouse = pipeline.open_warehouse(settings)
        with pipeline.open_client(settings) as client:
            portal.faults.fail_next(1, status=503, error="QUERY_LIMIT_EXCEEDED")  # a retry gets logged
            pipeline.run_cycle(client, warehouse, settings)
            try:  # an error raised from deep inside: its text and repr
                client.call("no.such.method")
            except errors.MethodNotFound as exc:
                texts += [str(exc), repr(exc)]
            texts.append(repr(client))
        texts.append(repr(settings))
        with PortalClient(portal.webhook_url.replace(canary, canary[::-1])) as bad:
            with pytest.raises(errors.AuthFailed) as caught:
                bad.call("crm.lead.list")
            texts.append(str(caught.value))
    finally:
        logging.getLogger().removeHandler(sink)
        setup_logging("INFO")
    assert any("crm.lead.list" in line or "batch" in line for line in sink.lines), "DEBUG logging was on"
    assert any("retry" in line for line in sink.lines)
    for line in sink.lines + texts:
        assert canary not in line and canary[::-1] not in line

    with warehouse.connect() as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        for table in tables:
            hits = con.execute(f"SELECT count(*) FROM {table} t WHERE CAST(t AS VARCHAR) LIKE ?", [f"%{canary}%"]).fetchall()
            assert hits[0][0] == 0, table
    assert canary.encode() not in warehouse.path.read_bytes()


def test_cli_with_debug_logging_prints_no_secret(portals, tmp_path):
    canary = "canary" + uuid.uuid4().hex
    portal = portals(seed=12, leads=80, token=canary)
    env = {k: v for k, v in os.environ.items() if not k.startswith("B24M_")}
    env.update(B24M_PORTAL__WEBHOOK_URL=portal.webhook_url, B24M_WAREHOUSE__PATH=str(tmp_path / "w.duckdb"))
    for args in (["sync"], ["status"], ["kpi"], ["writeback", "--dry-run"], ["writeback"], ["doctor"]):
        run = subprocess.run([sys.executable, "-m", "b24metrics", "--log-level", "DEBUG", *args],
                             capture_output=True, text=True, env=env, timeout=300)
        assert run.returncode == 0, run.stderr
        assert canary not in run.stdout + run.stderr
        if args in (["status"], ["kpi"]):  # warehouse only, no HTTP
            assert "leads" in run.stdout
        else:
            assert "HTTP Request" in run.stderr  # httpx's own lines were there, masked
    env["B24M_PORTAL__WEBHOOK_URL"] = portal.webhook_url.replace(canary, "wrongtoken12345")
    run = subprocess.run([sys.executable, "-m", "b24metrics", "sync"], capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 3
    assert "NO_AUTH_FOUND" in run.stderr and "wrongtoken12345" not in run.stdout + run.stderr
    assert "Traceback" not in run.stderr
