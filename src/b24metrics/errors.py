"""One exception tree, grouped by what the caller does about it.

    B24MetricsError
    ├── RetryError        try the same thing again later
    │   ├── RateLimited           503 QUERY_LIMIT_EXCEEDED / OVERLOAD_LIMIT
    │   ├── OperationTimeLimit    429 OPERATION_TIME_LIMIT (wait until reset_at)
    │   ├── PortalUnavailable     5xx
    │   ├── PortalTimeout         timeouts and broken connections
    │   ├── PortalUnreachable     all of these for portal.give_up_after_seconds: the client gave up
    │   └── WarehouseBusy         another process holds the warehouse file
    ├── SkipError         skip this one item, record it, go on with the rest
    │   ├── RecordRejected        the portal refused one write (or one sub-command)
    │   └── BadRecord             a record that cannot be parsed
    ├── StopError         stop the run: a person has to act
    │   ├── AuthFailed            401: wrong webhook, expired token
    │   ├── AccessDenied          403: scope or permission missing
    │   ├── MethodNotFound        404
    │   ├── InvalidRequest        400 and other refusals of the request itself
    │   ├── PortalProtocolError   the portal answered something we cannot read
    │   │   └── WrongPortal           what answered cannot be a Bitrix24 portal (501, a 404 page, HTML, no TLS)
    │   ├── ConfigError           missing or invalid configuration
    │   │   ├── NotSynced             no warehouse or no KPI tables yet: sync first
    │   │   └── OutOfMemory           DuckDB needed more than a memory_limit setting allows
    │   └── WarehouseUnusable     the machine refuses the warehouse as it is
    │       ├── WarehouseReadOnly     its directory or file may not be written
    │       ├── WarehouseForeign      not a DuckDB file, or a damaged one
    │       ├── WarehouseTooNew       made by a newer b24metrics (schema revision unknown here)
    │       └── DiskFull              no room left to write it
    └── Interrupted       a stop was asked for (SIGTERM): what was committed stands, nothing new starts

Every portal error also is a PortalError carrying code, description, method and HTTP status.
Texts never hold the webhook secret: they are built from redacted pieces only.
"""

from __future__ import annotations


class B24MetricsError(Exception):
    """Base of every error b24metrics raises on purpose."""


class RetryError(B24MetricsError):
    """Transient: the same call may succeed later."""

    #: whether work refused with this error goes back in line within the same run
    send_again_in_run = True


class SkipError(B24MetricsError):
    """One item failed; record it and go on with the others."""


class StopError(B24MetricsError):
    """Retrying will not help; the run stops and a person has to act."""


class PortalError(B24MetricsError):
    """An error reported by (or on the way to) a Bitrix24 portal."""

    def __init__(
        self,
        description: str,
        *,
        code: str = "",
        method: str | None = None,
        http_status: int | None = None,
    ) -> None:
        self.code = code
        self.description = description
        self.method = method
        self.http_status = http_status
        super().__init__(self._text())

    def _text(self) -> str:
        where = f"{self.method}: " if self.method else ""
        code = self.code or "error"
        status = f" (HTTP {self.http_status})" if self.http_status else ""
        return f"{where}{code}{status}: {self.description}"


class RateLimited(PortalError, RetryError):
    """The portal's request bucket is full."""


class OperationTimeLimit(PortalError, RetryError):
    """A method spent its execution-time budget; it is blocked until reset_at (unix time)."""

    def __init__(self, description: str, *, reset_at: float | None = None, **kw) -> None:
        self.reset_at = reset_at
        super().__init__(description, **kw)


class PortalUnavailable(PortalError, RetryError):
    """The portal answered 5xx."""


class PortalTimeout(PortalError, RetryError):
    """No answer in time, or the connection broke."""


class PortalUnreachable(PortalError, RetryError):
    """Requests kept failing (refused, timed out, 5xx) for portal.give_up_after_seconds with no
    answer in between, so the client stopped retrying. Still transient, but nothing sends the
    refused work again in this run: a dead portal ends it in bounded time."""

    send_again_in_run = False


class WarehouseBusy(RetryError):
    """Another process holds the warehouse file for writing."""


class RecordRejected(PortalError, SkipError):
    """The portal refused one record (one update, one sub-command of a batch)."""


class BadRecord(SkipError):
    """A record whose values cannot be parsed."""


class AuthFailed(PortalError, StopError):
    """The webhook (or token) is wrong, expired or revoked."""


class AccessDenied(PortalError, StopError):
    """The webhook's user or scope may not call this method."""


class MethodNotFound(PortalError, StopError):
    """The portal does not know the method (or the scope is not granted)."""


class InvalidRequest(PortalError, StopError):
    """The portal refused the request itself."""


class PortalProtocolError(PortalError, StopError):
    """The portal answered something that does not follow the protocol."""


class WrongPortal(PortalProtocolError):
    """What answers at the webhook URL cannot be a Bitrix24 portal: HTTP 501, a 404 or an HTML page
    instead of Bitrix24's JSON, a plain-HTTP port behind an https URL. Retrying will not help."""


