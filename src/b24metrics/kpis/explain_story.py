"""What happened to a lead or deal, in words, for `explain`: the moves its history records that a
reader of bare rows would miss (a win later reopened and superseded, a move to another
pipeline, a recurring template that the KPIs leave out), in the portal's wall clock.

Needs local_time() on the connection (refresh.set_local_time), as the KPI SQL does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb

from b24metrics.kpis.cuts import fetch_dicts

OUTCOME = {"S": "won", "F": "lost"}
#: seconds between a deal's creation and its first stage row beyond which it came from elsewhere
MOVE_GAP = 60


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "?"


def deal_story(con: duckdb.DuckDBPyConnection, deal_id: int) -> list[str]:
    """Sentences on a live deal; empty when there is no such deal."""
    found = fetch_dicts(con, "SELECT id, is_recurring, category_id, local_time(date_create) AS created "
                             "FROM deals WHERE id = ? AND NOT deleted", [deal_id])
    if not found:
        return []
    deal = found[0]
    lines = [f"Deal {deal_id} was created {when(deal['created'])} (portal time)."]
    if deal["is_recurring"]:
        lines.append("It is a recurring-deal template (IS_RECURRING = Y), synced like any deal: the portal makes "
                     "new deals from it, and the KPIs count those deals, never the template itself, so it has "
                     "no KPI rows.")
    history = fetch_dicts(con, """
        SELECT local_time(h.created_time) AS at, h.category_id, h.stage_id, h.stage_semantic_id AS semantic,
               coalesce(s.name, h.stage_id) AS stage,
               coalesce(c.name, CASE WHEN coalesce(h.category_id, 0) = 0 THEN 'General' END,
                        '#' || h.category_id) AS pipeline
        FROM deal_history h
        LEFT JOIN statuses s ON s.status_id = h.stage_id AND NOT s.deleted
         AND s.entity_id = CASE WHEN coalesce(h.category_id, 0) = 0 THEN 'DEAL_STAGE'
                                ELSE 'DEAL_STAGE_' || h.category_id END
        LEFT JOIN deal_categories c ON c.id = h.category_id AND NOT c.deleted
        WHERE h.owner_id = ? ORDER BY h.created_time, h.id""", [deal_id])
    lines += _moves(history)
    if history and not any("Moved from pipeline" in line for line in lines) \
            and (history[0]["at"] - deal["created"]).total_seconds() > MOVE_GAP:
        # A real portal returns only the rows of the pipeline a deal is in now: a move shows as
        # a history that begins after the deal was created.
        lines.append(f"Its stage history in \"{history[0]['pipeline']}\" begins {when(history[0]['at'])} "
                     f"(\"{history[0]['stage']}\"), after it was created: it was moved into this pipeline then "
                     "(the portal keeps no stage rows of the pipeline it left); its KPIs count it in the "
                     "pipeline it is in now.")
    facts = fetch_dicts(con, "SELECT won, lost, closed_at, cycle_days, reopened, stage, pipeline FROM kpi_deals "
                             "WHERE deal_id = ?", [deal_id])
    if facts:
        lines += _outcome(facts[0])
    return lines


def _moves(history: list[dict[str, Any]]) -> list[str]:
    """Pipeline moves, and every close that a later open stage superseded."""
    lines: list[str] = []
    for before, after in zip(history, history[1:]):
        if (before["category_id"] or 0) != (after["category_id"] or 0):
            lines.append(f"Moved from pipeline \"{before['pipeline']}\" to \"{after['pipeline']}\" "
                         f"{when(after['at'])} (stage \"{after['stage']}\"); its KPIs count it in the pipeline it "
                         "is in now.")
    for i, row in enumerate(history):
        if row["semantic"] not in OUTCOME:
            continue
        reopened = next((later for later in history[i + 1:] if later["semantic"] not in OUTCOME), None)
        if reopened is not None and (i == 0 or history[i - 1]["semantic"] not in OUTCOME):
            lines.append(f"It was {OUTCOME[row['semantic']]} {when(row['at'])} (\"{row['stage']}\"), then reopened "
                         f"{when(reopened['at'])} (\"{reopened['stage']}\"): that first "
                         f"{'win' if row['semantic'] == 'S' else 'loss'} is superseded and counts nowhere.")
    return lines


def _outcome(facts: dict[str, Any]) -> list[str]:
    if facts["won"] or facts["lost"]:
        verb = "won" if facts["won"] else "lost"
        again = " again" if facts["reopened"] else ""
        cycle = (f", {facts['cycle_days']:.1f} days after it was created (the cycle, S3)"
                 if facts["won"] and facts.get("cycle_days") is not None else "")
        return [f"It was {verb}{again} {when(facts['closed_at'])} in \"{facts['pipeline']}\" at "
                f"\"{facts['stage']}\"{cycle}: the KPIs date its outcome there."]
    if facts["reopened"]:
        return [f"It is open again, at \"{facts['stage']}\" in \"{facts['pipeline']}\": no outcome counts for it now."]
    return []


def lead_story(con: duckdb.DuckDBPyConnection, lead_id: int) -> list[str]:
    """Sentences on a live lead; empty when there is no such lead."""
    facts = fetch_dicts(con, "SELECT created_at, channel, status, manager FROM kpi_leads WHERE lead_id = ?", [lead_id])
    if not facts:
        return []
    lead = facts[0]
    lines = [f"Lead {lead_id} came in {when(lead['created_at'])} (portal time) from \"{lead['channel']}\", "
             f"assigned to {lead['manager']}; it is at \"{lead['status']}\" now."]
    deals = fetch_dicts(con, "SELECT deal_id, won, lost, closed_at FROM kpi_deals WHERE lead_id = ? ORDER BY deal_id",
                        [lead_id])
    for d in deals:
        outcome = "won" if d["won"] else "lost" if d["lost"] else "open"
        lines.append(f"It became deal {d['deal_id']} ({outcome}"
                     + (f" {when(d['closed_at'])}" if d["closed_at"] else "") + ").")
    templates = con.execute("SELECT count(*) FROM deals WHERE lead_id = ? AND NOT deleted AND is_recurring",
                            [lead_id]).fetchall()[0][0]
    if templates:
        lines.append(f"{templates} recurring-deal template(s) name this lead; templates count in no KPI.")
    return lines
