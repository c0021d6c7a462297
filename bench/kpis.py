"""The KPI refresh over a big portal's warehouse, timed per step (a benchmark, not a test).

    python bench/kpis.py                # 1M leads, 300k deals, 3M activities, 1M calls ...
    python bench/kpis.py --scale 0.05   # smaller tables, to check the benchmark itself
    python bench/kpis.py --statements   # also list the slowest statements of each refresh

Goal (issue 4): every KPI over 1M leads, 300k deals and 3M activities refreshes in <= 5 s after a sync.

A fresh warehouse file in a temporary directory is migrated and filled by DuckDB itself
(INSERT ... SELECT over range(), pseudo-random values from hash(), so every run has the same
data): leads, companies, contacts, deals in three pipelines, activities, lead and deal stage
history, calls, users, the sandbox portal's dictionaries and pipelines, and raw payloads. The
refresh_kpis() then runs four times, with the shipped kpis.memory_limit
(or --memory-limit): "first" (a full rebuild that also creates the KPI tables and writes a grade
history row for every lead), "no change" (an incremental refresh with nothing synced), "after a
sync" (incremental, after SYNC_SQL has edited 1 % of the leads, deals and activities the way a
sync loads them, stamping their raw payloads), and "full rebuild" (full=True over the same
warehouse: what a changed rule, a sweep that found deletions or the daily full refresh costs).
"wall" is the whole refresh_kpis() call: its steps, loading the input files, and the commit;
"CPU" is the process's CPU time over all its threads, which other work on the machine does not
inflate (wall on an idle machine is at least CPU / cores). Every statement the refresh runs is
timed on its own (the SQL files are run one statement at a time, as DuckDB runs a script
anyway), so a slow or failing statement is named.

The config is the default one plus the inputs a real installation has: a spend file, a plan
file (monthly totals, and monthly won deals and revenue per manager for the last six months),
tracking numbers, currency rates and a rejection reason field. --no-inputs leaves them out.
"""

from __future__ import annotations

import argparse
import os
from contextlib import contextmanager
from typing import Any, Iterator
import shutil
import subprocess
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb

from b24metrics.config import KpiSettings, Settings, WarehouseSettings, load_settings
from b24metrics.kpis.refresh import refresh_kpis
from b24metrics.sandbox import SandboxPortal
from b24metrics.warehouse import Warehouse

GOAL_SECONDS = 5.0
SIZES = {"leads": 1_000_000, "companies": 100_000, "contacts": 200_000, "deals": 300_000,
         "activities": 3_000_000, "calls": 1_000_000}
USERS = 50
SPAN_DAYS = 730
WEBHOOK = "https://example.bitrix24.ru/rest/1/abc/"
SOURCES = ["CALL", "EMAIL", "WEB", "ADVERTISING", "PARTNER", "RECOMMENDATION", "TRADE_SHOW",
           "WEBFORM", "CALLBACK", "OTHER"]
TRACKING = {"+7 (495) 123-45-67": "WEB", "84957654321": "Яндекс Директ", "+78123334455": "TRADE_SHOW"}

# -- the data ---------------------------------------------------------------------------------

MACROS = """
CREATE OR REPLACE TEMP MACRO rnd(i, salt) AS CAST(hash(i, salt) % 1000000 AS DOUBLE) / 1000000.0;
CREATE OR REPLACE TEMP MACRO rid(i, salt, n) AS 1 + CAST(hash(i, salt) % CAST(n AS UBIGINT) AS BIGINT);
CREATE OR REPLACE TEMP MACRO pick(lst, i, salt) AS list_element(lst, rid(i, salt, len(lst)));
CREATE OR REPLACE TEMP MACRO secs(x) AS to_seconds(CAST(x AS BIGINT));
CREATE OR REPLACE TEMP MACRO msk(ts) AS
    strftime(CAST(timezone('UTC', ts) AS TIMESTAMP) + INTERVAL 3 HOUR, '%Y-%m-%dT%H:%M:%S') || '+03:00';
"""

FIRST = ("['Анна', 'Ольга', 'Мария', 'Елена', 'Ирина', 'Наталья', 'Иван', 'Сергей', 'Алексей', 'Дмитрий', "
         "'Павел', 'Андрей']")
LAST = "['Иванов', 'Смирнов', 'Кузнецов', 'Попов', 'Соколов', 'Лебедев', 'Козлов', 'Новиков', 'Морозов', 'Волков']"

USERS_SQL = """
INSERT INTO users
SELECT i, i % 17 <> 0, pick({first}, i, 1), pick({last}, i, 2), 'manager' || i || '@example.ru',
       CASE WHEN i <= 3 THEN 'Руководитель отдела продаж' ELSE 'Менеджер по продажам' END, 'employee',
       TIMESTAMPTZ '{start}' - INTERVAL 400 DAY + secs(i * 86400 * 7), false
FROM range(1, {users} + 1) t(i);
"""

COMPANIES_SQL = """
INSERT INTO companies
WITH b AS (
    SELECT i, rnd(i, 1) AS r_size, rnd(i, 2) AS r_rev,
           TIMESTAMPTZ '{start}' - INTERVAL 365 DAY + secs(i * ({span} + 365 * 86400) / {companies} - rnd(i, 3) * 3600)
               AS created
    FROM range(1, {companies} + 1) t(i)
)
SELECT i, 'ООО «Компания ' || i || '»',
       pick(['CUSTOMER', 'CUSTOMER', 'CUSTOMER', 'PARTNER', 'SUPPLIER', 'COMPETITOR', 'OTHER'], i, 4),
       pick(['IT', 'TELECOM', 'MANUFACTURING', 'BANKING', 'CONSULTING', 'FINANCE', 'GOVERNMENT', 'DELIVERY',
             'ENTERTAINMENT', 'NOTPROFIT', 'OTHER'], i, 5),
       CASE WHEN r_size < .10 THEN NULL WHEN r_size < .55 THEN 'EMPLOYEES_1' WHEN r_size < .77 THEN 'EMPLOYEES_2'
            WHEN r_size < .87 THEN 'EMPLOYEES_3' WHEN r_size < .95 THEN 'EMPLOYEES_4' ELSE 'EMPLOYEES_5' END,
       CASE WHEN r_rev < .25 THEN NULL ELSE round(pow(10, 5 + 4.5 * rnd(i, 6))) END, 'RUB',
       rid(i, 7, {users}), created, created + secs(rnd(i, 8) * 200 * 86400), rnd(i, 9) < .003,
       -- what a lead is matched by (grading): the company's own domain, phone and site
       'info@company' || i || '.ru', '+7495' || lpad(CAST(i AS VARCHAR), 7, '0'), 'https://company' || i || '.ru',
       i = 1   -- the portal's own company
FROM b;
"""

