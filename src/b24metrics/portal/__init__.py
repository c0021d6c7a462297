"""The only code that talks HTTP to Bitrix24."""

from b24metrics.portal.client import BatchResponse, ClientStats, PortalClient, Response
from b24metrics.portal.listing import iter_pages

__all__ = ["BatchResponse", "ClientStats", "PortalClient", "Response", "iter_pages"]
