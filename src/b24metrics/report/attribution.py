"""The report's money section in the cohort view: which channel pays. The leads of the report
window's cohorts (its periods up to the headline's end) per channel, UTM campaign and tracking
number, with the spend that bought them and what they have brought so far (to date) and are
projected to bring by the end of the attribution window: ripe cohorts with their figures, young
ones to date plus the projection; LTV/CAC and payback; a payback chart over one fixed set of
cohorts; and, apart, the headline period's own cohort, the newest and least ripe.

Every figure is a Cell of `cohort_return` or `cohort_payback`: the window's figures are the cut
"all" between the window's bounds (the Cell carries them: data-since, data-until), the newest
cohort's the cut by the report's period. Money is in the attribution's base currency, named in
the column headers; a figure a currency without a rate would change says so instead.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from markupsafe import Markup

from b24metrics.kpis.catalogue import find
from b24metrics.kpis.cuts import Cut, cut
from b24metrics.kpis.families.attribution import MIN_EXPECTED_WINS, PAYBACK_AGES, TOO_EARLY_FLAGS, use_model
from b24metrics.report import charts
from b24metrics.report.charts import Bar, HRow, Seg, Series
from b24metrics.report.gather import Gather
from b24metrics.report.marketing import conversion_lines, seg
from b24metrics.report.model import Cell, Section, Table, titled
from b24metrics.report.window import shift, start_of

NOT_SPLIT = "(not split)"
#: the paid channels drawn in the payback chart, most spend first
CHART_CHANNELS = 4
#: the payback chart's horizon: the most months of age that at least this many cohort months
#: with spend have lived through (fewer only when the window holds fewer)
PAYBACK_COHORTS = 3
#: the window's figures per channel, campaign or number, in the order of the table
WINDOW_COLUMNS = ("spend", "leads", "cpl", "new_clients", "cac", "revenue", "romi", "projected_romi", "ltv",
                  "ltv_cac")
#: the newest cohort's, beside them: to date, projected and how ripe
NEWEST_COLUMNS = ("spend", "leads", "cpl", "revenue", "romi", "projected_romi", "ripeness")


def cohorts(g: Gather) -> Section:
    w = g.window
    model = g.settings.kpis.attribution_model
    use_model(g.con, model)
    headline = g.headline_label()
    span = (w.since, shift(w.kind, w.headline, 1))
    cohort_names = span_text(g, w.kind, w.periods[0], w.headline)
    section = Section("cohorts", g.t("cohorts"), g.t("cohorts.lead", cohorts=cohort_names,
                                                     model=g.t(f"cohorts.model.{model}"),
                                                     days=g.settings.kpis.attribution_window_days))
    whole = _window_cut(g, "cohort_return", "channel", span)
    if whole.note:      # the spend file could not be read (kpis.cut says why): no figure without it
        section.note = g.t("cohorts.input_missing", why=whole.note.removeprefix("input missing: "))
        return section
    rows = [r for r in whole.rows if r["leads"] or r["spend"] or r["revenue"] or r["won_deals"]]
    if not rows:
        section.note = g.t("cohorts.none", cohorts=cohort_names)
        return section
    rows.sort(key=lambda r: (-(r["spend"] or 0), -(r["leads"] or 0), str(r["channel"])))
    currency = next((r["base_currency"] for r in rows if r["base_currency"]), "")

    paid = [r for r in rows if r["spend"]]
    parts = []
    measures = ("romi", "projected_romi") if paid else ("revenue", "projected_revenue")
    title = g.t("cohorts.chart.romi" if paid else "cohorts.chart.revenue", cohorts=cohort_names)
    parts.append(titled(title, charts.hbars(
        [HRow(g.label(r["channel"]), [
            Bar([seg(g, _span_cell(g, whole, r, m, span), _tone(r[m], css) if paid else css, g.t(name))],
                note=_text(g, whole, r, m))
            for m, css, name in zip(measures, ("c0", "c1"), ("cohorts.to_date", "cohorts.projected"))])
         for r in (paid or rows)], g.loc, label=title)))
    section.legend = [("c0", g.t("cohorts.to_date")), ("c1", g.t("cohorts.projected"))]
    if not paid and g.settings.kpis.spend_file is None:
        section.remarks.append(g.t("cohorts.no_spend"))
    chosen = payback_cohorts(g)
    # the payback column is of the chart's cohorts, so that the two never disagree
    back = span if chosen is None else (chosen[1], chosen[2])
    payback = None if chosen is None else _payback_chart(g, chosen, [r["channel"] for r in paid])
    if payback is not None:
        parts.append(payback[0])
        section.legend += [("c2", g.t("cohorts.cum_revenue")), ("c3", g.t("cohorts.spend_line"))]
        section.remarks.append(payback[1])
    section.chart = Markup("").join(parts)

    section.tables.append(_table(g, whole, rows, "col.channel", "channel", span, back, currency))
    section.tables += _newest(g, currency)
    for by, name in (("utm_campaign", "col.campaign"), ("tracking_number", "col.number")):
        named = _window_cut(g, "cohort_return", by, span)
        if any(r["spend"] and r[by] != NOT_SPLIT for r in named.rows):
            keyed = [r for r in named.rows if r[by] == NOT_SPLIT or r["spend"] or r["new_clients"]]
            keyed.sort(key=lambda r: (r[by] == NOT_SPLIT, -(r["spend"] or 0), str(r[by])))
            section.tables.append(_table(g, named, keyed, name, by, span, back, currency))
            if any(r[by] == NOT_SPLIT and r["spend"] for r in keyed) and g.t("cohorts.not_split") not in section.remarks:
                section.remarks.append(g.t("cohorts.not_split"))
            if by == "tracking_number":
                section.remarks.append(g.t("cohorts.numbers"))
    too_early = g.t("cohorts.too_early")
    if any(value == too_early for table in section.tables for row in table.rows for value in row):
        section.remarks.append(g.t("cohorts.too_early_note", wins=MIN_EXPECTED_WINS))
    section.remarks += _ripeness_remarks(g)
    return section


def span_text(g: Gather, kind: str, first: date, last: date) -> str:
    """Periods from `first` to `last` as printed: "апрель 2025 – март 2026", or one period."""
    if first == last:
        return g.loc.period(kind, first)
    return f"{g.loc.period(kind, first)} – {g.loc.period(kind, last)}"


def _tone(value: Any, css: str) -> str:
    return "bad" if value is not None and value < 0 else css


#: the money figures a currency without a rate leaves blank, and which currencies say why
BLANKED_BY = {"spend": "unconverted_spend", "cpl": "unconverted_spend", "cac": "unconverted_spend",
              "revenue": "unconverted_revenue", "projected_revenue": "unconverted_revenue",
              "ltv": "unconverted_revenue", "romi": "unconverted", "projected_romi": "unconverted",
              "ltv_cac": "unconverted", "payback_months": "unconverted"}
#: figures that exist only where there is spend of its own
COSTS = {"cpl", "cac", "romi", "projected_romi", "ltv_cac", "payback_months"}


def _why_blank(g: Gather, row: dict[str, Any], measure: str) -> str | None:
    """Why a figure is missing, when a currency without a rate or a cohort too young to project
    is the reason."""
    currencies = row.get(BLANKED_BY.get(measure, ""))
    if measure in COSTS and not row.get("spend") and not row.get("unconverted_spend"):
        return None     # no spend of its own: no cost, whatever the currency of its revenue
    if row.get(measure) is None and measure in TOO_EARLY_FLAGS and row.get(TOO_EARLY_FLAGS[measure]):
        return g.t("cohorts.too_early")
    if row.get(measure) is None and currencies:
        return g.t("cohorts.no_rate", currencies=currencies)
    return None


def _text(g: Gather, result: Cut, row: dict[str, Any], measure: str) -> str:
    """A figure as printed, or why it is missing (a currency without a rate)."""
    return _why_blank(g, row, measure) or g.cell(result, row, measure).text(g.loc)


def money_cell(g: Gather, result: Cut, row: dict[str, Any], measure: str,
               span: tuple[date, date] | None = None) -> Cell | str:
    """A money figure of a cut's row, or the words that say why it is missing; the cohort view's
    tables and the cash view's (sales.py) alike."""
    text = _text(g, result, row, measure)
    cell = g.cell(result, row, measure) if span is None else _span_cell(g, result, row, measure, span)
    return cell if cell.value is not None or text == cell.text(g.loc) else text