CONTACTS_SQL = """
INSERT INTO contacts
WITH b AS (
    SELECT i, TIMESTAMPTZ '{start}' + secs(i * {span} / {contacts} - rnd(i, 1) * 3600) AS created
    FROM range(1, {contacts} + 1) t(i)
)
SELECT i, pick({first}, i, 2), pick({last}, i, 3), pick(['CLIENT', 'CLIENT', 'SUPPLIER', 'PARTNER', 'OTHER'], i, 4),
       pick({sources}, i, 5),
       CASE WHEN rnd(i, 6) < .5 THEN rid(i, 7, {companies}) END,
       -- a contact made from a lead: one created about the same time
       CASE WHEN rnd(i, 8) < .3 THEN greatest(1, least({leads}, CAST(i * {leads} / {contacts} AS BIGINT)
                                                               - rid(i, 9, 500))) END,
       rid(i, 10, {users}), rnd(i, 11) < .85, rnd(i, 12) < .6,
       NULL, NULL, NULL, created, created + secs(rnd(i, 13) * 100 * 86400), rnd(i, 14) < .003,
       CASE WHEN rnd(i, 12) < .6 THEN 'contact' || i || pick(['@mail.ru', '@yandex.ru', '@gmail.com'], i, 15) END,
       CASE WHEN rnd(i, 11) < .85 THEN '+7916' || lpad(CAST(i AS VARCHAR), 7, '0') END
FROM b;
"""

# Lead statuses: NEW 15 %, IN_PROCESS 12 %, PROCESSED 8 %, CONVERTED (S) 30 %, JUNK (F) 35 %.
LEADS_SQL = """
INSERT INTO leads
WITH b AS (
    SELECT i, rnd(i, 1) AS r_status, rnd(i, 2) AS r_source, rnd(i, 3) AS r_utm,
           TIMESTAMPTZ '{start}' + secs(i * {span} / {leads} - rnd(i, 4) * 3600) AS created
    FROM range(1, {leads} + 1) t(i)
),
s AS (
    SELECT *,
           CASE WHEN r_status < .15 THEN 'NEW' WHEN r_status < .27 THEN 'IN_PROCESS'
                WHEN r_status < .35 THEN 'PROCESSED' WHEN r_status < .65 THEN 'CONVERTED' ELSE 'JUNK' END AS status_id,
           CASE WHEN r_source < .20 THEN 'CALL' WHEN r_source < .40 THEN 'WEB' WHEN r_source < .55 THEN 'WEBFORM'
                WHEN r_source < .67 THEN 'ADVERTISING' WHEN r_source < .75 THEN 'EMAIL'
                WHEN r_source < .81 THEN 'PARTNER' WHEN r_source < .87 THEN 'RECOMMENDATION'
                WHEN r_source < .92 THEN 'CALLBACK' WHEN r_source < .95 THEN 'TRADE_SHOW'
                WHEN r_source < .98 THEN 'OTHER' END AS source_id
    FROM b
),
m AS (
    SELECT *,
           CASE WHEN status_id <> 'NEW' THEN least(TIMESTAMPTZ '{anchor}',
                created + secs(pow(rnd(i, 5), 3) * 14 * 86400 + 60)) END AS moved,
           source_id IN ('WEB', 'WEBFORM', 'ADVERTISING') AND r_utm < .75 AS tagged,
           pick(['yandex', 'google', 'vk', 'telegram', 'mail.ru', 'partner_site'], i, 6) AS utm_src
    FROM s
)
SELECT i, 'Заявка #' || i, pick({first}, i, 7), pick({last}, i, 8),
       status_id, CASE status_id WHEN 'CONVERTED' THEN 'S' WHEN 'JUNK' THEN 'F' ELSE 'P' END, source_id,
       CASE WHEN rnd(i, 9) < .45 THEN rid(i, 10, {companies}) END,
       rid(i, 11, {users}),
       CASE WHEN rnd(i, 12) < .6 THEN round(pow(10, 4 + 2.5 * rnd(i, 13))) ELSE 0 END, 'RUB',
       rnd(i, 14) < .8, rnd(i, 15) < .55,
       CASE WHEN tagged THEN utm_src END,
       CASE WHEN tagged THEN pick(['cpc', 'cpc', 'cpc', 'organic', 'social', 'email', 'referral'], i, 16) END,
       CASE WHEN tagged THEN utm_src || '_' || pick(['brand', 'leadgen', 'retarget', 'promo', 'webinar'], i, 17)
                             || '_' || strftime(created, '%Y%m') END,
       created, least(TIMESTAMPTZ '{anchor}', coalesce(moved, created) + secs(rnd(i, 18) * 3600)), moved,
       CASE WHEN status_id IN ('CONVERTED', 'JUNK') THEN moved END,
       rnd(i, 19) < .005,
       -- what the lead said when it arrived (grading's lead-time facts): an organisation's name
       -- as typed (some of them companies the CRM has), a sole trader, or nothing; a post; free
       -- or corporate e-mail; a phone
       CASE WHEN rnd(i, 20) < .30 THEN 'ООО «Компания ' || rid(i, 21, {companies}) || '»'
            WHEN rnd(i, 20) < .45 THEN pick(['АО', 'ПАО', 'ООО', 'НКО'], i, 22) || ' "' || pick({last}, i, 23) || ' и партнёры"'
            WHEN rnd(i, 20) < .55 THEN 'ИП ' || pick({last}, i, 8) || ' ' || left(pick({first}, i, 7), 1) || '.' END,
       CASE WHEN rnd(i, 24) < .4 THEN pick(['Директор', 'Менеджер по закупкам', 'Главный инженер', 'Бухгалтер'], i, 25) END,
       NULL,
       rnd(i, 26) < .1,
       CASE WHEN rnd(i, 15) >= .55 THEN NULL
            WHEN rnd(i, 27) < .5 THEN 'lead' || i || pick(['@mail.ru', '@yandex.ru', '@gmail.com', '@bk.ru'], i, 28)
            ELSE 'buyer@company' || rid(i, 29, {companies}) || '.ru' END,
       CASE WHEN rnd(i, 14) < .8 THEN '+7903' || lpad(CAST(i AS VARCHAR), 7, '0') END
FROM m;
"""

