"""The report of a scenario's warehouse, in both languages, as the section tests read it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from b24metrics.report.build import write_report


def report_pages(s, folder: Path, now: datetime) -> dict[str, str]:
    """The HTML report of `s` seen at `now` (the portal's wall clock), by language: ru, en."""
    pages = {}
    for lang in ("ru", "en"):
        write_report(s.warehouse, s.settings(), folder / f"{lang}.html", now=now, lang=lang)
        pages[lang] = (folder / f"{lang}.html").read_text(encoding="utf-8")
    return pages
