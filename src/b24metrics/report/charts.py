"""Static SVG charts, drawn in Python: no script, no library, nothing fetched when the page opens.

Each mark (bar, dot, heat cell) carries the data attributes of the KPI value it draws (see
model.Cell) and a <title> with the value as printed, which browsers show on hover. Colours come
from CSS classes of the page (render.py), so that one palette serves every chart. Every text
that came from the portal (a channel, a manager, a stage) is escaped here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

from markupsafe import Markup

from b24metrics.report.fmt import Locale, as_number
from b24metrics.report.model import Cell

WIDTH = 1040
FONT = 12
LABEL_CHARS = 30


@dataclass
class Seg:
    """One mark: a value, its colour class, the KPI value it stands for, its hover text."""

    value: object
    css: str
    cell: Cell | None = None
    title: str = ""

    @property
    def number(self) -> float | None:
        return as_number(self.value)


def _whole(segs) -> bool:
    """Counts get whole ticks: half a lead on an axis reads as a bug."""
    return all(isinstance(s.value, int) or s.value is None for s in segs if s is not None)


@dataclass
class Bar:
    segs: list[Seg]
    note: str = ""             # printed right of the bar


@dataclass
class HRow:
    label: str
    bars: list[Bar]
    flag: str = ""             # a badge after the label ("bottleneck")


@dataclass
class Series:
    name: str
    css: str
    points: list[Seg | None] = field(default_factory=list)


def _mark(tag: str, seg: Seg, **geometry: float) -> Markup:
    shape = " ".join(f'{k.replace("_", "-")}="{v:.1f}"' for k, v in geometry.items())
    attrs = seg.cell.attrs() if seg.cell is not None else Markup("")
    return Markup('<{tag} class="{css}" {shape} {attrs}><title>{title}</title></{tag}>').format(
        tag=Markup(tag), css=seg.css, shape=Markup(shape), attrs=attrs, title=seg.title)


def _text(x: float, y: float, text: str, css: str = "", anchor: str = "start") -> Markup:
    return Markup('<text x="{:.1f}" y="{:.1f}" class="{}" text-anchor="{}">{}</text>').format(
        x, y, css, anchor, text)


def _label(x: float, y: float, text: str, anchor: str = "end", css: str = "lbl") -> Markup:
    """A label cut to fit, with the whole of it on hover."""
    text = str(text)
    if len(text) <= LABEL_CHARS:
        return _text(x, y, text, css, anchor)
    return Markup('<text x="{:.1f}" y="{:.1f}" class="{}" text-anchor="{}"><title>{}</title>{}</text>').format(
        x, y, css, anchor, text, text[:LABEL_CHARS - 1] + "…")


def _svg(height: float, body: list[Markup], label: str, width: float = WIDTH) -> Markup:
    return Markup('<svg class="chart" viewBox="0 0 {w} {h:.0f}" width="{w}" height="{h:.0f}" role="img" '
                  'aria-label="{label}" xmlns="http://www.w3.org/2000/svg">{body}</svg>').format(
        w=width, h=height, label=label, body=Markup("").join(body))


def nice_ticks(top: float, count: int = 5, *, whole: bool = False) -> list[float]:
    """0 and round steps (1, 2, 5 x 10^n) up to at least `top`; whole steps only for counts."""
    if top <= 0:
        return [0.0]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    if whole:
        step = max(1.0, math.ceil(step))
    ticks = [0.0]
    while ticks[-1] < top - 1e-9:
        ticks.append(ticks[-1] + step)
    return ticks


def _tick_text(loc: Locale, value: float) -> str:
    return loc.plain(value, 0 if value == int(value) else 1)


def span_ticks(high: float, low: float, *, whole: bool = False) -> list[float]:
    """Round steps on both sides of zero, from one step set by the whole span: a short negative
    side (ROMI at -100 % beside +4000 %) gets one tick rather than a finer scale of its own,
    whose five labels would be drawn over each other in a few pixels."""
    if high - low <= 0:
        return [0.0]
    step = nice_ticks(high - low, whole=whole)[1]
    ticks = [0.0]
    while ticks[-1] < high - 1e-9:
        ticks.append(ticks[-1] + step)
    below = 0.0
    while below > low + 1e-9:
        below -= step
        ticks.insert(0, below)
    return ticks


#: the font size of axis labels (style.css: svg text.tick) and the least room between two of them
TICK_FONT, TICK_GAP = 11, 6


def spaced(labels: Sequence[tuple[float, float, str]]) -> list[tuple[float, float, str]]:
    """Of (value, x, text) axis labels, those that do not overlap: zero (or the smallest value)
    first, then outwards, each kept only when its estimated width leaves TICK_GAP pixels to every
    label kept before it; a label that would collide is left out with its grid line."""
    kept: list[tuple[float, float, str]] = []
    for value, x, text in sorted(labels, key=lambda t: (abs(t[0]), t[0])):
        half = len(text) * TICK_FONT * 0.3
        if all(abs(x - kx) >= half + len(kt) * TICK_FONT * 0.3 + TICK_GAP for _, kx, kt in kept):
            kept.append((value, x, text))
    return sorted(kept, key=lambda t: t[1])


# -- horizontal bars --------------------------------------------------------------------------


def hbars(rows: list[HRow], loc: Locale, *, label: str, scale: str = "linear",
          ticks: Sequence[tuple[float, str]] | None = None, ref: tuple[float, str] | None = None,
          label_width: int = 230, note_width: int = 120) -> Markup:
    """Rows of bars, each bar stacked from segments. scale: "linear" (zero-based, negative
    values to the left of zero), "share" (each bar fills the width: a mix), "log" (from 1)."""
    x0, x1 = label_width + 8, WIDTH - note_width
    totals = [sum(s.number or 0 for s in b.segs if (s.number or 0) > 0) for r in rows for b in r.bars]
    lows = [sum(s.number or 0 for s in b.segs if (s.number or 0) < 0) for r in rows for b in r.bars]
    high, low = max(totals + [0.0]), min(lows + [0.0])
    if ref is not None:
        high = max(high, ref[0])
    if scale == "log":
        high = max(high, 10.0)
        span = math.log10(high)

        def x(v: float) -> float:
            return x0 + (x1 - x0) * math.log10(max(v, 1.0)) / span
    else:
        whole = _whole([s for r in rows for b in r.bars for s in b.segs])
        ticks = ticks if ticks is not None or scale == "share" else [
            (t, _tick_text(loc, t)) for t in span_ticks(high, low, whole=whole)]
        if ticks and scale == "linear":
            high, low = max(high, max(t for t, _ in ticks)), min(low, min(t for t, _ in ticks))
        width = (high - low) or 1.0

        def x(v: float) -> float:
            return x0 + (x1 - x0) * (v - low) / width

    bar_h, gap, pad = 14, 3, 9
    body: list[Markup] = []
    y = 6.0
    for row in rows:
        block = len(row.bars) * bar_h + (len(row.bars) - 1) * gap
        text = _label(label_width, y + block / 2 + FONT * 0.35, row.label)
        body.append(text)
        if row.flag:
            body.append(_text(x1 + 6, y + block / 2 + FONT * 0.35, row.flag, "flag"))
        for bar in row.bars:
            total = sum(s.number or 0 for s in bar.segs)
            start_pos, start_neg = 0.0, 0.0
            for seg in bar.segs:
                v = seg.number
                if v is None:
                    continue
                if scale == "share":
                    if total <= 0:
                        continue
                    left = x0 + (x1 - x0) * start_pos / total
                    w = (x1 - x0) * v / total
                    start_pos += v
                elif v >= 0:
                    left = x(start_pos) if scale != "log" else x0
                    w = x(start_pos + v) - left
                    start_pos += v
                else:
                    left = x(start_neg + v)
                    w = x(start_neg) - left
                    start_neg += v
                if v != 0:
                    w = max(w, 1.0)
                body.append(_mark("rect", seg, x=left, y=y, width=max(w, 0.0), height=bar_h))
            if bar.note and not row.flag:
                end = x1 if scale == "share" else max(x(start_pos) if scale != "log" else
                                                      x(max((s.number or 0) for s in bar.segs)), x0)
                body.append(_text(end + 5, y + bar_h - 3, bar.note, "note"))
            y += bar_h + gap
        y += pad - gap
    axis_y = y + 2
    grid: list[Markup] = []
    if scale == "share":
        ticks = [(0.0, "0"), (0.5, "50%"), (1.0, "100%")]
        for t, name in ticks:
            gx = x0 + (x1 - x0) * t
            grid.append(Markup('<line class="grid" x1="{0:.1f}" x2="{0:.1f}" y1="4" y2="{1:.1f}"/>').format(gx, axis_y))
            grid.append(_text(gx, axis_y + 14, name, "tick", "middle"))
    else:
        for t, gx, name in spaced([(t, x(t), name) for t, name in ticks or [] if scale != "log" or t <= high]):
            grid.append(Markup('<line class="grid" x1="{0:.1f}" x2="{0:.1f}" y1="4" y2="{1:.1f}"/>').format(gx, axis_y))
            grid.append(_text(gx, axis_y + 14, name, "tick", "middle"))
    if ref is not None:
        rx = x(ref[0])
        grid.append(Markup('<line class="ref" x1="{0:.1f}" x2="{0:.1f}" y1="2" y2="{1:.1f}"/>').format(rx, axis_y))
        grid.append(_text(rx + 3, axis_y + 28, ref[1], "ref-label"))
    height = axis_y + (34 if ref is not None else 22)
    return _svg(height, grid + body, label)


# -- columns over periods ---------------------------------------------------------------------


def _plot_frame(labels: list[str], running: list[bool], top: float, loc: Locale, *, height: int,
                unit: str = "", whole: bool = False) -> tuple[list[Markup], float, float, float, float]:
    """Grid, y ticks and period labels; returns the parts, the plot's left x, slot width, base y, scale."""
    left, right, top_pad, bottom = 64, WIDTH - 10, 10, height - 26
    ticks = nice_ticks(top, whole=whole) if top > 0 else [0.0, 1.0]
    scale = (bottom - top_pad) / ticks[-1]
    parts: list[Markup] = []
    for t in ticks:
        gy = bottom - t * scale
        parts.append(Markup('<line class="grid" x1="{:.1f}" x2="{:.1f}" y1="{:.1f}" y2="{:.1f}"/>').format(
            left, right, gy, gy))
        parts.append(_text(left - 6, gy + 4, loc.number(t, unit) if unit else _tick_text(loc, t), "tick", "end"))
    slot = (right - left) / max(len(labels), 1)
    every = max(1, math.ceil(len(labels) / 14))
    for i, name in enumerate(labels):
        if i % every == 0 or i == len(labels) - 1:
            cx = left + slot * (i + 0.5)
            parts.append(_text(cx, bottom + 16, name + ("*" if running[i] else ""), "tick", "middle"))
    return parts, left, slot, bottom, scale


