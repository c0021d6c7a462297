"""The one place that does HTTP to Bitrix24: single calls and batches, paced and retried.

Tests swap the transport (httpx's seam) or point the client at the sandbox portal.
"""

from __future__ import annotations

import json
import logging
import random
import re
import socket
import ssl
import threading
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping

import httpx

from b24metrics import __version__, errors
from b24metrics.portal.bucket import LeakyBucket
from b24metrics.portal.budget import OperatingBudget
from b24metrics.portal.codes import error_from_body
from b24metrics.portal.encoding import php_query
from b24metrics.redact import MASK, redact, register_secret

log = logging.getLogger(__name__)

MAX_BATCH = 50
_UPDATE = re.compile(r"^crm\.\w+\.update$")


@dataclass
class Response:
    result: Any
    next: int | None = None
    total: int | None = None
    time: dict[str, Any] = field(default_factory=dict)


@dataclass
class BatchResponse:
    results: dict[str, Any]
    errors: dict[str, errors.PortalError]
    totals: dict[str, int]
    nexts: dict[str, int]
    times: dict[str, dict[str, Any]]
    time: dict[str, Any]


@dataclass
class ClientStats:
    requests: int = 0          # HTTP requests sent, retries included
    retries: int = 0
    rate_limited: int = 0      # 503 answers
    time_limited: int = 0      # 429 answers
    waited: float = 0.0        # seconds spent pacing and backing off
    calls: Counter = field(default_factory=Counter)  # method -> calls, batch sub-commands included

    def copy(self) -> ClientStats:
        return replace(self, calls=Counter(self.calls))

    def since(self, before: ClientStats) -> ClientStats:
        """What was counted after `before` (a copy taken earlier)."""
        return ClientStats(
            requests=self.requests - before.requests, retries=self.retries - before.retries,
            rate_limited=self.rate_limited - before.rate_limited, time_limited=self.time_limited - before.time_limited,
            waited=self.waited - before.waited, calls=self.calls - before.calls,
        )

    @property
    def writes(self) -> int:
        """Value writes (crm.lead.update ...); crm.lead.userfield.update is field setup."""
        return sum(n for method, n in self.calls.items() if _UPDATE.match(method))


