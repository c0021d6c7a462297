"""Every label of the report in Russian (the default: the portal's users read Russian) and English."""

from __future__ import annotations

from b24metrics.report.text_notes import NOTES

TEXT: dict[str, dict[str, str]] = {
    "ru": {
        "title": "Маркетинг и продажи",
        "subtitle": "Отчёт b24metrics по данным CRM Битрикс24",
        "periods.day": "по дням", "periods.week": "по неделям", "periods.month": "по месяцам",
        "periods.quarter": "по кварталам", "periods.year": "по годам",
        "window": "Период отчёта: {first} — {last}, {kind}. Главные цифры: {headline}; для сравнения — "
                  "{prev} и {yoy}.",
        "generated": "Сформирован {at} (время портала, {zone}). Все цифры — из таблиц KPI b24metrics.",
        "running": "* период ещё идёт",
        "vs_prev": "к пред. периоду", "vs_yoy": "год назад",
        "few_records": "(записей: {now} и {then})",
        "few_wins": "(выигранных: {now} и {then})",
        "hygiene.few": "Доля не выделяется красным, если записей меньше {n} (report.min_count_for_red).",
        "no_data": "нет данных",
        "simple_mode": "На портале нет лидов (простой режим CRM): показатели по лидам к нему не относятся.",
        # headline
        "headline": "Главные цифры", "headline.lead": "{headline}; для сравнения — {prev} и {yoy}. Линия — динамика за период отчёта.",
        "card.leads": "Лиды", "card.target_share": "Доля целевых лидов (A+B)", "card.won_rate": "Лид → успешная сделка",
        "card.won_rate.ripe": "когорта лидов «{cohort}», последняя зрелая",
        "card.won_rate.projected": "прогноз когорты лидов «{cohort}»: она ещё не созрела",
        "card.won_rate.to_date": "когорта лидов «{cohort}» на сегодня — не итог",
        "card.won_rate.too_early": "когорта лидов «{cohort}» на сегодня — не итог; прогнозировать рано",
        "card.won_rate.input_missing": "Нет входных данных (input missing): {why}. Когортного взгляда нет, пока "
                                       "файл не исправлен.",
        "card.thin": "— (лидов: {leads})",
        "card.won_rate.compared": "; сравнение — с когортами «{prev}» и «{yoy}»",
        "card.median_min": "Скорость реакции, медиана", "card.won": "Выигранные сделки", "card.win_rate": "Доля выигранных",
        "card.revenue": "Выручка, {currency}", "card.avg_check": "Средний чек, {currency}",
        "card.new_clients": "Новые клиенты", "card.median_days": "Цикл сделки, медиана",
        # channels
        "channels": "Лиды по каналам", "channels.lead": "Сколько лидов приходит из каждого источника, {kind}.",
        "channels.none": "Нет лидов за период отчёта.",
        "col.channel": "Канал", "col.leads": "Лиды", "col.share": "Доля", "col.prev": "Пред. период",
        "col.yoy": "Год назад", "col.change_prev": "Δ к пред.", "col.change_yoy": "Δ к году",
        # grades
        "grades": "Качество лидов по каналам (A–D)",
        "grades.lead": "{headline}: доля лидов каждого класса в канале. A и B — целевой сегмент.",
        "grades.none": "{headline}: лидов нет.",
        "grades.stopped": "Лиды не оценены, оценки прошлого обновления остаются и не записываются в CRM: {problem}.",
        "grades.one_grade": "Правила оценки отнесли {share} из {leads} лидов к классу {grade}: они не различают лиды, "
                            "проверьте [grading] в конфигурации.",
        "col.target_share": "A+B", "col.mean_score": "Средний балл",
        # funnel
        "funnel": "Воронка: конверсия этапов",
        "funnel.lead": "{headline}: лиды и сделки, созданные в этом периоде, — сколько дошло до этапа и какая доля "
                       "пошла дальше. Красным — узкое место воронки (худшая конверсия).",
        "funnel.none": "{headline}: нет лидов и сделок с историей этапов, созданных в этом периоде.",
        "bottleneck": "узкое место", "col.stage": "Этап", "col.reached": "Дошли", "col.went_on": "Пошли дальше", "col.left": "Покинули",
        "col.conversion": "Конверсия", "col.waiting": "Сейчас на этапе", "pipeline.leads": "Лиды",
        "col.skipped": "Перепрыгнули", "col.interval": "95 % интервал", "funnel.skipped": "мимо: {n}", "too_few": "мало данных",
        "funnel.alone": "единственный этап с достаточными данными",
        "funnel.history": "Запись дошла до этапа, если история этапов показывает её в нём; «перепрыгнули» — "
                          "записи, попавшие дальше, минуя этап.",
        "funnel.minimum": "Конверсия этапа считается по записям, которые его покинули (пошли дальше или проиграны "
                          "на нём); те, что сейчас на этапе, не считаются отказом. Узкое место ищется среди этапов, "
                          "которые покинули не меньше {n} записей; у остальных — «мало данных». Узкое место — худший из "
                          "нескольких этапов: если такой этап в воронке один, узкое место не называется.",
        "lead_stages": "Квалификация лидов: SAL (принят в работу) — {accepted}; SQL (квалифицирован) — "
                       "{qualified}. Сконвертированный лид считается и тем и другим.",
        "lead_stages.inferred": "по умолчанию", "lead_stages.configured": "из настройки kpis.lead_stages",
        # speed
        "speed": "Скорость реакции на лид по менеджерам",
        "speed.lead": "{headline}: минуты от создания лида до первого звонка, письма или встречи; "
                      "шкала логарифмическая. SLA — {sla}.",
        "speed.none": "{headline}: лидов нет.",
        "col.manager": "Менеджер", "col.median": "Медиана", "col.p90": "90 % ответов за",
        "col.over_sla": "Позже SLA", "col.never": "Без ответа", "col.within_sla": "В пределах SLA",
        "series.median": "медиана", "series.p90": "90-й перцентиль",
        # cycle
        "cycle": "Цикл сделки",
        "cycle.lead": "Дни от создания сделки (и от создания лида) до выигрыша, по периоду выигрыша, {kind}.",
        "cycle.none": "Нет выигранных сделок за период отчёта.",
        "series.median_days": "сделка → выигрыш, медиана", "series.mean_days": "сделка → выигрыш, среднее",
        "series.median_lead_days": "лид → выигрыш, медиана",
        "col.period": "Период", "col.won": "Выиграно",
        # engagement and the proof of the grade
        "engagement": "Вовлечённость лидов по каналам",
        "engagement.lead": "{headline}: средняя вовлечённость (0–100 на сегодня: звонки, письма, встречи и повторные "
                           "обращения лида, со спадом от последнего касания) и доля лидов, проявивших активность.",
        "engagement.none": "{headline}: лидов нет.",
        "col.mean_engagement": "Средняя вовлечённость", "col.touched_share": "Проявили активность",
        "col.hot": "Вовлечённость 50+",
        "grade_proof": "Грейд на входе и результат",
        "grade_proof.lead": "Все завершённые лиды (конвертированы или в браке, открытых сделок нет) по грейду, "
                            "который лид получил при поступлении: доля дошедших до сделки и до успешной сделки, "
                            "с 95-процентным интервалом Уилсона.",
        "grade_proof.none": "Завершённых лидов с грейдом на входе пока нет.",
        "grade_proof.separates": "Грейд разделяет исходы на этом портале: интервалы A и D не пересекаются; "
                                 "лиды A выигрываются в {lift} раза чаще лидов D.",
        "grade_proof.overlap": "Грейд пока не разделяет исходы уверенно: интервалы A и D пересекаются.",
        "grade_proof.too_few": "Мало завершённых лидов, чтобы судить: A — {a}, D — {d} (нужно хотя бы {n} в каждом).",
        "col.grade_at_entry": "Грейд на входе", "col.settled": "Завершённых лидов", "col.deal_rate": "Лид → сделка",
        "col.won_rate": "Лид → успешная сделка", "col.interval": "95 % интервал",
        "col.revenue_per_lead": "Выручка на лид", "col.days_to_won": "Дней до выигрыша, медиана",
        # cohorts: which channel pays
        "cohorts": "Какой канал окупается: когорты лидов",
        "cohorts.lead": "Лиды, созданные за {cohorts} (когорты отчёта), по каналам: расходы на них против "
                        "клиентов и выручки, которые они принесли за {days} дн. после создания (когортный взгляд, "
                        "модель: {model}). Зрелые когорты — с итогом, молодые — на сегодня; прогноз — оценка до "
                        "конца окна.",
        "cohorts.model.first": "первое касание — повторные сделки клиента идут каналу, который его привёл",
        "cohorts.model.deal": "по сделке — каждая сделка своему лиду или своему источнику",
        "cohorts.none": "Когорты {cohorts}: ни лидов, ни расходов, ни сделок в когортах.",
        "cohorts.chart.romi": "ROMI когорт {cohorts}: на сегодня и прогноз",
        "cohorts.chart.revenue": "Выручка когорт {cohorts}: на сегодня и прогноз",
        "cohorts.chart.payback": "{channel}: накопленная выручка {cohorts} в % от их расходов по месяцам жизни "
                                 "(100 % — окупились)",
        "cohorts.payback_set": "когорт {cohorts}",
        "cohorts.payback_remark": "Кривые окупаемости — по одним и тем же когортам, {cohorts}, прожившим не меньше "
                                  "{ages} мес.: более молодые в них не входят, поэтому кривая не падает.",
        "cohorts.to_date": "на сегодня", "cohorts.projected": "прогноз",
        "cohorts.cum_revenue": "накопленная выручка", "cohorts.age": "мес. {n}",
        "cohorts.spend_line": "расходы (100 %)",
        "cohorts.no_spend": "Файл расходов не задан (kpis.spend_file): без расходов нет CPL, CAC и ROMI когорт.",
        "cohorts.numbers": "У номера без собственных расходов нет стоимости клиента: его канал оплатил и другие "
                           "лиды (стоимость канала — в таблице каналов).",
        "cohorts.no_rate": "{currencies} без курса",
        "cohorts.too_early": "рано прогнозировать",
        "cohorts.too_early_note": "«Рано прогнозировать»: у когорты ещё нет побед, а к её возрасту лиды зрелых "
                                  "когорт принесли бы меньше {wins} побед — прогноз от нуля показал бы −100 % ROMI "
                                  "каналу, который просто молод или мал.",
        "cohorts.thin": "Лид → успешная сделка не сравнивается с когортой, где меньше {leads} лидов: на таком числе "
                        "одна сделка сдвигает долю на несколько пунктов.",
        "cohorts.input_missing": "Нет входных данных (input missing): {why}. Без расходов не сказать, какой канал "
                                 "окупается, пока файл не исправлен.",
        "cohorts.not_split": "«(не разнесено)» — расходы канала, не отнесённые ни к кампании, ни к номеру: лидов за "
                             "ними не числится, поэтому их ROMI −100 % — не убыток какой-то кампании; что принесли "
                             "эти деньги, видно по каналу в первой таблице.",
        "cohorts.col.revenue": "Выручка сейчас", "cohorts.col.romi": "ROMI сейчас",
        "cohorts.col.projected_romi": "ROMI, прогноз", "cohorts.col.ripeness": "Зрелость",
        "cohorts.col.ltv": "LTV: предел CAC", "cohorts.col.ltv_cac": "LTV/CAC",
        "cohorts.col.newest": " · новейшая когорта «{headline}», ещё не созрела",
        "cohorts.col.newest_ripe": " · новейшая когорта «{headline}»",
        "cohorts.col.payback": "Окупаемость, мес.",
        "cohorts.col.payback_of": "Окупаемость когорт {cohorts}, мес.",
        "cohorts.not_yet": "ещё нет",
        "cohorts.curve": "Прогноз — по кривой созревания когорт с {first} по {last} ({leads} лидов, {won} "
                         "выигранных сделок): 90 % побед — за {days} от создания лида.",
        "cohorts.no_curve": "Зрелых когорт (старше {days} дн.) ещё нет: прогноза нет, цифры — на сегодня.",
        "cohorts.ripe_rate": "Лид → выигранная сделка в последней зрелой когорте ({cohort}): {rate}.",
        "cohorts.card_basis": "«Лид → успешная сделка» — когортный взгляд: выигранные сделки, пришедшие от лидов "
                              "когорты, на её лид; у молодой когорты они ещё впереди, поэтому карточка берёт "
                              "зрелую когорту или прогноз.",
        "cohorts.ripe_now": "Когорта «{headline}» зрелая ({ripeness}): лид → выигранная сделка {rate}; прогноз "
                            "{projected}.",
        "cohorts.unripe_now": "Когорта «{headline}» ещё не созрела ({ripeness} ожидаемых побед): лид → выигранная "
                              "сделка {rate} на сегодня — не итог; прогноз {projected}.",
        "cohorts.unripe_now.too_early": "Когорта «{headline}» ещё не созрела ({ripeness} ожидаемых побед): лид → "
                                        "выигранная сделка {rate} на сегодня — не итог; прогнозировать рано.",
        "col.campaign": "Кампания (UTM)",
        # money, the cash view
        "money": "Кассовый взгляд: расходы и выручка месяца по каналам",
        "money.lead": "{headline}: расходы из файла расходов против лидов, новых клиентов и выручки сделок, "
                      "выигранных в этом месяце (кассовый взгляд, как видит бухгалтерия: выручка отстаёт от лидов; "
                      "какой канал окупается — в разделе когорт).",
        "money.no_file": "Файл расходов не задан (kpis.spend_file): без расходов стоимость лида, CAC и ROMI "
                         "не посчитать.",
        "money.none": "{headline}: в файле расходов нет строк на этот период.",
        "money.input_missing": "Нет входных данных (input missing): {why}. Стоимость лида, CAC и ROMI не посчитаны, "
                               "пока файл не исправлен.",
        "money.month": "Расходы ведутся по месяцам: раздел показывает месяц.",
        "col.spend": "Расходы", "col.cpl": "Стоимость лида", "col.new_clients": "Новые клиенты", "col.cac": "CAC",
        "col.revenue": "Выручка", "col.romi": "ROMI", "col.currency": "Валюта",
        "chart.cpl": "Стоимость лида", "chart.cac": "Стоимость нового клиента (CAC)", "chart.romi": "ROMI",
        # plan
        "plan": "План и факт с прогнозом",
        "plan.lead": "Цель из файла плана, факт и прогноз к концу периода при текущем темпе, {kind}. "
                     "Тёмная черта — цель, столбик — факт, светлый столбик — прогноз.",
        "plan.no_file": "Файл плана не задан (kpis.plan_file): сравнивать не с чем.",
        "plan.none": "В файле плана нет целей на период отчёта.",
        "plan.input_missing": "Нет входных данных (input missing): {why}. План и факт не сравнить, пока файл не "
                              "исправлен.",
        "metric.leads": "Лиды", "metric.deals": "Новые сделки", "metric.won_deals": "Выигранные сделки",
        "metric.revenue": "Выручка", "metric.new_clients": "Новые клиенты", "metric.calls": "Звонки",
        "col.metric": "Показатель", "col.target": "Цель", "col.actual": "Факт", "col.done": "Выполнено",
        "col.forecast": "Прогноз", "col.forecast_pct": "Прогноз, % цели",
        "series.target": "цель", "series.actual": "факт", "series.forecast": "прогноз",
        # telephony
        "telephony": "Телефония по номерам отслеживания",
        "telephony.lead": "{headline}: входящие звонки на каждый номер — отвеченные и пропущенные, "
                          "сколько лидов, сделок и клиентов они принесли.",
        "telephony.none": "{headline}: входящих звонков нет.",
        "telephony.untracked": "Номера не сопоставлены каналам (kpis.tracking_numbers): звонки видны по номерам, "
                               "но не по рекламным каналам.",
        "col.number": "Номер", "col.calls": "Звонки", "col.answered": "Отвечено", "col.missed": "Пропущено",
        "col.answered_pct": "Доля отвеченных", "col.talk": "Средний разговор", "col.won_deals": "Выигр. сделки",
        "col.clients": "Клиенты", "col.cost_per_client": "Стоимость клиента",
        "series.answered": "отвечено", "series.missed": "пропущено",
        "telephony.no_own_spend": "нет своих расходов",
        "telephony.own_spend": "Стоимость клиента номера — из строк файла расходов, где указан этот номер "
                               "(столбец number). Расходы, где указан только канал, номеру не приписываются: "
                               "канал покупает и лиды, которые не звонят. Стоимость клиента канала — в разделе о деньгах.",
        # managers
        "managers": "Менеджеры",
        "managers.lead": "{headline}: сделки, выручка, звонки и просрочки каждого менеджера.",
        "managers.none": "{headline}: событий менеджеров нет.",
        "managers.deals": "Закрытые сделки (справа — доля выигранных)",
        "managers.calls": "Исходящие звонки (справа — минуты разговоров)",
        "managers.quiet": "{headline}: ни закрытых сделок, ни исходящих звонков.",
        "col.lost": "Проиграно", "col.win_rate": "Доля выигранных", "col.leads_handled": "Лиды",
        "col.call_minutes": "Минут звонков", "col.overdue": "Просрочено дел",
        "series.won": "выиграно", "series.lost": "проиграно",
        # hygiene
        "hygiene": "Чистота CRM",
        "hygiene.lead": "{headline}: доля записей с пробелами по менеджерам; чем темнее, тем хуже. "
                        "Все показатели выше стоят на этих данных.",
        "hygiene.none": "{headline}: записей нет.",
        "col.no_source": "Лиды без источника", "col.no_amount": "Сделки без суммы",
        "col.no_activity": "Без единого дела", "col.overdue_share": "Просроченные дела",
        "footer": "Отчёт b24metrics: один файл, открывается без сети. Числа — из таблиц KPI хранилища DuckDB.",
    },
    "en": {
        "title": "Marketing and sales",
        "subtitle": "A b24metrics report from a Bitrix24 CRM",
        "periods.day": "by day", "periods.week": "by week", "periods.month": "by month",
        "periods.quarter": "by quarter", "periods.year": "by year",
        "window": "Report window: {first} — {last}, {kind}. Headline figures for {headline}, "
                  "against {prev} and {yoy}.",
        "generated": "Made {at} (portal time, {zone}). Every figure comes from the b24metrics KPI tables.",
        "running": "* period still under way",
        "vs_prev": "vs previous", "vs_yoy": "a year before",
        "few_records": "(records: {now} vs {then})",
        "few_wins": "(won: {now} vs {then})",
        "hygiene.few": "A share on fewer than {n} records is not marked red (report.min_count_for_red).",
        "no_data": "no data",
        "simple_mode": "This portal keeps no leads (simple CRM mode): lead KPIs do not apply to it.",
        "headline": "Headline figures", "headline.lead": "{headline} against {prev} and {yoy}; the line is the trend "
                                                       "over the report window.",
        "card.leads": "Leads", "card.target_share": "Target leads (A+B)", "card.won_rate": "Lead to won deal",
        "card.won_rate.ripe": "the {cohort} lead cohort, the latest ripe one",
        "card.won_rate.projected": "projected, {cohort} lead cohort: not ripe yet",
        "card.won_rate.to_date": "the {cohort} lead cohort to date: not final",
        "card.won_rate.too_early": "the {cohort} lead cohort to date: not final, too early to project",
        "card.won_rate.input_missing": "Input missing: {why}. No cohort view until the file is fixed.",
        "card.thin": "— ({leads} leads)",
        "card.won_rate.compared": "; compared with the {prev} and {yoy} cohorts",
        "card.median_min": "Speed to lead, median", "card.won": "Deals won", "card.win_rate": "Win rate",
        "card.revenue": "Revenue, {currency}", "card.avg_check": "Average check, {currency}",
        "card.new_clients": "New clients", "card.median_days": "Deal cycle, median",
        "channels": "Leads by channel", "channels.lead": "How many leads each source brings, {kind}.",
        "channels.none": "No leads in the report window.",
        "col.channel": "Channel", "col.leads": "Leads", "col.share": "Share", "col.prev": "Previous",
        "col.yoy": "Year before", "col.change_prev": "Δ previous", "col.change_yoy": "Δ year",
        "grades": "Lead grade mix by channel (A–D)",
        "grades.lead": "Share of each grade among a channel's leads, {headline}. A and B are the target segment.",
        "grades.none": "No leads in {headline}.",
        "grades.stopped": "Leads are not graded; the last grades stand and are not written to the CRM: {problem}.",
        "grades.one_grade": "The grading rules put {share} of {leads} leads into grade {grade}: they do not tell "
                            "leads apart; see [grading] in the config.",
        "col.target_share": "A+B", "col.mean_score": "Mean score",
        "funnel": "Funnel: stage conversion",
        "funnel.lead": "Leads and deals created in {headline}: how many reached each stage and the share that went "
                       "on. Red marks the bottleneck (the worst conversion of its pipeline).",
        "funnel.none": "No leads or deals created in {headline} with a stage history.",
        "bottleneck": "bottleneck", "col.stage": "Stage", "col.reached": "Reached", "col.went_on": "Went on", "col.left": "Left",
        "col.conversion": "Conversion", "col.waiting": "In it now", "pipeline.leads": "Leads",
        "col.skipped": "Skipped", "col.interval": "95% interval", "funnel.skipped": "skipped: {n}", "too_few": "too few to tell",
        "funnel.alone": "only one stage with enough items",
        "funnel.history": "A stage is reached when the stage history shows the record in it; skipped are the "
                          "records that got further without it.",
        "funnel.minimum": "A stage's conversion counts the records that have left it (went on, or were lost from "
                          "it); those in it now are no failure of it. The bottleneck is sought among stages at least "
                          "{n} records have left; the others say too few to tell. It is the worst of several: a pipeline "
                          "with only one such stage has none named.",
        "lead_stages": "Lead qualification: SAL (accepted into work): {accepted}; SQL (qualified): "
                       "{qualified}. A converted lead counts as both.",
        "lead_stages.inferred": "inferred", "lead_stages.configured": "set in kpis.lead_stages",
        "speed": "Speed to lead by manager",
        "speed.lead": "Minutes from a lead's creation to the first call, e-mail or meeting, {headline}; "
                      "log scale. SLA: {sla}.",
        "speed.none": "No leads in {headline}.",
        "col.manager": "Manager", "col.median": "Median", "col.p90": "90% answered within",
        "col.over_sla": "Over SLA", "col.never": "Never contacted", "col.within_sla": "Within SLA",
        "series.median": "median", "series.p90": "90th percentile",
        "cycle": "Deal cycle",
        "cycle.lead": "Days from a deal's creation (and from its lead's) to won, by the period it was won, {kind}.",
        "cycle.none": "No deals won in the report window.",
        "series.median_days": "deal to won, median", "series.mean_days": "deal to won, mean",
        "series.median_lead_days": "lead to won, median",
        "col.period": "Period", "col.won": "Won",
        "engagement": "Lead engagement by channel",
        "engagement.lead": "Leads created in {headline}: mean engagement (0-100 as of today: the lead's calls, "
                           "e-mails, meetings and repeat requests, decaying since its last touch) and the share of "
                           "leads that did anything.",
        "engagement.none": "No leads in {headline}.",
        "col.mean_engagement": "Mean engagement", "col.touched_share": "Did anything", "col.hot": "Engagement 50+",
        "grade_proof": "Grade at entry against outcome",
        "grade_proof.lead": "Every settled lead (converted or junk, no deal open) by the grade it had when it "
                            "arrived: the share that reached a deal and a won deal, with 95% Wilson intervals.",
        "grade_proof.none": "No settled leads with a grade at entry yet.",
        "grade_proof.separates": "The grade separates outcomes on this portal: A's and D's intervals do not "
                                 "overlap; A leads are won {lift} times as often as D leads.",
        "grade_proof.overlap": "The grade does not clearly separate outcomes yet: A's and D's intervals overlap.",
        "grade_proof.too_few": "Too few settled leads to tell: A {a}, D {d} (at least {n} in each needed).",
        "col.grade_at_entry": "Grade at entry", "col.settled": "Settled leads", "col.deal_rate": "Lead to deal",
        "col.won_rate": "Lead to won", "col.interval": "95% interval",
        "col.revenue_per_lead": "Revenue per lead", "col.days_to_won": "Days to won, median",
        "cohorts": "Which channel pays: lead cohorts",
        "cohorts.lead": "Leads created in {cohorts} (the report's cohorts), by channel: the spend on them "
                        "against the clients and revenue they brought within {days} days of their creation (the "
                        "cohort view, model: {model}). Ripe cohorts count in full, young ones to date; the projection "
                        "estimates the window's end.",
        "cohorts.model.first": "first touch: a client's repeat deals go to the channel that brought the client",
        "cohorts.model.deal": "per deal: each deal to its own lead or source",
        "cohorts.none": "Cohorts {cohorts}: no leads, spend or deals in the cohorts.",
        "cohorts.chart.romi": "ROMI of the cohorts {cohorts}: to date and projected",
        "cohorts.chart.revenue": "Revenue of the cohorts {cohorts}: to date and projected",
        "cohorts.chart.payback": "{channel}: cumulative revenue of the {cohorts} in % of their spend by month of age "
                                 "(100%: paid back)",
        "cohorts.payback_set": "cohorts {cohorts}",
        "cohorts.payback_remark": "The payback curves are of one set of cohorts, {cohorts}, each at least {ages} "
                                  "months old: younger ones are left out, so a curve cannot fall.",
        "cohorts.to_date": "to date", "cohorts.projected": "projected",
        "cohorts.cum_revenue": "cumulative revenue", "cohorts.age": "month {n}",
        "cohorts.spend_line": "spend (100%)",
        "cohorts.no_spend": "No spend file is configured (kpis.spend_file): without spend the cohorts have no CPL, "
                            "CAC or ROMI.",
        "cohorts.numbers": "A number without spend of its own has no cost per client: its channel's spend also "
                           "bought other leads (the channel's cost is in the channel table).",
        "cohorts.no_rate": "{currencies} without a rate",
        "cohorts.too_early": "too early to project",
        "cohorts.too_early_note": "\"Too early to project\": the cohort has won nothing yet, and by its age the "
                                  "leads of the mature cohorts would have brought fewer than {wins} wins; a "
                                  "projection from zero would show -100% ROMI for a channel that is merely young "
                                  "or small.",
        "cohorts.thin": "Lead to won deal is not compared with a cohort of fewer than {leads} leads: on so few, one "
                        "deal moves the rate by several points.",
        "cohorts.input_missing": "Input missing: {why}. Which channel pays cannot be told without the spend until "
                                 "the file is fixed.",
        "cohorts.not_split": "\"(not split)\" is the channel's spend tied to no campaign or number: no lead is counted "
                             "against it, so its ROMI of -100% is no campaign's loss; what that money brought shows in "
                             "the channel table.",
        "cohorts.col.revenue": "Revenue to date", "cohorts.col.romi": "ROMI to date",
        "cohorts.col.projected_romi": "ROMI, projected", "cohorts.col.ripeness": "Ripeness",
        "cohorts.col.ltv": "LTV: most a client may cost", "cohorts.col.ltv_cac": "LTV/CAC",
        "cohorts.col.newest": " · the newest cohort, {headline}, not ripe yet",
        "cohorts.col.newest_ripe": " · the newest cohort, {headline}",
        "cohorts.col.payback": "Payback, months",
        "cohorts.col.payback_of": "Payback of the cohorts {cohorts}, months",
        "cohorts.not_yet": "not yet",
        "cohorts.curve": "Projections follow the ripeness curve of the cohorts {first} to {last} ({leads} leads, "
                         "{won} won deals): 90% of the wins come within {days} of the lead.",
        "cohorts.no_curve": "No mature cohort (older than {days} days) yet: no projection, figures are to date.",
        "cohorts.ripe_rate": "Lead to won deal in the latest ripe cohort ({cohort}): {rate}.",
        "cohorts.card_basis": "\"Lead to won deal\" is the cohort view's: the won deals that came of a cohort's "
                              "leads per lead; a young cohort's are still to come, so the card shows a ripe cohort "
                              "or the projection.",
        "cohorts.ripe_now": "The {headline} cohort is ripe ({ripeness}): lead to won deal {rate}; projected "
                            "{projected}.",
        "cohorts.unripe_now": "The {headline} cohort is not ripe yet ({ripeness} of its expected wins): lead to won "
                              "deal {rate} to date, not final; projected {projected}.",
        "cohorts.unripe_now.too_early": "The {headline} cohort is not ripe yet ({ripeness} of its expected wins): "
                                        "lead to won deal {rate} to date, not final; too early to project.",
        "col.campaign": "Campaign (UTM)",
        "money": "Cash view: spend and revenue of the month by channel",
        "money.lead": "Spend from the spend file against the channel's leads, new clients and the revenue of deals "
                      "won in {headline} (the cash view, what finance sees: revenue lags the leads; which channel "
                      "pays is in the cohort section).",
        "money.no_file": "No spend file is configured (kpis.spend_file): without spend there is no cost per lead, "
                         "CAC or ROMI.",
        "money.none": "The spend file has no rows for {headline}.",
        "money.input_missing": "Input missing: {why}. No cost per lead, CAC or ROMI until the file is fixed.",
        "money.month": "Spend is kept per month: this section shows a month.",
        "col.spend": "Spend", "col.cpl": "Cost per lead", "col.new_clients": "New clients", "col.cac": "CAC",
        "col.revenue": "Revenue", "col.romi": "ROMI", "col.currency": "Currency",
        "chart.cpl": "Cost per lead", "chart.cac": "Cost per new client (CAC)", "chart.romi": "ROMI",
        "plan": "Plan vs actual with forecast",
        "plan.lead": "Target from the plan file, actual, and the forecast to the period's end at the current pace, "
                     "{kind}. Dark tick: target; bar: actual; light bar: forecast.",
        "plan.no_file": "No plan file is configured (kpis.plan_file): nothing to compare against.",
        "plan.none": "The plan file sets no targets in the report window.",
        "plan.input_missing": "Input missing: {why}. No plan to compare against until the file is fixed.",
        "metric.leads": "Leads", "metric.deals": "New deals", "metric.won_deals": "Deals won",
        "metric.revenue": "Revenue", "metric.new_clients": "New clients", "metric.calls": "Calls",
        "col.metric": "Metric", "col.target": "Target", "col.actual": "Actual", "col.done": "Done",
        "col.forecast": "Forecast", "col.forecast_pct": "Forecast, % of target",
        "series.target": "target", "series.actual": "actual", "series.forecast": "forecast",
        "telephony": "Telephony by tracking number",
        "telephony.lead": "Incoming calls to each number, {headline}: answered and missed, and the leads, deals "
                          "and clients they brought.",
        "telephony.none": "No incoming calls in {headline}.",
        "telephony.untracked": "No number is mapped to a channel (kpis.tracking_numbers): calls show by number, "
                               "not by advertising channel.",
        "col.number": "Number", "col.calls": "Calls", "col.answered": "Answered", "col.missed": "Missed",
        "col.answered_pct": "Answered share", "col.talk": "Mean talk", "col.won_deals": "Won deals",
        "col.clients": "Clients", "col.cost_per_client": "Cost per client",
        "series.answered": "answered", "series.missed": "missed",
        "telephony.no_own_spend": "no spend of its own",
        "telephony.own_spend": "A number's cost per client comes from the spend rows that name it (column number "
                               "of the spend file). Spend that names only a channel is charged to none of its "
                               "numbers: the channel also buys leads that never call. The channel's cost per "
                               "client is in the money section.",
        "managers": "Managers",
        "managers.lead": "Each manager's deals, revenue, calls and overdue activities, {headline}.",
        "managers.none": "No manager activity in {headline}.",
        "managers.deals": "Deals closed (right: win rate)",
        "managers.calls": "Outgoing calls (right: minutes on the phone)",
        "managers.quiet": "No deal closed and no outgoing call in {headline}.",
        "col.lost": "Lost", "col.win_rate": "Win rate", "col.leads_handled": "Leads",
        "col.call_minutes": "Call minutes", "col.overdue": "Overdue activities",
        "series.won": "won", "series.lost": "lost",
        "hygiene": "CRM hygiene",
        "hygiene.lead": "Share of records with gaps per manager, {headline}: the darker, the worse. Every figure "
                        "above stands on this data.",
        "hygiene.none": "No records in {headline}.",
        "col.no_source": "Leads without source", "col.no_amount": "Deals without amount",
        "col.no_activity": "No activity at all", "col.overdue_share": "Overdue activities",
        "footer": "A b24metrics report: one file that opens without a network. Figures come from the KPI tables "
                  "of the DuckDB warehouse.",
    },
}