# The pipelines' stages, read from the dictionary loaded above.
PIPES_SQL = """
CREATE OR REPLACE TEMP TABLE pipes AS
SELECT CASE WHEN entity_id = 'DEAL_STAGE' THEN 0 ELSE CAST(substr(entity_id, 12) AS BIGINT) END AS category_id,
       list(status_id ORDER BY sort) FILTER (WHERE coalesce(semantics, '') NOT IN ('S', 'F')) AS process,
       max(status_id) FILTER (WHERE semantics = 'S') AS success,
       list(status_id ORDER BY sort) FILTER (WHERE semantics = 'F') AS failure
FROM statuses WHERE entity_id LIKE 'DEAL_STAGE%' GROUP BY 1;
"""

# Deals: pipelines 0 (60 %), 1 (25 %), 3 (15 %); older deals are more often closed; half of the
# deals come from a converted lead (created after it); RUB 90 %, USD 6 %, EUR 4 %.
DEALS_SQL = """
INSERT INTO deals
WITH conv AS (
    SELECT id, date_create, source_id, company_id, assigned_by_id, row_number() OVER (ORDER BY id) AS rn
    FROM leads WHERE status_id = 'CONVERTED'
),
b AS (
    SELECT i, rnd(i, 1) AS r_cat, rnd(i, 2) AS r_sem, rnd(i, 3) AS r_stage, rnd(i, 4) AS r_cur,
           TIMESTAMPTZ '{start}' + secs(i * {span} / {deals} - rnd(i, 5) * 3600) AS own_created
    FROM range(1, {deals} + 1) t(i)
),
c AS (
    SELECT b.*, CASE WHEN r_cat < .6 THEN 0 WHEN r_cat < .85 THEN 1 ELSE 3 END AS category_id,
           l.id AS lead_id, l.date_create AS lead_created, l.source_id AS lead_source,
           l.company_id AS lead_company, l.assigned_by_id AS lead_manager
    FROM b LEFT JOIN conv l ON l.rn = b.i AND rnd(b.i, 6) < .5
),
d AS (
    SELECT c.*, p.process, p.success, p.failure,
           least(TIMESTAMPTZ '{anchor}',
                 coalesce(lead_created + secs(pow(rnd(i, 7), 2) * 7 * 86400 + 600), own_created)) AS created,
           CASE WHEN r_sem < .1 + .5 * i / {deals} THEN 'P' WHEN rnd(i, 8) < .55 THEN 'S' ELSE 'F' END AS semantic,
           CASE WHEN r_cur < .9 THEN 'RUB' WHEN r_cur < .96 THEN 'USD' ELSE 'EUR' END AS currency
    FROM c JOIN pipes p ON p.category_id = c.category_id
),
e AS (
    SELECT *,
           CASE semantic WHEN 'S' THEN success WHEN 'F' THEN pick(failure, i, 9)
                ELSE list_element(process, 1 + CAST(floor(pow(r_stage, 1.6) * len(process)) AS BIGINT)) END AS stage_id
    FROM d
)
SELECT i, 'Сделка #' || i, pick(['SALE', 'SALE', 'COMPLEX', 'GOODS', 'SERVICES', 'SERVICE'], i, 10),
       category_id, stage_id, semantic,
       semantic = 'P' AND stage_id = process[1], rnd(i, 11) < .01, rnd(i, 12) < .2, rnd(i, 13) < .05,
       CASE semantic WHEN 'S' THEN 100 WHEN 'F' THEN 0 ELSE 10 * rid(i, 14, 9) END,
       currency,
       CASE WHEN rnd(i, 15) < .08 THEN 0
            WHEN currency = 'RUB' THEN round(pow(10, 4 + 2.5 * rnd(i, 16)))
            ELSE round(pow(10, 2.2 + 2.5 * rnd(i, 16))) END,
       0,
       coalesce(lead_company, CASE WHEN rnd(i, 17) < .55 THEN rid(i, 18, {companies}) END),
       CASE WHEN rnd(i, 19) < .7 THEN rid(i, 20, {contacts}) END,
       lead_id,
       CAST(created AS DATE), CAST(created AS DATE) + CAST(rid(i, 21, 60) AS INTEGER), semantic <> 'P',
       coalesce(lead_source, pick({sources}, i, 22)),
       coalesce(CASE WHEN rnd(i, 23) < .8 THEN lead_manager END, rid(i, 24, {users})),
       rid(i, 25, {users}), rid(i, 26, {users}),
       CASE WHEN lead_id IS NULL AND rnd(i, 27) < .2 THEN pick(['yandex', 'google', 'vk'], i, 28) END,
       CASE WHEN lead_id IS NULL AND rnd(i, 27) < .2 THEN 'cpc' END,
       CASE WHEN lead_id IS NULL AND rnd(i, 27) < .2 THEN 'deals_' || strftime(created, '%Y%m') END,
       created,
       least(TIMESTAMPTZ '{anchor}', created + secs(rnd(i, 29) * 120 * 86400)),
       CASE WHEN semantic = 'P' AND stage_id = process[1] THEN created
            ELSE least(TIMESTAMPTZ '{anchor}', created + secs(pow(rnd(i, 30), 1.5) * 90 * 86400 + 3600)) END,
       least(TIMESTAMPTZ '{anchor}', created + secs(rnd(i, 31) * 60 * 86400)),
       rnd(i, 32) < .005
FROM e;
"""

