"""The sections into one HTML page, with its CSS inline.

Jinja2 with autoescape on: every string a template prints is escaped unless it is Markup that
our own code built (the charts, which escape what they embed). A channel named `<script>`
comes out as text. The template and the stylesheet ship inside the package (templates/)."""

from __future__ import annotations

from importlib import resources
from typing import Any

from jinja2 import Environment, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from b24metrics.report.fmt import Locale
from b24metrics.report.model import Cell, Section
from b24metrics.report.text import text_for
from b24metrics.report.window import Window

_TEMPLATES = resources.files("b24metrics.report") / "templates"


def _environment(loc: Locale) -> Environment:
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)

    def cell(value: Any) -> Markup:
        if isinstance(value, Cell):
            return value.html(loc)
        if isinstance(value, (list, tuple)):
            return Markup("<br>").join(cell(v) for v in value)
        return escape("" if value is None else value)

    def tone(change: tuple[str, int], better: int) -> str:
        direction = change[1] * better
        return "good" if direction > 0 else "worse" if direction < 0 else ""

    env.filters["cell"] = cell
    env.filters["tone"] = tone
    return env


def render(sections: list[Section], window: Window, loc: Locale, *, intro: str, generated: str) -> str:
    env = _environment(loc)
    template = env.from_string((_TEMPLATES / "report.html.j2").read_text(encoding="utf-8"))
    css = Markup((_TEMPLATES / "style.css").read_text(encoding="utf-8"))
    return template.render(
        lang=loc.lang, t=text_for(loc.lang), sections=sections, window=window, css=css, intro=intro,
        generated=generated, headline=loc.period(window.kind, window.headline))
