"""The report's words around its figures, in Russian and English: the period under way "to date"
with its forecast, why a figure is blank, the hygiene thresholds, the channels gathered into
"other", the rejection reasons. text.py merges them into its tables."""

from __future__ import annotations

NOTES: dict[str, dict[str, str]] = {
    "ru": {
        "to_date": "{period} на сегодня",
        "to_date.remark": "Под каждой цифрой — {period} на сегодня (прошло {share} периода) и прогноз к его концу "
                          "при текущем темпе; доли и медианы не прогнозируются.",
        "forecast": "прогноз {value}",
        "forecast.early": "прогноз — позже",
        "why.none.leads": "Нет лидов, созданных в периоде «{headline}».",
        "why.none.closed": "Нет сделок, закрытых в периоде «{headline}».",
        "why.none.won": "Нет сделок, выигранных в периоде «{headline}».",
        "why.none.records": "Нет записей за период «{headline}».",
        "why.none.currency": "Нет сделок в {currency}, выигранных в периоде «{headline}».",
        "why.null": "Не из чего считать: в периоде «{headline}» нет ни одного случая для этой цифры.",
        "channels.other": "другие ({count})",
        "hygiene.lead.thresholds": "{headline}: записи с пробелами у каждого менеджера — сколько и какая доля. "
                                   "Красным — доля выше порога (report.hygiene): {bounds}.",
        "hygiene.past": "выше порога", "hygiene.within": "в пределах порога",
        "hygiene.count_bound": "больше {count} у менеджера",
        "rejections": "Причины отказа",
        "rejections.lead.reason": "{headline}: почему проиграны лиды и сделки, созданные в этом периоде, — по полю "
                                  "причины отказа ({field}), его значениями, справа — доля проигранных.",
        "rejections.lead.stage": "{headline}: на каком статусе или этапе проиграны лиды и сделки, созданные в этом "
                                 "периоде; справа — доля проигранных. Поле причины отказа не задано "
                                 "(kpis.rejection_field).",
        "rejections.none": "{headline}: проигранных лидов и сделок нет.",
        "rejections.lead_rejections": "Лиды", "rejections.deal_rejections": "Сделки",
        "col.kind": "Что", "col.reason": "Причина",
    },
    "en": {
        "to_date": "{period} to date",
        "to_date.remark": "Under each figure: {period} to date ({share} of it gone) and its forecast at the current "
                          "pace; shares and medians are not forecast.",
        "forecast": "forecast {value}",
        "forecast.early": "forecast later",
        "why.none.leads": "No leads created in {headline}.",
        "why.none.closed": "No deals closed in {headline}.",
        "why.none.won": "No deals won in {headline}.",
        "why.none.records": "No records in {headline}.",
        "why.none.currency": "No deals in {currency} won in {headline}.",
        "why.null": "Nothing to compute it from: no case for this figure in {headline}.",
        "channels.other": "other ({count})",
        "hygiene.lead.thresholds": "Records with gaps per manager, {headline}: how many and what share. Red: a share "
                                   "above its bound (report.hygiene): {bounds}.",
        "hygiene.past": "above the bound", "hygiene.within": "within the bound",
        "hygiene.count_bound": "more than {count} per manager",
        "rejections": "Rejection reasons",
        "rejections.lead.reason": "Why leads and deals created in {headline} were lost, by the rejection reason field "
                                  "({field}) as the portal names its values; right: the share of the losses.",
        "rejections.lead.stage": "The status or stage at which leads and deals created in {headline} were lost; "
                                 "right: the share of the losses. No rejection reason field is set "
                                 "(kpis.rejection_field).",
        "rejections.none": "No lost leads or deals created in {headline}.",
        "rejections.lead_rejections": "Leads", "rejections.deal_rejections": "Deals",
        "col.kind": "Of", "col.reason": "Reason",
    },
}