class ConfigError(StopError):
    """Configuration is missing or invalid. The text names the key and the file."""


class NotSynced(ConfigError):
    """The warehouse file, or its KPI tables, does not exist yet: `b24metrics sync` makes them.
    A ConfigError because the usual cause is a warehouse.path that names the wrong file."""


class OutOfMemory(ConfigError):
    """DuckDB needed more memory than the memory_limit setting in force let it have. The text
    names that setting (warehouse.memory_limit, or kpis.memory_limit for the KPI refresh, the
    report and the export): the fix is to raise it."""


class WarehouseUnusable(StopError):
    """The warehouse cannot be used as it is on this machine: a person must act on the file, its
    directory or the disk (the text names the file and what to do). What was committed stands."""


class WarehouseReadOnly(WarehouseUnusable):
    """The warehouse's directory or file may not be written (permissions, a read-only mount)."""


class WarehouseForeign(WarehouseUnusable):
    """warehouse.path holds something that is not a DuckDB database (a SQLite file, a CSV), or a
    DuckDB file too damaged to open."""


class WarehouseTooNew(WarehouseUnusable):
    """The warehouse's schema revision is none this b24metrics knows: a newer version made or
    upgraded it, and an older one must not write it."""


class DiskFull(WarehouseUnusable):
    """No room left to write the warehouse (or its file size limit reached). The transaction
    under way rolled back: the file is as it was before it, usable once there is room."""


class Interrupted(B24MetricsError):
    """A stop was asked for (SIGTERM or SIGINT to the daemon). Raised before a new request or
    step would start, never inside a transaction: every answer received so far is committed."""


# -- exit codes ------------------------------------------------------------------------------
# What the `b24metrics` process returns. The CLI's help and the README's table are both made
# from EXIT_CODES (tests/test_docs.py holds the README to it): a code's meaning is said once.

EXIT_OK, EXIT_INTERNAL, EXIT_CONFIG, EXIT_STOP, EXIT_RETRY = 0, 1, 2, 3, 4
EXIT_BUSY = 5   # another process writes the warehouse: nothing was done, and nothing is wrong
EXIT_GATE = 6   # the write-back quality gate said no: nothing was written, the reasons are printed
EXIT_WAREHOUSE = 7  # the machine refuses the warehouse: read-only, not DuckDB, too new, disk full
EXIT_INTERRUPTED = 130

EXIT_CODES: tuple[tuple[int, str], ...] = (
    (EXIT_OK, "done"),
    (EXIT_INTERNAL, "an internal error: a bug, not something the configuration or the portal did (the line "
                    "names it; `--log-level DEBUG` logs the traceback)"),
    (EXIT_CONFIG, "configuration missing or invalid (`portal.webhook_url` only for the commands that call the "
                  "portal: sync, writeback, fields setup, run); `kpi NAME`, `explain`, `report` and `export` also "
                  "when `warehouse.path` holds no warehouse or no KPI tables yet: sync first; a bad option or "
                  "argument, `explain` of a lead or deal the warehouse does not hold among them; out of memory: the "
                  "line names the memory limit to raise (`warehouse.memory_limit` or `kpis.memory_limit`)"),
    (EXIT_STOP, "the portal refused us (wrong webhook, no access), the webhook URL leads to no Bitrix24 portal, "
                "or `fields setup` found a field of another type: a person must act"),
    (EXIT_RETRY, "a transient failure persisted (portal unavailable after retries, or unreachable for "
                 "`portal.give_up_after_seconds`): try again later"),
    (EXIT_BUSY, "the warehouse is busy: another sync or a daemon cycle is writing it (the line names its pid "
                "and start time), or a reader waited `warehouse.busy_timeout` for it; nothing was done: run "
                "it again later, or with `--wait`"),
    (EXIT_GATE, "the write-back quality gate said no (the reasons are printed; nothing was written)"),
    (EXIT_WAREHOUSE, "the warehouse cannot be used as it is: its directory or file is read-only, `warehouse.path` "
                     "holds no DuckDB database (or a damaged one), a newer b24metrics made it (the line names its "
                     "schema revision), or the disk is full; what was committed stands: a person must act, "
                     "then run it again"),
    (EXIT_INTERRUPTED, "interrupted (Ctrl-C or SIGTERM): what was committed stands, and the run is recorded "
                       "as interrupted"),
)


def exit_codes_markdown() -> str:
    """The README's table of exit codes (`python -m b24metrics.errors` prints it)."""
    rows = [f"| `{code}` | {meaning} |" for code, meaning in EXIT_CODES]
    return "\n".join(["| exit code | meaning |", "|---|---|", *rows])


def exit_codes_text() -> str:
    """The same as one paragraph of plain text, for the CLI's help."""
    return "Exit codes: " + "; ".join(f"{code} {meaning.replace('`', '')}" for code, meaning in EXIT_CODES) + "."


if __name__ == "__main__":
    print(exit_codes_markdown())