def _window_cut(g: Gather, name: str, by: str | None, span: tuple[date, date]) -> Cut:
    """The KPI over the cohorts of [since, until) as one period ("all" between the bounds)."""
    return cut(g.con, find(name), period="all", by=by, since=span[0], until=span[1])


def _span_cell(g: Gather, result: Cut, row: dict[str, Any] | None, measure: str, span: tuple[date, date]) -> Cell:
    return replace(g.cell(result, row, measure), span=span)


def _table(g: Gather, result: Cut, rows: list[dict[str, Any]], title: str, by: str, span: tuple[date, date],
           back: tuple[date, date], currency: str) -> Table:
    """Per key, the window's cohorts: what they cost, what they brought to date and are projected
    to bring, what a client may cost (LTV) against what one did (LTV/CAC); and the payback of the
    cohorts of `back` (the payback chart's, named in the header when not the window's)."""
    cur = f", {currency}" if currency else ""
    columns = [g.t(title), g.t("col.spend") + cur, g.t("col.leads"), g.t("col.cpl") + cur, g.t("col.new_clients"),
               g.t("col.cac") + cur, g.t("cohorts.col.revenue") + cur, g.t("cohorts.col.romi"),
               g.t("cohorts.col.projected_romi"), g.t("cohorts.col.ltv") + cur, g.t("cohorts.col.ltv_cac"),
               g.t("cohorts.col.payback") if back == span else
               g.t("cohorts.col.payback_of", cohorts=span_text(g, "month", back[0], shift("month", back[1], -1)))]
    payback = _window_cut(g, "cohort_payback", by, back)
    paid_back = {str(r[by]): r for r in payback.rows}
    body = []
    for r in rows:
        body.append([g.label(r[by])] + [money_cell(g, result, r, m, span) for m in WINDOW_COLUMNS]
                    + [_payback(g, payback, paid_back.get(str(r[by])), r, back)])
    return Table(columns, body, [False] + [True] * (len(columns) - 1))


