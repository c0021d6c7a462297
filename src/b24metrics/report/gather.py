"""Reading the KPI layer for a report: every figure comes from `cut()` over the KPI tables, one
cut per (KPI, period, dimension), each read once. Nothing here computes a KPI; it only picks
rows (the headline period, a currency) and hands them on as Cells."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb

from b24metrics.config import Settings
from b24metrics.kpis.catalogue import find
from b24metrics.kpis.cuts import Cut, cut
from b24metrics.report.fmt import Locale
from b24metrics.report.model import cells_of
from b24metrics.report.palette import ChannelPalette, channel_palette
from b24metrics.report.text import label_for, text_for
from b24metrics.report.window import Window, make_window


@dataclass
class Gather:
    con: duckdb.DuckDBPyConnection
    settings: Settings
    window: Window
    loc: Locale

    def __post_init__(self) -> None:
        self.t = text_for(self.loc.lang)
        self.label = label_for(self.loc.lang)
        self._cuts: dict[tuple[str, str, str | None], Cut] = {}
        self._windows: dict[str, Window] = {self.window.kind: self.window}
        self._palette: ChannelPalette | None = None

    def window_for(self, kind: str) -> Window:
        """The same report end in another period (spend is kept per month)."""
        if kind not in self._windows:
            self._windows[kind] = make_window(kind, self.window.today, until=self.window.until)
        return self._windows[kind]

    def cut(self, name: str, *, by: str | None = None, kind: str | None = None) -> Cut:
        kind = kind or self.window.kind
        if (name, kind, by) not in self._cuts:
            window = self.window_for(kind)
            self._cuts[(name, kind, by)] = cut(self.con, find(name), period=kind, by=by,
                                               since=window.since, until=window.until)
        return self._cuts[(name, kind, by)]

    def channels(self) -> ChannelPalette:
        """The report's one channel palette: the top channels by leads over the window
        (report.top_channels) each with its colour, the rest "other"."""
        if self._palette is None:
            totals: dict[str, float] = {}
            result = self.cut("leads_by_channel", by="channel")
            for r in result.rows:
                totals[r["channel"]] = totals.get(r["channel"], 0) + (r["leads"] or 0)
            self._palette = channel_palette(totals, self.settings.report.top_channels)
        return self._palette

    # -- picking rows -----------------------------------------------------------------------

    @staticmethod
    def rows_in(result: Cut, period: date) -> list[dict[str, Any]]:
        return [r for r in result.rows if r["period"] == period]

    @staticmethod
    def row_at(result: Cut, period: date, **keys: Any) -> dict[str, Any] | None:
        for r in result.rows:
            if r["period"] == period and all(r.get(k) == v for k, v in keys.items()):
                return r
        return None

    cell = staticmethod(cells_of)   # the measure of a row, or an empty Cell naming where it would be

    def headline_label(self, kind: str | None = None) -> str:
        """The headline period's name; Russian texts begin with it (its case never changes there)."""
        window = self.window_for(kind or self.window.kind)
        name = self.loc.period(window.kind, window.headline)
        return name[:1].upper() + name[1:] if self.loc.lang == "ru" else name

    def kind_label(self) -> str:
        return self.t(f"periods.{self.window.kind}")
