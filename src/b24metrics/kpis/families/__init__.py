"""KPI families: each module lists its KPIs (`KPIS`) and the SQL files in kpis/sql/ that build
its tables (`SQL`). A KPI refresh grades the leads (b24metrics.grading), builds the shared fact
tables kpi_leads and kpi_deals (refresh.FACTS), then runs each family's files in the order of
FAMILIES.

Every SQL file opens with a header: what it reads that something else makes, and what it makes
(b24metrics/sqlfiles.py). A family reading another one's tables comes after it: funnel.sql reads
speed.sql's kpi_stages and history_pkey(), and the headers say which reads the others make.
tests/kpis/test_sql_headers.py holds every header to its SQL and checks that the refresh makes
each read before it happens.

Adding a family is one module here with KPIS and SQL = ["<family>.sql"], one SQL file in
kpis/sql/ with its header, and the module in FAMILIES after those it reads (attribution names
them in its NEEDS).
"""

from b24metrics.kpis.families import attribution, funnel, hygiene, marketing, money, sales, speed, telephony

FAMILIES = [marketing, speed, funnel, telephony, sales, money, attribution, hygiene]

__all__ = ["FAMILIES"]