class PortalClient:
    """A Bitrix24 inbound-webhook client.

    The webhook URL is registered as a secret on construction: from then on no log record,
    exception text or repr carries it.
    """

    def __init__(
        self,
        webhook_url: str,
        *,
        rate: float = 2.0,
        burst: int = 50,
        timeout: float = 30.0,
        max_retries: int = 6,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        operating_limit: float = 480.0,
        give_up_after: float = 120.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        stop: threading.Event | None = None,
    ) -> None:
        self._base = webhook_url.rstrip("/") + "/"
        register_secret(self._secret_of(self._base))
        self.display_url = redact(self._base)
        # host:port only: the path holds the secret.
        self.where = _where(httpx.URL(self._base))
        # Cooperative cancellation for the daemon: once `stop` is set no new request goes out and
        # no wait (pacing, backoff, budget) goes on; the answers already under way still arrive,
        # so their callers commit them. Every page and every write-back batch passes through
        # here, which is why extraction and write-back need no checks of their own.
        self.stop = stop
        self._sleep = sleep if stop is None else self._sleep_unless_stopped
        self.bucket = LeakyBucket(rate, burst, sleep=self._sleep)
        self.budget = OperatingBudget(operating_limit)
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.give_up_after = give_up_after
        self._clock = clock
        # Since when every request has failed (refused, timed out, 5xx) with no answer between;
        # shared by all threads, since a dead portal fails them all alike.
        self._failing_since: float | None = None
        self._last_failure = 0.0
        # Past this long without any failure the client was idle (between two daemon cycles),
        # not failing: the next failure starts the count afresh.
        self._idle_gap = give_up_after + timeout + 1.25 * max_backoff
        self.stats = ClientStats()
        self._lock = threading.Lock()
        self._http = httpx.Client(
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
            headers={"User-Agent": f"b24metrics/{__version__}", "Accept": "application/json"},
        )

    @staticmethod
    def _secret_of(url: str) -> str:
        parts = url.rstrip("/").split("/")
        return parts[-1] if len(parts) >= 2 and parts[-3] == "rest" else ""

    def __repr__(self) -> str:
        return f"PortalClient({self.display_url!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PortalClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public calls ---------------------------------------------------------------------

    def call(self, method: str, params: Mapping[str, Any] | None = None) -> Response:
        self._respect_budget([method])
        body = self._request(method, dict(params or {}))
        self.budget.note(method, body.get("time"))
        self._count(method)
        return Response(
            result=body.get("result"),
            next=_int_or_none(body.get("next")),
            total=_int_or_none(body.get("total")),
            time=body.get("time") or {},
        )

    def batch(
        self, commands: Mapping[str, tuple[str, Mapping[str, Any]]], *, halt: bool = False
    ) -> BatchResponse:
        """Run up to 50 (method, params) commands in one request; keys name their results.

        Later commands may refer to earlier results with `$result[key][index][FIELD]`.
        A failed command is reported in `errors`, never raised: the others stand.
        """
        if len(commands) > MAX_BATCH:
            raise errors.InvalidRequest(
                f"{len(commands)} commands; a batch holds at most {MAX_BATCH}",
                code="ERROR_BATCH_LENGTH_EXCEEDED",
                method="batch",
            )
        self._respect_budget({method for method, _ in commands.values()})
        cmd = {key: f"{method}?{php_query(dict(params))}" for key, (method, params) in commands.items()}
        body = self._request("batch", {"halt": 1 if halt else 0, "cmd": cmd})
        inner = body.get("result")
        if not isinstance(inner, dict):
            raise errors.PortalProtocolError("batch answered without result.result", method="batch")
        results = _as_map(inner.get("result"))
        failed = {
            key: error_from_body(err, method=commands[key][0] if key in commands else key,
                                 http_status=None, in_batch=True)
            for key, err in _as_map(inner.get("result_error")).items()
        }
        times = _as_map(inner.get("result_time"))
        for key in results.keys() | failed.keys():
            if key in commands:
                self._count(commands[key][0])
                self.budget.note(commands[key][0], times.get(key))
        for key, err in failed.items():
            self._note(err)
            if isinstance(err, errors.OperationTimeLimit):
                err.reset_at = self.budget.blocked(err.method or key, None)
        return BatchResponse(
            results=results,
            errors=failed,
            totals={k: int(v) for k, v in _as_map(inner.get("result_total")).items()},
            nexts={k: int(v) for k, v in _as_map(inner.get("result_next")).items()},
            times=times,
            time=body.get("time") or {},
        )

    def checkpoint(self) -> None:
        """Raise Interrupted once a stop was asked for (a no-op without a stop event)."""
        if self.stop is not None and self.stop.is_set():
            raise errors.Interrupted("stop requested: no new request sent")

    def _sleep_unless_stopped(self, seconds: float) -> None:
        if self.stop is not None and self.stop.wait(seconds):
            raise errors.Interrupted("stop requested while waiting to send")

    # -- transport, retries, errors ----------------------------------------------------------

    def _respect_budget(self, methods) -> None:
        """Wait while a method is blocked or close to its execution-time limit."""
        pause = self.budget.wait(methods)
        if pause > 0:
            log.warning("waiting %.0f s for the operating budget of %s", pause, ", ".join(sorted(methods)))
            with self._lock:
                self.stats.waited += pause
            self._sleep(pause)

    def _count(self, method: str) -> None:
        with self._lock:
            self.stats.calls[method.lower()] += 1

    def _request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        attempt = 0
        while True:
            failure: errors.PortalError
            try:
                body = self._send_once(method, params)
            except (errors.PortalTimeout, errors.PortalUnavailable) as exc:
                self._give_up_if_down_too_long(exc)
                failure = exc
            except errors.PortalError as exc:
                self._portal_answered()  # a Bitrix24 error answer: the portal is there
                if not isinstance(exc, errors.RetryError):
                    raise
                failure = exc
            else:
                self._portal_answered()
                return body
            if isinstance(failure, errors.OperationTimeLimit) or attempt >= self.max_retries:
                raise failure
            attempt += 1
            pause = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
            pause *= 1 + random.random() * 0.25
            if isinstance(failure, errors.RateLimited):
                self.bucket.saturate()
                pause = max(pause, 1.0 / self.bucket.rate)
            with self._lock:
                self.stats.retries += 1
                self.stats.waited += pause
            log.warning("%s; retry %d of %d in %.1f s", failure, attempt, self.max_retries, pause)
            self._sleep(pause)

    def _portal_answered(self) -> None:
        with self._lock:
            self._failing_since = None

    def _give_up_if_down_too_long(self, exc: errors.PortalError) -> None:
        """Count one more failure of the portal; raise PortalUnreachable once failures have gone
        on for give_up_after seconds with no answer between. Per-request retries cover short
        blips; this bounds a dead or vanished portal, whose requests the callers would otherwise
        send again and again."""
        now = self._clock()
        with self._lock:
            if self._failing_since is None or now - self._last_failure > self._idle_gap:
                self._failing_since = now
            self._last_failure = now
            down_for = now - self._failing_since
        if down_for >= self.give_up_after:
            raise errors.PortalUnreachable(
                f"{exc.description}; no usable answer for {down_for:.0f} s, gave up "
                f"(portal.give_up_after_seconds = {self.give_up_after:g})",
                code="UNREACHABLE", method=exc.method, http_status=exc.http_status,
            ) from None

    def _send_once(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self.checkpoint()
        waited = self.bucket.acquire()
        with self._lock:
            self.stats.requests += 1
            self.stats.waited += waited
        url = self._base + method
        try:
            response = self._http.post(url, json=params)
            if response.is_redirect and response.headers.get("location"):
                # A portal that moved answers 302; a redirected POST would lose its body.
                location = response.headers["location"]
                log.warning("portal moved: %s answered %d", method, response.status_code)
                response = self._http.post(location, json=params)
        except httpx.TransportError as exc:
            raise _transport_failure(exc, self.where, method) from None
        log.debug("%s -> HTTP %d", method, response.status_code)
        return self._parse(method, response)

    def _parse(self, method: str, response: httpx.Response) -> dict[str, Any]:
        status = response.status_code
        where = _where(response.url)
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        bitrix_error = isinstance(body, dict) and body.get("error") is not None and "result" not in body
        # Answers no Bitrix24 portal gives: a server that does not take POST (501, 405), a page
        # missing (404) other than Bitrix24's own JSON ERROR_METHOD_NOT_FOUND, a web page.
        if status == 501 or (status in (404, 405) and not bitrix_error) or (status < 400 and not isinstance(body, dict)):
            what = f"HTTP {status} {response.reason_phrase}".rstrip()
            if _is_html(response):
                what += ", an HTML page"
            elif not isinstance(body, dict):
                what += f" ({response.headers.get('content-type', 'no content type')})"
            raise errors.WrongPortal(
                f"{where} answered {what}, not Bitrix24's JSON: no Bitrix24 portal at this URL; check "
                "portal.webhook_url", code="WRONG_URL", method=method, http_status=status,
            )
        if bitrix_error:
            err = error_from_body(body, method=method, http_status=status)
            self._note(err)
            if isinstance(err, errors.OperationTimeLimit):
                err.reset_at = self.budget.blocked(method, None)
            raise err
        if status >= 500:
            raise errors.PortalUnavailable(f"{where} answered HTTP {status}", code=f"HTTP_{status}", method=method,
                                           http_status=status)
        if status >= 400 or not isinstance(body, dict):
            cls = errors.AuthFailed if status == 401 else errors.PortalProtocolError
            raise cls(
                f"{where}: unexpected answer ({response.headers.get('content-type', 'no content type')})",
                code=f"HTTP_{status}", method=method, http_status=status,
            )
        return body

    def _note(self, err: errors.PortalError) -> None:
        with self._lock:
            if isinstance(err, errors.RateLimited):
                self.stats.rate_limited += 1
            elif isinstance(err, errors.OperationTimeLimit):
                self.stats.time_limited += 1


def _where(url: httpx.URL) -> str:
    """host:port of a URL, the port spelled out even when it is the scheme's default."""
    host = f"[{url.host}]" if ":" in url.host else url.host
    port = url.port or (443 if url.scheme == "https" else 80)
    return f"{host}:{port}"


def _is_html(response: httpx.Response) -> bool:
    return "html" in response.headers.get("content-type", "") or response.content.lstrip()[:1] == b"<"


# OpenSSL's reasons for a TLS handshake answered in plain HTTP (their wording varies by version).
_PLAIN_HTTP = ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "HTTP_REQUEST", "UNKNOWN_PROTOCOL",
               "PACKET_LENGTH_TOO_LONG")


