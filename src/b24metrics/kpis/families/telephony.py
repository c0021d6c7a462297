"""Telephony and call tracking: calls per channel, calls to sales (T1-T2).

A tracking number is the portal number an incoming call came to (PORTAL_NUMBER); the config's
[kpis.tracking_numbers] maps each to the channel it is advertised in; a number it does not name
(the main line) is "(no channel)". Only incoming calls are counted here: an outgoing call is
placed on any free line and tells nothing about a channel (R3 counts the calls a manager makes);
T1 cut by direction alone shows both, incoming beside outgoing.
"""

from b24metrics.kpis.catalogue import Kpi, Measure

SQL = ["telephony.sql"]

CALL_DIMS = ("channel", "manager", "tracking_number")

KPIS = [
    Kpi(
        code="T1", name="calls_by_channel", family="telephony",
        title="Calls per channel", title_ru="Звонки по каналам",
        definition="incoming calls per channel of the tracking number they came to ('(no channel)': a number "
                   "the tracking map does not name): answered (code 200), missed, mean talk time of the answered "
                   "ones; cut by direction, outgoing calls too",
        table="kpi_calls", date="started_at", where="per_call", dims=CALL_DIMS + ("direction",),
        # incoming only, but where the cut is by direction itself
        where_by=tuple((dim, "incoming") for dim in (None, *CALL_DIMS)),
        measures=(
            Measure("calls", "count(*)", title="incoming calls (by direction: calls)"),
            Measure("answered", "count(*) FILTER (WHERE answered)", title="answered"),
            Measure("missed", "count(*) FILTER (WHERE NOT answered)", title="missed"),
            Measure("answered_pct", "round(100.0 * count(*) FILTER (WHERE answered) / count(*), 1)", "%",
                    title="answered share"),
            Measure("mean_duration", "round(avg(duration_s) FILTER (WHERE answered), 1)", "s",
                    title="mean talk time of answered calls"),
        ),
    ),
    Kpi(
        code="T2", name="calls_to_sales", family="telephony",
        title="Calls to sales", title_ru="Звонки → продажи",
        definition="per tracking number: incoming calls, the leads they brought (first call), the deals "
                   "won from them and the clients who bought; counted in the month of the call",
        table="kpi_calls", date="started_at", where="incoming", dims=CALL_DIMS,
        measures=(
            Measure("calls", "count(DISTINCT call_id)", title="incoming calls"),
            Measure("leads", "count(DISTINCT lead_id)", title="leads from the calls"),
            Measure("won_deals", "count(DISTINCT deal_id)", title="won deals"),
            Measure("clients", "count(DISTINCT client) FILTER (WHERE deal_id IS NOT NULL)", title="clients"),
            Measure("lead_pct", "round(100.0 * count(DISTINCT lead_id) / count(DISTINCT call_id), 1)", "%",
                    title="calls that became a lead"),
            Measure("client_pct", "round(100.0 * count(DISTINCT client) FILTER (WHERE deal_id IS NOT NULL) "
                                  "/ count(DISTINCT call_id), 1)", "%", title="clients per call"),
        ),
    ),
    Kpi(
        code="T2", name="call_client_cost", family="telephony",
        title="Cost per client per tracking number", title_ru="Стоимость клиента по номеру",
        definition="per tracking number and month of the calls: revenue of the deals won from them and "
                   "the number's own spend (spend rows naming it) per client, per currency; a number without "
                   "spend of its own has no cost per client (its channel's is M5's)",
        periods=("month", "quarter", "year", "all"),
        table="kpi_call_money", date="month", dims=("channel", "tracking_number"), per_currency=True,
        measures=(
            Measure("cost_per_client", "CASE WHEN NOT bool_or(spend_split) THEN round(sum(spend) / "
                                       "nullif(sum(clients) FILTER (WHERE spend > 0), 0), 2) END", "money",
                    title="own spend per client (none without spend of its own)"),
            Measure("spend", "round(sum(spend), 2)", "money", title="the number's own spend"),
            Measure("clients", "sum(clients)", title="clients"),
            Measure("revenue", "round(sum(revenue), 2)", "money", title="revenue of won deals"),
            Measure("own_spend", "bool_or(own_spend)", title="the number has spend of its own (in any currency)"),
        ),
    ),
]
