"""What the machine can refuse the warehouse, each as one typed error with the fix in its text.

DuckDB reports a read-only directory, a file that is not a database, a full disk and an
interrupted query as its own exception classes (wrapped by SQLAlchemy when they come from a
connect), and the lock file beside the warehouse fails with a plain OSError; without this module
each reached the command line as "internal error". Only the error's class and errno, or DuckDB's
text when it has no errno, decide: the texts below are DuckDB's own, as DuckDB 1.x and 2.x word them.
"""

from __future__ import annotations

import errno
import sys
from pathlib import Path

import duckdb

from b24metrics.errors import (
    B24MetricsError,
    DiskFull,
    Interrupted,
    OutOfMemory,
    WarehouseForeign,
    WarehouseReadOnly,
)

#: the first bytes of a DuckDB file: a checksum (8 bytes), then the magic "DUCK"
_MAGIC_AT, _MAGIC = 8, b"DUCK"
#: other files someone may point warehouse.path at, by their first bytes
_KNOWN = ((b"SQLite format 3\x00", "a SQLite database"), (b"PAR1", "a Parquet file"), (b"PK\x03\x04", "a ZIP "
          "or Excel file"), (b"\x89PNG", "a PNG image"), (b"%PDF", "a PDF"))

_NO_ROOM = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)
_READ_ONLY = (errno.EACCES, errno.EPERM, errno.EROFS)


def check_is_duckdb(path: Path) -> None:
    """Refuse a file that is not a DuckDB database before DuckDB opens it: DuckDB would take a
    SQLite file for a database to attach through an extension, and try to download it."""
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise as_warehouse_error(exc, path) or exc
    if not head or head[_MAGIC_AT:_MAGIC_AT + len(_MAGIC)] == _MAGIC:
        return  # an empty file is a new database to DuckDB
    kind = next((name for magic, name in _KNOWN if head.startswith(magic)), None)
    if kind is None:
        kind = "text" if all(32 <= b < 127 or b in (9, 10, 13) for b in head) else "data of another kind"
    raise WarehouseForeign(f"warehouse.path {path} holds {kind}, not a DuckDB warehouse: point "
                           "warehouse.path at a new file (it is made on the first sync) or at the warehouse")


def as_warehouse_error(exc: BaseException, path: Path,
                       memory: tuple[str, str] = ("warehouse.memory_limit", "")) -> B24MetricsError | None:
    """The typed error for `exc` met while using the warehouse at `path`, or None when it is not
    one the machine caused (a bug, or an error of ours already typed). `memory`: the memory
    setting in force and its value, which running out names."""
    if out_of_memory(exc) is not None:
        return memory_error(*memory)
    if isinstance(exc, B24MetricsError):
        return None
    if _is_dbapi_error(exc) and getattr(exc, "orig", None) is not None:
        exc = exc.orig  # type: ignore[attr-defined]
    if is_interrupt(exc):
        return Interrupted("interrupted: the query under way was stopped and rolled back")
    if isinstance(exc, OSError):
        code = exc.errno
        text = exc.strerror or str(exc)
    elif isinstance(exc, duckdb.Error):
        text = str(exc)
        code = _errno_in(text)
        if code is None and "not a valid DuckDB database file" in text:
            return WarehouseForeign(f"{path} is not a DuckDB database, or is damaged beyond opening: "
                                    "restore it from a backup, or point warehouse.path at a new file "
                                    "(a full sync rebuilds it)")
        if code is None and ("Corrupt database file" in text or "checksum" in text.lower()):
            return WarehouseForeign(f"{path} is damaged ({_first_line(text)}): restore it from a backup, or "
                                    "move it away and let a full sync rebuild it")
        if code is None and "database file with version number" in text:
            return WarehouseForeign(f"{path} was written by a newer DuckDB than this b24metrics has "
                                    f"({_first_line(text)}): use the b24metrics that wrote it")
    else:
        return None
    if code in _NO_ROOM:
        return DiskFull(f"no room to write the warehouse {path} ({_reason(code, text)}): free some space "
                        "on its disk, then run it again; the transaction under way rolled back and what "
                        "was committed before it stands")
    if code in _READ_ONLY:
        return WarehouseReadOnly(f"the warehouse {path} cannot be written ({_reason(code, text)}): its "
                                 "directory and file must be writable by this user, on a file system "
                                 "mounted read-write")
    return None


def _is_dbapi_error(exc: BaseException) -> bool:
    """SQLAlchemy's wrapper of a driver error: asked without importing SQLAlchemy (the readers
    never do), since no such wrapper can exist before something else has imported it."""
    sa_exc = sys.modules.get("sqlalchemy.exc")
    return sa_exc is not None and isinstance(exc, sa_exc.DBAPIError)


def out_of_memory(exc: BaseException) -> BaseException | None:
    """DuckDB's OutOfMemoryException in `exc` or what it was raised while handling: running out
    leaves the transaction aborted, and the next statement on it (a ROLLBACK, an unregister)
    raises "Current transaction is aborted", which would hide the cause."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, (duckdb.OutOfMemoryException, OutOfMemory)):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def memory_error(setting: str, value: str) -> OutOfMemory:
    """The one line for running out: the setting in force and how to raise it."""
    env = "B24M_" + setting.upper().replace(".", "__")
    return OutOfMemory(f"out of memory: DuckDB needed more than {setting} = {value!r} lets it use; raise "
                       f"{setting} in the config file or as {env} (the README's Memory section says how much)")


def is_interrupt(exc: BaseException) -> bool:
    """Ctrl-C inside a DuckDB query: DuckDB stops the query and raises a plain RuntimeError
    ("Query interrupted"), or its InterruptException, instead of KeyboardInterrupt."""
    return isinstance(exc, duckdb.InterruptException) or (
        type(exc) is RuntimeError and str(exc).strip() == "Query interrupted")


_DUCKDB_TEXTS = {"No space left on device": errno.ENOSPC, "File too large": errno.EFBIG,
                 "Disk quota exceeded": errno.EDQUOT, "Permission denied": errno.EACCES,
                 "Read-only file system": errno.EROFS, "Operation not permitted": errno.EPERM}


def _errno_in(text: str) -> int | None:
    """DuckDB's IO errors carry the OS's text (strerror), not its number."""
    for phrase, code in _DUCKDB_TEXTS.items():
        if phrase in text:
            return code
    return None


def _reason(code: int | None, text: str) -> str:
    if code == errno.EFBIG:
        return "the file size limit is reached"
    if code in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full" if code == errno.ENOSPC else "the disk quota is used up"
    if code == errno.EROFS:
        return "the file system is mounted read-only"
    return "permission denied"


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text
