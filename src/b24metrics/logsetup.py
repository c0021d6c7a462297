"""Logging for the CLI: Rich on a terminal, plain lines otherwise; secrets always redacted."""

from __future__ import annotations

import logging
import sys

from b24metrics import redact


def setup_logging(level: str = "INFO") -> None:
    redact.install()
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_b24metrics", False):
            root.removeHandler(handler)
    if sys.stderr.isatty():
        from rich.logging import RichHandler

        handler: logging.Handler = RichHandler(show_path=False, rich_tracebacks=False)
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler._b24metrics = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request at INFO; keep that for DEBUG runs.
    for noisy in ("httpx", "httpcore", "alembic"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)