def _newest(g: Gather, currency: str) -> list[Table]:
    """The headline period's own cohort per channel, apart: the newest, least ripe one."""
    result = g.cut("cohort_return", by="channel")
    rows = [r for r in g.rows_in(result, g.window.headline) if r["leads"] or r["spend"] or r["revenue"]]
    if not rows:
        return []
    rows.sort(key=lambda r: (-(r["spend"] or 0), -(r["leads"] or 0), str(r["channel"])))
    total = g.row_at(g.cut("cohort_return"), g.window.headline)
    ripe = bool(total and total["ripe"])
    cur = f", {currency}" if currency else ""
    columns = [g.t("col.channel") + g.t("cohorts.col.newest_ripe" if ripe else "cohorts.col.newest",
                                        headline=g.headline_label()),
               g.t("col.spend") + cur, g.t("col.leads"), g.t("col.cpl") + cur, g.t("cohorts.col.revenue") + cur,
               g.t("cohorts.col.romi"), g.t("cohorts.col.projected_romi"), g.t("cohorts.col.ripeness")]
    body = [[g.label(r["channel"])] + [money_cell(g, result, r, m) for m in NEWEST_COLUMNS] for r in rows]
    return [Table(columns, body, [False] + [True] * (len(columns) - 1))]


def _payback(g: Gather, result: Cut, row: dict[str, Any] | None, figures: dict[str, Any],
             span: tuple[date, date]) -> Cell | str:
    """The month of age the revenue covered the spend; "not yet"; or why there is none."""
    if row is not None and row.get("payback_months") is not None:
        return _span_cell(g, result, row, "payback_months", span)
    if not (row or {}).get("spend_m1") and not figures.get("unconverted_spend"):
        return "—"      # nothing spent on these cohorts: nothing to pay back
    return _why_blank(g, figures, "payback_months") or g.t("cohorts.not_yet")


