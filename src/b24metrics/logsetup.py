"""Logging: Rich on a terminal, plain lines otherwise, JSON lines for the daemon; secrets always redacted."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone

from b24metrics import redact

# Attributes every LogRecord has; anything else on a record came in through `extra=`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ts (UTC), level, logger, msg, exc, and every `extra=` field.

    The record factory (redact.install) has already masked msg and the traceback; `extra=`
    values never pass through it, so they are masked here.
    """

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": redact.redact(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = _masked(value)
        exc = record.exc_text or (self.formatException(record.exc_info) if record.exc_info else None)
        if exc:
            line["exc"] = redact.redact(exc)
        return json.dumps(line, ensure_ascii=False, default=str)


def _masked(value: object) -> object:
    if isinstance(value, str):
        return redact.redact(value)
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _masked(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_masked(v) for v in value]
    return redact.redact(str(value))


def setup_logging(level: str = "INFO", fmt: str = "text") -> None:
    """fmt: "text" (Rich on a terminal, plain lines otherwise), "json" (always JSON lines) or
    "auto" (JSON lines unless stderr is a terminal: journald and `docker logs` get fields)."""
    redact.install()
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_b24metrics", False):
            root.removeHandler(old)
    tty = sys.stderr.isatty()
    if fmt == "json" or (fmt == "auto" and not tty):
        handler: logging.Handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
    elif tty:
        from rich.logging import RichHandler

        handler = RichHandler(show_path=False, rich_tracebacks=False)
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler._b24metrics = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request at INFO; keep that for DEBUG runs.
    for noisy in ("httpx", "httpcore", "alembic"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)
    # APScheduler announces every job it runs at INFO; the daemon logs its cycles itself.
    logging.getLogger("apscheduler").setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)