def columns(labels: list[str], stacks: list[list[Seg]], loc: Locale, *, label: str, running: list[bool],
            height: int = 260) -> Markup:
    """A stacked column per period (the period under way drawn lighter and starred)."""
    top = max([sum(max(s.number or 0, 0) for s in stack) for stack in stacks] + [0.0])
    parts, left, slot, bottom, scale = _plot_frame(labels, running, top, loc, height=height,
                                                   whole=_whole([s for stack in stacks for s in stack]))
    w = slot * 0.7
    for i, stack in enumerate(stacks):
        base = bottom
        for seg in stack:
            v = max(seg.number or 0, 0)
            h = v * scale
            if v > 0:
                h = max(h, 1.0)
            css = seg.css + (" running" if running[i] else "")
            parts.append(_mark("rect", Seg(seg.value, css, seg.cell, seg.title),
                               x=left + slot * i + (slot - w) / 2, y=base - h, width=w, height=h))
            base -= h
    return _svg(height, parts, label)


def plan_columns(labels: list[str], items: Sequence[tuple[Seg, ...]], loc: Locale, *, label: str,
                 running: list[bool], height: int = 200) -> Markup:
    """Per period: the forecast (light), the actual over it (solid) and the target (a dark tick)."""
    top = max([max(s.number or 0 for s in item) for item in items] + [0.0])
    parts, left, slot, bottom, scale = _plot_frame(labels, running, top, loc, height=height,
                                                   whole=_whole([s for item in items for s in item]))
    w = min(slot * 0.6, 60)
    for i, (target, actual, forecast) in enumerate(items):
        cx = left + slot * (i + 0.5)
        for seg, width in ((forecast, w), (actual, w * 0.6)):
            v = max(seg.number or 0, 0)
            h = max(v * scale, 1.0 if v > 0 else 0.0)
            parts.append(_mark("rect", seg, x=cx - width / 2, y=bottom - h, width=width, height=h))
        if target.number is not None:
            ty = bottom - target.number * scale
            parts.append(_mark("rect", target, x=cx - w / 2 - 4, y=ty - 1.5, width=w + 8, height=3))
    return _svg(height, parts, label)


