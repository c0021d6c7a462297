"""Warehouse KPIs back into the CRM card: custom fields, the quality gate, the diff, the
batches, the ledger."""

from b24metrics.writeback.fields import ENTITIES, FieldSpec, FieldsReport, ensure_fields, field_specs
from b24metrics.writeback.gate import GateReport, check_gate
from b24metrics.writeback.push import Change, PushReport
from b24metrics.writeback.run import WritebackReport, write_back
from b24metrics.writeback.plan import same

__all__ = [
    "ENTITIES",
    "Change",
    "FieldSpec",
    "FieldsReport",
    "GateReport",
    "PushReport",
    "WritebackReport",
    "check_gate",
    "ensure_fields",
    "field_specs",
    "same",
    "write_back",
]
