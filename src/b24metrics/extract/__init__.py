"""Portal to warehouse: declarative streams and the runners that load them."""

from b24metrics.extract.runner import StreamResult, sync_full, sync_streams
from b24metrics.extract.streams import STREAMS, Stream
from b24metrics.extract.sweep import SweepResult, sweep_deletes, sweepable

__all__ = [
    "STREAMS",
    "Stream",
    "StreamResult",
    "SweepResult",
    "sweep_deletes",
    "sweepable",
    "sync_full",
    "sync_streams",
]