# Activities on leads (55 %), deals (40 %) and contacts (5 %), after their owner was created:
# 40 % within the first hour. Calls 50 %, e-mails 25 %, meetings 10 %, other (6) 15 %.
ACTIVITIES_SQL = """
INSERT INTO activities
WITH b AS (
    SELECT i, CASE WHEN rnd(i, 1) < .55 THEN 1 WHEN rnd(i, 1) < .95 THEN 2 ELSE 3 END AS owner_type_id,
           rnd(i, 2) AS r_type
    FROM range(1, {activities} + 1) t(i)
),
o AS (
    SELECT *, CASE owner_type_id WHEN 1 THEN rid(i, 3, {leads}) WHEN 2 THEN rid(i, 3, {deals})
                                 ELSE rid(i, 3, {contacts}) END AS owner_id,
           CASE WHEN r_type < .5 THEN 2 WHEN r_type < .75 THEN 4 WHEN r_type < .85 THEN 1 ELSE 6 END AS type_id
    FROM b
),
t AS (
    SELECT o.*, coalesce(l.date_create, d.date_create, c.date_create) AS owner_created,
           coalesce(l.assigned_by_id, d.assigned_by_id, c.assigned_by_id) AS owner_manager
    FROM o
    LEFT JOIN leads l ON o.owner_type_id = 1 AND l.id = o.owner_id
    LEFT JOIN deals d ON o.owner_type_id = 2 AND d.id = o.owner_id
    LEFT JOIN contacts c ON o.owner_type_id = 3 AND c.id = o.owner_id
),
x AS (
    SELECT *,
           least(TIMESTAMPTZ '{anchor}' - secs(rnd(i, 4) * 3600),
                 owner_created + secs(CASE WHEN rnd(i, 5) < .4 THEN rnd(i, 6) * 3600
                                           ELSE pow(rnd(i, 6), 2) * 60 * 86400 END)) AS created,
           CASE WHEN type_id IN (2, 4) THEN CASE WHEN rnd(i, 7) < .4 THEN 1 ELSE 2 END ELSE 0 END AS direction
    FROM t
),
y AS (
    SELECT *,
           rnd(i, 8) < CASE WHEN created < TIMESTAMPTZ '{anchor}' - INTERVAL 3 DAY THEN .92 ELSE .4 END AS done,
           CASE type_id WHEN 2 THEN 60 + rid(i, 9, 900) WHEN 1 THEN 3600 ELSE 600 END AS dur
    FROM x
)
SELECT i, owner_id, owner_type_id, type_id,
       CASE type_id WHEN 2 THEN 'VOXIMPLANT_CALL' WHEN 4 THEN 'CRM_EMAIL' WHEN 1 THEN 'CRM_MEETING'
                    ELSE 'CRM_TODO' END,
       CASE type_id WHEN 2 THEN 'CALL' WHEN 4 THEN 'EMAIL' WHEN 1 THEN 'MEETING' ELSE 'TODO' END,
       direction,
       CASE type_id WHEN 2 THEN CASE direction WHEN 1 THEN 'Входящий звонок' ELSE 'Исходящий звонок' END
                    WHEN 4 THEN 'Письмо' WHEN 1 THEN 'Встреча' ELSE 'Дело' END,
       done, CASE WHEN done THEN 2 ELSE 1 END, 2,
       coalesce(CASE WHEN rnd(i, 10) < .85 THEN owner_manager END, rid(i, 11, {users})), rid(i, 12, {users}),
       created, created + secs(rnd(i, 13) * 86400),
       CASE WHEN done THEN created ELSE created + secs(rid(i, 14, 5) * 86400) END,
       CASE WHEN done THEN created ELSE created + secs(rid(i, 14, 5) * 86400) END + secs(dur),
       CASE WHEN done THEN created ELSE created + secs(rid(i, 14, 5) * 86400) END + secs(dur),
       direction = 1, rnd(i, 15) < .003
FROM y;
"""

# Stage history: a creation row (TYPE_ID 1) in the first status, a row per change after it.
LEAD_HISTORY_SQL = """
INSERT INTO lead_history
WITH l AS (
    SELECT id, status_id, status_semantic_id AS semantic, date_create, coalesce(moved_time, date_create) AS moved,
           CASE WHEN status_id = 'NEW' THEN 1 WHEN status_id IN ('IN_PROCESS', 'PROCESSED') THEN 2
                WHEN rnd(id, 40) < .6 THEN 3 ELSE 2 END AS n
    FROM leads
)
SELECT id * 3 + k, CASE WHEN k = 0 THEN 1 ELSE 2 END, id,
       CASE WHEN k = 0 THEN date_create WHEN k = n - 1 THEN moved
            ELSE date_create + secs((epoch(moved) - epoch(date_create)) * .3) END,
       CASE WHEN k = 0 THEN 'NEW' WHEN k = n - 1 THEN status_id ELSE 'IN_PROCESS' END,
       CASE WHEN k = n - 1 THEN semantic ELSE 'P' END
FROM l, range(3) r(k)
WHERE k < n;
"""

# A deal walks the process stages up to where it is (an open one) or up to a random one and
# then to its final stage (a closed one). 5 % of the open deals beyond their first stage were
# lost once and reopened; 3 % of the deals in pipelines 1 and 3 began in pipeline 0.
DEAL_HISTORY_SQL = """
INSERT INTO deal_history
WITH d AS (
    SELECT d.id, d.category_id, d.stage_id, d.stage_semantic_id AS semantic, d.date_create,
           coalesce(d.moved_time, d.date_create) AS moved, p.process, p.failure, rnd(d.id, 41) AS r_shape,
           CASE WHEN d.stage_semantic_id = 'P' THEN list_position(p.process, d.stage_id)
                ELSE rid(d.id, 42, len(p.process)) END AS walked
    FROM deals d JOIN pipes p ON p.category_id = d.category_id
),
s AS (
    SELECT *,
           semantic = 'P' AND walked >= 2 AND r_shape < .05 AS reopened,
           category_id <> 0 AND r_shape >= .05 AND r_shape < .08 AS from_general,
           walked + CASE WHEN semantic <> 'P' THEN 1 ELSE 0 END
                  + CASE WHEN semantic = 'P' AND walked >= 2 AND r_shape < .05 THEN 1 ELSE 0 END AS n
    FROM d
)
SELECT id * 8 + k,
       CASE WHEN k = 0 THEN 1 WHEN k = 1 AND from_general THEN 3 ELSE 2 END,
       id,
       date_create + secs((epoch(moved) - epoch(date_create)) * k / greatest(n - 1, 1)),
       CASE WHEN k = 0 AND from_general THEN 0 ELSE category_id END,
       CASE WHEN k = 0 AND from_general THEN 'NEW'
            WHEN k = n - 1 THEN stage_id
            WHEN reopened AND k = n - 2 THEN failure[1]
            ELSE process[k + 1] END,
       CASE WHEN k = n - 1 THEN semantic WHEN reopened AND k = n - 2 THEN 'F' ELSE 'P' END
FROM s, range(8) r(k)
WHERE k < n;
"""

