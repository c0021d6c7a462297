"""Marketing: volume and quality of leads (M1-M7)."""

from b24metrics.kpis.catalogue import DIMENSIONS, Kpi, Measure

SQL = ["marketing.sql", "lead_quality.sql"]

LEAD_DIMS = ("channel", "utm_source", "utm_medium", "utm_campaign", "manager", "grade")
LOSS_DIMS = ("channel", "utm_source", "utm_medium", "utm_campaign", "manager", "stage")
# kpi_rejections holds the configured reason field in a `reason` column; it becomes a cut as soon
# as the catalogue lists "reason" among its dimensions.
REASON = tuple(d for d in ("reason",) if d in DIMENSIONS)


def _count(where: str) -> str:
    return f"count(*) FILTER (WHERE {where})"


def _running(aggregate: str) -> str:
    """The aggregate summed over this period and every one before it."""
    return f"sum({aggregate}) OVER (ORDER BY period)"


def _pct(part: str, whole: str = "count(*)") -> str:
    """part / whole in percent, one decimal; NULL when there is nothing to divide by."""
    return f"round(100.0 * {part} / nullif({whole}, 0), 1)"


def _wilson(successes: str, trials: str, sign: int) -> str:
    """The lower (sign -1) or upper (+1) end of the 95% Wilson interval of successes / trials,
    in percent; grading/backtest.py's wilson() is the same formula (a test holds them equal)."""
    z2 = 1.959964 ** 2
    p = f"(1.0 * {successes} / nullif({trials}, 0))"
    half = f"1.959964 * sqrt({p} * (1 - {p}) / {trials} + {z2} / (4.0 * {trials} * {trials}))"
    op = "+" if sign > 0 else "-"
    return f"round(100.0 * (({p} + {z2} / (2.0 * {trials})) {op} {half}) / (1 + {z2} / {trials}), 1)"


def _rate(where: str) -> str:
    """Leads won / leads, among the rows where `where` holds."""
    return f"1.0 * {_count(f'won AND {where}')} / nullif({_count(where)}, 0)"


A, D = "grade = 'A'", "grade = 'D'"


def _lead_kpi(code: str, name: str, title: str, title_ru: str, definition: str, *measures: Measure) -> Kpi:
    """A KPI over kpi_leads: leads placed in periods by their creation, cut like a lead."""
    return Kpi(code=code, name=name, family="marketing", title=title, title_ru=title_ru, definition=definition,
               table="kpi_leads", date="created_at", dims=LEAD_DIMS, needs_leads=True, measures=measures)


def _loss_kpi(name: str, kind: str, title_ru: str, definition: str, dims: tuple[str, ...], **kw) -> Kpi:
    """M6 for one kind of record in kpi_rejections; the share is of that kind's losses only."""
    return Kpi(code="M6", name=name, family="marketing", title=f"Rejection reasons: {kind}s", title_ru=title_ru,
               definition=definition, table="kpi_rejections", date="created_at", dims=dims + REASON,
               where=f"kind = '{kind}'", **kw, measures=(
                   Measure("lost", "count(*)", title=f"lost {kind}s"),
                   Measure("share", _pct("count(*)", "sum(count(*)) OVER (PARTITION BY period)"), "%",
                           title="share of the period's losses"),
               ))


