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
        "why.null": "Не из чего считать: в периоде «{headline}» нет ни одного случая для этой цифры.",
        "channels.other": "другие ({count})",
        "hygiene.lead.thresholds": "{headline}: записи с пробелами у каждого менеджера — сколько и какая доля. "
                                   "Красным — доля выше порога (report.hygiene): {bounds}.",
        "hygiene.past": "выше порога", "hygiene.within": "в пределах порога",
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
        "why.null": "Nothing to compute it from: no case for this figure in {headline}.",
        "channels.other": "other ({count})",
        "hygiene.lead.thresholds": "Records with gaps per manager, {headline}: how many and what share. Red: a share "
                                   "above its bound (report.hygiene): {bounds}.",
        "hygiene.past": "above the bound", "hygiene.within": "within the bound",
    },
}