# Calls: outgoing 45 %, incoming 43 %, redirected 3 %, callbacks 9 %; answered 60 %. A call
# bound to a lead or a deal is bound to one created a little before it.
CALLS_SQL = """
INSERT INTO calls
WITH b AS (
    SELECT i, rnd(i, 1) AS r_type, rnd(i, 2) AS r_code, rnd(i, 3) AS r_entity,
           TIMESTAMPTZ '{start}' + secs(i * {span} / {calls} - rnd(i, 4) * 3600) AS began
    FROM range(1, {calls} + 1) t(i)
),
c AS (
    SELECT *,
           CASE WHEN r_type < .45 THEN 1 WHEN r_type < .88 THEN 2 WHEN r_type < .91 THEN 3 ELSE 4 END AS call_type,
           CASE WHEN r_code < .60 THEN '200' WHEN r_code < .80 THEN '304' WHEN r_code < .86 THEN '486'
                WHEN r_code < .91 THEN '480' WHEN r_code < .95 THEN '603' WHEN r_code < .98 THEN '603-S'
                ELSE '404' END AS code,
           CASE WHEN r_entity < .50 THEN 'LEAD' WHEN r_entity < .65 THEN 'DEAL' WHEN r_entity < .80 THEN 'CONTACT'
                WHEN r_entity < .85 THEN 'COMPANY' END AS entity
    FROM b
)
SELECT i, printf('%016X.%d.%d', hash(i, 5), CAST(epoch(began) AS BIGINT), 10000000 + hash(i, 6) % 90000000),
       call_type, rid(i, 7, {users}),
       CASE WHEN call_type IN (1, 4) THEN CASE WHEN rnd(i, 8) < .6 THEN '+74951234567' ELSE 'reg133788' END
            ELSE pick(['+74951234567', '+7 (495) 765-43-21', '84957654321', '+78123334455'], i, 9) END,
       '+79' || lpad(CAST(hash(i, 10) % 1000000000 AS VARCHAR), 9, '0'),
       CASE WHEN code = '200' THEN 5 + CAST(pow(rnd(i, 11), 2) * 900 AS INTEGER) ELSE 0 END,
       began, code,
       CASE code WHEN '200' THEN 'Успешный звонок' WHEN '304' THEN 'Пропущенный звонок' WHEN '486' THEN 'Занято'
                 WHEN '480' THEN 'Временно недоступен' WHEN '603' THEN 'Отклонено'
                 WHEN '603-S' THEN 'Вызов отменен' ELSE 'Неверный номер' END,
       entity,
       CASE entity WHEN 'LEAD' THEN greatest(1, CAST(i * {leads} / {calls} AS BIGINT) - rid(i, 12, 2000))
                   WHEN 'DEAL' THEN greatest(1, CAST(i * {deals} / {calls} AS BIGINT) - rid(i, 12, 600))
                   WHEN 'CONTACT' THEN rid(i, 12, {contacts})
                   WHEN 'COMPANY' THEN rid(i, 12, {companies}) END,
       NULL,
       CASE WHEN call_type IN (1, 4) AND code = '200'
            THEN ceil((5 + CAST(pow(rnd(i, 11), 2) * 900 AS INTEGER)) / 60) * 1.2 END,
       'RUB', NULL
FROM c;
"""

# Raw payloads as the sync stores them (a part of each record): the grade's custom-field rules
# and the portal's time zone (DATE_CREATE's offset) are read from them.
RAW_SQL = """
INSERT INTO raw_records (entity, id, payload, synced_at, changed_at)
SELECT 'lead', CAST(id AS VARCHAR),
       json_object('ID', CAST(id AS VARCHAR), 'TITLE', title, 'NAME', name, 'LAST_NAME', last_name,
                   'STATUS_ID', status_id, 'SOURCE_ID', source_id, 'ASSIGNED_BY_ID', CAST(assigned_by_id AS VARCHAR),
                   'OPPORTUNITY', CAST(opportunity AS VARCHAR), 'CURRENCY_ID', currency_id,
                   'DATE_CREATE', msk(date_create), 'DATE_MODIFY', msk(date_modify),
                   'UF_CRM_RATING', CAST(rid(id, 50, 5) AS VARCHAR),
                   'UF_CRM_REJECT_REASON', CASE WHEN status_id = 'JUNK' THEN pick(['Дорого', 'Нет бюджета',
                       'Выбрали конкурента', 'Не отвечает', 'Спам'], id, 51) END),
       TIMESTAMPTZ '{anchor}', TIMESTAMPTZ '{anchor}'
FROM leads;
INSERT INTO raw_records (entity, id, payload, synced_at, changed_at)
SELECT 'deal', CAST(id AS VARCHAR),
       json_object('ID', CAST(id AS VARCHAR), 'TITLE', title, 'STAGE_ID', stage_id,
                   'CATEGORY_ID', CAST(category_id AS VARCHAR), 'OPPORTUNITY', CAST(opportunity AS VARCHAR),
                   'CURRENCY_ID', currency_id, 'DATE_CREATE', msk(date_create), 'DATE_MODIFY', msk(date_modify)),
       TIMESTAMPTZ '{anchor}', TIMESTAMPTZ '{anchor}'
FROM deals;
INSERT INTO raw_records (entity, id, payload, synced_at, changed_at)
SELECT 'contact', CAST(id AS VARCHAR),
       json_object('ID', CAST(id AS VARCHAR), 'NAME', name, 'LAST_NAME', last_name,
                   'DATE_CREATE', msk(date_create), 'DATE_MODIFY', msk(date_modify)),
       TIMESTAMPTZ '{anchor}', TIMESTAMPTZ '{anchor}'
FROM contacts;
INSERT INTO raw_records (entity, id, payload, synced_at, changed_at)
SELECT 'company', CAST(id AS VARCHAR),
       json_object('ID', CAST(id AS VARCHAR), 'TITLE', title, 'EMPLOYEES', employees,
                   'REVENUE', CAST(revenue AS VARCHAR), 'DATE_CREATE', msk(date_create),
                   'DATE_MODIFY', msk(date_modify)),
       TIMESTAMPTZ '{anchor}', TIMESTAMPTZ '{anchor}'
FROM companies;
"""

