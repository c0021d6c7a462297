"""What the repository cites, it holds: no comment, docstring or document points to a markdown
file a clone does not have, or to numbered passages of a specification that is not here; and
docs/architecture.md keeps naming every top-level module of the package."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "b24metrics"
ARCHITECTURE = ROOT / "docs/architecture.md"
SCANNED = ("src", "tests", "bench", "docs", "migrations")
TEXT = {".py", ".md", ".sql", ".toml", ".j2", ".css", ".mako", ".txt", ".ini", ".cfg", ".sh"}

# A path ending in .md, as code and prose write one: README.md, docs/architecture.md, ../README.md.
MARKDOWN = re.compile(r"(?<![\w./-])((?:\.\.?/)?[\w./-]*\w\.md)\b")
# Numbered passages of a document that is not in the repository.
PASSAGE = re.compile(r"\bspec(?:'s)?\s+(?:section|gotcha|§)|\bgotcha\s+(?:#|no\.?\s*)?\d+|§\s*\d", re.I)


def cited_files() -> list[Path]:
    files = [ROOT / "README.md", ROOT / "pyproject.toml"]
    for top in SCANNED:
        files += sorted(p for p in (ROOT / top).rglob("*")
                        if p.is_file() and p.suffix in TEXT and "__pycache__" not in p.parts)
    return files


def lines_of(path: Path):
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        yield f"{path.relative_to(ROOT)}:{number}", line


def resolves(reference: str, cited_in: Path) -> bool:
    """A reference is good when the file exists beside the citing file or from the root."""
    return any((base / reference).resolve().is_file() for base in (cited_in.parent, ROOT))


def test_every_cited_markdown_file_is_in_the_repository():
    dangling = [f"{where}: {ref}" for path in cited_files() for where, line in lines_of(path)
                for ref in MARKDOWN.findall(line) if not resolves(ref, path)]
    assert cited_files() and dangling == []


def test_no_numbered_passage_of_an_outside_document_is_cited():
    cited = [f"{where}: {line.strip()}" for path in cited_files() for where, line in lines_of(path)
             if PASSAGE.search(line)]
    assert cited == []


ELSEWHERE = "real-portals" + ".md"  # spelled in two parts, or this file would cite it


@pytest.mark.parametrize("text, found", [
    (f"see {ELSEWHERE}", [ELSEWHERE]),
    ("(docs/architecture.md, ../README.md)", ["docs/architecture.md", "../README.md"]),
    ("config.example.toml and x.mdx", []),
])
def test_markdown_references_are_found(text, found):
    assert MARKDOWN.findall(text) == found


SPEC, GOTCHA = "spec", "gotcha"


@pytest.mark.parametrize("text, cited", [
    # the citations built from parts, or this file would make them
    (f"({SPEC} section 3.4)", True), (f"{SPEC}'s {GOTCHA} 8", True), (f"a known {GOTCHA} 7 of it", True),
    ("see §" + "5.4", True), ("field_specs(settings)", False), (f"a documented {GOTCHA}: the portal", False),
])
def test_passage_citations_are_found(text, cited):
    assert bool(PASSAGE.search(text)) is cited


def top_level_modules() -> list[str]:
    names = [p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").is_file()]
    names += [p.stem for p in PACKAGE.glob("*.py")]
    return sorted(n for n in names if not n.startswith("_"))


def test_architecture_names_every_top_level_module():
    text = ARCHITECTURE.read_text(encoding="utf-8")
    modules = top_level_modules()
    unnamed = [m for m in modules if not re.search(rf"`{re.escape(m)}(?:/[^`]*|\.py)?`", text)]
    assert {"portal", "extract", "warehouse", "kpis", "writeback"} <= set(modules) and unnamed == []


def test_the_docs_notation_used_in_comments_is_explained():
    """Comments cite Bitrix24's public REST documentation as D:<path>; the reader must learn where
    that leads without the document that introduced the notation."""
    uses = [where for path in cited_files() for where, line in lines_of(path)
            if path != ARCHITECTURE and re.search(r"\bD:[a-z]", line)]
    explained = "https://apidocs.bitrix24.com/<path>.html" in ARCHITECTURE.read_text(encoding="utf-8")
    assert not uses or explained
