"""The SQL files that ship inside the package, each in the `sql/` folder of the package that
runs it (kpis/sql/, grading/sql/). Outside every layer, like config.py: grading sits below
kpis, and both read their files through here."""

from __future__ import annotations

from importlib import resources


def sql_file(package: str, name: str) -> str:
    """The text of `name` in the sql/ folder of `package` ("b24metrics.kpis")."""
    return resources.files(package).joinpath("sql", name).read_text(encoding="utf-8")
