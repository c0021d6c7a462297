"""The normalized lead features grading rules test (config.FEATURES), made by
sql/lead_features.sql as the TEMP view lead_features for the leads in scope."""

from __future__ import annotations

import duckdb

from b24metrics.config import GradingSettings
from b24metrics.grading.bands import define_bands
from b24metrics.grading.facts import define_macros
from b24metrics.grading.rules import reads_payload
from b24metrics.sqlfiles import sql_file

#: what prepare_features defines for sql/lead_features.sql before running it
DEFINES = ("lead_payloads",)


def define_match_keys(con: duckdb.DuckDBPyConnection) -> None:
    """The views company_keys and client_keys (sql/match_keys.sql) and the macros they call."""
    define_macros(con)
    con.execute(sql_file("b24metrics.grading", "match_keys.sql"))


def prepare_features(con: duckdb.DuckDBPyConnection, settings: GradingSettings) -> None:
    """Make the view lead_features on `con`; the caller unregisters band_overrides when done."""
    define_bands(con, settings)
    define_match_keys(con)
    con.execute(
        "CREATE OR REPLACE TEMP VIEW lead_payloads AS SELECT id, payload FROM raw_records WHERE entity = 'lead'"
        + ("" if reads_payload(settings) else " AND false")
    )
    con.execute(sql_file("b24metrics.grading", "lead_features.sql"))
