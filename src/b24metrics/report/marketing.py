"""Report sections on leads: the headline figures, leads by channel, grade mix, funnel, speed to
lead, deal cycle. Each takes the Gather (the cuts of this report) and returns a Section; a
section with nothing to draw says why instead of drawing an empty chart."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from markupsafe import Markup

from b24metrics.grading import check_rule_fields, one_grade_share
from b24metrics.kpis.cuts import Cut
from b24metrics.kpis.families.attribution import use_model
from b24metrics.kpis.families.funnel import ALONE, TOO_FEW
from b24metrics.kpis.headline import INPUT_MISSING, MIN_COMPARED_LEADS, NONE, RIPE, CohortConversion, cohort_conversion
from b24metrics.kpis.lead_stages import stages_used
from b24metrics.report import charts
from b24metrics.report.alarm import card_base, enough
from b24metrics.report.charts import Bar, HRow, Seg, Series
from b24metrics.report.gather import Gather
from b24metrics.report.model import Card, Cell, Section, Table, titled
from b24metrics.report.palette import OTHER, OTHER_CSS
from b24metrics.report.window import shift, year_before

#: (KPI, measure, 1 when up is good / -1 when down is)
CARDS = [
    ("leads_by_channel", "leads", 1), ("lead_grades", "target_share", 1), ("lead_to_won", "won_rate", 1),
    ("speed_to_lead", "median_min", -1), ("win_loss", "won", 1), ("win_loss", "win_rate", 1),
    ("revenue", "revenue", 1), ("revenue", "avg_check", 1), ("revenue_converted", "new_clients", 1),
    ("deal_cycle", "median_days", -1),
]


def seg(g: Gather, cell: Cell, css: str, name: str = "") -> Seg:
    """A chart mark for a Cell, its hover text naming what it is and the value as printed."""
    prefix = f"{name}: " if name else ""
    period = g.loc.period(cell.kind, cell.period) if cell.period else ""
    return Seg(cell.value, css, cell, f"{prefix}{cell.text(g.loc)}" + (f" ({period})" if period else ""))


def change_cells(g: Gather, cells: tuple[Cell, Cell, Cell]) -> list:
    value, prev, yoy = cells
    return [value, prev, yoy, g.loc.change(value.value, prev.value, value.unit)[0],
            g.loc.change(value.value, yoy.value, value.unit)[0]]


def _note(result: Cut, g: Gather) -> str:
    return g.t("simple_mode") if result.note else ""


def breakdown(g: Gather, sid: str, name: str, by: str, **lead: object) -> tuple[Section, Cut, list[dict]]:
    """A section on the headline period of one KPI cut by `by`: the section (its note says why
    when there is nothing to show: no leads on the portal, no rows), the cut, the headline's rows."""
    headline = g.headline_label()
    section = Section(sid, g.t(sid), g.t(f"{sid}.lead", headline=headline, **lead))
    result = g.cut(name, by=by)
    rows = g.rows_in(result, g.window.headline)
    if result.note or not rows:
        section.note = _note(result, g) or g.t(f"{sid}.none", headline=headline)
    return section, result, rows


