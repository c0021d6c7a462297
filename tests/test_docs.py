"""The README's KPI table is the catalogue's own: a KPI added or renamed fails here until the
README says so (regenerate it with `python -m b24metrics.kpis.catalogue`)."""

import re
from pathlib import Path

from b24metrics.kpis.catalogue import markdown

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_lists_every_kpi_as_the_catalogue_defines_it():
    text = README.read_text(encoding="utf-8")
    block = re.search(r"<!-- kpis -->\n(.*?)\n<!-- /kpis -->", text, re.S)
    assert block, "README.md lacks the <!-- kpis --> block"
    assert block.group(1).strip() == markdown().strip()


def test_readme_documents_every_kpi_table_and_view_for_bi_tools():
    """Each table or view a KPI SQL file makes under the kpi_ prefix has its row in the README."""
    sql = Path(__file__).resolve().parent.parent / "src" / "b24metrics" / "kpis" / "sql"
    made = {m for f in sql.glob("*.sql")
            for m in re.findall(r"CREATE OR REPLACE (?:TABLE|VIEW) (kpi_\w+)", f.read_text(encoding="utf-8"))}
    documented = set(re.findall(r"^\| `(kpi_\w+)`", README.read_text(encoding="utf-8"), re.M))
    assert made and made - documented == set()
