"""`b24metrics run`: cycles on an interval, the nightly sweep, health and metrics, a graceful stop.

Between cycles the daemon holds nothing of the warehouse: no connection, no lock. A cycle takes
the writer lock (warehouse/writer_lock.py) for its whole length and DuckDB's file lock only for each
of its steps, so `status` and `kpi` wait at most for one step, and a `sync --full` started
meanwhile is told who is writing. One portal client lives as long as the daemon: its request
bucket and execution-time budget carry over from cycle to cycle, as the portal's own do.

SIGTERM or SIGINT sets the stop event: the client sends no new request and waits no longer,
the answers already under way arrive and are committed, the cycle ends as 'interrupted', and
the process exits 0. A second signal exits at once (130), as a kill would: the transaction
under way rolls back.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from datetime import datetime

from b24metrics import pipeline
from b24metrics.config import Settings
from b24metrics.daemon.metrics import CycleOutcome, DaemonMetrics, Endpoint
from b24metrics.daemon.schedule import NIGHTLY, Cycles, seconds_late
from b24metrics.errors import B24MetricsError, ConfigError, Interrupted, WarehouseBusy
from b24metrics.extract import STREAMS
from b24metrics.portal import PortalClient
from b24metrics.redact import redact
from b24metrics.warehouse import writer_lock

log = logging.getLogger("b24metrics.daemon")


class Daemon:
    def __init__(self, settings: Settings, *, stop: threading.Event | None = None) -> None:
        self.settings = settings
        self.stop = stop or threading.Event()
        d = settings.daemon
        self.metrics = DaemonMetrics(d.interval_seconds, d.health_max_age_seconds)
        self.cycles = Cycles(self.run_one, interval=d.interval_seconds, sweep_at=d.sweep_at or None, stop=self.stop)
        self.client: PortalClient | None = None
        self.endpoint: Endpoint | None = None

    def run(self) -> int:
        """Serve until the stop event is set; 0 once the cycle under way has ended."""
        d = self.settings.daemon
        try:
            self.endpoint = Endpoint(self.metrics, d.host, d.port).start()
        except OSError as exc:
            raise ConfigError(f"daemon.host/daemon.port {d.host}:{d.port}: cannot listen there ({exc.strerror})") from None
        self.client = pipeline.open_client(self.settings, stop=self.stop)
        base = f"http://{self.endpoint.host}:{self.endpoint.port}"
        log.info("daemon started: a cycle every %g s, nightly sweep %s; health %s/healthz, metrics %s/metrics",
                 d.interval_seconds, d.sweep_at or "off", base, base,
                 extra={"event": "daemon_started", "pid": os.getpid(), "port": self.endpoint.port,
                        "interval_seconds": d.interval_seconds, "sweep_at": d.sweep_at,
                        "warehouse": str(self.settings.warehouse.path), "portal": self.client.display_url})
        try:
            self.cycles.start()
            while not self.stop.wait(1.0):
                pass
            log.info("stop requested: finishing the page or batch under way", extra={"event": "stop_requested",
                                                                                      "running": self.cycles.running})
        finally:
            self.stop.set()
            self.cycles.shutdown()
            self.client.close()
            self.endpoint.stop()
        log.info("daemon stopped", extra={"event": "daemon_stopped"})
        return 0

    def run_one(self, kind: str, due_at: datetime) -> CycleOutcome:
        """One cycle (the nightly one sweeps the IDs first); never raises."""
        assert self.client is not None
        settings, client = self.settings, self.client
        late = seconds_late(due_at)
        log.info("%s started (came due %.1f s ago)", kind, late,
                 extra={"event": "cycle_started", "kind": kind, "due_at": due_at.isoformat(), "late_seconds": round(late, 3)})
        self.metrics.cycle_started(kind)
        began, before = time.monotonic(), client.stats.copy()
        rows = [0]
        outcome, error, detail, report = "ok", None, "", None

        def progress(stream, count: int, requests: int) -> None:
            rows[0] += count

        try:
            with writer_lock(settings.warehouse.path, f"b24metrics run, {kind}", wait=settings.warehouse.writer_wait,
                             stop=self.stop):
                warehouse = pipeline.open_warehouse(settings)
                if kind == NIGHTLY:
                    with pipeline.recorded_run(warehouse, client, "sweep"):
                        pipeline.sweep(client, warehouse, list(STREAMS.values()))
                report = pipeline.run_cycle(client, warehouse, settings, progress=progress)
        except Interrupted:
            outcome = "interrupted"
        except WarehouseBusy as exc:
            outcome, detail = "busy", str(exc)
        except B24MetricsError as exc:
            outcome, error, detail = "failed", type(exc).__name__, str(exc)
        except Exception as exc:  # a bug: one line, the traceback at DEBUG; the next cycle still runs
            outcome, error, detail = "failed", type(exc).__name__, f"internal error: {type(exc).__name__}: {exc}"
            log.debug("internal error in a %s", kind, exc_info=True)
        spent = client.stats.since(before)
        push = getattr(report, "push", None)
        result = CycleOutcome(
            kind=kind, outcome=outcome, seconds=time.monotonic() - began, rows=rows[0],
            requests=spent.requests, rate_limited=spent.rate_limited, time_limited=spent.time_limited,
            retries=spent.retries, writes=spent.writes,
            rejected=len(push.rejected) if push is not None else 0, error=error,
        )
        self.metrics.cycle_ended(result)
        self._log_end(result, redact(detail))
        return result

    def _log_end(self, c: CycleOutcome, detail: str) -> None:
        level = {"ok": logging.INFO, "interrupted": logging.INFO, "busy": logging.WARNING}.get(c.outcome, logging.ERROR)
        what = {"ok": "done", "interrupted": "stopped on request, everything read so far committed",
                "busy": "skipped", "failed": "failed"}[c.outcome]
        log.log(level, "%s %s in %.1f s: %d rows, %d requests (%d refused with 503, %d with 429), %d updates sent%s",
                c.kind, what, c.seconds, c.rows, c.requests, c.rate_limited, c.time_limited, c.writes,
                f": {detail}" if detail else "",
                extra={"event": "cycle_finished", "kind": c.kind, "outcome": c.outcome, "seconds": round(c.seconds, 3),
                       "rows": c.rows, "requests": c.requests, "rate_limited": c.rate_limited,
                       "time_limited": c.time_limited, "retries": c.retries, "writes": c.writes,
                       "rejected": c.rejected, "error": c.error, "detail": detail or None})


def run_daemon(settings: Settings) -> int:
    """The daemon in this process, stopped by SIGTERM or SIGINT; its exit code."""
    daemon = Daemon(settings)

    def on_signal(signum: int, frame: object) -> None:
        # Only the event here: logging from a signal handler could interleave with a log line
        # the main thread is writing. Daemon.run logs the stop once the main loop wakes.
        if daemon.stop.is_set():
            os._exit(130)
        daemon.stop.set()

    def on_thread_error(args: threading.ExceptHookArgs) -> None:
        # Python prints a dying thread's traceback to stderr raw; the log stays JSON and redacted.
        log.error("thread %s died", getattr(args.thread, "name", "?"),
                  exc_info=args.exc_value or True)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    previous_hook, threading.excepthook = threading.excepthook, on_thread_error
    try:
        return daemon.run()
    finally:
        threading.excepthook = previous_hook
        for sig, handler in previous.items():
            signal.signal(sig, handler)