STEPS = [("users", USERS_SQL), ("companies", COMPANIES_SQL), ("contacts", CONTACTS_SQL), ("leads", LEADS_SQL),
         ("deals", PIPES_SQL + DEALS_SQL), ("activities", ACTIVITIES_SQL), ("lead_history", LEAD_HISTORY_SQL),
         ("deal_history", DEAL_HISTORY_SQL), ("calls", CALLS_SQL), ("raw_records", RAW_SQL)]


def dictionaries() -> tuple[list[tuple], list[tuple]]:
    """The sandbox portal's statuses (lead statuses, sources, size bands, three pipelines' stages)
    and its pipelines, as warehouse rows."""
    state = SandboxPortal(seed=1, leads=0).state
    statuses = [(s["ENTITY_ID"], s["STATUS_ID"], int(s["ID"]), s["NAME"], int(s["SORT"]), s["SEMANTICS"],
                 s["CATEGORY_ID"], False) for s in state.statuses]
    categories = [(int(c["id"]), c["name"], int(c["sort"]), c["isDefault"] == "Y", False) for c in state.categories]
    return statuses, categories


def generate(path: Path, sizes: dict[str, int], anchor: datetime) -> dict[str, float]:
    """Create, migrate and fill the warehouse; return seconds per table."""
    warehouse = Warehouse(path, memory_limit="4GB")
    warehouse.migrate()
    start = anchor - timedelta(days=SPAN_DAYS)
    params = {**sizes, "users": USERS, "span": SPAN_DAYS * 86400, "first": FIRST, "last": LAST,
              "sources": "[" + ", ".join(f"'{s}'" for s in SOURCES) + "]",
              "start": start.isoformat(), "anchor": anchor.isoformat()}
    statuses, categories = dictionaries()
    seconds: dict[str, float] = {}
    with warehouse.connect() as con:
        con.execute(MACROS)
        con.executemany("INSERT INTO statuses VALUES (?, ?, ?, ?, ?, ?, ?, ?)", statuses)
        con.executemany("INSERT INTO deal_categories VALUES (?, ?, ?, ?, ?)", categories)
        for name, sql in STEPS:
            began = time.perf_counter()
            con.execute(sql.format(**params))
            seconds[name] = time.perf_counter() - began
        began = time.perf_counter()
        con.execute("CHECKPOINT")
        seconds["checkpoint"] = time.perf_counter() - began
    return seconds


def write_inputs(folder: Path, anchor: datetime) -> dict:
    """A spend file (24 months x 10 channels), a plan file (monthly totals for 24 months; won
    deals and revenue per manager for the last 6 months), tracking numbers, rates and the
    rejection reason field."""
    months = [(anchor.replace(day=1) - timedelta(days=1)).replace(day=1)]
    while len(months) < 24:
        months.append((months[-1] - timedelta(days=1)).replace(day=1))
    months = [m.strftime("%Y-%m") for m in reversed(months + [anchor.replace(day=1)])]
    spend = ["month,channel,amount,currency"]
    for n, month in enumerate(months):
        for k, source in enumerate(SOURCES):
            spend.append(f"{month},{source},{100_000 + 7_919 * ((n * 13 + k * 7) % 50)},RUB")
        spend.append(f"{month},Яндекс Директ,{250_000 + 1_000 * n},RUB")
    plan = ["period,metric,target,manager,currency"]
    for month in months:
        for metric, target in (("leads", 40_000), ("deals", 12_000), ("won_deals", 3_500),
                               ("new_clients", 2_000), ("calls", 40_000)):
            plan.append(f"{month},{metric},{target},,")
        plan.append(f"{month},revenue,450000000,,RUB")
    for month in months[-6:]:
        for user in range(1, USERS + 1):
            plan.append(f"{month},won_deals,70,#{user},")
            plan.append(f"{month},revenue,9000000,#{user},RUB")
    (folder / "spend.csv").write_text("\n".join(spend) + "\n", encoding="utf-8")
    (folder / "plan.csv").write_text("\n".join(plan) + "\n", encoding="utf-8")
    return {"spend_file": str(folder / "spend.csv"), "plan_file": str(folder / "plan.csv"),
            "tracking_numbers": TRACKING, "base_currency": "RUB",
            "currency_rates": {"USD": 92.0, "EUR": 100.0}, "rejection_field": "UF_CRM_REJECT_REASON"}