def headline(g: Gather) -> Section:
    """The headline figures against the period before and a year before; lead to won deal in the
    cohort view, of the cohort kpis/headline.py picks (conversion_card), with under them what it
    is of."""
    w = g.window
    prev = g.loc.period(w.kind, shift(w.kind, w.headline, -1))
    yoy = g.loc.period(w.kind, year_before(w.kind, w.headline))
    section = Section("headline", g.t("headline"), g.t("headline.lead", headline=g.headline_label(), prev=prev,
                                                         yoy=yoy))
    running = [w.running(p) for p in w.periods]
    current = w.current
    conv = conversion(g)     # the lead to won card and the remarks under the cards
    for name, measure, better in CARDS:
        result = g.cut(name)
        if result.note:
            if g.t("simple_mode") not in section.remarks:
                section.remarks.append(g.t("simple_mode"))
            continue
        currencies = _currencies(result, w.headline, g.settings.kpis.base_currency) if result.kpi.per_currency \
            else [None]
        for currency in currencies:
            keys = {"currency": currency} if currency is not None else {}
            row = g.row_at(result, w.headline, **keys)
            now_cell, prev_cell, yoy_cell = (g.cell(result, row, measure, suffix, period=w.headline, currency=currency)
                                for suffix in ("", "_prev", "_yoy"))
            points: list[Seg | None] = []
            for period, is_running in zip(w.periods, running):
                cell = g.cell(result, g.row_at(result, period, **keys), measure, period=period, currency=currency)
                points.append(seg(g, cell, "spark-dot" + (" running" if is_running else "")))
            title = g.t(f"card.{measure}", currency=currency or "")
            counted = card_base(name, row)
            card = Card(
                title, now_cell, prev_cell, yoy_cell,
                prev_change=plain_if_few(g, g.loc.change(now_cell.value, prev_cell.value, now_cell.unit),
                                         counted, card_base(name, row, "_prev")),
                yoy_change=plain_if_few(g, g.loc.change(now_cell.value, yoy_cell.value, now_cell.unit),
                                        counted, card_base(name, row, "_yoy")), better=better,
                spark=charts.sparkline(points, label=title),
                why=blank_reason(g, name, row, now_cell, w.headline))
            if current is not None:
                to_date = g.cell(result, g.row_at(result, current, **keys), measure, period=current, currency=currency)
                card.to_date = to_date
                card.to_date_label = g.t("to_date", period=g.loc.period(w.kind, current))
                card.forecast = forecast_text(g, measure, to_date, w.elapsed(current))
            if name == "lead_to_won":
                card = conversion_card(g, card, conv)
            section.cards.append(card)
    if current is not None:
        section.remarks.append(g.t("to_date.remark", period=g.loc.period(w.kind, current),
                                   share=g.loc.number(round(100 * w.elapsed(current)), "%")))
    section.remarks += conversion_remarks(g, conv)
    return section


def conversion(g: Gather) -> CohortConversion:
    """The headline's lead to won deal in the cohort view, as kpis/headline.py picks it."""
    use_model(g.con, g.settings.kpis.attribution_model)
    return cohort_conversion(g.cut("cohort_return"), g.window.headline)


def conversion_card(g: Gather, card: Card, conv: CohortConversion) -> Card:
    """The headline's lead to won deal in the cohort view, never an unripe cohort's as if final:
    the figure kpis/headline.py picks (the latest ripe cohort's, named on the card; else the
    headline cohort's projection, marked as one; else its figure to date, marked as not final).
    Its comparisons are the same measure of the cohorts a period and a year before, none where
    that cohort has too few leads; its trend, the ripe cohorts only."""
    w = g.window
    if conv.basis == INPUT_MISSING:
        why = g.t("card.won_rate.input_missing", why=(conv.result.note or "").removeprefix("input missing: "))
        return replace(card, why=why, to_date=None, to_date_label="", forecast="")
    if conv.basis == NONE or conv.row is None:
        return card     # no lead in the headline cohort: the card says why as it is
    total, row, measure = conv.result, conv.row, conv.measure
    cohort = g.loc.period(w.kind, row["period"])
    basis = g.t(f"card.won_rate.{conv.basis}", cohort=cohort if conv.basis == RIPE else g.headline_label())
    if row["period"] != w.headline:     # its comparisons are not the headline period's: say which they are
        basis += g.t("card.won_rate.compared", prev=g.loc.period(w.kind, shift(w.kind, row["period"], -1)),
                     yoy=g.loc.period(w.kind, year_before(w.kind, row["period"])))
    value = g.cell(total, row, measure)
    prev, yoy = (g.cell(total, row, measure, suffix) if conv.comparable(suffix) else
                 g.t("card.thin", leads=g.loc.number(conv.leads(suffix))) for suffix in ("_prev", "_yoy"))
    points: list[Seg | None] = []
    for period in w.periods:
        at = g.row_at(total, period)
        ripe = at is not None and at["ripe"] and period <= w.headline
        points.append(seg(g, g.cell(total, at, "won_rate"), "spark-dot") if ripe else None)
    return replace(card, value=value, prev=prev, yoy=yoy, basis=basis, why="", to_date=None, to_date_label="",
                   forecast="", spark=charts.sparkline(points, label=card.title),
                   prev_change=_compared(g, conv, value, "_prev"), yoy_change=_compared(g, conv, value, "_yoy"))


