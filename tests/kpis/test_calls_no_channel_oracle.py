"""T1 on a portal whose main line is no tracking number: its incoming calls are shown under
"(no channel)", not dropped, and T1 cut by direction shows the outgoing calls beside them.
Figures worked out by hand (portal at +03:00)."""

from __future__ import annotations

import pytest

from tests.kpis.scenario import Scenario
from tests.kpis.test_speed_oracle import keyed

TRACKED = "+74951112233"     # Яндекс Директ
MAIN = "+7 495 000-00-00"    # the main line: in no map; outgoing calls use it too
MARCH = "2026-03-01"


@pytest.fixture(scope="module")
def s():
    with Scenario(kpis={"tracking_numbers": {TRACKED: "Яндекс Директ"}}) as s:
        s.call(number=TRACKED, at="2026-03-02 10:00", duration=90)
        s.call(number=MAIN, at="2026-03-03 10:00", duration=60)
        s.call(number=MAIN, at="2026-03-04 10:00", duration=0, failed_code="304")
        s.call(number=MAIN, at="2026-03-05 10:00", duration=120, incoming=False)
        s.call(number=None, at="2026-03-06 10:00", duration=30)          # the portal gave no number
        s.call(number=MAIN, at="2026-03-07 10:00", duration=200, CALL_TYPE="4")   # a callback: we dial
        s.sync()
        yield s


def test_calls_on_the_main_line_are_shown_as_no_channel(s):
    channels = keyed(s.rows("calls_by_channel", period="month", by="channel"), "channel", MARCH)
    assert {c: (r["calls"], r["answered"], r["missed"]) for c, r in channels.items()} == {
        "Яндекс Директ": (1, 1, 0),
        "(no channel)": (3, 2, 1),          # two on the main line, one with no number
    }
    assert channels["(no channel)"]["mean_duration"] == 45.0      # (60 + 30) / 2
    numbers = keyed(s.rows("calls_by_channel", period="month", by="tracking_number"), "tracking_number", MARCH)
    assert {n: r["calls"] for n, r in numbers.items()} == {"74951112233": 1, "74950000000": 2, "(unknown)": 1}
    (total,) = [r for r in s.rows("calls_by_channel", period="month") if str(r["period"]) == MARCH]
    assert total["calls"] == 4                                    # incoming only


def test_calls_by_direction(s):
    directions = keyed(s.rows("calls_by_channel", period="month", by="direction"), "direction", MARCH)
    assert {d: (r["calls"], r["answered"], r["mean_duration"]) for d, r in directions.items()} == {
        "incoming": (4, 3, 60.0),           # (90 + 60 + 30) / 3
        "outgoing": (2, 2, 160.0),          # the call out and the callback: (120 + 200) / 2
    }
