"""Warehouse KPIs back into the CRM card: custom fields, the diff, the batches, the ledger."""

from b24metrics.writeback.fields import FieldsReport, ensure_lead_fields, lead_field_specs
from b24metrics.writeback.push import Change, PushReport, plan_lead_changes, push_changes, same

__all__ = [
    "Change",
    "FieldsReport",
    "PushReport",
    "ensure_lead_fields",
    "lead_field_specs",
    "plan_lead_changes",
    "push_changes",
    "same",
]
