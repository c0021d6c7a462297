"""DuckDB's temporary directory beside the warehouse (`<file>.tmp`): where a query spills what
does not fit in `memory_limit`. DuckDB removes it when it closes the file cleanly; a process
killed mid-spill (kill -9, the OOM killer, power loss) leaves it, as large as the spill was. The
writer removes it when it takes the writer lock (what a dead run left) and when it lets go (what
an unclean close of its own left). Only under the writer lock: no other run is spilling into it
then, and the short reads beside a run (`status`, `kpi`) spill nothing worth the name.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

log = logging.getLogger(__name__)


def temp_dir(warehouse_path: Path | str) -> Path:
    """DuckDB's default temp_directory for a database file: the file's name plus `.tmp`."""
    path = Path(warehouse_path)
    return path.with_name(path.name + ".tmp")


def remove_temp_dir(warehouse_path: Path | str) -> bool:
    """Remove DuckDB's temporary directory of this warehouse if there is one; True if it was there."""
    leftover = temp_dir(warehouse_path)
    if not leftover.is_dir():
        return False
    size = sum(p.stat().st_size for p in leftover.rglob("*") if p.is_file())
    shutil.rmtree(leftover, ignore_errors=True)
    log.info("removed DuckDB's temporary directory %s (%d KB) left by a run that ended uncleanly",
             leftover, size // 1024)
    return True
