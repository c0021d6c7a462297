"""Portal to warehouse: declarative streams and the sync passes that load them."""

from typing import TYPE_CHECKING

from b24metrics.extract.streams import STREAMS, Stream

if TYPE_CHECKING:
    from b24metrics.extract.stream_pass import Progress, StreamResult
    from b24metrics.extract.sweep import SweepResult, sweep_deletes, sweepable
    from b24metrics.extract.sync import sync_streams

__all__ = [
    "STREAMS",
    "Progress",
    "Stream",
    "StreamResult",
    "SweepResult",
    "sweep_deletes",
    "sweepable",
    "sync_streams",
]

#: The passes, imported when first asked for (PEP 562): the stream definitions (which the CLI's
#: help lists) come without the portal client and the warehouse loads.
_PASSES = {"Progress": "stream_pass", "StreamResult": "stream_pass", "SweepResult": "sweep",
           "sweep_deletes": "sweep", "sweepable": "sweep", "sync_streams": "sync"}


def __getattr__(name: str) -> object:
    module = _PASSES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
