"""The writer lock beside the warehouse: one writing run at a time across processes, a clear line
naming the holder, a bounded wait, and no stale lock after kill -9."""

import os
import subprocess
import sys
import time

import pytest

from b24metrics.errors import WarehouseBusy
from b24metrics.warehouse.writer_lock import current_holder, lock_path, writer_lock

HOLD = """
import sys, time
from b24metrics.warehouse.writer_lock import writer_lock
with writer_lock(sys.argv[1], "b24metrics sync --full"):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _holder(path, seconds):
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_writer_is_told_who_holds_the_lock(tmp_path):
    path = tmp_path / "wh.duckdb"
    proc = _holder(path, 30)
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


def test_a_writer_waits_for_the_holder_within_its_bound(tmp_path):
    path = tmp_path / "wh.duckdb"
    proc = _holder(path, 0.8)
    began = time.monotonic()
    with writer_lock(path, "b24metrics sync", wait=10) as me:
        assert 0.3 < time.monotonic() - began < 5
        assert me.pid == os.getpid() and current_holder(path).pid == os.getpid()
    proc.wait()
    assert current_holder(path) is None  # released and cleared


def test_kill_9_leaves_no_stale_lock(tmp_path):
    path = tmp_path / "wh.duckdb"
    proc = _holder(path, 30)
    proc.kill()
    proc.wait()
    assert lock_path(path).read_text()  # the dead holder's line is still in the file
    assert current_holder(path) is None  # but nobody alive holds it
    with writer_lock(path, "b24metrics sync", wait=0):
        pass