# What one sync brings to a big portal, generously: 1 % of the leads and deals edited (a tenth
# of those moved on a stage, with their history rows), 1 % of the activities completed, as many
# new activities and calls as edited leads, and 0.1 % of the companies resized. On a portal that
# gets 1,400 leads a day that is a week of work, not one cycle's.
SYNC_SQL = """
CREATE OR REPLACE TEMP TABLE t_leads AS SELECT id FROM leads WHERE hash(id, 901) % 100 = 0;
CREATE OR REPLACE TEMP TABLE t_deals AS SELECT id FROM deals WHERE hash(id, 902) % 100 = 0;
CREATE OR REPLACE TEMP TABLE t_companies AS SELECT id FROM companies WHERE hash(id, 903) % 1000 = 0;
UPDATE leads SET status_id = 'IN_PROCESS', status_semantic_id = 'P', date_modify = now(), moved_time = now()
WHERE id IN (SELECT id FROM t_leads) AND hash(id, 904) % 10 = 0;
UPDATE leads SET assigned_by_id = 1 + hash(id, 905) % {users}, date_modify = now() WHERE id IN (SELECT id FROM t_leads);
INSERT INTO lead_history BY NAME
SELECT (SELECT max(id) FROM lead_history) + row_number() OVER (ORDER BY id) AS id, 2 AS type_id, id AS owner_id,
       now() AS created_time, 'IN_PROCESS' AS status_id, 'P' AS status_semantic_id
FROM t_leads WHERE hash(id, 904) % 10 = 0;
UPDATE deals SET stage_id = CASE WHEN category_id = 0 THEN 'WON' ELSE 'C' || category_id || ':WON' END,
       stage_semantic_id = 'S', closed = true, date_modify = now(), moved_time = now()
WHERE id IN (SELECT id FROM t_deals) AND hash(id, 906) % 10 = 0;
UPDATE deals SET opportunity = opportunity + 1000, date_modify = now() WHERE id IN (SELECT id FROM t_deals);
INSERT INTO deal_history BY NAME
SELECT (SELECT max(id) FROM deal_history) + row_number() OVER (ORDER BY d.id) AS id, 2 AS type_id,
       d.id AS owner_id, now() AS created_time, d.category_id, d.stage_id, 'S' AS stage_semantic_id
FROM deals d WHERE d.id IN (SELECT id FROM t_deals) AND hash(d.id, 906) % 10 = 0;
UPDATE companies SET employees = 'EMPLOYEES_5', date_modify = now() WHERE id IN (SELECT id FROM t_companies);
CREATE OR REPLACE TEMP TABLE t_done AS SELECT id FROM activities WHERE hash(id, 907) % 100 = 0 AND NOT completed;
UPDATE activities SET completed = true, last_updated = now() WHERE id IN (SELECT id FROM t_done);
CREATE OR REPLACE TEMP TABLE t_new_activities AS
SELECT (SELECT max(id) FROM activities) + row_number() OVER (ORDER BY id) AS id, id AS owner_id FROM t_leads;
INSERT INTO activities BY NAME
SELECT id, owner_id, 1 AS owner_type_id, 2 AS type_id, 2 AS direction, 'Звонок' AS subject, true AS completed,
       now() AS created, now() AS last_updated, now() AS start_time, now() AS end_time, false AS deleted
FROM t_new_activities;
CREATE OR REPLACE TEMP TABLE t_new_calls AS
SELECT (SELECT max(id) FROM calls) + row_number() OVER (ORDER BY id) AS id, id AS lead_id FROM t_leads;
INSERT INTO calls BY NAME
SELECT id, 'sim.' || id AS call_id, 2 AS call_type, 1 AS portal_user_id, '+74951234567' AS portal_number,
       '+79990000000' AS phone_number, 60 AS call_duration, now() AS call_start_date, '200' AS call_failed_code,
       'LEAD' AS crm_entity_type, lead_id AS crm_entity_id
FROM t_new_calls;
-- the sync stamps what it loaded
INSERT OR REPLACE INTO raw_records (entity, id, payload, synced_at, changed_at)
SELECT entity, CAST(id AS VARCHAR), '{{}}', now(), now() FROM (
    SELECT 'lead' AS entity, id FROM t_leads
    UNION ALL SELECT 'deal', id FROM t_deals
    UNION ALL SELECT 'company', id FROM t_companies
    UNION ALL SELECT 'lead_history', id FROM lead_history WHERE created_time >= now() - INTERVAL 1 MINUTE
    UNION ALL SELECT 'deal_history', id FROM deal_history WHERE created_time >= now() - INTERVAL 1 MINUTE
    UNION ALL SELECT 'activity', id FROM t_done
    UNION ALL SELECT 'activity', id FROM t_new_activities
    UNION ALL SELECT 'call', id FROM t_new_calls
);
"""


def simulate_sync(path: Path) -> dict[str, int]:
    """Apply SYNC_SQL to the warehouse; return how many rows of each kind it touched."""
    warehouse = Warehouse(path, memory_limit="4GB")
    with warehouse.transaction() as con:
        con.execute(SYNC_SQL.format(users=USERS))
        return dict(con.execute("SELECT entity, count(*) FROM raw_records WHERE synced_at >= now() - INTERVAL 1 MINUTE "
                                "GROUP BY 1 ORDER BY 1").fetchall())


def memory_setting() -> tuple[str, str]:
    """(config section, shipped value) of the memory limit the KPI refresh runs with."""
    if "memory_limit" in KpiSettings.model_fields:
        return "kpis", KpiSettings.model_fields["memory_limit"].default
    return "warehouse", WarehouseSettings.model_fields["memory_limit"].default


def settings_for(path: Path, memory_limit: str, kpis: dict) -> Settings:
    section, _ = memory_setting()
    warehouse = {"path": str(path)}
    if section == "kpis":
        kpis = {**kpis, "memory_limit": memory_limit}
    else:
        warehouse["memory_limit"] = memory_limit
    return load_settings(read_file=False, portal={"webhook_url": WEBHOOK}, warehouse=warehouse, kpis=kpis)


# -- timing every statement -------------------------------------------------------------------

def label(sql: str) -> str:
    """A statement's first line that is not a comment."""
    line = next((x.strip() for x in sql.splitlines() if x.strip() and not x.strip().startswith("--")), "")
    return line[:72]


