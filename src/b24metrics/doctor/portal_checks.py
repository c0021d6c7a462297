"""Checks against the live portal: the webhook and its scopes, the custom fields the config
names, the portal's time zone. Reads only: list and time methods, never an add or an update."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from b24metrics.config import FEATURES, Settings
from b24metrics.doctor.check import Check, ok, problem, warning
from b24metrics.errors import B24MetricsError
from b24metrics.portal import PortalClient
from b24metrics.redact import redact
from b24metrics.writeback import field_specs

#: scope -> what needs it; a scope is met by any of the names listed with it
NEEDED_SCOPES: dict[str, tuple[tuple[str, ...], str]] = {
    "crm": (("crm",), "leads, deals, companies, contacts, activities, and the write-back"),
    "telephony": (("telephony",), "the calls (voximplant.statistic.get)"),
    "user": (("user", "user_brief", "user_basic"), "the managers (user.get)"),
}
UF_ENTITIES = {"lead": "crm.lead", "deal": "crm.deal", "company": "crm.company"}
# Rule operators that compare by order: on a text field they compare letters, not numbers.
ORDERED_OPS = {">", ">=", "<", "<="}
ORDERED_TYPES = {"integer", "double", "money", "date", "datetime"}


@dataclass
class PortalFacts:
    """What the doctor read from the portal, for the checks that compare the config with it."""

    scopes: list[str]
    now: datetime | None                       # the portal's clock, in its own offset
    admin: bool | None                         # the webhook's user (profile.ADMIN)
    userfields: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # entity -> name -> row
    sources: dict[str, str] = field(default_factory=dict)    # code or name (casefolded) -> the source's name


def _all_pages(client: PortalClient, method: str, params: dict[str, Any]) -> list[Any]:
    rows: list[Any] = []
    start: int | None = 0
    while start is not None:
        answer = client.call(method, {**params, "start": start})
        rows += answer.result if isinstance(answer.result, list) else []
        start = answer.next
    return rows


def read_portal(client: PortalClient) -> PortalFacts:
    """The scopes first (the cheapest call a webhook of any scope may make), then the rest."""
    scopes = client.call("scope").result
    facts = PortalFacts(scopes=[str(s) for s in scopes] if isinstance(scopes, list) else [], now=None, admin=None)
    try:
        facts.now = datetime.fromisoformat(str(client.call("server.time").result))
    except ValueError:
        facts.now = None
    profile = client.call("profile").result
    if isinstance(profile, dict):
        facts.admin = bool(profile.get("ADMIN"))
    if "crm" in facts.scopes:
        for entity, prefix in UF_ENTITIES.items():
            rows = _all_pages(client, f"{prefix}.userfield.list", {"order": {"ID": "ASC"}})
            facts.userfields[entity] = {str(r.get("FIELD_NAME")): r for r in rows if isinstance(r, dict)}
        for row in _all_pages(client, "crm.status.list", {"filter": {"ENTITY_ID": "SOURCE"}}):
            code, name = str(row.get("STATUS_ID") or ""), str(row.get("NAME") or row.get("STATUS_ID") or "")
            facts.sources[code.casefold()] = name
            facts.sources[name.casefold()] = name
    return facts


def webhook_check(client: PortalClient | None) -> tuple[Check, PortalFacts | None]:
    """The webhook answers, with the scopes the sync needs; the facts the other checks compare with."""
    name = "webhook"
    if client is None:
        return problem(name, "portal.webhook_url is not set", "set it in the config file or as "
                       "B24M_PORTAL__WEBHOOK_URL (an inbound webhook with the scopes crm, telephony, user)"), None
    try:
        facts = read_portal(client)
    except B24MetricsError as exc:
        return problem(name, f"{client.where} did not answer as a Bitrix24 portal: {redact(str(exc))}",
                       "check portal.webhook_url: create the inbound webhook again if it was deleted "
                       "(Developer resources -> Other -> Inbound webhook)"), None
    missing = [scope for scope, (names, _) in NEEDED_SCOPES.items() if not set(names) & set(facts.scopes)]
    if missing:
        needs = "; ".join(f"{s} for {NEEDED_SCOPES[s][1]}" for s in missing)
        return problem(name, f"{client.where} answers, but the webhook lacks the scope {', '.join(missing)} ({needs})",
                       f"edit the inbound webhook on the portal and tick {', '.join(missing)}"), facts
    detail = f"{client.where} answers; scopes {', '.join(sorted(facts.scopes))}"
    if facts.admin is False:
        return warning(name, detail + "; the webhook's user is not a portal administrator",
                       "`fields setup` and the write-back create custom fields, which needs an administrator: "
                       "create the webhook as one, or create the fields by hand"), facts
    return ok(name, detail), facts


def _describe(row: dict[str, Any]) -> str:
    kind = str(row.get("USER_TYPE_ID"))
    return f"{kind} (multiple)" if row.get("MULTIPLE") == "Y" else kind


def rule_fields_check(settings: Settings, facts: PortalFacts) -> Check:
    """Every UF_CRM_ field a grading rule tests exists on the leads, with a type its operator suits."""
    name = "grading rule fields"
    fields = facts.userfields.get("lead", {})
    missing: list[str] = []
    unsuited: list[str] = []
    named = 0
    for rule in settings.grading.rules:
        for cond in rule.when:
            if cond.field in FEATURES:
                continue
            named += 1
            row = fields.get(cond.field)
            if row is None:
                missing.append(f"{cond.field} (rule {rule.label!r})")
            elif cond.op in ORDERED_OPS and row.get("USER_TYPE_ID") not in ORDERED_TYPES:
                unsuited.append(f"{cond.field} is {_describe(row)}, compared with {cond.op} (rule {rule.label!r})")
    if missing:
        return problem(name, f"the portal's leads have no field {', '.join(missing)}: the rule never fires",
                       "correct the field name in [[grading.rules]] (as the portal names it, UF_CRM_...) "
                       "or create the field on the portal")
    if unsuited:
        return warning(name, "; ".join(unsuited) + ": compared as text, not as numbers",
                       "use = or in with such a field, or a number field on the portal")
    if not named:
        return ok(name, "the rules test built-in lead features only")
    return ok(name, f"{named} custom field condition(s), each on a lead field of a suitable type")


def writeback_fields_check(settings: Settings, facts: PortalFacts) -> Check:
    """The write-back's fields: of the type it writes, or missing (then created on the first
    write-back, if the webhook's user may)."""
    name = "write-back fields"
    if not settings.writeback.enabled:
        return ok(name, "write-back is off (writeback.enabled = false)")
    specs = field_specs(settings.writeback)
    wrong, missing = [], []
    for spec in specs:
        row = facts.userfields.get(spec.entity, {}).get(spec.name)
        if row is None:
            missing.append(f"{spec.entity} {spec.name}")
        elif row.get("USER_TYPE_ID") != spec.user_type or row.get("MULTIPLE") == "Y":
            wrong.append(f"{spec.entity} {spec.name} is {_describe(row)}, not {spec.user_type}")
    if wrong:
        return problem(name, "; ".join(wrong) + ": its values are not written",
                       "name another field in [writeback.*_fields] (fields setup then creates it), or delete "
                       "that field on the portal")
    if missing:
        # Not a fault: the write-back creates its fields (an administrator's webhook, checked above).
        return ok(name, f"not on the portal yet, the first write-back creates them (or `b24metrics fields "
                  f"setup`): {', '.join(missing)}")
    return ok(name, f"{len(specs)} field(s), each of the type written into it")