_NO_SUCH_HOST = ("name or service not known", "nodename nor servname", "getaddrinfo failed",
                 "temporary failure in name resolution", "no address associated")


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and what it was raised from (httpx wraps httpcore, which wraps the OS error)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _transport_failure(exc: httpx.TransportError, where: str, method: str) -> errors.PortalError:
    """The error for a request that got no HTTP answer, saying in words what happened.

    Only host:port and fixed phrases go into the text: an OS or httpx message may quote the URL.
    """
    chain = _causes(exc)
    # The OS error is looked for both as a cause and in the text: httpcore passes its words on,
    # and a chain may be cut (a mocked transport's is).
    text = " ".join(str(e) for e in chain).lower()
    tls = next((e for e in chain if isinstance(e, ssl.SSLError)), None)
    if isinstance(exc, httpx.ConnectError) and (tls is not None or "[ssl" in text):
        said = f"{getattr(tls, 'reason', None) or ''} {text}".upper().replace(" ", "_")
        if any(reason in said for reason in _PLAIN_HTTP):
            return errors.WrongPortal(
                f"{where}: the portal does not speak https on this port (TLS handshake answered in plain "
                "HTTP); check portal.webhook_url", code="NOT_HTTPS", method=method,
            )
    if isinstance(exc, httpx.ConnectTimeout):
        return errors.PortalTimeout(f"{where}: connecting timed out", code="TIMEOUT", method=method)
    if isinstance(exc, httpx.TimeoutException):
        return errors.PortalTimeout(f"{where}: timed out waiting for the answer ({type(exc).__name__})",
                                    code="TIMEOUT", method=method)
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "refused" in text:
        what = "connection refused (nothing listens on that port)"
    elif any(isinstance(e, socket.gaierror) for e in chain) or any(w in text for w in _NO_SUCH_HOST):
        what = "host name not found"
    elif any(isinstance(e, ConnectionResetError) for e in chain) or "reset" in text:
        what = "connection reset"
    elif isinstance(exc, httpx.RemoteProtocolError):
        what = "connection closed without an answer"
    elif tls is not None:
        what = f"TLS failed ({redact(type(tls).__name__)}: {redact(getattr(tls, 'reason', None) or 'no reason given')})"
    else:
        what = f"connection failed ({type(exc).__name__})"
    return errors.PortalTimeout(f"{where}: {what}", code="CONNECTION", method=method)


def _as_map(value: Any) -> dict[str, Any]:
    """PHP serializes an empty map as [] and a list-keyed one as a list."""
    if isinstance(value, dict):
        return value
    if isinstance(value, list):
        return {str(i): v for i, v in enumerate(value)}
    return {}


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


__all__ = ["BatchResponse", "ClientStats", "PortalClient", "Response", "MASK"]
