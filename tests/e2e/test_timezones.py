"""Property tests at the sync level, over real HTTP: a portal in any fixed UTC offset, with a
clock off from ours by minutes to years, and a service in UTC miss nothing.

Every example starts its own small sandbox portal and an empty warehouse, then:

1. sets the portal's clock (it ticks in real time from a drawn moment) and runs a full sync;
2. reads the watermark the full pass stored (the portal's clock when its first page answered);
3. edits a few leads through HTTP ``crm.lead.update`` with the portal clock frozen at drawn
   moments, in ascending order: exactly the watermark second, inside the overlap (an edit
   stamped before the pass began but committed after it read the row), later, on the seconds
   around midnight in the portal's offset, around the Europe/Moscow and Europe/Berlin DST
   changeovers;
4. lets the portal clock run on from the last edit and runs an incremental sync;
5. compares the warehouse with the portal: the same IDs, titles and modification instants,
   0 missing and 0 stale, and the incremental pass read exactly the leads its filter covers.

The portal writes every datetime in its own fixed offset (``2026-03-29T04:00:00+03:00``); the
warehouse stores ``date_modify`` as TIMESTAMPTZ, which must be the same absolute instant.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from b24metrics import pipeline
from b24metrics.config import load_settings
from b24metrics.extract import STREAMS
from b24metrics.portal import PortalClient
from b24metrics.sandbox import SandboxPortal
from b24metrics.warehouse import Warehouse

UTC = timezone.utc
LEADS = 60
LIMITS = {"rate": 1000.0, "burst": 1000}  # no throttling: an example costs well under a second

# Offset changes, as UTC instants (checked against the tz database): before them the zone's
# portals wrote one offset, after them another. A portal set to a fixed offset writes the
# same offset on both sides; what matters is that edits at those instants are read.
DST_CHANGEOVERS = (
    datetime(2010, 3, 27, 23, 0, tzinfo=UTC),   # Europe/Moscow +03:00 -> +04:00
    datetime(2010, 10, 30, 23, 0, tzinfo=UTC),  # Europe/Moscow +04:00 -> +03:00
    datetime(2011, 3, 26, 23, 0, tzinfo=UTC),   # Europe/Moscow +03:00 -> +04:00, kept all year
    datetime(2014, 10, 25, 22, 0, tzinfo=UTC),  # Europe/Moscow +04:00 -> +03:00 for good
    datetime(2025, 10, 26, 1, 0, tzinfo=UTC),   # Europe/Berlin +02:00 -> +01:00
    datetime(2026, 3, 29, 1, 0, tzinfo=UTC),    # Europe/Berlin +01:00 -> +02:00
    datetime(2026, 10, 25, 1, 0, tzinfo=UTC),   # Europe/Berlin +02:00 -> +01:00
)

# Offsets in use somewhere, odd ones included; any other quarter hour in range is drawn too.
NOTABLE_OFFSETS = (-12 * 60, -11 * 60, -10 * 60, -9 * 60 - 30, -3 * 60 - 30, -60, 0, 60, 120, 180,
                   3 * 60 + 30, 240, 4 * 60 + 30, 5 * 60 + 30, 5 * 60 + 45, 6 * 60 + 30, 8 * 60 + 45,
                   9 * 60 + 30, 12 * 60 + 45, 13 * 60, 14 * 60)


def offset_text(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@dataclass(frozen=True)
class Edit:
    at: str          # "watermark" | "overlap" | "after" | "landmark"
    seconds: int     # overlap: seconds before the watermark; after: after it; landmark: from it
    lead: int        # index into the portal's sorted lead IDs


@dataclass(frozen=True)
class Scenario:
    offset_minutes: int
    skew_seconds: int            # the portal's clock minus ours (when no DST instant is used)
    landmark: str                # "none" | "midnight" (in the portal's offset) | "dst"
    dst: datetime | None         # the DST instant when landmark == "dst"
    lead_seconds: int            # the full sync starts this long before the landmark
    overlap_seconds: int
    edits: tuple[Edit, ...]
    gap_seconds: int             # the incremental sync starts this long after the last edit


def _edits(overlap: int) -> st.SearchStrategy[Edit]:
    lead = st.integers(0, LEADS - 1)
    kinds = [
        st.builds(Edit, st.just("watermark"), st.just(0), lead),
        st.builds(Edit, st.just("after"), st.one_of(st.integers(1, 5), st.integers(1, 3 * 3600)), lead),
        st.builds(Edit, st.just("landmark"), st.integers(-2, 2), lead),
    ]
    if overlap:
        kinds.append(st.builds(Edit, st.just("overlap"),
                               st.one_of(st.just(overlap), st.just(1), st.integers(1, overlap)), lead))
    return st.one_of(kinds)


@st.composite
def scenarios(draw) -> Scenario:
    offset = draw(st.one_of(st.sampled_from(NOTABLE_OFFSETS), st.integers(-48, 56).map(lambda q: q * 15)))
    minutes = st.integers(1, 59).map(lambda m: m * 60)
    hours = st.integers(1, 12).map(lambda h: h * 3600)
    skew = draw(st.one_of(st.just(0), minutes, hours, st.integers(-12 * 3600, 12 * 3600))
                .flatmap(lambda s: st.sampled_from([s, -s])))
    landmark = draw(st.sampled_from(["none", "midnight", "dst"]))
    dst = draw(st.sampled_from(DST_CHANGEOVERS)) if landmark == "dst" else None
    overlap = draw(st.sampled_from([0, 1, 60, 300]))
    return Scenario(
        offset_minutes=offset,
        skew_seconds=skew,
        landmark=landmark,
        dst=dst,
        lead_seconds=draw(st.one_of(st.integers(0, 3), st.integers(0, 2 * 3600))),
        overlap_seconds=overlap,
        edits=tuple(draw(st.lists(_edits(overlap), min_size=1, max_size=4))),
        gap_seconds=draw(st.one_of(st.just(0), st.integers(0, 600))),
    )


class PortalClock:
    """The portal's wall clock: frozen at a moment, or ticking in real time from one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._at, self._since = time.time(), None

    def run_from(self, moment: float) -> None:
        with self._lock:
            self._at, self._since = moment, time.monotonic()

    def freeze(self, moment: float) -> None:
        with self._lock:
            self._at, self._since = moment, None

    def __call__(self) -> float:
        with self._lock:
            return self._at if self._since is None else self._at + (time.monotonic() - self._since)


