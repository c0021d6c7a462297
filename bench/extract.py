"""Extraction at the portal's limits, measured side by side in one run (a benchmark, not a test).

    python bench/extract.py            # the full run
    python bench/extract.py --quick    # smaller tables, to check the benchmark itself

Every portal is a sandbox in its own process on 127.0.0.1 (so client and portal do not share a
GIL), with Bitrix24's request bucket (2 req/s, burst 50) and 480 s operating limit. Every client
run is its own process too, so its peak memory is its own. Numbers are counted at the portal:
"requests" are answers with HTTP 200, "503" the requests its bucket refused.

Share of the request ceiling = requests answered / (requests the bucket allowed in that time)
= accepted / (free burst at the start + rate x seconds). A perfect client scores 100 %.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
RATE, BURST = 2.0, 50
FB24_TIMEOUT = 300  # seconds; past it fast-bitrix24's run counts as not finished
#: a light portal for the request-ceiling runs: a keyset page costs 10 ms, a batch of 50 about
#: half a second, answered after that long (latency_from_cost=1) plus 30 ms of network.
LIGHT = {"per_call": 0.005, "per_row_read": 0.0001}

PORTAL_CHILD = r"""
import json, sys
from b24metrics.sandbox import SandboxPortal
from b24metrics.sandbox.cost import CostModel
kw = json.loads(sys.argv[1])
cost = kw.pop("cost", None)
portal = SandboxPortal(**kw, cost=None if cost is None else CostModel(**cost)).start()
print(portal.webhook_url, flush=True)
for line in sys.stdin:
    command, _, arg = line.strip().partition(" ")
    if command == "stats":
        print(json.dumps({**portal.stats.snapshot(), "level": portal.bucket.level,
                          "operating": portal.operating.read(arg or "crm.lead.list")[0]}), flush=True)
    elif command == "reset":   # an empty bucket, zero counters, a fresh operating window
        portal.stats.reset(); portal.bucket.configure(); portal.operating.reset(); print("ok", flush=True)
    elif command == "spend":   # a bucket somebody else just filled
        while portal.bucket.try_acquire():
            pass
        print("ok", flush=True)
    elif command == "cost":
        portal.cost = CostModel(**json.loads(arg)) if arg else None; print("ok", flush=True)
    elif command == "limits":  # rate burst: a fast portal to prepare on, then Bitrix24's again
        rate, burst = arg.split(); portal.set_limits(rate=float(rate), burst=float(burst)); print("ok", flush=True)
    elif command == "clear":   # empty these lead fields on every lead: the values are new again
        with portal.state.lock:
            for lead in portal.state.leads.values():
                lead.update(dict.fromkeys(arg.split()))
        print("ok", flush=True)
portal.stop()
"""


class Portal:
    """A sandbox portal in a child process, driven over its stdin."""

    def __init__(self, **kw) -> None:
        started = time.monotonic()
        self.proc = subprocess.Popen([sys.executable, "-c", PORTAL_CHILD, json.dumps(kw)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.url = self.proc.stdout.readline().strip()
        if not self.url:
            raise SystemExit("the sandbox portal did not start")
        self.leads = kw.get("leads", 0)
        self.startup = time.monotonic() - started

    def ask(self, command: str) -> str:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def stats(self, method: str = "crm.lead.list") -> dict:
        return json.loads(self.ask(f"stats {method}"))

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def run_child(mode: str, url: str, *args: str, timeout: float = 1800, script: Path = HERE / "extract.py") -> dict:
    """Run one client in its own process (`script --child mode url args`); the JSON line it
    prints (with its own peak memory)."""
    if mode == "fb24":
        timeout = min(timeout, FB24_TIMEOUT)
    proc = subprocess.Popen([sys.executable, str(script), "--child", mode, url, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return {"error": f"did not finish in {timeout:.0f} s"}
    lines = [line for line in out.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {"error": (err.strip().splitlines() or ["no output"])[-1][:200]}


# -- the clients, each in its own process ------------------------------------------------------

def child_ours(url: str, db: str, workers: str) -> None:
    from b24metrics import pipeline
    from b24metrics.config import load_settings
    from b24metrics.extract import STREAMS

    settings = load_settings(read_file=False, portal={"webhook_url": url, "rate": RATE, "burst": BURST},
                             warehouse={"path": db}, sync={"workers": int(workers)})
    warehouse = pipeline.open_warehouse(settings)
    with pipeline.open_client(settings) as client:
        started_at, began = time.time(), time.monotonic()
        results = pipeline.sync(client, warehouse, [STREAMS["leads"]], settings, full=True)
        seconds = time.monotonic() - began
    with warehouse.connect(read_only=True) as con:
        stored = con.execute("SELECT count(*), count(DISTINCT id) FROM leads").fetchall()[0]
    print(json.dumps({"rows": sum(r.rows for r in results), "stored": stored[0], "distinct": stored[1],
                      "seconds": seconds, "started_at": started_at, "peak_mb": peak_mb()}))


def child_fb24(url: str) -> None:
    import fast_bitrix24

    from b24metrics.extract import STREAMS

    bitrix = fast_bitrix24.Bitrix(url, verbose=False)
    started_at, began = time.time(), time.monotonic()
    try:
        rows = bitrix.get_all("crm.lead.list", {"select": STREAMS["leads"].select})
    except Exception as exc:  # noqa: BLE001 - its failure is the measurement
        print(json.dumps({"error": failure_text(exc, url), "seconds": time.monotonic() - began,
                          "started_at": started_at}))
        return
    seconds = time.monotonic() - began
    ids = [int(r["ID"]) for r in rows]
    print(json.dumps({"rows": len(ids), "distinct": len(set(ids)), "seconds": seconds, "started_at": started_at,
                      "peak_mb": peak_mb()}))


def peak_mb() -> float:
    """This process's peak resident memory (Linux reports KiB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def failure_text(exc: BaseException, url: str) -> str:
    """A client's failure in one line, the webhook's secret masked."""
    text = f"{type(exc).__name__}: {exc}".replace(url.rstrip("/").rsplit("/", 1)[-1], "***")
    return text.splitlines()[0][:160]


