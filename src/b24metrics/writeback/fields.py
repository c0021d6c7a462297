"""Make sure the lead's custom fields for our KPIs exist. Idempotent: an existing field of the
right name and type is reused; one of the wrong type is reported, never overwritten."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from b24metrics.config import LeadFields
from b24metrics.portal import PortalClient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FieldSpec:
    name: str
    user_type: str
    label_ru: str
    label_en: str


@dataclass
class FieldsReport:
    existing: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    wrong_type: dict[str, str] = field(default_factory=dict)   # name -> the type the portal has
    planned: list[str] = field(default_factory=list)           # dry run: would be created


def lead_field_specs(names: LeadFields) -> list[FieldSpec]:
    return [
        FieldSpec(names.grade, "string", "Грейд лида (A–D)", "Lead grade (A–D)"),
        FieldSpec(names.score, "double", "Скоринг лида, 0–100", "Lead score, 0–100"),
        FieldSpec(names.factors, "string", "Почему такой грейд", "Why this grade"),
    ]


def ensure_lead_fields(client: PortalClient, specs: list[FieldSpec], *, dry_run: bool = False) -> FieldsReport:
    report = FieldsReport()
    found = client.batch(
        {f"f{i}": ("crm.lead.userfield.list", {"filter": {"FIELD_NAME": s.name}}) for i, s in enumerate(specs)}
    )
    missing: list[FieldSpec] = []
    for i, spec in enumerate(specs):
        key = f"f{i}"
        if key in found.errors:
            raise found.errors[key]
        rows = [r for r in (found.results.get(key) or []) if r.get("FIELD_NAME") == spec.name]
        if not rows:
            missing.append(spec)
        elif rows[0].get("USER_TYPE_ID") != spec.user_type:
            report.wrong_type[spec.name] = str(rows[0].get("USER_TYPE_ID"))
            log.error(
                "lead field %s exists as %s, not %s: left as it is, values not written",
                spec.name, rows[0].get("USER_TYPE_ID"), spec.user_type,
            )
        else:
            report.existing.append(spec.name)
    if dry_run:
        report.planned = [s.name for s in missing]
        return report
    if missing:
        added = client.batch({f"a{i}": ("crm.lead.userfield.add", {"fields": _definition(s)}) for i, s in enumerate(missing)})
        for i, spec in enumerate(missing):
            if f"a{i}" in added.errors:
                raise added.errors[f"a{i}"]
            report.created.append(spec.name)
            log.info("created lead field %s (%s)", spec.name, spec.user_type)
    return report


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
        **({"SETTINGS": {"PRECISION": 2}} if spec.user_type == "double" else {}),
    }
