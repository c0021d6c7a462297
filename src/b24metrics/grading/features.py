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
DEFINES = ("lead_payloads", "match_company()", "match_contact()")


def define_match_keys(con: duckdb.DuckDBPyConnection, *, changed_only: bool = False) -> None:
    """The temp tables company_keys and client_keys (sql/match_keys.sql) and the macros they call:
    over every company and contact, or (`changed_only`) over those in the relation
    changed_parties(entity, id) that kpis/sql/scope_changes.sql makes."""
    define_macros(con)
    if changed_only:
        for entity in ("company", "contact"):
            con.execute(f"CREATE OR REPLACE TEMP MACRO match_{entity}(item) AS "
                        f"item IN (SELECT id FROM changed_parties WHERE entity = '{entity}')")
    else:
        con.execute("CREATE OR REPLACE TEMP MACRO match_company(item) AS true")
        con.execute("CREATE OR REPLACE TEMP MACRO match_contact(item) AS true")
    con.execute(sql_file("b24metrics.grading", "match_keys.sql"))


def rebuild_match_keys(con: duckdb.DuckDBPyConnection) -> None:
    """company_match_keys and client_match_keys anew, from every company and contact (an
    incremental refresh updates those that changed instead: update_match_keys)."""
    define_match_keys(con)
    con.execute("DELETE FROM company_match_keys")
    con.execute("INSERT INTO company_match_keys SELECT company_id, kind, key, known_since FROM company_keys")
    con.execute("DELETE FROM client_match_keys")
    con.execute("INSERT INTO client_match_keys SELECT contact_id, kind, key, known_since FROM client_keys")


def update_match_keys(con: duckdb.DuckDBPyConnection) -> None:
    """The match keys of the companies and contacts in changed_parties computed anew (after
    kpis/sql/scope.sql, with define_match_keys(changed_only=True) before it)."""
    for table, entity, column, view in (("company_match_keys", "company", "company_id", "company_keys"),
                                        ("client_match_keys", "contact", "contact_id", "client_keys")):
        con.execute(f"DELETE FROM {table} WHERE {column} IN (SELECT id FROM changed_parties WHERE entity = '{entity}')")
        con.execute(f"INSERT INTO {table} SELECT {column}, kind, key, known_since FROM {view}")


def prepare_features(con: duckdb.DuckDBPyConnection, settings: GradingSettings) -> None:
    """Make the view lead_features on `con`; the caller unregisters band_overrides when done.
    The match keys must be up to date (rebuild_match_keys, or the incremental scope)."""
    define_bands(con, settings)
    define_macros(con)
    con.execute(
        "CREATE OR REPLACE TEMP VIEW lead_payloads AS SELECT id, payload FROM raw_records WHERE entity = 'lead'"
        + ("" if reads_payload(settings) else " AND false")
    )
    con.execute(sql_file("b24metrics.grading", "lead_features.sql"))
