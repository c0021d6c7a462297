"""Portal to warehouse: declarative streams and the sync passes that load them."""

from b24metrics.extract.stream_pass import Progress, StreamResult
from b24metrics.extract.streams import STREAMS, Stream
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