class TimedConnection:
    """A DuckDB connection that runs a script one statement at a time and times each."""

    def __init__(self, con: duckdb.DuckDBPyConnection, log: TimedWarehouse) -> None:
        self._con = con
        self._log = log

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)

    def execute(self, query: Any, parameters: Any = None) -> Any:
        if isinstance(query, str) and parameters is None:
            statements = [s.query for s in self._con.extract_statements(query)] or [query]
        else:
            statements = [query]
        result = None
        for statement in statements:
            result = self._timed(label(statement), self._con.execute, statement,
                                 *([] if parameters is None else [parameters]))
        return result

    def executemany(self, query: str, parameters: Any = None) -> Any:
        return self._timed(f"executemany {label(query)} ({len(parameters or [])} rows)",
                           self._con.executemany, query, parameters)

    def _timed(self, text: str, run: Any, *args: Any) -> Any:
        began, cpu = time.perf_counter(), time.process_time()
        try:
            return run(*args)
        except Exception as exc:
            self._log.failed = (f"{text} after {time.perf_counter() - began:.2f} s: "
                                f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
            raise
        finally:
            self._log.statements.append((time.perf_counter() - began, time.process_time() - cpu, text))


class TimedWarehouse(Warehouse):
    """The warehouse refresh_kpis() is given: its connections time every statement."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.statements: list[tuple[float, float, str]] = []   # wall, CPU (all threads), statement
        self.failed: str | None = None

    @contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[Any]:
        with super().connect(read_only=read_only) as con:
            yield TimedConnection(con, self)


class Run:
    """One refresh_kpis() call: seconds per step, wall and CPU seconds, every statement; or an error."""

    def __init__(self, settings: Settings, *, full: bool = False) -> None:
        warehouse = TimedWarehouse(settings.warehouse.path, memory_limit=settings.warehouse.memory_limit)
        self.steps: dict[str, float] = {}
        self.error: str | None = None
        self.mode = ""
        began, cpu = time.perf_counter(), time.process_time()
        try:
            result = refresh_kpis(warehouse, settings, full=full)  # type: ignore[arg-type]
            self.steps = result.seconds
            self.mode = (f"full: {result.reason}" if result.full
                         else f"{result.scope[0]:,} leads ({result.regraded:,} regraded) and {result.scope[1]:,} deals recomputed")
            if result.problems:
                print("  input problems:", *result.problems[:5], sep="\n    ")
        except Exception as exc:  # running out of memory is a result here, not a crash
            self.error = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
        self.wall = time.perf_counter() - began
        self.cpu = time.process_time() - cpu
        self.statements = warehouse.statements
        self.failed = warehouse.failed


# -- output -----------------------------------------------------------------------------------

def mb(path: Path) -> str:
    return f"{path.stat().st_size / 1e6:,.0f} MB"


def print_table(runs: dict[str, Run]) -> None:
    columns = list(runs)
    done = [c for c in columns if runs[c].error is None]
    steps = list(runs[done[0]].steps) if done else []
    width = max(len(c) for c in columns) + 2

    def row(name: str, value: Any) -> None:
        print(f"{name:<22}" + "".join(f"{value(runs[c]):>{width}.2f}" if c in done else f"{'-':>{width}}"
                                       for c in columns))

    print(f"\n{'step (seconds)':<22}" + "".join(f"{c:>{width}}" for c in columns))
    for step in steps:
        row(step, lambda run, step=step: run.steps[step])
    row("sum of the steps", lambda run: sum(run.steps.values()))
    row("wall (inputs, commit)", lambda run: run.wall)
    row("CPU, all threads", lambda run: run.cpu)
    print(f"{'goal: wall <= 5 s':<22}" + "".join(
        f"{'PASS' if c in done and runs[c].wall <= GOAL_SECONDS else 'FAIL':>{width}}" for c in columns))
    for c in columns:
        if c not in done:
            print(f"{c}: failed after {runs[c].wall:.1f} s, at {runs[c].failed or runs[c].error}")


def revision() -> str:
    """The checkout's commit (and whether its files differ from it): the SQL being timed."""
    try:
        return subprocess.run(["git", "describe", "--always", "--dirty"], cwd=Path(__file__).resolve().parent,
                              capture_output=True, text=True, timeout=10).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every table's size (default 1)")
    parser.add_argument("--no-inputs", action="store_true",
                        help="no spend or plan file, tracking numbers, rates or rejection field")
    parser.add_argument("--statements", action="store_true", help="list the slowest statements of each refresh")
    parser.add_argument("--memory-limit", help="the refresh's memory limit (default: the shipped kpis.memory_limit)")
    parser.add_argument("--keep", type=Path, help="copy the generated warehouse (before any refresh) here")
    args = parser.parse_args()

    sizes = {name: max(1, int(count * args.scale)) for name, count in SIZES.items()}
    anchor = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    section, shipped = memory_setting()
    print("KPI refresh benchmark: " + ", ".join(f"{v:,} {k}" for k, v in sizes.items()))
    print(f"{os.cpu_count()} CPUs; checkout {revision()}; the refresh's memory limit is {section}.memory_limit "
          f"(shipped: {shipped})")

    with tempfile.TemporaryDirectory(prefix="b24m-bench-") as tmp:
        folder = Path(tmp)
        path = folder / "warehouse.duckdb"
        began = time.perf_counter()
        generated = generate(path, sizes, anchor)
        total = time.perf_counter() - began
        print(f"\nGenerated in {total:.1f} s ({', '.join(f'{k} {v:.1f}' for k, v in generated.items())}); "
              f"warehouse file {mb(path)}")
        if args.keep:
            shutil.copyfile(path, args.keep)
            print(f"generated warehouse copied to {args.keep}")
        kpis = {} if args.no_inputs else write_inputs(folder, anchor)

        settings = settings_for(path, args.memory_limit or shipped, kpis)
        print(f"load average before the refreshes: {load()} (other work on this machine slows them)")
        runs: dict[str, Run] = {}

        def run(name: str, **kw: Any) -> None:
            runs[name] = Run(settings, **kw)
            print(f"refresh, {name}: {runs[name].wall:.1f} s ({runs[name].mode or runs[name].error})", flush=True)

        run("first")
        run("no change")
        touched = simulate_sync(path)
        print("a sync loaded: " + ", ".join(f"{n:,} {k}" for k, n in touched.items()))
        run("after a sync")
        run("full rebuild", full=True)
        print(f"load average after: {load()}; warehouse file after the refreshes: {mb(path)}")
        print_table(runs)

        if args.statements:
            for name, run in runs.items():
                if name != "no change" or run.error:
                    print(f"\nSlowest statements, {name} (wall s, CPU s):")
                    for wall, cpu, text in sorted(run.statements, reverse=True)[:12]:
                        print(f"{wall:7.2f} {cpu:7.2f}  {text}")


if __name__ == "__main__":
    main()
