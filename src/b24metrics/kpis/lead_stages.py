"""Which lead statuses mean accepted into work (SAL) and qualified (SQL) for M3.

Statuses are the portal's business: extra in-progress ones, several failures ("Дубль", "Не
целевой"). `[kpis.lead_stages]` names them (an ID or a name each); left empty, the inference
stands: accepted is any status but the first and the failures, qualified is converted (a
success status, or a deal made from the lead). A converted lead is accepted and qualified
whatever statuses it passed, and a qualified one is accepted.

`resolve` turns the settings into the rows of the input table input_lead_stages (facts_leads.sql
reads it); `stages_used` says which statuses are used, for `kpi list` and the report.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from b24metrics.config import LeadStageSettings

KINDS = ("accepted", "qualified")


def _statuses(con: duckdb.DuckDBPyConnection | None) -> list[tuple[str, str, str]]:
    """The lead statuses in the portal's order: (status ID, name, semantics P/S/F)."""
    if con is None:
        return []
    try:
        rows = con.execute(
            "SELECT status_id, coalesce(nullif(name, ''), status_id), "
            "CASE WHEN semantics IN ('S', 'F') THEN semantics ELSE 'P' END "
            "FROM statuses WHERE entity_id = 'STATUS' AND NOT deleted ORDER BY sort, id").fetchall()
    except duckdb.Error:      # a warehouse no sync has filled yet
        return []
    return [(str(i), str(n), str(s)) for i, n, s in rows]


def resolve(con: duckdb.DuckDBPyConnection | None, settings: LeadStageSettings) -> tuple[list[tuple[str, str]], list[str]]:
    """(kind, status ID) for each configured status, and the problems: a status the portal does
    not know is kept as written (no lead has it), so a list of unknown names still means "these",
    not the inference."""
    known = _statuses(con)
    by_key = {key.casefold(): status_id for status_id, name, _ in known for key in (status_id, name)}
    rows, problems = [], []
    for kind in KINDS:
        for given in getattr(settings, kind):
            status_id = by_key.get(given.strip().casefold())
            if status_id is None:
                problems.append(f"kpis.lead_stages.{kind}: {given!r} is no lead status of the portal "
                                "(an ID or a name); no lead is counted by it")
                status_id = given.strip()
            rows.append((kind, status_id))
    return rows, problems


@dataclass(frozen=True)
class StagesUsed:
    kind: str                    # "accepted" (SAL) or "qualified" (SQL)
    statuses: tuple[str, ...]    # "Name (ID)"; the portal's names when the warehouse has them
    configured: bool             # from [kpis.lead_stages]; False: inferred

    @property
    def text(self) -> str:
        """One line in English, as `kpi list` prints it."""
        code, what = ("SAL", "accepted into work") if self.kind == "accepted" else ("SQL", "qualified")
        listed = ", ".join(self.statuses) or "(no lead statuses synced yet)"
        how = (f"kpis.lead_stages.{self.kind}" if self.configured else
               f"inferred: {INFERRED[self.kind]}; set kpis.lead_stages.{self.kind} to choose")
        extra = ", or qualified, or converted" if self.kind == "accepted" else ", or a deal made from the lead"
        return f"{code} ({what}): {listed}{extra} ({how})"


INFERRED = {"accepted": "any status but the first and the failures", "qualified": "converted to a deal or contact"}


def stages_used(con: duckdb.DuckDBPyConnection | None, settings: LeadStageSettings) -> list[StagesUsed]:
    """Which statuses M3 counts as accepted and as qualified. `con` is a warehouse connection
    for the portal's status names (None: IDs as configured, and no names for the inference)."""
    statuses = _statuses(con)
    label = {status_id: f"{name} ({status_id})" for status_id, name, _ in statuses}
    used = []
    for kind in KINDS:
        configured = getattr(settings, kind)
        if configured:
            rows, _ = resolve(con, settings)
            names = tuple(label.get(s, s) for k, s in rows if k == kind)
        elif kind == "accepted":
            names = tuple(label[s] for s, _, semantic in statuses[1:] if semantic != "F")
        else:
            names = tuple(label[s] for s, _, semantic in statuses if semantic == "S")
        used.append(StagesUsed(kind, names, bool(configured)))
    return used
