"""The axis of a bar chart stays readable whatever the bars' range: its labels never overlap."""

from __future__ import annotations

import re

from b24metrics.report import charts
from b24metrics.report.charts import Bar, HRow, Seg
from b24metrics.report.fmt import Locale

TICK = re.compile(r'<text x="([-0-9.]+)" y="[-0-9.]+" class="tick" text-anchor="middle">([^<]*)</text>')


def ticks(svg: str) -> list[tuple[float, str]]:
    return sorted((float(x), text) for x, text in TICK.findall(svg))


def romi(*values: float, lang: str = "ru") -> list[tuple[float, str]]:
    rows = [HRow(f"channel {i}", [Bar([Seg(v, "bad" if v < 0 else "ok")], note=f"{v} %")])
            for i, v in enumerate(values)]
    return ticks(str(charts.hbars(rows, Locale(lang), label="ROMI")))


def test_a_short_negative_side_beside_a_long_positive_one_has_labels_apart():
    """ROMI at -100 % and +4064 %: the negative side once had its own step of 20 (five labels
    within 14 px, read as a smear of "−1000"); one step for the whole span gives it one."""
    for lang in ("ru", "en"):
        got = romi(-100.0, 4064.0, 250.0, lang=lang)
        xs = [x for x, _ in got]
        assert len(got) >= 4, got
        # label centres far enough apart for labels of up to six characters at 11 px
        assert all(b - a >= 40 for a, b in zip(xs, xs[1:])), got
        texts = [t for _, t in got]
        assert "0" in texts and texts[0].startswith("−"), got   # zero, and a label left of it
        assert texts[-1].replace("\u202f", "").replace(",", "").replace("\u00a0", "") == "5000", got


def test_both_sides_of_a_balanced_axis_share_one_step():
    got = [t for _, t in romi(-100.0, 150.0, lang="en")]
    assert got == ["−100", "−50", "0", "50", "100", "150"]


def test_a_positive_only_axis_keeps_its_round_steps():
    got = [t for _, t in romi(30.0, 87.0, lang="en")]
    assert got == ["0", "20", "40", "60", "80", "100"]


def test_labels_that_would_collide_are_left_out_zero_first_then_outwards():
    """Ticks a caller passes in are thinned the same way. At 0.5 px a unit the labels are 10 px
    apart; a label is 3.3 px wide a character (11 px font), and two need half of each width plus
    6 px between centres. Kept: "0"; not "-20" (10 px < 3.3 + 9.9 + 6); "-40" (20 px >= 19.2);
    not "-60" nor "-80" (10 and 20 px from "-40" < 25.8); "-100" (30 px from "-40" >= 29.1)."""
    labels = [(v, 300 + v * 0.5, f"{v:.0f}") for v in (-100.0, -80.0, -60.0, -40.0, -20.0, 0.0, 1000.0)]
    kept = charts.spaced(labels)
    assert [t for _, _, t in kept] == ["-100", "-40", "0", "1000"]
    xs = [x for _, x, _ in kept]
    assert all(b - a >= 19.2 for a, b in zip(xs, xs[1:]))