def _compared(g: Gather, conv: CohortConversion, value: Cell, suffix: str) -> tuple[str, int]:
    """The change against a comparison cohort: none where it is too thin to compare with."""
    if not conv.comparable(suffix):
        return "", 0
    # a rate moves with its wins, never more of them than leads: no red on 3 won against 4,
    # however many leads came
    return plain_if_few(g, g.loc.change(value.value, conv.compared(suffix), value.unit), conv.wins(),
                        conv.wins(suffix), words="few_wins")


def conversion_remarks(g: Gather, conv: CohortConversion) -> list[str]:
    """Under the headline: what its lead to won deal card is of (the cohort view's figure),
    with the latest ripe cohort's rate and the headline cohort's to date and projected."""
    if conv.basis in (NONE, INPUT_MISSING) and conv.latest_ripe is None:
        return []
    remarks = [g.t("cohorts.card_basis")] + conversion_lines(g, conv)
    if conv.row is not None and not (conv.comparable("_prev") and conv.comparable("_yoy")):
        remarks.append(g.t("cohorts.thin", leads=MIN_COMPARED_LEADS))
    return remarks


def conversion_lines(g: Gather, conv: CohortConversion | None = None) -> list[str]:
    """Lead to won deal in the cohort view (won deals credited to a cohort per its lead): the
    latest ripe cohort's, and the headline cohort's to date and projected (or too early to)."""
    conv = conv or conversion(g)
    total, latest, now = conv.result, conv.latest_ripe, conv.newest
    remarks = []
    if latest is not None:
        remarks.append(g.t("cohorts.ripe_rate", cohort=g.loc.period(g.window.kind, latest["period"]),
                           rate=g.cell(total, latest, "won_rate").text(g.loc)))
    if now is not None and (latest is None or latest is not now):
        key = "cohorts.ripe_now" if now["ripe"] else "cohorts.unripe_now"
        if now.get("too_early_rate") and not now["ripe"]:
            key += ".too_early"     # no projection: it would only repeat the zero to date
        remarks.append(g.t(key, headline=g.headline_label(), ripeness=g.cell(total, now, "ripeness").text(g.loc),
                           rate=g.cell(total, now, "won_rate").text(g.loc),
                           projected=g.cell(total, now, "projected_won_rate").text(g.loc)))
    return remarks


def plain_if_few(g: Gather, change: tuple[str, int], now: int, then: int,
                 words: str = "few_records") -> tuple[str, int]:
    """A change counted on fewer records than report.min_count_for_red, in either period: no
    direction (so neither red nor green), its counts beside it (`words`: what they count)."""
    if not change[0] or enough(g.settings.report.min_count_for_red, now, then):
        return change
    return f"{change[0]} {g.t(words, now=now, then=then)}", 0


#: measures that add up over a period, so that the figure so far divided by the share of the
#: period gone is a forecast; a median or a share is not forecast that way
ADDITIVE = {"leads", "won", "revenue", "new_clients"}
#: below this share of the period gone, a forecast from its first hours would be noise
FORECAST_AFTER = 0.1


def forecast_text(g: Gather, measure: str, to_date: Cell, elapsed: float) -> str:
    if measure not in ADDITIVE:
        return ""
    if elapsed < FORECAST_AFTER:
        return g.t("forecast.early")
    value = to_date.value or 0
    return g.t("forecast", value=g.loc.number(round(float(value) / elapsed, 2 if to_date.unit == "money" else 0),
                                              to_date.unit, to_date.currency))


#: what a blank headline figure lacks: the records its KPI counts (in the headline period)
COUNTS = {"leads_by_channel": "leads", "lead_grades": "leads", "lead_to_won": "leads", "speed_to_lead": "leads",
          "win_loss": "closed", "revenue": "won", "revenue_converted": "won", "deal_cycle": "won"}


def blank_reason(g: Gather, name: str, row: dict | None, cell: Cell, period: date) -> str:
    """Why a card shows a dash: no record in the period at all, or records but nothing to
    compute this measure from (no lead answered, no deal closed)."""
    if cell.value is not None:
        return ""
    headline = g.loc.period(g.window.kind, period)
    if row is None:
        if cell.currency:
            return g.t("why.none.currency", headline=headline, currency=cell.currency)
        return g.t(f"why.none.{COUNTS.get(name, 'records')}", headline=headline)
    return g.t("why.null", headline=headline)