for _lang, _notes in NOTES.items():
    TEXT[_lang].update(_notes)


#: labels the KPI SQL writes in place of a missing value, as a Russian reader would say them
PLACEHOLDERS = {
    "ru": {"(no source)": "(без источника)", "(no channel)": "(без канала)", "(outgoing)": "(исходящие)",
           "(unknown)": "(номер неизвестен)",  # a call's tracking number when the portal gave none
           "(nobody)": "(никто)", "(none)": "(нет)", "(all channels)": "(все каналы)",
           "(all managers)": "(все менеджеры)", "(other)": "(другие)",
           "(no call)": "(без звонка)",        # a lead that never called a tracking number
           "(not split)": "(не разнесено)",    # spend that names no campaign or number
           "yes": "да", "no": "нет"},  # a boolean custom field without labels of its own (kpis/sql/labels.sql)
    "en": {},
}


def label_for(lang: str):
    """A dimension's value as shown: the SQL's own placeholders translated, portal names as they are."""
    table = PLACEHOLDERS[lang]

    def label(value: object) -> str:
        text = "" if value is None else str(value)
        return table.get(text, text)

    return label


def text_for(lang: str):
    table = TEXT[lang]

    def t(key: str, **values: object) -> str:
        template = table.get(key, key)
        return template.format(**values) if values else template

    return t