# -- measurements ------------------------------------------------------------------------------

def ceiling_run(portal: Portal, mode: str, *, spent: bool, workers: int, tmp: str) -> dict:
    portal.ask("reset")
    spent_at = None
    if spent:
        portal.ask("spend")
        spent_at = time.time()
    args = (str(Path(tmp) / f"{mode}-{time.monotonic_ns()}.duckdb"), str(workers)) if mode == "ours" else ()
    result = run_child(mode, portal.url, *args)
    stats = portal.stats()
    accepted = stats["status_codes"].get("200", 0)
    result["requests"] = accepted
    result["refused"] = stats["rejected_503"]
    if "seconds" in result and "error" not in result:
        result["share"] = share_of_ceiling(accepted, result, spent_at)
        result["rows_per_s"] = result["rows"] / result["seconds"]
    return result


def share_of_ceiling(accepted: int, result: dict, spent_at: float | None) -> float:
    """Requests answered / requests the portal's bucket allowed while the client ran."""
    # A spent bucket drains while the client process starts: that much burst is free again.
    free = BURST if spent_at is None else min(BURST, RATE * (result["started_at"] - spent_at))
    return accepted / (free + RATE * result["seconds"])


def page_costs(portal: Portal, depths: list[int]) -> dict:
    """Operating seconds of one page by keyset and by offset at each depth (portal's own `time`)."""
    from b24metrics.extract import STREAMS

    select = STREAMS["leads"].select
    portal.ask("cost " + json.dumps({}))  # the docs' calibration
    keyset, offset = [], []
    with httpx.Client(timeout=600) as http:
        for depth in depths:
            portal.ask("reset")
            after = http.post(portal.url + "crm.lead.list", json={
                "select": ["ID"], "order": {"ID": "ASC"}, "start": depth}).json()["result"]
            first_id = int(after[0]["ID"]) - 1 if after else 0
            body = http.post(portal.url + "crm.lead.list", json={
                "select": select, "order": {"ID": "ASC"}, "filter": {">ID": first_id}, "start": -1}).json()
            keyset.append(body["time"]["processing"])
            portal.ask("reset")
            body = http.post(portal.url + "crm.lead.list", json={
                "select": select, "order": {"ID": "ASC"}, "start": depth}).json()
            offset.append(body["time"]["processing"])
    portal.ask("cost")
    pages = 100_000 / 50
    return {"keyset": sum(keyset) / len(keyset) * pages, "offset": sum(offset) / len(offset) * pages,
            "keyset_pages": keyset, "offset_pages": offset}


