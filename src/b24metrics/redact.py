"""Keeps webhook secrets out of log records, exception texts and reports.

A Bitrix24 inbound webhook carries its secret in the URL path (/rest/<user>/<secret>/), and
httpx logs every request URL at INFO. Redaction therefore happens where every log record is
born (the record factory), so no handler, ours or a test's, ever sees the secret.
"""

from __future__ import annotations

import logging
import re
import threading

MASK = "***"
# Any webhook-shaped path, even one whose secret was never registered.
_WEBHOOK_PATH = re.compile(r"(/rest/\d+/)[^/\s?#\"']+")
_secrets: set[str] = set()
_lock = threading.Lock()
_installed = False


def register_secret(secret: str) -> None:
    """Remember a secret so that redact() masks it wherever it appears."""
    if secret and len(secret) >= 4:
        with _lock:
            _secrets.add(secret)
    install()


def redact(text: str) -> str:
    text = _WEBHOOK_PATH.sub(lambda m: m.group(1) + MASK, text)
    for secret in tuple(_secrets):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def install() -> None:
    """Wrap the logging record factory once per process (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        base_factory = logging.getLogRecordFactory()

        def factory(*args, **kwargs) -> logging.LogRecord:
            record = base_factory(*args, **kwargs)
            _scrub(record)
            return record

        logging.setLogRecordFactory(factory)
        _installed = True


def _scrub(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a broken format string is the caller's bug; keep the raw text
        message = str(record.msg)
    record.msg, record.args = redact(message), None
    if record.exc_info and record.exc_info[1] is not None:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        record.exc_info = None