def lines(labels: list[str], series: list[Series], loc: Locale, *, label: str, running: list[bool],
          unit: str = "", height: int = 240) -> Markup:
    """A line per series over the periods, broken where a period has no value."""
    values = [p.number for s in series for p in s.points if p is not None and p.number is not None]
    parts, left, slot, bottom, scale = _plot_frame(labels, running, max(values + [0.0]), loc, height=height,
                                                   unit=unit)
    for s in series:
        path, pen_down = [], False
        dots: list[Markup] = []
        for i, p in enumerate(s.points):
            if p is None or p.number is None:
                pen_down = False
                continue
            px, py = left + slot * (i + 0.5), bottom - p.number * scale
            path.append(f"{'L' if pen_down else 'M'}{px:.1f},{py:.1f}")
            pen_down = True
            dots.append(_mark("circle", p, cx=px, cy=py, r=3.5))
        if path:
            parts.append(Markup('<path class="line {}" d="{}"/>').format(s.css, " ".join(path)))
        parts.extend(dots)
    return _svg(height, parts, label)


def sparkline(points: list[Seg | None], *, label: str, width: int = 150, height: int = 36) -> Markup:
    """A card's trend: one dot per period, the last one (the headline's) larger."""
    values = [p.number for p in points if p is not None and p.number is not None]
    if not values:
        return Markup("")
    high, low = max(values), min(values + [0.0])
    span = (high - low) or 1.0
    step = (width - 8) / max(len(points) - 1, 1)
    parts, path, pen_down = [], [], False
    for i, p in enumerate(points):
        if p is None or p.number is None:
            pen_down = False
            continue
        px, py = 4 + step * i, height - 4 - (height - 8) * (p.number - low) / span
        path.append(f"{'L' if pen_down else 'M'}{px:.1f},{py:.1f}")
        pen_down = True
        parts.append(_mark("circle", p, cx=px, cy=py, r=3.2 if i == len(points) - 1 else 1.8))
    line = Markup('<path class="spark" d="{}"/>').format(" ".join(path))
    return _svg(height, [line] + parts, label, width=width)


