"""Report sections on money and people: CPL, CAC and ROMI by channel, plan vs actual with the
forecast, telephony by tracking number, the manager table, CRM hygiene."""

from __future__ import annotations

from markupsafe import Markup

from b24metrics.kpis.catalogue import find
from b24metrics.kpis.cuts import Cut
from b24metrics.kpis.inputs import PLAN_METRICS
from b24metrics.report import charts
from b24metrics.report.alarm import enough, share_base
from b24metrics.report.attribution import money_cell
from b24metrics.report.charts import Bar, HeatCell, HRow
from b24metrics.report.gather import Gather
from b24metrics.report.marketing import breakdown, seg
from b24metrics.report.model import Cell, Section, Table, titled


def money(g: Gather) -> Section:
    kpi = find("spend_return")
    kind = g.window.kind if g.window.kind in kpi.periods else "month"
    window = g.window_for(kind)
    headline = g.headline_label(kind)
    section = Section("money", g.t("money"), g.t("money.lead", headline=headline))
    if kind != g.window.kind:
        section.remarks.append(g.t("money.month"))
    if g.settings.kpis.spend_file is None:
        section.note = g.t("money.no_file")
        return section
    result = g.cut("spend_return", by="channel", kind=kind)
    if result.note:   # the spend file could not be read (kpis.cut says why)
        section.note = g.t("money.input_missing", why=result.note.removeprefix("input missing: "))
        return section
    rows = g.rows_in(result, window.headline)
    if not rows:
        section.note = g.t("money.none", headline=headline)
        return section
    rows.sort(key=lambda r: (-(r["spend"] or 0), str(r["channel"]), str(r["currency"])))
    several = len({r["currency"] for r in rows}) > 1

    def name(r) -> str:
        return g.label(r["channel"]) + (f" ({r['currency']})" if several else "")

    parts = []
    for measure, css in (("cpl", "c0"), ("cac", "c1"), ("romi", "ok")):
        shown = [r for r in rows if r[measure] is not None]
        if shown:
            parts.append(titled(g.t(f"chart.{measure}"), charts.hbars(
                [HRow(name(r), [Bar([seg(g, g.cell(result, r, measure),
                                         "bad" if measure == "romi" and r[measure] < 0 else css, name(r))],
                                    note=g.cell(result, r, measure).text(g.loc))]) for r in shown],
                g.loc, label=g.t(f"chart.{measure}"))))
    section.chart = Markup("").join(parts) if parts else None
    if section.chart is None:
        section.note = g.t("money.none", headline=headline)
    section.tables.append(Table(
        [g.t("col.channel"), g.t("col.currency"), g.t("col.spend"), g.t("col.leads"), g.t("col.cpl"),
         g.t("col.new_clients"), g.t("col.cac"), g.t("col.revenue"), g.t("col.romi")],
        # a ratio no rate lets be true in one currency says which currency lacks the rate
        [[g.label(r["channel"]), r["currency"]] + [money_cell(g, result, r, m) for m in
                                                   ("spend", "leads", "cpl", "new_clients", "cac", "revenue", "romi")]
         for r in rows],
        [False, False] + [True] * 7))
    return section


ALL_MANAGERS = "(all managers)"   # kpi_plan's manager of a plan row set for the whole team
PLAN_MEASURES = ("target", "actual", "done_pct", "forecast", "forecast_pct")


def plan(g: Gather) -> Section:
    """The chart and the table's first rows: each period's plan without a dimension (the coarsest
    level it sets: the team's target, else the managers', else the channels'); the table adds each
    manager's own targets for the headline period (cut by manager)."""
    w = g.window
    section = Section("plan", g.t("plan"), g.t("plan.lead", kind=g.kind_label()))
    if g.settings.kpis.plan_file is None:
        section.note = g.t("plan.no_file")
        return section
    missing = g.cut(f"plan_{next(iter(PLAN_METRICS))}").note
    if missing:   # the plan file could not be read (kpis.cut says why)
        section.note = g.t("plan.input_missing", why=missing.removeprefix("input missing: "))
        return section
    running = [w.running(p) for p in w.periods]
    labels = [g.loc.short_period(w.kind, p) for p in w.periods]
    parts, table = [], []
    for metric in PLAN_METRICS:
        result = g.cut(f"plan_{metric}")
        if result.note or not result.rows:
            continue
        by_manager = g.cut(f"plan_{metric}", by="manager")
        currencies = sorted({r.get("currency") for r in result.rows}, key=lambda c: c or "") \
            if result.kpi.per_currency else [None]
        for currency in currencies:
            keys = {"currency": currency} if currency is not None else {}
            title = g.t(f"metric.{metric}") + (f", {currency}" if currency else "")
            items = []
            for period in w.periods:
                row = g.row_at(result, period, **keys)
                cells = [g.cell(result, row, m, period=period, currency=currency)
                         for m in ("target", "actual", "forecast")]
                items.append(tuple(seg(g, c, css, g.t(f"series.{m}")) for c, css, m in
                                   zip(cells, ("plan-target", "plan-actual", "plan-forecast"),
                                       ("target", "actual", "forecast"))))
                if row is not None:
                    table.append([title, g.label(ALL_MANAGERS), g.loc.period(w.kind, period)]
                                 + [g.cell(result, row, m) for m in PLAN_MEASURES])
            parts.append(titled(title, charts.plan_columns(labels, items, g.loc, label=title, running=running)))
            for row in g.rows_in(by_manager, w.headline):
                if row["manager"] != ALL_MANAGERS and row.get("currency") == currency:
                    table.append([title, g.label(row["manager"]), g.loc.period(w.kind, w.headline)]
                                 + [g.cell(by_manager, row, m) for m in PLAN_MEASURES])
    if not parts:
        section.note = g.t("plan.none")
        return section
    section.chart = Markup("").join(parts)
    section.legend = [("plan-target", g.t("series.target")), ("plan-actual", g.t("series.actual")),
                      ("plan-forecast", g.t("series.forecast"))]
    section.tables.append(Table(
        [g.t("col.metric"), g.t("col.manager"), g.t("col.period"), g.t("col.target"), g.t("col.actual"),
         g.t("col.done"), g.t("col.forecast"), g.t("col.forecast_pct")], table, [False, False, False] + [True] * 5))
    if any(running):
        section.remarks.append(g.t("running"))
    return section


