"""Write-back at the portal's request ceiling, measured side by side (a benchmark, not a test).

    python bench/writeback.py            # 10,000 changed grades
    python bench/writeback.py --quick    # 1,000, to check the benchmark itself

The portal is a sandbox in its own process on 127.0.0.1 (bench/extract.py's), with Bitrix24's
request bucket (2 req/s, burst 50) and 480 s operating limit; one crm.lead.update costs 10 ms
of portal time, so a batch of 50 is answered in about half a second. A warehouse is prepared
once (sync, KPIs, the lead fields created) and copied for every run, and the portal's grade
fields are emptied before each: every run pushes the same changed grades (grade, score and
factors of every lead). Every client runs in a process of its own. Numbers are counted at the
portal: "requests" are answers with HTTP 200, "503" the requests its bucket refused.

Share of the request ceiling = requests answered / (free burst at the start + rate x seconds).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import extract  # noqa: E402  (the same portal process, limits and table as the extraction benchmark)
from extract import BURST, RATE, Portal, share_of_ceiling, table_row  # noqa: E402

#: an update costs 10 ms of portal time and is answered after it (latency_from_cost=1)
WRITE_COST = {"per_call": 0.01, "per_row_read": 0.0001}
LEADS_ONLY = {"deal_fields": {"origin_grade": "", "cycle_days": "", "channel_win_rate": ""},
              "company_fields": {"ltv": "", "purchases": ""}}


def settings_for(url: str, db: str, **writeback):
    from b24metrics.config import load_settings

    return load_settings(read_file=False, portal={"webhook_url": url, "rate": RATE, "burst": BURST},
                         warehouse={"path": db}, writeback={**LEADS_ONLY, **writeback})


def run_child(mode: str, *args: str) -> dict:
    return extract.run_child(mode, *args, script=HERE / "writeback.py")


# -- the children ------------------------------------------------------------------------------

def child_prepare(url: str, db: str) -> None:
    """Sync, refresh the KPIs and create the lead fields: the warehouse every run starts from."""
    from b24metrics import pipeline
    from b24metrics.extract import STREAMS
    from b24metrics.kpis import refresh_kpis
    from b24metrics.warehouse import mark_synced
    from b24metrics.writeback import ensure_fields, field_specs

    settings = settings_for(url, db)
    warehouse = pipeline.open_warehouse(settings)
    with pipeline.open_client(settings) as client:
        with pipeline.recorded_run(warehouse, client, "sync") as run:
            pipeline.sync(client, warehouse, list(STREAMS.values()), settings)
            graded = refresh_kpis(warehouse, settings).graded
            mark_synced(warehouse, run.run_id)
        fields = ensure_fields(client, warehouse, field_specs(settings.writeback))
    print(json.dumps({"graded": graded, "fields": [s.name for s in fields.created + fields.existing]}))


def child_ours(url: str, db: str, workers: str) -> None:
    from b24metrics import pipeline
    from b24metrics.warehouse import Warehouse

    settings = settings_for(url, db, workers=int(workers))
    warehouse = Warehouse(db, memory_limit=settings.warehouse.memory_limit)
    with pipeline.open_client(settings) as client:
        started_at, began = time.time(), time.monotonic()
        report = pipeline.writeback(client, warehouse, settings)
        seconds = time.monotonic() - began
    if report.blocked:
        print(json.dumps({"error": "; ".join(report.gate.reasons)}))
        return
    push = report.push
    print(json.dumps({"values": push.applied_values, "updates": push.updates_sent, "seconds": seconds,
                      "started_at": started_at, "peak_mb": extract.peak_mb()}))


def child_fb24(url: str, db: str, concurrency: str) -> None:
    import duckdb
    import fast_bitrix24

    settings = settings_for(url, db)
    names = settings.writeback.lead_fields
    con = duckdb.connect(db, read_only=True)
    rows = con.execute("SELECT lead_id, grade, score, factors FROM lead_grades ORDER BY lead_id").fetchall()
    con.close()
    items = [{"id": lead_id, "fields": {names.grade: grade, names.score: str(score), names.factors: factors},
              "params": {"REGISTER_SONET_EVENT": "N"}} for lead_id, grade, score, factors in rows]
    bitrix = fast_bitrix24.Bitrix(url, verbose=False)
    started_at, began = time.time(), time.monotonic()
    try:
        if int(concurrency):  # its slow mode: at most this many requests in flight
            with bitrix.slow(int(concurrency)):
                bitrix.call("crm.lead.update", items)
        else:
            bitrix.call("crm.lead.update", items)
    except Exception as exc:  # noqa: BLE001 - its failure is the measurement
        print(json.dumps({"error": extract.failure_text(exc, url), "seconds": time.monotonic() - began}))
        return
    print(json.dumps({"values": 3 * len(items), "updates": len(items), "seconds": time.monotonic() - began,
                      "started_at": started_at, "peak_mb": extract.peak_mb()}))


# -- measurements ------------------------------------------------------------------------------

def measure(portal: Portal, template: Path, tmp: str, mode: str, *, spent: bool = False, workers: int = 4) -> dict:
    names = " ".join(settings_for(portal.url, "x").writeback.lead_fields.model_dump().values())
    portal.ask(f"clear {names}")
    portal.ask("reset")
    db = Path(tmp) / f"{mode}-{time.monotonic_ns()}.duckdb"
    shutil.copy(template, db)
    spent_at = None
    if spent:
        portal.ask("spend")
        spent_at = time.time()
    result = run_child(mode, portal.url, str(db), str(workers))
    stats = portal.stats("crm.lead.update")
    result["requests"] = stats["status_codes"].get("200", 0)
    result["refused"] = stats["rejected_503"]
    result["changed"] = stats["lead_updates_changed"]
    result["operating"] = stats["operating"]
    if "error" not in result:
        result["share"] = share_of_ceiling(result["requests"], result, spent_at)
        result["updates_per_s"] = result["updates"] / result["seconds"]
    return result


def fmt_run(name: str, r: dict) -> str:
    done = "" if "error" in r else f"{r['changed']:,} leads changed ({r['values']:,} values) in {r['seconds']:.1f} s"
    return table_row(name, r, done)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 leads (checks the benchmark itself)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, *rest = args.child
        {"prepare": child_prepare, "ours": child_ours, "fb24": child_fb24}[mode](*rest)
        return

    from b24metrics.config import WritebackSettings

    workers = WritebackSettings().workers
    leads = 1_000 if args.quick else 10_000
    print(f"# bench/writeback.py{' --quick' if args.quick else ''}: portal {RATE:g} req/s, burst {BURST}, "
          f"operating limit 480 s; an update costs {WRITE_COST['per_call'] * 1000:.0f} ms\n", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        portal = Portal(seed=17, leads=leads, deals=0, contacts=0, activities=0, calls=0, users=8,
                        rate=RATE, burst=BURST, cost=WRITE_COST, latency=0.03, latency_from_cost=1.0)
        print(f"portal of {leads:,} leads up in {portal.startup:.0f} s", file=sys.stderr, flush=True)
        template = Path(tmp) / "prepared.duckdb"
        portal.ask("limits 1000 1000")
        prepared = run_child("prepare", portal.url, str(template))
        portal.ask(f"limits {RATE:g} {BURST}")
        if "error" in prepared:
            raise SystemExit(f"preparing the warehouse failed: {prepared['error']}")
        print(f"warehouse prepared: {prepared['graded']:,} leads graded", file=sys.stderr, flush=True)
        runs = {
            f"ours, {workers} workers, fresh bucket": measure(portal, template, tmp, "ours", workers=workers),
            f"ours, {workers} workers, spent bucket": measure(portal, template, tmp, "ours", spent=True,
                                                              workers=workers),
            "ours, 1 worker, fresh bucket": measure(portal, template, tmp, "ours", workers=1),
            "fast-bitrix24 call, fresh bucket": measure(portal, template, tmp, "fb24", workers=0),
            f"fast-bitrix24 call in slow({workers}), fresh bucket": measure(portal, template, tmp, "fb24",
                                                                            workers=workers),
        }
        portal.close()
    lines = [f"{leads:,} leads with a changed grade, score and factors; a batch of 50 updates answered in ~0.5 s:\n",
             "| client | result | requests | 503 | share of ceiling | peak memory |",
             "|---|---|---|---|---|---|"]
    lines += [fmt_run(name, r) for name, r in runs.items()]
    ours, theirs = runs[f"ours, {workers} workers, fresh bucket"], runs[f"fast-bitrix24 call in slow({workers}), fresh bucket"]
    if "error" not in ours and "error" not in theirs:
        lines.append(f"\nupdates per second, ours / fast-bitrix24 in slow({workers}): "
                     f"{ours['updates_per_s'] / theirs['updates_per_s']:.2f}x")
    if "error" not in ours:
        lines.append(f"operating time booked on crm.lead.update per run: {ours['operating']:.0f} s of 480 s")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