def _currencies(result: Cut, headline, base: str | None = None) -> list[str | None]:
    """A money card per currency the headline period has, the base currency first; with none,
    one card in the base currency saying so. Without kpis.base_currency the base is the currency
    the portal sells in most often over the window (a portal's own base is not synced)."""
    present = sorted({r["currency"] for r in result.rows if r["period"] == headline})
    if base is None:
        seen: dict[str, tuple[int, float]] = {}
        for r in result.rows:
            periods, total = seen.get(r["currency"], (0, 0.0))
            seen[r["currency"]] = (periods + 1, total + float(r.get(result.kpi.main.name) or 0))
        base = max(sorted(seen), key=lambda c: seen[c]) if seen else None
    if base is None:
        return present or [None]
    return [base] + [c for c in present if c != base]


def channels(g: Gather) -> Section:
    w = g.window
    section = Section("channels", g.t("channels"), g.t("channels.lead", kind=g.kind_label()))
    result = g.cut("leads_by_channel", by="channel")
    if result.note or not result.rows:
        section.note = _note(result, g) or g.t("channels.none")
        return section
    # Most leads first, so that the big channels sit at the bottom of each column and lead the
    # legend; past report.top_channels the rest stack as one grey "other" on top.
    palette = g.channels()
    order = list(palette.top) + list(palette.rest)
    stacks = []
    for period in w.periods:
        stack, other, names = [], 0, []
        for channel in order:
            row = g.row_at(result, period, channel=channel)
            if row is None:
                continue
            if palette.is_other(channel):
                other += row["leads"] or 0
                names.append(f"{g.label(channel)}: {g.cell(result, row, 'leads').text(g.loc)}")
            else:
                stack.append(seg(g, g.cell(result, row, "leads"), palette.css(channel), g.label(channel)))
        if other:
            stack.append(Seg(other, OTHER_CSS, None, f"{g.label(OTHER)}: {g.loc.number(other)} "
                                                    f"({g.loc.period(w.kind, period)}) — {'; '.join(names)}"))
        stacks.append(stack)
    section.chart = charts.columns([g.loc.short_period(w.kind, p) for p in w.periods], stacks, g.loc,
                                   label=section.title, running=[w.running(p) for p in w.periods])
    section.legend = [(palette.css(c), g.label(c)) for c in palette.top]
    if palette.rest:
        section.legend.append((OTHER_CSS, g.t("channels.other", count=len(palette.rest))))
    rows = []
    for channel in order:
        row = g.row_at(result, w.headline, channel=channel)
        if row is None:
            continue
        now_cell, prev_cell, yoy_cell = (g.cell(result, row, "leads", s) for s in ("", "_prev", "_yoy"))
        changes = change_cells(g, (now_cell, prev_cell, yoy_cell))
        rows.append([g.label(channel)] + changes[:1] + [g.cell(result, row, "share")] + changes[1:])
    section.tables.append(Table(
        [g.t("col.channel"), g.t("col.leads"), g.t("col.share"), g.t("col.prev"), g.t("col.yoy"),
         g.t("col.change_prev"), g.t("col.change_yoy")], rows, [False] + [True] * 6))
    if any(w.running(p) for p in w.periods):
        section.remarks.append(g.t("running"))
    return section


GRADES = (("a", "grade-a", "A"), ("b", "grade-b", "B"), ("c", "grade-c", "C"), ("d", "grade-d", "D"))


def grades(g: Gather) -> Section:
    section, result, rows = breakdown(g, "grades", "lead_grades", "channel")
    # Rules the portal cannot serve, or that put nearly everyone in one grade, make the mix
    # below meaningless: say so above it (the same lines as sync and the daemon's log).
    section.remarks += [g.t("grades.stopped", problem=p) for p in check_rule_fields(g.con, g.settings.grading)]
    one = one_grade_share(g.con)
    if one:
        section.remarks.append(g.t("grades.one_grade", share=f"{100 * one['share']:.0f} %", leads=one["leads"],
                                   grade=one["grade"]))
    if section.note:
        return section
    rows.sort(key=lambda r: (-sum(r[m] or 0 for m, _, _ in GRADES), str(r["channel"])))
    section.chart = charts.hbars(
        [HRow(g.label(r["channel"]), [Bar([seg(g, g.cell(result, r, m), css, name) for m, css, name in GRADES],
                                          note=g.cell(result, r, "target_share").text(g.loc))]) for r in rows],
        g.loc, label=section.title, scale="share")
    section.legend = [(css, name) for _, css, name in GRADES]
    section.tables.append(Table(
        [g.t("col.channel"), "A", "B", "C", "D", g.t("col.target_share"), g.t("col.mean_score")],
        [[g.label(r["channel"])] + [g.cell(result, r, m) for m, _, _ in GRADES]
         + [g.cell(result, r, "target_share"), g.cell(result, r, "mean_score")] for r in rows],
        [False] + [True] * 6))
    return section


