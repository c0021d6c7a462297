"""What the daemon tells the outside: Prometheus metrics and a health answer, on one local port.

prometheus_client (the Prometheus project's own client, no dependencies) writes the exposition
format; a small http.server serves it on /metrics beside /healthz, which its own
start_http_server cannot do. Every value lives in memory: neither endpoint opens the warehouse,
so a scrape never takes the DuckDB file from a cycle or from `status`.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, ProcessCollector, generate_latest

from b24metrics import __version__

log = logging.getLogger(__name__)


@dataclass
class CycleOutcome:
    """One cycle as the metrics count it."""

    kind: str                 # cycle or nightly
    outcome: str              # ok, failed, interrupted, busy
    seconds: float
    rows: int = 0             # rows committed to the warehouse
    requests: int = 0         # HTTP requests to the portal, retries included
    rate_limited: int = 0     # 503 answers
    time_limited: int = 0     # 429 answers
    retries: int = 0
    writes: int = 0           # crm.*.update commands sent
    rejected: int = 0         # updates the portal refused
    error: str | None = None  # the exception's class when it failed


class DaemonMetrics:
    def __init__(self, interval: float, max_age: float, *, clock: Callable[[], float] = time.time) -> None:
        # `clock` (unix seconds) lets a test age the last success without waiting for it
        self.interval, self.max_age = interval, max_age
        self._clock = clock
        self.started_at = clock()
        self._lock = threading.Lock()
        self.last: CycleOutcome | None = None
        self.last_finished_at: float | None = None
        self.last_success_at: float | None = None
        self.running: str | None = None
        self.registry = r = CollectorRegistry()
        ProcessCollector(registry=r)
        info = Gauge("b24metrics_info", "version of the running b24metrics", ["version"], registry=r)
        info.labels(__version__).set(1)
        self.cycles = Counter("b24metrics_cycles", "cycles ended, by kind and outcome", ["kind", "outcome"], registry=r)
        self.errors = Counter("b24metrics_errors", "failed cycles by the error that ended them", ["error"], registry=r)
        self.last_success = Gauge("b24metrics_last_success_timestamp_seconds",
                                  "when the last successful cycle ended (unix time; 0: none yet)", registry=r)
        self.duration = Gauge("b24metrics_last_cycle_duration_seconds", "how long the last cycle took", registry=r)
        self.running_gauge = Gauge("b24metrics_cycle_running", "1 while a cycle runs", registry=r)
        self.rows = Counter("b24metrics_rows_loaded", "rows committed to the warehouse", registry=r)
        self.requests = Counter("b24metrics_portal_requests", "HTTP requests to the portal, retries included",
                                registry=r)
        self.rate_limited = Counter("b24metrics_portal_rate_limited",
                                    "503 QUERY_LIMIT_EXCEEDED answers (request rate)", registry=r)
        self.time_limited = Counter("b24metrics_portal_time_limited",
                                    "429 OPERATION_TIME_LIMIT answers (a method's execution time)", registry=r)
        self.retries = Counter("b24metrics_portal_retries", "requests sent again after a 503, 5xx or timeout",
                               registry=r)
        self.writes = Counter("b24metrics_writeback_updates", "crm.*.update commands sent", registry=r)
        self.rejected = Counter("b24metrics_writeback_rejected", "updates the portal refused", registry=r)

    def cycle_started(self, kind: str) -> None:
        with self._lock:
            self.running = kind
        self.running_gauge.set(1)

    def cycle_ended(self, c: CycleOutcome) -> None:
        now = self._clock()
        with self._lock:
            self.running, self.last, self.last_finished_at = None, c, now
            if c.outcome == "ok":
                self.last_success_at = now
        self.running_gauge.set(0)
        self.cycles.labels(c.kind, c.outcome).inc()
        if c.error:
            self.errors.labels(c.error).inc()
        if c.outcome == "ok":
            self.last_success.set(now)
        self.duration.set(c.seconds)
        for counter, value in ((self.rows, c.rows), (self.requests, c.requests), (self.rate_limited, c.rate_limited),
                               (self.time_limited, c.time_limited), (self.retries, c.retries),
                               (self.writes, c.writes), (self.rejected, c.rejected)):
            counter.inc(value)

    def health(self) -> tuple[int, dict]:
        """503 once the last success (or, before any, the start) is older than max_age."""
        now = self._clock()
        with self._lock:
            last, success, running = self.last, self.last_success_at, self.running
        since = success if success is not None else self.started_at
        if last is None:
            status = "starting"
        else:
            status = "ok" if last.outcome == "ok" else "failing" if last.outcome == "failed" else last.outcome
        body = {
            "status": status,
            "healthy": now - since <= self.max_age,
            "running": running,
            "last_success": _iso(success),
            "last_cycle": None if last is None else {
                "kind": last.kind, "outcome": last.outcome, "ended": _iso(self.last_finished_at),
                "seconds": round(last.seconds, 3), "rows": last.rows, "requests": last.requests,
                "writes": last.writes, "error": last.error,
            },
            "interval_seconds": self.interval,
            "max_age_seconds": self.max_age,
            "version": __version__,
        }
        return (200 if body["healthy"] else 503), body


def _iso(moment: float | None) -> str | None:
    return None if moment is None else datetime.fromtimestamp(moment, timezone.utc).isoformat(timespec="seconds")


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        path = self.path.split("?", 1)[0].rstrip("/")
        if path == "/metrics":
            self._send(200, CONTENT_TYPE_LATEST, generate_latest(self.server.metrics.registry))
        elif path in ("/healthz", "/health"):
            status, body = self.server.metrics.health()
            self._send(status, "application/json", json.dumps(body).encode())
        else:
            self._send(404, "text/plain; charset=utf-8", b"not found: try /healthz or /metrics\n")

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # a scrape every 15 s would drown the cycle lines


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], metrics: DaemonMetrics) -> None:
        self.metrics = metrics
        super().__init__(address, _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        # socketserver prints tracebacks to stderr itself: through logging they stay JSON lines.
        log.warning("health/metrics request from %s failed", client_address, exc_info=True)


class Endpoint:
    """/healthz and /metrics on host:port, served from a thread of their own."""

    def __init__(self, metrics: DaemonMetrics, host: str, port: int) -> None:
        self._server = _Server((host, port), metrics)
        self.host, self.port = host, int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="b24m-metrics", daemon=True)

    def start(self) -> "Endpoint":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