def table_row(name: str, r: dict, done: str) -> str:
    """One run: what it did (or how it failed), requests, 503s, share of the ceiling, peak memory."""
    if "error" in r:
        return f"| {name} | failed after {r.get('seconds', 0):.0f} s: {r['error']} | | | | |"
    return f"| {name} | {done} | {r['requests']} | {r['refused']} | {r['share'] * 100:.1f} % | {r['peak_mb']:.0f} MB |"


def fmt_run(name: str, r: dict) -> str:
    done = "" if "error" in r else f"{r['rows']:,} rows ({r['distinct']:,} distinct) in {r['seconds']:.1f} s"
    return table_row(name, r, done)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller tables (checks the benchmark itself)")
    parser.add_argument("--workers", type=int, default=None, help="sync.workers for our client (default: config default)")
    parser.add_argument("--no-huge", action="store_true", help="skip the 1M-row part (keyset vs offset, memory)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, *rest = args.child
        {"ours": child_ours, "fb24": child_fb24}[mode](*rest)
        return

    from b24metrics.config import SyncSettings

    workers = args.workers or SyncSettings().workers
    big, works, huge = (20_000, 5_000, 100_000) if args.quick else (200_000, 20_000, 1_000_000)
    print(f"# bench/extract.py{' --quick' if args.quick else ''}: portal {RATE:g} req/s, burst {BURST}, "
          f"operating limit 480 s; our client with {workers} workers\n", flush=True)
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        # 1. the request ceiling: a light portal, answers as slow as their cost
        for size in (big, works):
            portal = Portal(seed=11, leads=size, deals=0, contacts=0, activities=0, calls=0, users=8,
                            rate=RATE, burst=BURST, cost=LIGHT, latency=0.03, latency_from_cost=1.0)
            print(f"portal of {size:,} leads up in {portal.startup:.0f} s", file=sys.stderr, flush=True)
            runs = {
                "ours, fresh bucket": ceiling_run(portal, "ours", spent=False, workers=workers, tmp=tmp),
                "ours, spent bucket": ceiling_run(portal, "ours", spent=True, workers=workers, tmp=tmp),
                "fast-bitrix24 get_all, fresh bucket": ceiling_run(portal, "fb24", spent=False, workers=0, tmp=tmp),
            }
            portal.close()
            lines.append(f"\n{size:,} leads, keyset pages of 10 ms (batch of 50 answered in ~0.5 s):\n")
            lines.append("| client | result | requests | 503 | share of ceiling | peak memory |")
            lines.append("|---|---|---|---|---|---|")
            lines += [fmt_run(name, r) for name, r in runs.items()]
            ours, theirs = runs["ours, fresh bucket"], runs["fast-bitrix24 get_all, fresh bucket"]
            if "error" not in theirs and "error" not in ours:
                lines.append(f"\nrows per second, ours / fast-bitrix24: {ours['rows_per_s'] / theirs['rows_per_s']:.2f}x")
            print(f"{size:,} leads measured", file=sys.stderr, flush=True)

        if args.no_huge:
            print("\n".join(lines))
            return
        # 2. the docs' cost model on a big table: keyset vs offset, and our full sync's memory
        portal = Portal(seed=12, leads=huge, deals=0, contacts=0, activities=0, calls=0, users=8,
                        rate=50.0, burst=BURST)
        print(f"portal of {huge:,} leads up in {portal.startup:.0f} s", file=sys.stderr, flush=True)
        depths = [int(huge * f) for f in (0, 0.1, 0.25, 0.5, 0.75, 0.9)] + [huge - 50]
        costs = page_costs(portal, depths)
        lines.append(f"\n{huge:,} leads, the docs' cost model (49.9 s counting vs 0.097 s keyset on 2.4M rows):\n")
        lines.append(f"- operating seconds per 100k rows: keyset {costs['keyset']:.0f} s, offset with count "
                     f"{costs['offset']:,.0f} s: keyset costs {costs['keyset'] / costs['offset']:.4f} of offset "
                     f"(1/{costs['offset'] / costs['keyset']:.0f})")
        portal.ask("reset")
        full = run_child("ours", portal.url, str(Path(tmp) / "huge.duckdb"), str(workers))
        if "error" in full:
            lines.append(f"- our full sync of {huge:,} leads failed: {full['error']}")
        else:
            lines.append(f"- our full sync of {huge:,} leads (portal at 50 req/s, costs off): {full['stored']:,} rows "
                         f"({full['distinct']:,} distinct) in {full['seconds']:.0f} s, peak memory "
                         f"{full['peak_mb']:.0f} MB")
        portal.close()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