@dataclass
class HeatCell:
    """A grid cell: its share as a mark, the count beside it, and whether it is past its bound."""

    seg: Seg
    count: str
    past: bool
    share: bool = True         # the mark is a share (printed beside the count), else the count itself


def threshold_grid(rows: list[str], cols: list[str], cells: list[list[HeatCell]], loc: Locale, *, label: str,
                   label_width: int = 230) -> Markup:
    """A grid of counts and shares: red past the column's bound, pale within it, grey when empty."""
    cell_w = min(170.0, (WIDTH - label_width - 10) / max(len(cols), 1))
    cell_h, head = 24, 34
    parts: list[Markup] = []
    for j, name in enumerate(cols):
        parts.append(_text(label_width + 8 + cell_w * (j + 0.5), 14, name, "tick", "middle"))
    for i, name in enumerate(rows):
        y = head + i * (cell_h + 2)
        parts.append(_label(label_width, y + 16, name))
        for j, cell in enumerate(cells[i]):
            seg = cell.seg
            level = "hn" if seg.number is None else "past" if cell.past else "ok"
            cx = label_width + 8 + cell_w * j
            parts.append(_mark("rect", Seg(seg.value, f"heat heat-{level}", seg.cell, seg.title),
                               x=cx + 1, y=y, width=cell_w - 2, height=cell_h))
            text = f"{cell.count} · {loc.number(seg.value, '%')}" if cell.share and seg.number is not None \
                else cell.count
            parts.append(_text(cx + cell_w / 2, y + 16, text, "heat-text" + (" past" if cell.past else ""), "middle"))
    return _svg(head + len(rows) * (cell_h + 2) + 6, parts, label)