def telephony(g: Gather) -> Section:
    w = g.window
    section, calls, rows = breakdown(g, "telephony", "calls_by_channel", "tracking_number")
    if section.note:
        return section
    if not g.settings.kpis.tracking_numbers:
        section.remarks.append(g.t("telephony.untracked"))
    sales = g.cut("calls_to_sales", by="tracking_number")
    rows.sort(key=lambda r: (-(r["calls"] or 0), str(r["tracking_number"])))
    hrows, table = [], []
    for r in rows:
        number = g.label(r["tracking_number"])
        sold = g.row_at(sales, w.headline, tracking_number=r["tracking_number"])
        leads = g.cell(sales, sold, "leads", period=w.headline, key=r["tracking_number"])
        hrows.append(HRow(number, [Bar([seg(g, g.cell(calls, r, "answered"), "ok", g.t("series.answered")),
                                        seg(g, g.cell(calls, r, "missed"), "bad", g.t("series.missed"))],
                                       note=f"{g.cell(calls, r, 'answered_pct').text(g.loc)}")]))
        table.append([number] + [g.cell(calls, r, m) for m in ("calls", "answered", "missed", "answered_pct",
                                                              "mean_duration")]
                     + [leads] + [g.cell(sales, sold, m, period=w.headline, key=r["tracking_number"])
                                  for m in ("won_deals", "clients")])
    section.chart = charts.hbars(hrows, g.loc, label=section.title)
    section.legend = [("ok", g.t("series.answered")), ("bad", g.t("series.missed"))]
    section.tables.append(Table(
        [g.t("col.number"), g.t("col.calls"), g.t("col.answered"), g.t("col.missed"), g.t("col.answered_pct"),
         g.t("col.talk"), g.t("col.leads"), g.t("col.won_deals"), g.t("col.clients")], table, [False] + [True] * 8))
    cost_kpi = find("call_client_cost")
    if g.settings.kpis.spend_file is not None and w.kind in cost_kpi.periods:
        cost = g.cut("call_client_cost", by="tracking_number")
        # a number with clients but no spend of its own is listed too, saying why it has no cost
        priced = [r for r in g.rows_in(cost, w.headline) if r["spend"] or r["clients"] or r["revenue"]]
        if priced:
            section.tables.append(Table(
                [g.t("col.number"), g.t("col.currency"), g.t("col.spend"), g.t("col.clients"),
                 g.t("col.cost_per_client"), g.t("col.revenue")],
                [[g.label(r["tracking_number"]), r["currency"]]
                 + [g.cell(cost, r, m) for m in ("spend", "clients")] + [_client_cost(g, cost, r)]
                 + [g.cell(cost, r, "revenue")] for r in priced], [False, False, True, True, True, True]))
            section.remarks.append(g.t("telephony.own_spend"))
    return section


def _client_cost(g: Gather, cost: Cut, row: dict) -> Cell | str:
    """A number's cost per client, or why it has none: no spend of its own (the channel's spend
    is not the number's)."""
    if row["cost_per_client"] is None and not row["own_spend"]:
        return g.t("telephony.no_own_spend")
    return g.cell(cost, row, "cost_per_client")