def _next_local_midnight(moment: datetime, tz: timezone) -> datetime:
    local = moment.astimezone(tz)
    return (local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)).astimezone(UTC)


def _portal_leads(http: httpx.Client, portal: SandboxPortal) -> dict[int, tuple[str, str]]:
    """ID -> (TITLE, DATE_MODIFY as the portal writes it), by plain offset paging over HTTP."""
    rows, start = {}, 0
    while True:
        body = http.post(portal.webhook_url + "crm.lead.list",
                         json={"select": ["ID", "TITLE", "DATE_MODIFY"], "order": {"ID": "ASC"},
                               "start": start}).json()
        rows.update({int(r["ID"]): (r["TITLE"], r["DATE_MODIFY"]) for r in body["result"]})
        if "next" not in body:
            return rows
        start = body["next"]


def _watermark(warehouse) -> datetime:
    with warehouse.connect() as con:
        return con.execute("SELECT since FROM sync_state WHERE stream = 'leads'").fetchall()[0][0]


def _run(http: httpx.Client, template: Path, scenario: Scenario) -> None:
    tz = timezone(timedelta(minutes=scenario.offset_minutes))
    overlap = timedelta(seconds=scenario.overlap_seconds)
    ours = datetime.now(UTC).replace(microsecond=0)
    portal_now = ours + timedelta(seconds=scenario.skew_seconds)
    if scenario.landmark == "dst":
        landmark = scenario.dst
    elif scenario.landmark == "midnight":
        landmark = _next_local_midnight(portal_now, tz)
    else:
        landmark = portal_now
    start_full = landmark - timedelta(seconds=scenario.lead_seconds)

    clock = PortalClock()
    with SandboxPortal(seed=scenario.offset_minutes % 97 + 1, leads=LEADS, tz=offset_text(scenario.offset_minutes),
                       **LIMITS) as portal, tempfile.TemporaryDirectory() as tmp:
        portal.clock = clock
        clock.run_from(start_full.timestamp())
        # A fresh warehouse per example: a copy of one migrated when the module started.
        shutil.copytree(template, tmp, dirs_exist_ok=True)
        cfg = load_settings(
            read_file=False,
            portal={"webhook_url": portal.webhook_url, **LIMITS, "max_retries": 4},
            warehouse={"path": str(Path(tmp) / "wh.duckdb")},
            sync={"overlap_seconds": scenario.overlap_seconds},
        )
        warehouse = Warehouse(cfg.warehouse.path)
        leads = [STREAMS["leads"]]
        # pipeline.open_client(cfg), on a transport that skips loading the CA bundle (~50 ms
        # per client): the sandbox speaks plain HTTP on 127.0.0.1.
        p = cfg.portal
        with PortalClient(p.webhook_url.get_secret_value(), rate=p.rate, burst=p.burst, timeout=p.timeout,
                          max_retries=p.max_retries, operating_limit=p.operating_limit,
                          transport=httpx.HTTPTransport(verify=False)) as client:
            (full,) = pipeline.sync(client, warehouse, leads, cfg)
            assert full.mode == "full" and full.rows == LEADS

            # The watermark is the portal's clock at the pass's start, whatever ours says.
            watermark = _watermark(warehouse)
            assert start_full - timedelta(seconds=1) <= watermark <= start_full + timedelta(seconds=5)

            # Edits, at drawn moments, the portal clock moving forward from one to the next.
            ids = sorted(portal.state.leads)
            watermark = watermark.replace(microsecond=0)  # the portal stamps whole seconds
            floor = watermark - overlap  # an edit stamped before this would be missed by design
            moments = []
            for edit in scenario.edits:
                if edit.at == "watermark":
                    moment = watermark
                elif edit.at == "overlap":
                    moment = watermark - timedelta(seconds=edit.seconds)
                elif edit.at == "after":
                    moment = watermark + timedelta(seconds=edit.seconds)
                else:
                    moment = max(landmark + timedelta(seconds=edit.seconds), floor)
                moments.append((moment, ids[edit.lead]))
            moments.sort(key=lambda m: m[0])
            expected_stamp: dict[int, datetime] = {}
            for n, (moment, lead_id) in enumerate(moments):
                clock.freeze(moment.timestamp())
                title = f"tz edit {n} at {moment.isoformat()}"
                body = http.post(portal.webhook_url + "crm.lead.update",
                                 json={"id": lead_id, "fields": {"TITLE": title}}).json()
                assert body["result"] is True
                expected_stamp[lead_id] = moment

            last = moments[-1][0]
            start_incremental = max(last, watermark) + timedelta(seconds=scenario.gap_seconds)
            clock.run_from(start_incremental.timestamp())
            (incremental,) = pipeline.sync(client, warehouse, leads, cfg)

        on_portal = _portal_leads(http, portal)
        # The portal writes each edit's moment in its own fixed offset.
        for lead_id, moment in expected_stamp.items():
            stamp = on_portal[lead_id][1]
            assert stamp == moment.astimezone(tz).isoformat(), (lead_id, stamp, moment)

        # The incremental pass read exactly what its filter covers: rows stamped since
        # watermark - overlap, compared as instants, which includes every edit.
        covered = {i for i, (_, stamp) in on_portal.items() if datetime.fromisoformat(stamp) >= floor}
        assert set(expected_stamp) <= covered
        assert incremental.mode == "incremental" and incremental.rows == len(covered)

        with warehouse.connect() as con:
            stored = {i: (title, modified) for i, title, modified in
                      con.execute("SELECT id, title, date_modify FROM leads").fetchall()}
            since = con.execute("SELECT since FROM sync_state WHERE stream = 'leads'").fetchall()[0][0]
        missing = on_portal.keys() - stored.keys()
        stale = {i for i in on_portal.keys() & stored.keys()
                 if stored[i] != (on_portal[i][0], datetime.fromisoformat(on_portal[i][1]))}
        assert (missing, stale, stored.keys() - on_portal.keys()) == (set(), set(), set())
        for lead_id, moment in expected_stamp.items():
            assert stored[lead_id][1] == moment  # the same absolute instant
        # The new watermark: the portal's clock at the incremental pass's start.
        assert start_incremental - timedelta(seconds=1) <= since <= start_incremental + timedelta(seconds=5)


