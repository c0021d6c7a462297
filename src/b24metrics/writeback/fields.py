"""The custom fields our KPIs go into, on leads, deals and companies. Idempotent: an existing
field of the right name and type is reused; one of the wrong type is reported, never touched,
and its values are not written."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from b24metrics import errors
from b24metrics.config import WritebackSettings
from b24metrics.portal import PortalClient
from b24metrics.warehouse import Warehouse

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entity:
    method: str            # crm.lead: the prefix of .update, .list, .userfield.*
    plural: str
    # Computed values are not news: no feed post, no notification, and (deals) no history
    # entry for every nightly change of a deal's age.
    update_params: tuple[tuple[str, str], ...] = (("REGISTER_SONET_EVENT", "N"),)


# keyed by the entity's name: lead, deal, company (also its key in raw_records)
ENTITIES = {
    "lead": Entity("crm.lead", "leads"),
    "deal": Entity("crm.deal", "deals", (("REGISTER_SONET_EVENT", "N"), ("REGISTER_HISTORY_EVENT", "N"))),
    "company": Entity("crm.company", "companies"),
}


@dataclass(frozen=True)
class FieldSpec:
    entity: str        # lead, deal, company
    key: str           # the value it holds: grade, cycle_days ... (the config mapping's key)
    name: str          # UF_CRM_...
    user_type: str     # string, double, integer, money
    label_ru: str
    label_en: str
    precision: int | None = None  # double: decimals we write (the portal rounds to its own)


# (entity, key) -> type, precision, Russian and English label. Keys are the config mapping's.
_CATALOGUE: dict[tuple[str, str], tuple[str, int | None, str, str]] = {
    ("lead", "grade"): ("string", None, "Грейд лида (A–D)", "Lead grade (A–D)"),
    # PRECISION 2 as the first release created it: existing portals keep their field.
    ("lead", "score"): ("double", 2, "Скоринг лида, 0–100", "Lead score, 0–100"),
    ("lead", "factors"): ("string", None, "Почему такой грейд", "Why this grade"),
    ("lead", "engagement"): ("integer", None, "Вовлечённость лида, 0–100", "Lead engagement, 0–100"),
    ("deal", "origin_grade"): ("string", None, "Грейд исходного лида", "Grade of the lead it came from"),
    ("deal", "cycle_days"): ("double", 1, "Цикл сделки, дней (открытая: возраст)", "Deal cycle, days (open: age)"),
    # Whole percent: a channel's rate moves with every deal it closes, and each move rewrites
    # every deal of the channel.
    ("deal", "channel_win_rate"): ("double", 0, "Конверсия канала в выигрыш, %", "Channel win rate, %"),
    ("company", "ltv"): ("money", None, "LTV: выручка по выигранным сделкам", "LTV: revenue of won deals"),
    ("company", "purchases"): ("integer", None, "Покупок (выигранных сделок)", "Purchases (won deals)"),
}


def field_specs(settings: WritebackSettings) -> list[FieldSpec]:
    """Every field the mapping names; a key set to "" is left out."""
    specs = []
    for entity, mapping in settings.mappings().items():
        for key, name in mapping.items():
            user_type, precision, ru, en = _CATALOGUE[(entity, key)]
            specs.append(FieldSpec(entity, key, name, user_type, ru, en, precision))
    return specs


@dataclass
class FieldsReport:
    existing: list[FieldSpec] = field(default_factory=list)
    created: list[FieldSpec] = field(default_factory=list)
    planned: list[FieldSpec] = field(default_factory=list)       # dry run: would be created
    wrong_type: list[tuple[FieldSpec, str]] = field(default_factory=list)  # and the type the portal has
    precision: dict[tuple[str, str], int] = field(default_factory=dict)    # (entity, name) -> the portal's

    def usable(self) -> list[FieldSpec]:
        """The fields values may be written to (or would be, on a dry run)."""
        return self.existing + self.created + self.planned

    def decimals(self, spec: FieldSpec) -> int | None:
        """Decimals to round a value to: ours, or fewer when the portal's field keeps fewer
        (else the portal would round our value and the next diff would send it again)."""
        if spec.user_type == "integer":
            return 0
        if spec.precision is None:
            return None
        portal = self.precision.get((spec.entity, spec.name))
        return spec.precision if portal is None else min(spec.precision, portal)


def _portal_type(row: dict) -> str:
    kind = str(row.get("USER_TYPE_ID"))
    return f"{kind} (multiple)" if row.get("MULTIPLE") == "Y" else kind


def ensure_fields(
    client: PortalClient, warehouse: Warehouse | None, specs: list[FieldSpec], *, dry_run: bool = False
) -> FieldsReport:
    """Find each field on the portal (one batch request), create the missing ones (one more).

    A field we create holds no value anywhere yet, whatever the last sync read from an older
    field of that name: its values are cleared from the stored payloads so that the diff sends
    them all.
    """
    report = FieldsReport()
    if not specs:
        return report
    found = client.batch({
        f"f{i}": (f"{ENTITIES[s.entity].method}.userfield.list", {"filter": {"FIELD_NAME": s.name}})
        for i, s in enumerate(specs)
    })
    missing: list[FieldSpec] = []
    for i, spec in enumerate(specs):
        if f"f{i}" in found.errors:
            raise _stop(found.errors[f"f{i}"], f"could not read the {spec.entity} fields")
        rows = [r for r in (found.results.get(f"f{i}") or []) if r.get("FIELD_NAME") == spec.name]
        if not rows:
            missing.append(spec)
            continue
        row = rows[0]
        if row.get("USER_TYPE_ID") != spec.user_type or row.get("MULTIPLE") == "Y":
            report.wrong_type.append((spec, _portal_type(row)))
            log.error("%s field %s exists as %s, not %s: left as it is, its values not written",
                      spec.entity, spec.name, _portal_type(row), spec.user_type)
            continue
        report.existing.append(spec)
        settings = row.get("SETTINGS") if isinstance(row.get("SETTINGS"), dict) else {}
        if spec.user_type == "double" and settings.get("PRECISION") not in (None, ""):
            report.precision[(spec.entity, spec.name)] = int(float(settings["PRECISION"]))
    if dry_run:
        report.planned = missing
        return report
    if missing:
        added = client.batch({
            f"a{i}": (f"{ENTITIES[s.entity].method}.userfield.add", {"fields": _definition(s)})
            for i, s in enumerate(missing)
        })
        for i, spec in enumerate(missing):
            if f"a{i}" in added.errors:
                raise _stop(added.errors[f"a{i}"], f"could not create the {spec.entity} field {spec.name}")
            report.created.append(spec)
            log.info("created %s field %s (%s)", spec.entity, spec.name, spec.user_type)
        if warehouse is not None:
            _forget_values(warehouse, report.created)
    return report


def _stop(err: errors.PortalError, what: str) -> errors.PortalError:
    """Field definitions need a CRM administrator: a refusal is for a person to fix."""
    if isinstance(err, (errors.StopError, errors.RetryError)):
        return err
    return errors.InvalidRequest(f"{what}: {err.description}", code=err.code, method=err.method)


def _forget_values(warehouse: Warehouse, created: list[FieldSpec]) -> None:
    with warehouse.transaction() as con:
        for spec in created:
            con.execute(
                "UPDATE raw_records SET payload = json_merge_patch(payload, json_object(?, NULL)) "
                "WHERE entity = ? AND json_exists(payload, ?)",
                [spec.name, spec.entity, f"$.{spec.name}"],
            )


def _definition(spec: FieldSpec) -> dict:
    labels = {"ru": spec.label_ru, "en": spec.label_en}
    return {
        "FIELD_NAME": spec.name,
        "USER_TYPE_ID": spec.user_type,
        "XML_ID": spec.name,
        "LABEL": spec.label_en,
        "EDIT_FORM_LABEL": labels,
        "LIST_COLUMN_LABEL": labels,
        "LIST_FILTER_LABEL": labels,
        "MULTIPLE": "N",
        "MANDATORY": "N",
        "SHOW_FILTER": "Y",
        "EDIT_IN_LIST": "N",  # computed values: people should not type over them
        # A double field without PRECISION rounds to whole numbers on save.
        **({"SETTINGS": {"PRECISION": spec.precision}} if spec.user_type == "double" else {}),
    }