def managers(g: Gather) -> Section:
    w = g.window
    section, perf, rows = breakdown(g, "managers", "manager_performance", "manager")
    if section.note:
        return section
    money = g.cut("manager_revenue", by="manager")
    rows.sort(key=lambda r: (-(r["deals_won"] or 0), -(r["calls"] or 0), str(r["manager"])))
    deals, calls, table = [], [], []
    for r in rows:
        name = g.label(r["manager"])
        deals.append(HRow(name, [Bar([seg(g, g.cell(perf, r, "deals_won"), "ok", g.t("series.won")),
                                      seg(g, g.cell(perf, r, "deals_lost"), "bad", g.t("series.lost"))],
                                     note=g.cell(perf, r, "win_rate").text(g.loc))]))
        calls.append(HRow(name, [Bar([seg(g, g.cell(perf, r, "calls"), "c0", g.t("col.calls"))],
                                     note=g.cell(perf, r, "call_minutes").text(g.loc))]))
        revenue = [g.cell(money, m, "revenue") for m in g.rows_in(money, w.headline) if m["manager"] == r["manager"]]
        table.append([name] + [g.cell(perf, r, m) for m in ("leads_handled", "deals_won", "deals_lost", "win_rate")]
                     + [revenue or ""] + [g.cell(perf, r, m) for m in ("calls", "call_minutes",
                                                                       "overdue_activities")])
    parts = []
    if any(r["deals_won"] or r["deals_lost"] for r in rows):
        parts.append(titled(g.t("managers.deals"), charts.hbars(deals, g.loc, label=g.t("managers.deals"))))
        section.legend = [("ok", g.t("series.won")), ("bad", g.t("series.lost"))]
    if any(r["calls"] for r in rows):
        parts.append(titled(g.t("managers.calls"), charts.hbars(calls, g.loc, label=g.t("managers.calls"))))
    section.chart = Markup("").join(parts) if parts else None
    if not parts:
        section.note = g.t("managers.quiet", headline=g.headline_label())
    section.tables.append(Table(
        [g.t("col.manager"), g.t("col.leads_handled"), g.t("col.won"), g.t("col.lost"), g.t("col.win_rate"),
         g.t("col.revenue"), g.t("col.calls"), g.t("col.call_minutes"), g.t("col.overdue")], table,
        [False] + [True] * 8))
    return section


HYGIENE = (("no_source_share", "leads_no_source", "col.no_source"),
           ("no_amount_share", "deals_no_amount", "col.no_amount"),
           ("no_activity_share", "items_no_activity", "col.no_activity"),
           ("overdue_share", "overdue_activities", "col.overdue_share"))
#: the measure each column's bound (report.hygiene) is on. Overdue activities by their count:
#: open activities are dated by their deadline, so of a period that has ended every one still
#: open is past it, and its share is 100 % by construction.
BOUND_ON = {"no_source_share": "no_source_share", "no_amount_share": "no_amount_share",
            "no_activity_share": "no_activity_share", "overdue_share": "overdue_activities"}


def hygiene(g: Gather) -> Section:
    """Counts and shares of each manager's records with a gap; red only past the column's bound
    (report.hygiene): a team where every open task is a day late is not a wall of red by itself."""
    section, result, rows = breakdown(g, "hygiene", "data_discipline", "manager")
    bounds = g.settings.report.hygiene
    section.lead = g.t("hygiene.lead.thresholds", headline=g.headline_label(), bounds=", ".join(
        f"{g.t(col).lower()} {_bound_text(g, BOUND_ON[share], getattr(bounds, BOUND_ON[share]))}"
        for share, _, col in HYGIENE))
    if section.note:
        return section
    rows.sort(key=lambda r: str(r["manager"]))
    minimum = g.settings.report.min_count_for_red
    cells = []
    for r in rows:
        line = []
        for share, count, col in HYGIENE:
            bound_on = BOUND_ON[share]
            shown = g.cell(result, r, bound_on)
            past = shown.value is not None and shown.value > getattr(bounds, bound_on)
            counted = g.cell(result, r, count).text(g.loc)
            base = share_base(r[count], r[share]) if bound_on == share else None
            if past and base is not None and not enough(minimum, base):
                past, counted = False, f"{counted}/{base}"   # a share of a handful of records is no alarm
            line.append(HeatCell(seg(g, shown, "heat", g.t(col)), count=counted, past=past,
                                 share=bound_on == share))
        cells.append(line)
    section.chart = charts.threshold_grid([g.label(r["manager"]) for r in rows], [g.t(col) for _, _, col in HYGIENE],
                                          cells, g.loc, label=section.title)
    section.legend = [("heat-ok", g.t("hygiene.within")), ("heat-past", g.t("hygiene.past"))]
    if minimum > 1:
        section.remarks.append(g.t("hygiene.few", n=minimum))
    section.tables.append(Table(
        [g.t("col.manager")] + [g.t(col) for _, _, col in HYGIENE],
        [[g.label(r["manager"])] + [[g.cell(result, r, count), g.cell(result, r, share)] for share, count, _ in HYGIENE]
         for r in rows],
        [False] + [True] * 4))
    return section


def _bound_text(g: Gather, measure: str, bound: float) -> str:
    return g.loc.number(bound, "%") if measure.endswith("_share") else g.t("hygiene.count_bound", count=int(bound))