KPIS = [
    _lead_kpi(
        "M1", "leads_by_channel", "Leads by channel", "Лиды по каналам",
        "leads created in the period, per source, and each source's share of them",
        Measure("leads", "count(*)", title="leads"),
        Measure("share", "round(100.0 * count(*) / sum(count(*)) OVER (PARTITION BY period), 1)", "%",
                title="share of the period's leads"),
    ),
    _lead_kpi(
        "M2", "lead_grades", "Lead grade mix", "Качество лидов (A–D)",
        "leads per fit grade A-D from the config's rules; share of the target segment (A+B); mean score",
        Measure("target_share", "round(100.0 * count(*) FILTER (WHERE grade IN ('A', 'B')) / count(*), 1)", "%",
                title="A+B share"),
        Measure("a", "count(*) FILTER (WHERE grade = 'A')", title="A"),
        Measure("b", "count(*) FILTER (WHERE grade = 'B')", title="B"),
        Measure("c", "count(*) FILTER (WHERE grade = 'C')", title="C"),
        Measure("d", "count(*) FILTER (WHERE grade = 'D')", title="D"),
        Measure("mean_score", "round(avg(score), 1)", title="mean score"),
    ),
    Kpi(
        code="M2", name="lead_engagement", family="marketing", title="Lead engagement", title_ru="Вовлечённость лидов",
        definition="engagement 0-100 of the leads created in the period, as of today (what they did, decayed "
                   "since their last touch); share of leads that did anything",
        table="kpi_lead_engagement", date="created_at", dims=LEAD_DIMS, needs_leads=True, measures=(
            Measure("mean_engagement", "round(avg(engagement), 1)", title="mean engagement"),
            Measure("touched_share", _pct(_count("touched")), "%", title="leads that did anything"),
            Measure("hot", _count("engagement >= 50"), title="engagement 50+"),
            Measure("leads", "count(*)", title="leads"),
        ),
    ),
    Kpi(
        code="M2", name="grade_lift", family="marketing", title="Grade at entry against outcome",
        title_ru="Грейд на входе и результат",
        definition="settled leads (converted or junk, no deal open) by their grade at entry: lead to deal and lead "
                   "to won with 95% Wilson intervals, revenue per lead, median days to won; A's won rate over D's",
        table="kpi_grade_outcomes", date="created_at", dims=LEAD_DIMS, needs_leads=True, measures=(
            Measure("won_rate", _pct(_count("won")), "%", title="lead to won"),
            Measure("won_low", _wilson(_count("won"), "count(*)", -1), "%", title="lead to won, 95% from"),
            Measure("won_high", _wilson(_count("won"), "count(*)", 1), "%", title="lead to won, 95% to"),
            Measure("deal_rate", _pct(_count("deal")), "%", title="lead to deal"),
            Measure("deal_low", _wilson(_count("deal"), "count(*)", -1), "%", title="lead to deal, 95% from"),
            Measure("deal_high", _wilson(_count("deal"), "count(*)", 1), "%", title="lead to deal, 95% to"),
            Measure("leads", "count(*)", title="settled leads"),
            Measure("revenue_per_lead", "round(sum(revenue) / count(*), 2)",
                    title="revenue per lead (in the currency most won deals are in)"),
            Measure("median_cycle_days", "round(median(cycle_days) FILTER (WHERE won), 1)", "days",
                    title="lead to won, median days"),
            Measure("lift", f"round(({_rate(A)}) / nullif({_rate(D)}, 0), 2)",
                    title="A's won rate over D's"),
        ),
    ),
    _lead_kpi(
        "M3", "qualification_rates", "Qualification rates (SAL, SQL, junk)", "Квалификация лидов (SAL, SQL, брак)",
        "leads accepted into work / leads (SAL); of those, qualified (SQL: converted to a deal or contact, or "
        "the statuses of kpis.lead_stages); leads in a final negative status / leads (junk)",
        Measure("sal_rate", _pct(_count("accepted")), "%", title="SAL rate"),
        # accepted AND qualified: the SQL stage is a part of the SAL stage, never above 100%
        Measure("sql_rate", _pct(_count("accepted AND qualified"), _count("accepted")), "%", title="SQL rate"),
        Measure("junk_rate", _pct(_count("junk")), "%", title="junk rate"),
        Measure("leads", "count(*)", title="leads"),
        Measure("accepted", _count("accepted"), title="accepted (SAL)"),
        Measure("converted", _count("accepted AND converted"), title="converted to a deal or contact"),
        Measure("qualified", _count("accepted AND qualified"), title="qualified (SQL)"),
        Measure("junk", _count("junk"), title="junk"),
    ),
    _lead_kpi(
        "M4", "lead_to_won", "Lead to won deal conversion", "Конверсия лида в успешную сделку",
        "leads with a won deal made from them (deal LEAD_ID) / leads created; also leads with any deal / leads",
        Measure("won_rate", _pct(_count("won")), "%", title="lead to won deal"),
        Measure("deal_rate", _pct(_count("deals > 0")), "%", title="lead to deal"),
        Measure("leads", "count(*)", title="leads"),
        Measure("with_deal", _count("deals > 0"), title="leads with a deal"),
        Measure("won", _count("won"), title="leads with a won deal"),
    ),
    _loss_kpi(
        "lead_rejections", "lead", "Причины отказа: лиды",
        "lost leads (a final status of semantics F) by that status or the configured reason field, by lead creation",
        LOSS_DIMS, needs_leads=True,
    ),
    # deals need no leads: a portal in simple CRM mode still has its lost deals
    _loss_kpi(
        "deal_rejections", "deal", "Причины отказа: сделки",
        "lost deals (a stage of semantics F) by that stage or the configured reason field, by deal creation",
        LOSS_DIMS + ("pipeline",),
    ),
    Kpi(
        code="M7", name="contact_base_growth", family="marketing",
        title="Contact base growth", title_ru="Рост клиентской базы",
        definition="contacts and companies created in the period, and the live base at the period's end",
        table="kpi_contact_base", date="created_at",
        # No dimensions: a running total per manager or channel would have to be partitioned by
        # the cut's dimension, which a measure cannot name. The sum runs over the periods before
        # the cut's `since` too (the cut filters periods after the window), and the table's empty
        # days give each period a row, so `<total>_prev` is the base at the previous period's end.
        measures=(
            Measure("new_contacts", _count("kind = 'contact'"), title="new contacts"),
            Measure("new_companies", _count("kind = 'company'"), title="new companies"),
            Measure("contacts_total", _running(_count("kind = 'contact'")), title="contacts, cumulative"),
            Measure("companies_total", _running(_count("kind = 'company'")), title="companies, cumulative"),
        ),
    ),
]
