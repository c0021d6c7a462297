"""The only code that talks HTTP to Bitrix24."""

from b24metrics.portal.client import BatchResponse, ClientStats, PortalClient, Response
from b24metrics.portal.listing import PAGE, BatchRead, ListPage, check_order, iter_pages, list_params, read_batch, rows_of

__all__ = [
    "PAGE",
    "BatchResponse",
    "ClientStats",
    "ListPage",
    "PortalClient",
    "Response",
    "BatchRead",
    "check_order",
    "read_batch",
    "iter_pages",
    "list_params",
    "rows_of",
]
