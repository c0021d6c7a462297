"""`b24metrics doctor`: read-only checks of the settings against the portal and the warehouse.

Each check is a line (a name, ok / warning / problem, what was found, the fix); the CLI renders
them and exits by the worst, and anything else (a health endpoint) may run the same list. Nothing
here writes: the portal is asked with list and time methods only, the warehouse is opened
read-only and never created or upgraded.
"""

from __future__ import annotations

from b24metrics.config import Settings
from b24metrics.doctor.check import EXIT_BY_STATUS, Check, Status, exit_code, worst
from b24metrics.doctor.input_checks import input_file_checks, rates_check, tracking_check
from b24metrics.doctor.portal_checks import (
    PortalFacts,
    rejection_field_check,
    rule_fields_check,
    timezone_check,
    webhook_check,
    writeback_fields_check,
)
from b24metrics.doctor.warehouse_checks import WarehouseFacts, daemon_check, memory_check, read_facts, schema_check
from b24metrics.errors import B24MetricsError
from b24metrics.portal import PortalClient
from b24metrics.redact import redact
from b24metrics.warehouse import Warehouse

__all__ = ["EXIT_BY_STATUS", "Check", "Status", "exit_code", "run_checks", "worst"]

#: the doctor asks a few quick questions: a portal that does not answer is one line, soon
_GIVE_UP_SECONDS = 20.0


def _client(settings: Settings) -> PortalClient | None:
    p = settings.portal
    if p.webhook_url is None:
        return None
    return PortalClient(p.webhook_url.get_secret_value(), rate=p.rate, burst=p.burst, timeout=min(p.timeout, 15.0),
                        max_retries=min(p.max_retries, 2), operating_limit=p.operating_limit,
                        give_up_after=min(p.give_up_after_seconds, _GIVE_UP_SECONDS))


def portal_checks(settings: Settings) -> tuple[list[Check], PortalFacts | None]:
    client = _client(settings)
    try:
        first, facts = webhook_check(client)
    finally:
        if client is not None:
            client.close()
    checks = [first]
    if facts is None:
        return checks, None
    if "crm" in facts.scopes:
        checks += [rule_fields_check(settings, facts), writeback_fields_check(settings, facts)]
        rejection = rejection_field_check(settings, facts)
        checks += [rejection] if rejection is not None else []
    checks.append(timezone_check(settings, facts))
    return checks, facts


def warehouse_checks(settings: Settings) -> tuple[list[Check], WarehouseFacts | None]:
    w = settings.warehouse
    warehouse = Warehouse(w.path, memory_limit=w.memory_limit, busy_timeout=min(w.busy_timeout, 5.0))
    schema, readable = schema_check(warehouse)
    if not readable:
        return [schema], None
    try:
        facts = read_facts(warehouse)
    except B24MetricsError as exc:
        return [schema, Check("warehouse", "warning", redact(str(exc)), "run the doctor again when that is done")], None
    return [schema, memory_check(settings, facts), daemon_check(settings, facts)], facts


def run_checks(settings: Settings) -> list[Check]:
    """Every check, in the order a person fixes things: the portal, the config against it, the
    inputs, the warehouse and the daemon."""
    portal, portal_facts = portal_checks(settings)
    stored, warehouse_facts = warehouse_checks(settings)
    sources = portal_facts.sources if portal_facts is not None and "crm" in portal_facts.scopes else None
    inputs = input_file_checks(settings, sources)
    tracking = tracking_check(settings, warehouse_facts.numbers_called if warehouse_facts else None)
    rates = rates_check(settings)
    inputs += [c for c in (tracking, rates) if c is not None]
    return portal + inputs + stored