def funnel(g: Gather) -> Section:
    section, result, rows = breakdown(g, "funnel", "stage_conversion", "stage")
    if section.note:
        return section
    # kpi_stages names each stage's pipeline (the cut by stage gives "Pipeline: Stage" labels).
    stages = {stage: (entity, pipeline, name) for stage, entity, pipeline, name in g.con.execute(
        "SELECT stage, entity, pipeline, stage_name FROM kpi_stages").fetchall()}
    groups: dict[str, list[HRow]] = {}
    table = []
    for r in rows:
        entity, pipeline, name = stages.get(r["stage"], ("deal", "", r["stage"]))
        group = g.t("pipeline.leads") if entity == "lead" else g.label(pipeline)
        bottleneck = r["bottleneck"] is True
        verdict = (g.t("bottleneck") if bottleneck else g.t("too_few") if r["verdict"] == TOO_FEW
                   else g.t("funnel.alone") if r["verdict"] == ALONE else "")
        conversion = g.cell(result, r, "conversion")
        note = f"→ {conversion.text(g.loc)}" if conversion.value is not None else ""
        if r["skipped"]:
            note = f"{note}  {g.t('funnel.skipped', n=r['skipped'])}".strip()
        groups.setdefault(group, []).append(HRow(
            name, [Bar([seg(g, g.cell(result, r, "reached"), "bottleneck" if bottleneck else "stage", name)],
                       note=note)], flag=f"{note}  ⚠ {g.t('bottleneck')}" if bottleneck else ""))
        low, high = g.cell(result, r, "conversion_low"), g.cell(result, r, "conversion_high")
        interval = f"{low.text(g.loc)} – {high.text(g.loc)}" if low.value is not None else ""
        table.append([Markup("<b>{}</b> · {}").format(group, name) if bottleneck else f"{group} · {name}",
                      g.cell(result, r, "reached"), g.cell(result, r, "left"), g.cell(result, r, "went_on"),
                      conversion, interval,
                      g.cell(result, r, "skipped"), g.cell(result, r, "waiting"), verdict])
    section.chart = Markup("").join(titled(group, charts.hbars(hrows, g.loc, label=group, note_width=170))
                                    for group, hrows in groups.items())
    section.legend = [("stage", g.t("col.reached")), ("bottleneck", g.t("bottleneck"))]
    section.tables.append(Table([g.t("col.stage"), g.t("col.reached"), g.t("col.left"), g.t("col.went_on"),
                                 g.t("col.conversion"), g.t("col.interval"), g.t("col.skipped"), g.t("col.waiting"), ""],
                                table, [False, True, True, True, True, True, True, True, False]))
    if g.settings.kpis.funnel.reading == "history":
        section.remarks.append(g.t("funnel.history"))
    section.remarks.append(g.t("funnel.minimum", n=g.settings.kpis.funnel.min_items))
    if any(stages.get(r["stage"], ("deal",))[0] == "lead" for r in rows):
        section.remarks.append(_lead_stages(g))
    return section


def _lead_stages(g: Gather) -> str:
    """Which lead statuses the SAL and SQL rates (M3) count, and whether the config chose them."""
    used = {u.kind: u for u in stages_used(g.con, g.settings.kpis.lead_stages)}

    def listed(kind: str) -> str:
        how = g.t("lead_stages.configured" if used[kind].configured else "lead_stages.inferred")
        return f"{', '.join(used[kind].statuses) or g.t('no_data')} ({how})"

    return g.t("lead_stages", accepted=listed("accepted"), qualified=listed("qualified"))


