"""The daemon: cycles on a schedule, one at a time, with health, metrics and a graceful stop."""

from b24metrics.daemon.service import Daemon, run_daemon

__all__ = ["Daemon", "run_daemon"]