def payback_cohorts(g: Gather) -> tuple[int, date, date] | None:
    """The payback chart's one set of cohorts: (months of age drawn, first cohort month, the
    month after the last). Every cohort month of it has lived through every age drawn (its
    last month of age has ended by the headline's end), so that each point of a curve adds up
    the same cohorts and a cumulative curve cannot fall as young cohorts drop out. The horizon
    is the most ages (up to PAYBACK_AGES) that PAYBACK_COHORTS cohort months with spend have
    reached; None when no cohort month with spend has ended."""
    w = g.window
    first = start_of("month", w.since)
    if first < w.since:
        first = shift("month", first, 1)
    limit = start_of("month", shift(w.kind, w.headline, 1))   # cohorts' months of age end by then
    if limit <= first:
        return None
    spent = sorted(r["period"] for r in cut(g.con, find("cohort_return"), period="month", since=first,
                                            until=limit).rows if r["spend"])
    if not spent:
        return None
    need = min(PAYBACK_COHORTS, len(spent))
    for ages in range(PAYBACK_AGES, 0, -1):
        until = shift("month", limit, -(ages - 1))      # a cohort of month m has lived m .. m+ages-1
        if sum(1 for m in spent if m < until) >= need:
            return ages, spent[0], until    # from the first cohort with spend: it names the set
    return None


def _payback_chart(g: Gather, chosen: tuple[int, date, date], channels: list[str]) -> tuple[Markup, str] | None:
    """Per paid channel: the revenue credited to one fixed set of cohorts by each month of age,
    in percent of their spend, against the spend (100 %): where the line crosses it, they paid
    back. With the remark naming the cohorts it covers."""
    ages, since, until = chosen
    span = (since, until)
    result = _window_cut(g, "cohort_payback", "channel", span)
    by_channel = {str(r["channel"]): r for r in result.rows}
    labels = [g.t("cohorts.age", n=age) for age in range(1, ages + 1)]
    months = span_text(g, "month", since, shift("month", until, -1))
    cohorts = g.t("cohorts.payback_set", cohorts=months)
    parts = []
    for channel in channels[:CHART_CHANNELS]:
        row = by_channel.get(str(channel))
        if not row or row.get("covered_m1") is None:
            continue
        covered: list[Seg | None] = []
        spend: list[Seg | None] = []
        for age, label in enumerate(labels, 1):
            cell = _span_cell(g, result, row, f"covered_m{age}", span)
            covered.append(None if cell.value is None else
                           Seg(cell.value, "dot c2", cell,
                               f"{g.t('cohorts.cum_revenue')}: {cell.text(g.loc)} ({label})"))
            spend.append(None if cell.value is None else Seg(100.0, "dot c3", None, g.t("cohorts.spend_line")))
        title = g.t("cohorts.chart.payback", channel=g.label(channel), cohorts=cohorts)
        parts.append(titled(title, charts.lines(
            labels, [Series(g.t("cohorts.cum_revenue"), "c2", covered), Series(g.t("cohorts.spend_line"), "c3", spend)],
            g.loc, label=title, running=[False] * len(labels), unit="%", height=170)))
    if not parts:
        return None
    return Markup("").join(parts), g.t("cohorts.payback_remark", cohorts=months, ages=ages)


def _ripeness_remarks(g: Gather) -> list[str]:
    """What the figures are: the curve the projections follow and the cohorts it was learnt
    from, and the lead to won deal of the latest ripe cohort beside the newest one's (to date
    and projected: never an unripe cohort's conversion as if final)."""
    curve = cut(g.con, find("ripeness_curve"), period="all").rows
    if curve:
        c = curve[0]
        remarks = [g.t("cohorts.curve", first=_day(g, c["learnt_from"]), last=_day(g, c["learnt_until"]),
                       leads=g.loc.number(c["leads"]), won=g.loc.number(c["won_deals"]),
                       days=g.loc.number(c["ripe_days"], "days"))]
    else:
        remarks = [g.t("cohorts.no_curve", days=g.settings.kpis.attribution_window_days)]
    return remarks + conversion_lines(g)


def _day(g: Gather, day: date | None) -> str:
    return g.loc.period("day", day) if day else "—"