def rejection_field_check(settings: Settings, facts: PortalFacts) -> Check | None:
    field_name = settings.kpis.rejection_field
    if not field_name:
        return None
    on = [entity for entity in ("lead", "deal") if field_name in facts.userfields.get(entity, {})]
    if not on:
        return problem("rejection field", f"kpis.rejection_field {field_name} is a field of neither the "
                       "leads nor the deals: rejection reasons (M6) stay empty",
                       "name the field as the portal has it (UF_CRM_...), or remove the setting")
    return ok("rejection field", f"{field_name} is a field of the {' and '.join(on)}s")


def _offset_text(delta: timedelta | None) -> str:
    minutes = int((delta or timedelta()).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def timezone_check(settings: Settings, facts: PortalFacts) -> Check:
    """kpis.timezone against the offset the portal's own clock answers in (server.time)."""
    name = "time zone"
    zone = settings.kpis.timezone
    if facts.now is None or facts.now.utcoffset() is None:
        return warning(name, "server.time gave no time with an offset: not checked",
                       'keep kpis.timezone = "portal": periods then follow the offset of the portal\'s dates')
    portal = _offset_text(facts.now.utcoffset())
    if zone == "portal":
        return ok(name, f"the portal answers in {portal}; periods begin at midnight there (kpis.timezone = \"portal\")")
    try:
        if zone[:1] in "+-":
            ours = _offset_text(datetime.fromisoformat(f"2000-01-01T00:00:00{zone}").utcoffset())
        else:
            ours = _offset_text(facts.now.astimezone(ZoneInfo(zone)).utcoffset())
    except (ValueError, ZoneInfoNotFoundError):
        return problem(name, f"kpis.timezone {zone!r} is no offset and no time zone name",
                       'write "portal", an offset like "+03:00", or a name such as "Europe/Moscow"')
    if ours != portal:
        return problem(name, f"kpis.timezone {zone!r} is {ours} now, but the portal answers in {portal}: "
                       "days, weeks and months would begin at another midnight than the portal's",
                       f'set kpis.timezone = "portal" (or "{portal}")')
    return ok(name, f"kpis.timezone {zone!r} is {ours}, as the portal answers")
