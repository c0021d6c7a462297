"""kpi_attribution_money and kpi_attribution_age became views over the per-client credits
(kpi_attribution_credit): drop the tables an earlier KPI refresh left under those names, so
that the next refresh can create the views.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # DROP TABLE IF EXISTS refuses a view of that name: ask the catalogue which ones are tables
    for name in ("kpi_attribution_money", "kpi_attribution_age"):
        tables = op.get_bind().exec_driver_sql(
            f"SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = '{name}'").fetchall()
        if tables[0][0]:
            op.execute(f"DROP TABLE {name}")


def downgrade() -> None:
    pass    # the refresh of the older version builds its tables again