@pytest.fixture(scope="module")
def http():
    with httpx.Client(timeout=10, verify=False) as client:  # plain HTTP: no CA bundle to load
        yield client


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A migrated, empty warehouse; each example starts from a copy (migrating costs ~0.1 s)."""
    folder = tmp_path_factory.mktemp("template")
    Warehouse(folder / "wh.duckdb").migrate()
    return folder


@settings(max_examples=25, deadline=None)
@given(scenario=scenarios())
# Berlin's spring changeover seen from a portal in +03:00: the full sync a second before it,
# edits a second before, exactly at and a second after it.
@example(scenario=Scenario(180, 0, "dst", datetime(2026, 3, 29, 1, 0, tzinfo=UTC), 1, 300,
                           (Edit("landmark", -1, 0), Edit("landmark", 0, 1), Edit("landmark", 1, 2)), 0))
# Berlin's autumn changeover from +01:00 with no overlap: the watermark is the changeover second.
@example(scenario=Scenario(60, 0, "dst", datetime(2026, 10, 25, 1, 0, tzinfo=UTC), 0, 0,
                           (Edit("watermark", 0, 3), Edit("landmark", 0, 4), Edit("after", 3600, 5)), 0))
# Moscow's last changeover from +04:00: an edit stamped at the overlap's far edge.
@example(scenario=Scenario(240, 0, "dst", datetime(2014, 10, 25, 22, 0, tzinfo=UTC), 2, 300,
                           (Edit("overlap", 300, 0), Edit("landmark", 0, 1)), 0))
# Midnight in +05:45 on a portal 3 h 7 min behind us; midnight in -09:30 on one 5 h ahead.
@example(scenario=Scenario(345, -3 * 3600 - 7 * 60, "midnight", None, 1, 300,
                           (Edit("overlap", 1, 7), Edit("landmark", -1, 8), Edit("landmark", 0, 9)), 0))
@example(scenario=Scenario(-570, 5 * 3600, "midnight", None, 0, 1,
                           (Edit("landmark", 0, 10), Edit("after", 1, 10)), 0))
# Midnight just west of the date line, on a portal half a day ahead of us.
@example(scenario=Scenario(14 * 60, 12 * 3600, "midnight", None, 2, 60,
                           (Edit("overlap", 60, 11), Edit("landmark", -2, 12), Edit("landmark", 1, 13)), 600))
def test_a_portal_in_any_offset_with_any_clock_loses_no_edit(http, template, scenario):
    _run(http, template, scenario)


def test_operating_reset_at_is_on_the_portal_clock_like_start():
    """Every `time` block must speak one clock. Bitrix24 writes `start` and `operating_reset_at`
    on the portal's own clock; our budget carries `operating_reset_at` over to our clock by
    `start` (portal/budget.py). The sandbox takes `start` from `portal.clock` but
    `operating_reset_at` from `time.time()` (sandbox/stats.py OperatingMeter.read), so on a
    portal whose clock is 3 hours behind ours the reset lands 3 hours after the answer."""
    with SandboxPortal(seed=5, leads=LEADS, **LIMITS) as portal:
        skew = 3 * 3600
        portal.clock = lambda: time.time() - skew
        block = httpx.post(portal.webhook_url + "crm.lead.list", json={"select": ["ID"]}, timeout=10).json()["time"]
    assert block["start"] <= block["operating_reset_at"] <= block["start"] + 601, block

