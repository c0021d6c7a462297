"""The only code that talks HTTP to Bitrix24."""

from b24metrics.portal.client import BatchResponse, ClientStats, PortalClient, Response
from b24metrics.portal.listing import PAGE, BatchRead, ListPage, check_order, iter_pages, list_params, read_batch, rows_of
from b24metrics.portal.scheduler import Deferrals, Jobs, Scheduler, Verdict

__all__ = [
    "PAGE",
    "BatchResponse",
    "ClientStats",
    "Deferrals",
    "Jobs",
    "ListPage",
    "PortalClient",
    "Response",
    "BatchRead",
    "Scheduler",
    "Verdict",
    "check_order",
    "read_batch",
    "iter_pages",
    "list_params",
    "rows_of",
]
