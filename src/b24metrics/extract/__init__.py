"""Portal to warehouse: declarative streams and the runners that load them."""

from b24metrics.extract.runner import StreamResult, sync_full, sync_streams
from b24metrics.extract.streams import STREAMS, Stream

__all__ = ["STREAMS", "Stream", "StreamResult", "sync_full", "sync_streams"]
