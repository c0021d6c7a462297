"""The writer lock beside the warehouse: one writing run at a time across processes, a clear line
naming the holder, a bounded wait, and no stale lock after kill -9."""

import logging
import os
import subprocess
import sys
import threading
import time

import pytest

from b24metrics.errors import WarehouseBusy
from b24metrics.warehouse.writer_lock import current_holder, lock_path, writer_lock

# Holds the lock until its stdin closes (the test says when, not the clock).
HOLD = """
import sys
from b24metrics.warehouse.writer_lock import writer_lock
with writer_lock(sys.argv[1], "b24metrics sync --full"):
    print("locked", flush=True)
    sys.stdin.read()
"""


def _holder(path):
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_writer_is_told_who_holds_the_lock(tmp_path):
    path = tmp_path / "wh.duckdb"
    proc = _holder(path)
    try:
        holder = current_holder(path)
        assert holder.pid == proc.pid and holder.command == "b24metrics sync --full"
        began = time.monotonic()
        with pytest.raises(WarehouseBusy) as caught:
            with writer_lock(path, "b24metrics run, cycle"):
                pass
        assert time.monotonic() - began < 1
        assert f"a sync is running (pid {proc.pid}, started at " in str(caught.value)
        assert "b24metrics sync --full" in str(caught.value) and "nothing was done" in str(caught.value)
    finally:
        proc.kill()
        proc.wait()


def test_a_writer_waits_for_the_holder_within_its_bound(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="b24metrics.warehouse.writer_lock")
    path = tmp_path / "wh.duckdb"
    proc = _holder(path)
    seen: dict = {}

    def write() -> None:
        try:
            with writer_lock(path, "b24metrics sync", wait=60) as me:
                seen["me"], seen["holder"] = me, current_holder(path)
        except Exception as exc:  # noqa: BLE001 (the test reports it)
            seen["error"] = exc

    writer = threading.Thread(target=write)
    writer.start()
    try:
        # It met the lock and said it waits; a while later it still waits (the holder holds it
        # however long that while lasts on a loaded machine), then gets it once the holder is done.
        deadline = time.monotonic() + 30
        while not any("waiting up to 60 s" in r.getMessage() for r in caplog.records) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert any(f"a sync is running (pid {proc.pid}" in r.getMessage() for r in caplog.records)
        writer.join(0.5)
        assert writer.is_alive() and not seen
    finally:
        proc.stdin.close()
        proc.wait()
        writer.join(30)
    assert "error" not in seen, seen
    assert seen["me"].pid == os.getpid() and seen["holder"].pid == os.getpid()
    assert current_holder(path) is None  # released and cleared


def test_kill_9_leaves_no_stale_lock(tmp_path):
    path = tmp_path / "wh.duckdb"
    proc = _holder(path)
    proc.kill()
    proc.wait()
    assert lock_path(path).read_text()  # the dead holder's line is still in the file
    assert current_holder(path) is None  # but nobody alive holds it
    with writer_lock(path, "b24metrics sync", wait=0):
        pass
