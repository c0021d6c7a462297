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