def rejections(g: Gather) -> Section:
    """Why leads and deals created in the headline period were lost: by the configured reason
    field (its labels, never the IDs the portal stores), else by the final status or stage."""
    by = "reason" if g.settings.kpis.rejection_field else "stage"
    headline = g.headline_label()
    section = Section("rejections", g.t("rejections"), g.t(f"rejections.lead.{by}", headline=headline,
                                                          field=g.settings.kpis.rejection_field or ""))
    parts, table = [], []
    for name in ("lead_rejections", "deal_rejections"):
        result = g.cut(name, by=by)
        rows = sorted(g.rows_in(result, g.window.headline), key=lambda r: (-(r["lost"] or 0), str(r[by])))
        if result.note or not rows:
            continue
        title = g.t(f"rejections.{name}")
        parts.append(titled(title, charts.hbars(
            [HRow(g.label(r[by]), [Bar([seg(g, g.cell(result, r, "lost"), "c-other", g.label(r[by]))],
                                       note=g.cell(result, r, "share").text(g.loc))]) for r in rows],
            g.loc, label=title)))
        table += [[title, g.label(r[by]), g.cell(result, r, "lost"), g.cell(result, r, "share")] for r in rows]
    if not parts:
        section.note = g.t("rejections.none", headline=headline)
        return section
    section.chart = Markup("").join(parts)
    section.tables.append(Table([g.t("col.kind"), g.t(f"col.{by}"), g.t("col.lost"), g.t("col.share")], table,
                                [False, False, True, True]))
    return section


def speed(g: Gather) -> Section:
    sla = g.settings.kpis.speed_sla_minutes
    sla_text = g.loc.number(sla, "min")
    section, result, rows = breakdown(g, "speed", "speed_to_lead", "manager", sla=sla_text)
    if section.note:
        return section
    rows.sort(key=lambda r: (r["median_min"] is None, r["median_min"] or 0))
    ticks = [(minutes, g.loc.number(value, unit)) for minutes, value, unit in
             ((1, 1, "min"), (10, 10, "min"), (60, 1, "h"), (480, 8, "h"), (1440, 1, "days"), (10080, 7, "days"),
              (43200, 30, "days"))]
    section.chart = charts.hbars(
        [HRow(g.label(r["manager"]), [Bar([seg(g, g.cell(result, r, "median_min"), "s-med", g.t("series.median"))],
                                          note=g.cell(result, r, "median_min").text(g.loc)),
                                      Bar([seg(g, g.cell(result, r, "p90_min"), "s-p90", g.t("series.p90"))],
                                          note=g.cell(result, r, "p90_min").text(g.loc))]) for r in rows],
        g.loc, label=section.title, scale="log", ticks=ticks, ref=(sla, f"SLA {sla_text}"))
    section.legend = [("s-med", g.t("series.median")), ("s-p90", g.t("series.p90"))]
    section.tables.append(Table(
        [g.t("col.manager"), g.t("col.leads"), g.t("col.median"), g.t("col.p90"), g.t("col.over_sla"),
         g.t("col.never"), g.t("col.within_sla")],
        [[g.label(r["manager"])] + [g.cell(result, r, m) for m in ("leads", "median_min", "p90_min", "over_sla",
                                                                   "never_contacted", "within_sla")] for r in rows],
        [False] + [True] * 6))
    return section


CYCLE_SERIES = (("median_days", "c0"), ("mean_days", "c1"), ("median_lead_days", "c2"))


def cycle(g: Gather) -> Section:
    w = g.window
    section = Section("cycle", g.t("cycle"), g.t("cycle.lead", kind=g.kind_label()))
    result = g.cut("deal_cycle")
    if not result.rows:
        section.note = g.t("cycle.none")
        return section
    series = []
    for measure, css in CYCLE_SERIES:
        points = []
        for period in w.periods:
            row = g.row_at(result, period)
            points.append(None if row is None else seg(g, g.cell(result, row, measure), f"dot {css}",
                                                       g.t(f"series.{measure}")))
        series.append(Series(g.t(f"series.{measure}"), css, points))
    running = [w.running(p) for p in w.periods]
    section.chart = charts.lines([g.loc.short_period(w.kind, p) for p in w.periods], series, g.loc,
                                 label=section.title, running=running, unit="days")
    section.legend = [(css, g.t(f"series.{m}")) for m, css in CYCLE_SERIES]
    section.tables.append(Table(
        [g.t("col.period"), g.t("col.won"), g.t("series.median_days"), g.t("series.mean_days"),
         g.t("series.median_lead_days")],
        [[g.loc.period(w.kind, r["period"])] + [g.cell(result, r, m) for m in
                                                ("won", "median_days", "mean_days", "median_lead_days")]
         for r in result.rows],
        [False] + [True] * 4))
    if any(running):
        section.remarks.append(g.t("running"))
    return section
