"""What a SQL statement really reads and makes, found by a tokenizer, for the header tests.

A statement makes what it CREATEs (a table, a view, a macro as "name()") and the session
variables it SETs. It reads every name some SQL file or Python definer makes that appears in
its code (comments and string literals left out; getvariable('x') reads x); a macro counts when
it is called, as "name()". Warehouse tables are not names anything here makes, so they never
count: the migrations provide them.
"""

from __future__ import annotations

import re

import duckdb

from b24metrics.grading import bands, engagement, facts, features
from b24metrics.kpis import incremental, inputs, refresh
from b24metrics.sqlfiles import header, sql_file, sql_names

PACKAGES = ("b24metrics.kpis", "b24metrics.grading")
#: the modules that define names on the refresh's connection for the SQL files
DEFINERS = {"b24metrics.kpis.refresh": refresh.DEFINES, "b24metrics.kpis.incremental": incremental.DEFINES,
            "b24metrics.kpis.inputs": tuple(inputs.INPUT_TABLES), "b24metrics.grading.features": features.DEFINES,
            "b24metrics.grading.bands": bands.DEFINES, "b24metrics.grading.facts": facts.DEFINES,
            "b24metrics.grading.engagement": engagement.DEFINES}

_NOISE = re.compile(r"--[^\n]*|'(?:[^']|'')*'")
_VARIABLE = re.compile(r"getvariable\(\s*'(\w+)'\s*\)", re.I)
_CREATE = re.compile(r"\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+)?(TABLE|VIEW|MACRO)\s+"
                     r"(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", re.I)
_SET_VARIABLE = re.compile(r"\bSET\s+VARIABLE\s+(\w+)", re.I)
_WORD = re.compile(r"\b([A-Za-z_]\w*)\b(\s*\()?")


def files() -> dict[tuple[str, str], str]:
    """(package, name) -> text of every SQL file the package ships."""
    return {(p, n): sql_file(p, n) for p in PACKAGES for n in sql_names(p)}


def code(statement: str) -> str:
    """The statement without comments and string literals; getvariable('x') becomes x."""
    statement = _VARIABLE.sub(r" \1 ", statement)
    return _NOISE.sub(" ", statement)


def makes(statement: str) -> set[str]:
    found = {f"{name}()" if kind.upper() == "MACRO" else name for kind, name in _CREATE.findall(code(statement))}
    return found | set(_SET_VARIABLE.findall(statement))


def reads(statement: str, known: set[str]) -> set[str]:
    found = set()
    for match in _WORD.finditer(code(statement)):
        name = match.group(1)
        if match.group(2) and f"{name}()" in known:
            found.add(f"{name}()")
        elif name in known:
            found.add(name)
    return found - makes(statement)


def statements(text: str) -> list[str]:
    """A file's statements as a full refresh and as an incremental one runs them: the second
    turns a per-item table into DELETE ... WHERE <its per-item predicate> and INSERT."""
    full = list(incremental.statements(text, incremental=False))
    return full + [s for s in incremental.statements(text, incremental=True) if s not in full]


def file_makes(text: str) -> set[str]:
    return {name for s in statements(text) for name in makes(s)}


def file_reads(text: str, known: set[str]) -> set[str]:
    return {name for s in statements(text) for name in reads(s, known)} - file_makes(text)


def known() -> set[str]:
    """Every name a SQL file or a Python definer makes."""
    return {n for text in files().values() for n in file_makes(text)} | {n for d in DEFINERS.values() for n in d}


def split(query: str) -> list[str]:
    return [s.query for s in duckdb.extract_statements(query)] or [query]


__all__ = ["DEFINERS", "PACKAGES", "code", "file_makes", "file_reads", "files", "header", "known", "makes",
           "reads", "split", "statements"]
