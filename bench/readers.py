"""Readers beside a long write-back (a benchmark, not a test): how long `b24metrics status` and
`b24metrics kpi` take, end to end as a user types them, while a write-back of some 30,000 values
runs against a sandbox portal with Bitrix24's limits, side by side with the same commands on an
idle warehouse (what Python's start and the command itself cost anyway).

    python bench/readers.py                # 7,500 leads: 30,000 lead values and the deals' and companies'
    python bench/readers.py --leads 1000   # a quick check of the benchmark itself

Prints each reader's times (mean, max) idle and during the write-back, and their difference.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from b24metrics.sandbox import SandboxPortal

READERS = {"status": ["status"], "kpi": ["kpi", "leads_by_channel", "--period", "all"]}


def _env(portal: SandboxPortal, db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("B24M_")}
    return {**env, "B24M_PORTAL__WEBHOOK_URL": portal.webhook_url, "B24M_WAREHOUSE__PATH": str(db)}


def _timed(env: dict[str, str], args: list[str]) -> tuple[float, int]:
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "b24metrics", *args], capture_output=True, text=True, env=env,
                          timeout=300)
    return time.perf_counter() - began, done.returncode


def _line(name: str, times: list[float]) -> str:
    return f"{name:<28} n={len(times):>3}  mean {statistics.mean(times):5.2f} s  max {max(times):5.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=7500)
    parser.add_argument("--idle-runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, SandboxPortal(seed=41, leads=args.leads) as portal:
        db = Path(folder) / "wh.duckdb"
        env = _env(portal, db)
        assert subprocess.run([sys.executable, "-m", "b24metrics", "sync"], env=env, capture_output=True,
                              timeout=1800).returncode == 0
        idle = {name: [_timed(env, cmd)[0] for _ in range(args.idle_runs)] for name, cmd in READERS.items()}
        writer = subprocess.Popen([sys.executable, "-m", "b24metrics", "writeback"], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        began = time.perf_counter()
        busy: dict[str, list[float]] = {name: [] for name in READERS}
        refused = 0
        time.sleep(3)   # the write-back's gate and plan first: the readers are timed beside its push
        while writer.poll() is None:
            for name, cmd in READERS.items():
                seconds, code = _timed(env, cmd)
                if writer.poll() is not None:
                    break
                busy[name].append(seconds)
                refused += code != 0
        out, err = writer.communicate()
        took = time.perf_counter() - began
    print(f"sandbox portal: {args.leads} leads, Bitrix24's limits (2 req/s after a burst of 50)")
    summary = next((line for line in out.splitlines() if line.startswith("Wrote ")), "")
    print(f"write-back: exit {writer.returncode}, {took:.1f} s; {summary[:160]}")
    for name in READERS:
        print(_line(f"{name}, idle warehouse", idle[name]))
        if busy[name]:
            print(_line(f"{name}, beside the write-back", busy[name]))
            print(f"{'':<28} waited for the warehouse: {statistics.mean(busy[name]) - statistics.mean(idle[name]):+.2f} s "
                  "on average")
    print(f"readers refused (exit != 0) during the write-back: {refused}")


if __name__ == "__main__":
    main()
