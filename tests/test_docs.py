"""What the README, the CLI's help and the report's labels say is made from, or checked against,
the code: a KPI, a command, an exit code or a label added without its documentation fails here.
The KPI table is the catalogue's own (regenerate it with `python -m b24metrics.kpis.catalogue`),
the exit-code table errors.EXIT_CODES' (`python -m b24metrics.errors`)."""

import re
import string
from pathlib import Path

import typer

from b24metrics.cli import app
from b24metrics.errors import EXIT_CODES, exit_codes_markdown
from b24metrics.kpis.catalogue import markdown
from b24metrics.report.text import PLACEHOLDERS, TEXT
from b24metrics.report.window import REPORT_PERIODS

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


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_report_label_has_its_twin_in_every_language_with_the_same_fields():
    """text_for falls back to the key itself: a label missing in one language would show as
    "channels.lead" in that language's report, and nothing would fail."""
    languages = list(TEXT)
    assert languages == ["ru", "en"]
    for lang in languages[1:]:
        assert sorted(set(TEXT["ru"]) ^ set(TEXT[lang])) == [], f"labels only in ru or only in {lang}"
    for key, ru in TEXT["ru"].items():
        for lang in languages[1:]:
            assert _fields(ru) == _fields(TEXT[lang][key]), f"{key}: ru and {lang} take different values"
    assert all(text.strip() for table in TEXT.values() for text in table.values())


def test_every_label_the_report_asks_for_exists():
    """Keys named literally in the report's code and template, and the period names it builds."""
    report = SRC / "report"
    sources = [*report.glob("*.py"), *report.glob("templates/*")]
    asked = {key for f in sources
             for key in re.findall(r"""\bt\(\s*["']([a-z_.]+)["']""", f.read_text(encoding="utf-8"))}
    asked |= {f"periods.{period}" for period in REPORT_PERIODS}
    assert len(asked) > 50, "the pattern no longer finds the report's labels"
    assert sorted(asked - set(TEXT["ru"])) == []


def test_every_placeholder_the_kpi_sql_writes_has_its_russian_label():
    """The SQL writes '(no source)' and the like; the English report shows them as they are, the
    Russian one through PLACEHOLDERS."""
    sql = SRC / "kpis" / "sql"
    written = {m for f in sql.glob("*.sql") for m in re.findall(r"'(\([a-z][a-z ]*\))'", f.read_text(encoding="utf-8"))}
    assert {"(no source)", "(nobody)"} <= written
    assert sorted(written - set(PLACEHOLDERS["ru"])) == []
    assert set(PLACEHOLDERS["en"]) <= set(PLACEHOLDERS["ru"])
