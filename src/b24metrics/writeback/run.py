"""One write-back: the quality gate, the fields, values left in doubt, the diff, the push."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from b24metrics.config import Settings
from b24metrics.portal import PortalClient
from b24metrics.warehouse import Warehouse
from b24metrics.writeback.fields import FieldsReport, ensure_fields, field_specs
from b24metrics.writeback.gate import GateReport, check_gate
from b24metrics.writeback.ledger import prune_ledger
from b24metrics.writeback.push import PushReport, plan_directory, push_plan, resolve_in_doubt, sample, save_plan
from b24metrics.writeback.plan import build_plan

log = logging.getLogger(__name__)


@dataclass
class WritebackReport:
    gate: GateReport = field(default_factory=GateReport)
    fields: FieldsReport = field(default_factory=FieldsReport)
    push: PushReport = field(default_factory=PushReport)

    @property
    def blocked(self) -> bool:
        return not self.gate.passed


def write_back(
    client: PortalClient,
    warehouse: Warehouse,
    settings: Settings,
    *,
    dry_run: bool = False,
    run_id: int | None = None,
    now: datetime | None = None,
) -> WritebackReport:
    """Write every KPI value that differs from what the portal holds, unless the gate says no.

    A dry run opens the warehouse read-only and calls the portal only to read the field
    definitions: it shows what would change, and changes nothing anywhere.
    """
    wb = settings.writeback
    report = WritebackReport(push=PushReport(dry_run=dry_run))
    with warehouse.connect(read_only=True) as con:
        report.gate = check_gate(con, wb.quality_gate, now=now, grading=settings.grading)
    if report.blocked and not dry_run:
        log.warning("write-back skipped: %s", "; ".join(report.gate.reasons))
        return report
    report.fields = ensure_fields(client, None if dry_run else warehouse, field_specs(wb), dry_run=dry_run)
    push = report.push
    with plan_directory() as scratch:
        with warehouse.connect(read_only=dry_run) as con:
            if dry_run:
                push.in_doubt = con.execute(
                    "SELECT count(*) FROM writeback_ledger WHERE outcome = 'sent'").fetchall()[0][0]
            else:
                resolve_in_doubt(client, con, push)
                push.pruned = prune_ledger(con, wb.ledger_days, now=now)
                if push.pruned:
                    log.info("write-back ledger: %d rows older than %d days removed", push.pruned, wb.ledger_days)
            plan = build_plan(con, report.fields)
            push.checked, push.planned, push.permanent = plan.checked, plan.values, plan.permanent
            push.ltv_mixed, push.missing_tables = plan.ltv_mixed, plan.missing_tables
            push.sample = sample(con)
            plan_file = save_plan(con, Path(scratch)) if not dry_run and plan.records else None
        if plan_file is not None:  # the warehouse let go: the push takes it a step at a time
            push_plan(client, warehouse, push, plan_file, plan.records, batch_size=wb.batch_size,
                      workers=wb.workers, max_tries=wb.max_tries, run_id=run_id)
    return report
