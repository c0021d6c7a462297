"""The write-back diff: send only values that differ from what the portal holds.

"What the portal holds" is the lead's raw payload from the last sync, patched with every value
the portal has since accepted from us. Our own writes bump DATE_MODIFY, the next sync reads
them back, and the diff then finds nothing to send: there is no update -> sync -> update loop.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pyarrow as pa

from b24metrics.config import LeadFields
from b24metrics.portal import PortalClient
from b24metrics.warehouse import Warehouse

log = logging.getLogger(__name__)

LEDGER = pa.schema(
    [
        ("run_id", pa.int64()), ("entity", pa.string()), ("entity_id", pa.int64()),
        ("field", pa.string()), ("old_value", pa.string()), ("new_value", pa.string()),
        ("outcome", pa.string()), ("error", pa.string()), ("written_at", pa.timestamp("us", tz="UTC")),
    ]
)


@dataclass(frozen=True)
class Change:
    lead_id: int
    field: str
    old: str | None
    new: str


@dataclass
class PushReport:
    leads_checked: int = 0
    changes: list[Change] = field(default_factory=list)
    updates_sent: int = 0        # crm.lead.update commands sent
    requests: int = 0            # batch requests sent
    applied: int = 0             # field values the portal accepted
    rejected: dict[int, str] = field(default_factory=dict)  # lead id -> the portal's reason
    dry_run: bool = False

    def per_field(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for change in self.changes:
            counts[change.field] = counts.get(change.field, 0) + 1
        return counts


def same(old: Any, new: Any) -> bool:
    """Values equal as the portal means them: "12.50" equals 12.5, None equals ""."""
    if old in (None, "") or new in (None, ""):
        return old in (None, "") and new in (None, "")
    try:
        a, b = float(old), float(new)
    except (TypeError, ValueError):
        return str(old).strip() == str(new).strip()
    return math.isclose(a, b, rel_tol=0, abs_tol=1e-9)


def plan_lead_changes(warehouse: Warehouse, names: LeadFields, skip: frozenset[str] | set[str] = frozenset()) -> tuple[int, list[Change]]:
    wanted = {"grade": names.grade, "score": names.score, "factors": names.factors}
    wanted = {k: v for k, v in wanted.items() if v not in skip}
    with warehouse.connect(read_only=True) as con:
        current = ", ".join(f"json_extract_string(r.payload, '$.{uf}') AS cur_{k}" for k, uf in wanted.items())
        rows = con.execute(
            f"""
            SELECT g.lead_id, g.grade, g.score, g.factors{', ' + current if current else ''}
            FROM lead_grades g
            JOIN leads l ON l.id = g.lead_id AND NOT l.deleted
            JOIN raw_records r ON r.entity = 'lead' AND r.id = CAST(g.lead_id AS VARCHAR)
            ORDER BY g.lead_id
            """
        ).fetchall()
    changes = []
    for row in rows:
        values = {"grade": row[1], "score": str(row[2]), "factors": row[3]}
        for offset, (key, uf) in enumerate(wanted.items()):
            old = row[4 + offset]
            if not same(old, values[key]):
                changes.append(Change(row[0], uf, old, values[key]))
    return len(rows), changes


def push_changes(
    client: PortalClient,
    warehouse: Warehouse,
    changes: list[Change],
    *,
    batch_size: int = 50,
    run_id: int | None = None,
) -> PushReport:
    report = PushReport(changes=changes)
    by_lead: dict[int, dict[str, str]] = {}
    for change in changes:
        by_lead.setdefault(change.lead_id, {})[change.field] = change.new
    lead_ids = list(by_lead)
    for start in range(0, len(lead_ids), batch_size):
        chunk = lead_ids[start:start + batch_size]
        reply = client.batch(
            {
                f"u{lead_id}": (
                    "crm.lead.update",
                    {"id": lead_id, "fields": by_lead[lead_id], "params": {"REGISTER_SONET_EVENT": "N"}},
                )
                for lead_id in chunk
            }
        )
        report.requests += 1
        report.updates_sent += len(chunk)
        outcomes = {}
        for lead_id in chunk:
            err = reply.errors.get(f"u{lead_id}")
            if err is not None:
                report.rejected[lead_id] = err.description
                outcomes[lead_id] = ("rejected", f"{err.code or 'error'}: {err.description}")
            else:
                report.applied += len(by_lead[lead_id])
                outcomes[lead_id] = ("applied", None)
        _ledger(warehouse, run_id, [c for c in changes if c.lead_id in outcomes], outcomes)
    if report.rejected:
        log.warning("%d lead updates rejected by the portal", len(report.rejected))
    return report


def _ledger(warehouse: Warehouse, run_id: int | None, changes: list[Change], outcomes: dict) -> None:
    now = datetime.now(timezone.utc)
    entries = pa.Table.from_pylist(
        [
            {
                "run_id": run_id, "entity": "lead", "entity_id": c.lead_id, "field": c.field,
                "old_value": c.old, "new_value": c.new, "outcome": outcomes[c.lead_id][0],
                "error": outcomes[c.lead_id][1], "written_at": now,
            }
            for c in changes
        ],
        schema=LEDGER,
    )
    accepted: dict[int, dict[str, str]] = {}
    for c in changes:
        if outcomes[c.lead_id][0] == "applied":
            accepted.setdefault(c.lead_id, {})[c.field] = c.new
    patches = pa.table(
        {
            "id": pa.array([str(i) for i in accepted], pa.string()),
            "patch": pa.array([json.dumps(v, ensure_ascii=False) for v in accepted.values()], pa.string()),
        }
    )
    with warehouse.transaction() as con:
        con.register("_ledger_rows", entries)
        con.execute(f"INSERT INTO writeback_ledger ({', '.join(LEDGER.names)}) SELECT * FROM _ledger_rows")
        con.unregister("_ledger_rows")
        # The portal accepted these: until the next sync says otherwise, that is what it holds.
        con.register("_patches", patches)
        con.execute(
            "UPDATE raw_records SET payload = json_merge_patch(raw_records.payload, p.patch) "
            "FROM _patches p WHERE raw_records.entity = 'lead' AND raw_records.id = p.id"
        )
        con.unregister("_patches")
