"""kpi_calls became a view over kpi_call_base, kpi_call_leads and kpi_call_sales: drop the
table an earlier KPI refresh left under that name, so that the next refresh can create the view.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # DROP TABLE IF EXISTS refuses a view of that name: ask the catalogue which one it is
    tables = op.get_bind().exec_driver_sql(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = 'kpi_calls'").fetchall()
    if tables[0][0]:
        op.execute("DROP TABLE kpi_calls")


def downgrade() -> None:
    pass    # the refresh of the older version builds its table again
