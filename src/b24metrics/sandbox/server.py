"""HTTP front of the sandbox portal and the :class:`SandboxPortal` class.

A ``ThreadingHTTPServer`` (HTTP/1.1, keep-alive) on 127.0.0.1 that answers
inbound-webhook calls ``/rest/<user_id>/<token>/<method>[.json]`` the way
Bitrix24 does.  Request handling, in order:

1. count the request (``stats.http_requests``);
2. path must be ``/rest/<user>/<token>/<method>``, else 404;
3. wrong user id or token -> 401 ``NO_AUTH_FOUND`` (the token is never echoed);
4. an injected delay (``portal.faults.delay_next``) makes it wait;
5. an injected fault (``portal.faults``) answers instead, if one applies;
6. the leaky bucket refuses -> 503 ``QUERY_LIMIT_EXCEEDED``;
7. parameters: query string merged with the JSON / form / multipart body;
8. the method runs (see :func:`~.methods.execute`); unknown -> 404 ``ERROR_METHOD_NOT_FOUND``.

Before any answer goes out, the ``portal.on_request`` callbacks due run, then
the handler sleeps ``portal.latency`` seconds.
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
import socket
import sys
import threading
import time
import traceback
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import unquote, urlsplit

from . import batch as _batch  # noqa: F401  (registers the "batch" method)
from . import methods_deals as _deals  # noqa: F401  (registers crm.deal.*, crm.contact.*, crm.category.list)
from . import methods_streams as _streams  # noqa: F401  (activities, stage history, users, telephony)
from .bucket import LeakyBucket
from .cost import CostModel
from .data import generate
from .datetimes import format_ts, parse_offset
from .envelope import RestError
from .faults import Faults
from .hooks import RequestHooks
from .methods import execute, normalize_method
from .phpquery import parse_php_query, php_params_from_pairs
from .scopes import ALL_SCOPES
from .state import PortalState
from .stats import OperatingMeter, Stats

__all__ = ["SandboxPortal"]

_PATH = re.compile(r"^/rest/([^/]*)/([^/]*)/([^/]*)/?$")
MAX_BODY = 64 * 1024 * 1024


#: corrupt()'s entity names -> (state table, modification-time field)
_ENTITIES: dict[str, tuple[str, str | None]] = {
    "lead": ("leads", "DATE_MODIFY"), "leads": ("leads", "DATE_MODIFY"),
    "deal": ("deals", "DATE_MODIFY"), "deals": ("deals", "DATE_MODIFY"),
    "contact": ("contacts", "DATE_MODIFY"), "contacts": ("contacts", "DATE_MODIFY"),
    "company": ("companies", "DATE_MODIFY"), "companies": ("companies", "DATE_MODIFY"),
    "activity": ("activities", "LAST_UPDATED"), "activities": ("activities", "LAST_UPDATED"),
    "call": ("calls", None), "calls": ("calls", None),
}


class _BadRequest(Exception):
    pass


def _json_body(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _BadRequest(f"Invalid JSON: {exc.msg if hasattr(exc, 'msg') else exc}") from None
    if isinstance(data, dict):
        return data
    if data == [] or data is None:
        return {}
    raise _BadRequest("The request body must be a JSON object.")


def _multipart_body(raw: bytes, content_type: str) -> dict[str, Any]:
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw)
    pairs = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name is None:
            continue
        payload = part.get_payload(decode=True) or b""
        pairs.append((str(name), payload.decode("utf-8", errors="replace")))
    return php_params_from_pairs(pairs)


def _body_params(raw: bytes, content_type: str) -> dict[str, Any]:
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        return _json_body(raw)
    if media == "multipart/form-data":
        return _multipart_body(raw, content_type)
    if media == "application/x-www-form-urlencoded":
        return parse_php_query(raw)
    if not raw.strip():
        return {}
    if raw.lstrip()[:1] in (b"{", b"["):
        return _json_body(raw)
    return parse_php_query(raw)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Bitrix24-Sandbox"
    disable_nagle_algorithm = True
    timeout = 120

    server: "_Server"

    # -- plumbing

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def version_string(self) -> str:
        return self.server_version

    def handle_one_request(self) -> None:
        self._counted = False
        self._seq = 0
        super().handle_one_request()

    def _count_request(self) -> None:
        if not self._counted:
            self._counted = True
            self.server.portal.stats.add("http_requests")
            self._seq = self.server.portal._hooks.arrived()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Protocol-level errors (bad request line, header too long, ...) as JSON too."""
        self.close_connection = True
        self.request_version = self.protocol_version  # always send a status line and headers
        self._count_request()
        text = (message or "Bad request").replace(self.server.portal.token, "***")
        try:
            self._error(code, "INVALID_REQUEST", text)
        except OSError:
            pass

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            size = 0
            while True:
                line = self.rfile.readline(65537)
                length = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if length == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                size += length
                if size > MAX_BODY:
                    raise _BadRequest("Request body too large.")
                chunks.append(self.rfile.read(length))
                self.rfile.readline(65537)
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise _BadRequest("Request body too large.")
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status: int, payload: Any) -> None:
        portal = self.server.portal
        portal._hooks.run_due(self._seq, portal)
        if portal.latency > 0:
            time.sleep(portal.latency)
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        # count before the body goes out: a client may act on the answer at once
        self.server.portal.stats.count_status(status)
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, error: str, description: str) -> None:
        self._send(status, {"error": error, "error_description": description})

    # -- requests

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_HEAD = do_DELETE = do_PATCH = do_GET

    def _handle(self) -> None:
        with self.server.portal.faults.handling():
            self._handle_one()

    def _handle_one(self) -> None:
        portal = self.server.portal
        received = portal.clock()  # the portal's own clock, as DATE_MODIFY uses
        self._count_request()
        try:
            raw_body = self._read_body()
        except (_BadRequest, ValueError) as exc:
            self.close_connection = True
            self._error(400, "INVALID_REQUEST", str(exc) if isinstance(exc, _BadRequest) else "Bad request body.")
            return
        url = urlsplit(self.path)
        match = _PATH.match(url.path)
        if match is None:
            self._error(404, "NOT_FOUND", "Not found")
            return
        user_id, token, method = (unquote(part) for part in match.groups())
        if not (hmac.compare_digest(user_id.encode(), str(portal.user_id).encode())
                and hmac.compare_digest(token.encode(), portal.token.encode())):
            self._error(401, "NO_AUTH_FOUND", "Wrong authorization data")
            return
        method = normalize_method(method)
        delay = portal.faults.take_delay(method)
        if delay > 0:
            time.sleep(delay)
        fault = portal.faults.take(method)
        if fault is not None:
            self._error(fault.status, fault.error, fault.description)
            return
        if not portal.bucket.try_acquire():
            portal.stats.add("rejected_503")
            self._error(503, "QUERY_LIMIT_EXCEEDED", "Too many requests")
            return
        try:
            params = parse_php_query(url.query)
            params.update(_body_params(raw_body, self.headers.get("Content-Type") or ""))
            params.pop("auth", None)
            outcome, time_info = execute(portal, method, params)
        except _BadRequest as exc:
            self._error(400, "INVALID_REQUEST", str(exc))
            return
        except RestError as exc:
            self._error(exc.status, exc.error, exc.description)
            return
        except Exception:  # a sandbox bug: answer like Bitrix, keep the trace visible
            traceback.print_exc(file=sys.stderr)
            self._error(500, "INTERNAL_SERVER_ERROR", "Internal server error")
            return
        time_info["start"] = received
        time_info["duration"] = time_info["finish"] - received
        time_info["date_start"] = portal.format_time(received)
        payload: dict[str, Any] = {"result": outcome.result}
        if outcome.next is not None:
            payload["next"] = outcome.next
        if outcome.total is not None:
            payload["total"] = outcome.total
        payload["time"] = time_info
        self._send(200, payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512

    def __init__(self, address: tuple[str, int], portal: "SandboxPortal") -> None:
        self.portal = portal
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, connection: socket.socket, alive: bool) -> None:
        with self._connections_lock:
            if alive:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # the client gave up (timeout, closed socket) before the answer went out
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
            self._connections.clear()
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class SandboxPortal:
    """A Bitrix24 portal on 127.0.0.1 with seeded CRM data (see package docs).

    Sizes: ``leads``; ``companies`` (default ``max(20, leads // 5)``);
    ``deals`` (default ``max(10, round(leads / 3))``, 0 without leads);
    ``contacts`` (default ``leads // 2``); ``users`` (at least the 8 that own
    leads); ``activities`` (default 3 per lead and deal, at most 30,000);
    ``calls`` (telephony records, default ``activities // 3``).

    Portal shape: ``size_field`` adds the "company size" enumeration user field that the
    leads' CRM form fills; ``default_bands`` keeps Bitrix24's own EMPLOYEES bands (top band
    «более 500», no «более 1000»).  The default portal has neither.

    Realism knobs (constructor keywords and attributes; the defaults change nothing):

    - ``cost``: a :class:`~.cost.CostModel` prices every call in simulated
      portal seconds (counting ``total`` and deep offsets cost, keyset pages
      do not); ``None`` books the measured run time.
    - ``latency``: seconds every HTTP answer waits before it goes out;
      ``call_latency``: seconds every executed method call waits (batch
      sub-commands included); ``latency_from_cost``: a call also waits this
      fraction of its simulated cost (deep offset pages answer slower).
    - ``time_scale``: the operating meter's 10-minute window lasts
      ``600 / time_scale`` real seconds (costs stay in portal seconds), so the
      480 s limit and its reset can be tested in seconds.
    - ``faults`` (``fail_next``, ``storm``, ``delay_next``, ``hold``), ``block_method``,
      ``on_request`` and ``corrupt``: see their docs.
    """

    def __init__(self, seed: int = 1, leads: int = 500, companies: int | None = None,
                 user_id: int = 1, token: str | None = None, rate: float = 2.0,
                 burst: float = 50, tz: str = "+03:00", host: str = "127.0.0.1",
                 port: int = 0, operating_limit: float | None = 480.0, deals: int | None = None,
                 contacts: int | None = None, users: int = 8, activities: int | None = None,
                 calls: int | None = None, cost: CostModel | None = None, latency: float = 0.0,
                 call_latency: float = 0.0, latency_from_cost: float = 0.0,
                 time_scale: float = 1.0, size_field: bool = False, default_bands: bool = False) -> None:
        self.seed = seed
        self.user_id = user_id
        self.token = token if token is not None else secrets.token_hex(8)
        self.tz = tz
        self.tzinfo = parse_offset(tz)
        #: what ``scope`` answers: the scopes the webhook was created with (a test may take one away)
        self.scopes: list[str] = list(ALL_SCOPES)
        self.host = host
        self._requested_port = port
        #: wall clock used for DATE_MODIFY, MOVED_TIME, server.time (replaceable in tests)
        self.clock: Callable[[], float] = time.time
        self.state = generate(PortalState(), seed, leads, companies, self.tzinfo, deals=deals,
                              contacts=contacts, users=users, activities=activities, calls=calls,
                              size_field=size_field, default_bands=default_bands)
        #: crm.stagehistory.list hides a deal's rows from pipelines it has left, as Bitrix24 does
        self.stagehistory_current_pipeline_only = True
        self.stats = Stats()
        self.faults = Faults()
        self.bucket = LeakyBucket(rate, burst)
        self.operating = OperatingMeter(clock=lambda: self.clock())
        #: seconds of execution per method per 10 minutes before 429 OPERATION_TIME_LIMIT (None = off)
        self.operating_limit = operating_limit
        #: simulated extra processing seconds per call, by method (see set_method_cost)
        self.method_costs: dict[str, float] = {}
        #: prices each call in portal seconds (None = book the measured time)
        self.cost = cost
        #: seconds each HTTP answer waits before it goes out
        self.latency = float(latency)
        #: seconds each executed method call waits (batch sub-commands included)
        self.call_latency = float(call_latency)
        #: fraction of its simulated cost a method call waits
        self.latency_from_cost = float(latency_from_cost)
        self.time_scale = time_scale
        self._hooks = RequestHooks()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._lifecycle = threading.Lock()

    # -- lifecycle

    def start(self) -> "SandboxPortal":
        with self._lifecycle:
            if self._server is not None:
                return self
            server = _Server((self.host, self._requested_port), self)
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                      name=f"b24-sandbox-{server.server_address[1]}", daemon=True)
            thread.start()
            self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        with self._lifecycle:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.close_connections()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> "SandboxPortal":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- addresses

    @property
    def port(self) -> int:
        server = self._server
        if server is not None:
            return int(server.server_address[1])
        return int(self._requested_port)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def webhook_url(self) -> str:
        return f"{self.base_url}/rest/{self.user_id}/{self.token}/"

    # -- knobs

    @property
    def rate(self) -> float:
        """Drain rate of the leaky bucket (requests per second)."""
        return self.bucket.rate

    @property
    def burst(self) -> float:
        """Capacity of the leaky bucket."""
        return self.bucket.burst

    def set_limits(self, rate: float | None = None, burst: float | None = None,
                   operating_limit: float | None | object = ...) -> None:
        """Change the leaky bucket at run time (also empties it); optionally the
        per-method operating limit too (``None`` turns it off)."""
        self.bucket.configure(rate=rate, burst=burst)
        if operating_limit is not ...:
            self.operating_limit = operating_limit  # type: ignore[assignment]

    def set_method_cost(self, method: str, seconds: float) -> None:
        """Book ``seconds`` of extra processing on every call of ``method``
        (without sleeping), to drive the operating limit in tests."""
        name = normalize_method(method)
        if seconds:
            self.method_costs[name] = float(seconds)
        else:
            self.method_costs.pop(name, None)

    @property
    def time_scale(self) -> float:
        """Portal seconds per real second of the operating window (600 / ``operating.WINDOW``)."""
        return 600.0 / self.operating.WINDOW

    @time_scale.setter
    def time_scale(self, scale: float) -> None:
        if not scale > 0:
            raise ValueError("time_scale must be > 0")
        self.operating.WINDOW = 600.0 / float(scale)

    def block_method(self, method: str, seconds: float) -> None:
        """``method`` answers 429 ``OPERATION_TIME_LIMIT`` (inside a batch: a
        per-command error) for the next ``seconds`` real seconds, whatever it
        has spent; meanwhile its ``operating_reset_at`` is that moment.
        ``seconds <= 0`` lifts the block."""
        self.operating.block(normalize_method(method), float(seconds))

    def on_request(self, callback: Callable[["SandboxPortal"], Any], after: int = 1) -> None:
        """Run ``callback(portal)`` once, just before the answer to the
        ``after``-th HTTP request from now goes out (see :mod:`.hooks`)."""
        self._hooks.add(callback, after)

    def corrupt(self, entity: str, record_id: int, field: str, value: Any) -> None:
        """Store ``value`` as is (valid or not) in ``field`` of one record, as a
        broken integration or a manual DB edit would, and bump its modification
        time (DATE_MODIFY; LAST_UPDATED for activities) so incremental syncs
        see it.  ``entity``: lead, deal, contact, company, activity or call."""
        table_name, stamp = _ENTITIES.get(entity.strip().lower().removeprefix("crm."), (None, None))
        if table_name is None:
            raise ValueError(f"unknown entity {entity!r}; one of {sorted(set(_ENTITIES))}")
        with self.state.lock:
            record = getattr(self.state, table_name).get(int(record_id))
            if record is None:
                raise KeyError(f"no {entity} with ID {record_id}")
            record[field] = value
            if stamp is not None and field != stamp:
                record[stamp] = self.format_time(self.clock())

    def format_time(self, ts: float) -> str:
        """Unix time -> ISO 8601 in the portal's offset."""
        return format_ts(ts, self.tzinfo)

    def __repr__(self) -> str:
        running = "running" if self._server is not None else "stopped"
        return f"<SandboxPortal {self.base_url} leads={len(self.state.leads)} {running}>"
