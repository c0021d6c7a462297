"""What the README, the CLI's help and the report's labels say is made from, or checked against,
the code: a KPI, a command, an exit code or a label added without its documentation fails here.
The KPI table is the catalogue's own (regenerate it with `python -m b24metrics.kpis.catalogue`),
the exit-code table errors.EXIT_CODES' (`python -m b24metrics.errors`)."""

import re
from pathlib import Path

import typer

from b24metrics.cli import app
from b24metrics.errors import EXIT_CODES, exit_codes_markdown
from b24metrics.kpis.catalogue import markdown

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SRC = ROOT / "src" / "b24metrics"


def command_paths() -> list[str]:
    """Every command of the CLI as typed after `b24metrics`, groups ("fields") and their
    sub-commands ("fields setup") alike, read from the Typer app itself."""
    paths: list[str] = []

    def walk(command, prefix: str) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            paths.append(f"{prefix}{name}")
            walk(sub, f"{prefix}{name} ")

    walk(typer.main.get_command(app), "")
    return paths


def _block(name: str) -> str:
    found = re.search(rf"<!-- {name} -->\n(.*?)\n<!-- /{name} -->", README.read_text(encoding="utf-8"), re.S)
    assert found, f"README.md lacks the <!-- {name} --> block"
    return found.group(1).strip()


def test_readme_lists_every_kpi_as_the_catalogue_defines_it():
    assert _block("kpis") == markdown().strip()


def test_readme_documents_every_kpi_table_and_view_for_bi_tools():
    """Each table or view a KPI SQL file makes under the kpi_ prefix has its row in the README."""
    sql = SRC / "kpis" / "sql"
    made = {m for f in sql.glob("*.sql")
            for m in re.findall(r"CREATE OR REPLACE (?:TABLE|VIEW) (kpi_\w+)", f.read_text(encoding="utf-8"))}
    documented = set(re.findall(r"^\| `(kpi_\w+)`", README.read_text(encoding="utf-8"), re.M))
    assert made and made - documented == set()


def test_readme_exit_codes_are_the_table_the_cli_exits_with():
    assert _block("exit-codes") == exit_codes_markdown()
    assert [code for code, _ in EXIT_CODES] == sorted({code for code, _ in EXIT_CODES}), "one row per code, in order"


def test_readme_command_table_has_a_row_for_every_command_and_none_for_a_missing_one():
    """A row begins with the command it documents: | `b24metrics fields setup [--dry-run]` | ..."""
    paths = command_paths()
    groups = {p.rsplit(" ", 1)[0] for p in paths if " " in p}
    commands = [p for p in paths if p not in groups]   # a group is documented by its sub-commands
    rows = re.findall(r"^\| `b24metrics ([^`]*)` \|", README.read_text(encoding="utf-8"), re.M)
    assert rows, "README.md lacks the command table"
    documented = set()
    for row in rows:
        named = [p for p in paths if row == p or row.startswith(p + " ")]
        assert named, f"the README documents `b24metrics {row}`, which is no command"
        documented.add(max(named, key=len))
    assert "fields setup" in commands and "sync" in commands   # the walk reaches sub-commands
    assert [c for c in commands if c not in documented] == []
