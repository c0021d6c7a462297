"""The SQL files that ship inside the package, each in the `sql/` folder of the package that
runs it (kpis/sql/, grading/sql/), and the header each of them opens with. Outside every
layer, like config.py: grading sits below kpis, and both read their files through here.

A header says what the file reads that something else makes, and what it makes itself:

    -- reads: kpi_leads, kpi_stages, history_pkey(), local_time(), in_scope_lead()
    -- makes: kpi_stage_funnel, kpi_close_communications

Tables, views and session variables go by their names, macros with "()"; a long list may go on
over several `-- reads:` lines, and `nothing` stands for an empty one. Warehouse tables (the
migrations make them) are not listed: they are always there. `-- reads from the last refresh:`
names the KPI tables a file reads as the previous refresh left them (scope.sql decides what to
recompute before anything is rebuilt). What Python defines on the refresh's connection for the
files is declared by its definer: DEFINES in kpis/refresh.py, kpis/incremental.py and
grading/features.py, INPUT_TABLES in kpis/inputs.py.

A test (tests/kpis/test_sql_headers.py) holds every header to what its SQL really reads and
makes, and checks that a KPI refresh makes every read before it happens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

_HEADER_LINE = re.compile(r"^--\s*(reads|makes|reads from the last refresh):(.*)$")


@dataclass(frozen=True)
class Header:
    reads: frozenset[str]
    makes: frozenset[str]
    reads_last: frozenset[str]      # read as the previous refresh left them


def sql_file(package: str, name: str) -> str:
    """The text of `name` in the sql/ folder of `package` ("b24metrics.kpis")."""
    return resources.files(package).joinpath("sql", name).read_text(encoding="utf-8")


def sql_names(package: str) -> list[str]:
    """Every .sql file in the sql/ folder of `package`, by name."""
    folder = resources.files(package).joinpath("sql")
    return sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".sql"))


def header(text: str) -> Header:
    """The header of a SQL file's text: its leading comment lines."""
    lists: dict[str, set[str]] = {"reads": set(), "makes": set(), "reads from the last refresh": set()}
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("--"):
            break
        match = _HEADER_LINE.match(line)
        if match:
            names = {n.strip() for n in match.group(2).split(",")} - {"", "nothing"}
            lists[match.group(1)] |= names
    return Header(frozenset(lists["reads"]), frozenset(lists["makes"]),
                  frozenset(lists["reads from the last refresh"]))
