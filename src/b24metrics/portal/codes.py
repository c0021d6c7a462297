"""Bitrix24 error codes and HTTP statuses mapped onto the exception tree of errors.py."""

from __future__ import annotations

from typing import Any

from b24metrics import errors
from b24metrics.redact import redact

_BY_CODE: dict[str, type[errors.PortalError]] = {
    "QUERY_LIMIT_EXCEEDED": errors.RateLimited,
    "OVERLOAD_LIMIT": errors.RateLimited,
    "OPERATION_TIME_LIMIT": errors.OperationTimeLimit,
    "NO_AUTH_FOUND": errors.AuthFailed,
    "EXPIRED_TOKEN": errors.AuthFailed,
    "INVALID_TOKEN": errors.AuthFailed,
    "AUTHORIZATION_ERROR": errors.AuthFailed,
    "METHOD_CONFIRM_WAITING": errors.AuthFailed,
    "PAYMENT_REQUIRED": errors.AuthFailed,
    "ACCESS_DENIED": errors.AccessDenied,
    "INSUFFICIENT_SCOPE": errors.AccessDenied,
    "INVALID_CREDENTIALS": errors.AccessDenied,
    "WRONG_AUTH_TYPE": errors.AccessDenied,
    "USER_ACCESS_ERROR": errors.AccessDenied,
    "ALLOWED_ONLY_INTRANET_USER": errors.AccessDenied,
    "ERROR_METHOD_NOT_FOUND": errors.MethodNotFound,
    "INVALID_REQUEST": errors.InvalidRequest,
    "ERROR_BATCH_LENGTH_EXCEEDED": errors.InvalidRequest,
    "ERROR_BATCH_METHOD_NOT_ALLOWED": errors.InvalidRequest,
    "INTERNAL_SERVER_ERROR": errors.PortalUnavailable,
}

_BY_STATUS: dict[int, type[errors.PortalError]] = {
    401: errors.AuthFailed,
    403: errors.AccessDenied,
    404: errors.MethodNotFound,
    429: errors.OperationTimeLimit,
    503: errors.RateLimited,
}


def error_from_body(
    body: Any, *, method: str, http_status: int | None, in_batch: bool = False
) -> errors.PortalError:
    """Build the exception for an error body {"error": ..., "error_description": ...}.

    Inside a batch an unknown or empty code means the portal refused that one command (a
    missing record, a bad field): skip-and-record, not stop.
    """
    body = body if isinstance(body, dict) else {}
    code = str(body.get("error") or "")
    description = redact(str(body.get("error_description") or body.get("error") or "no description"))
    cls = _BY_CODE.get(code.upper())
    if cls is None and not in_batch and http_status is not None:
        cls = _BY_STATUS.get(http_status)
        if cls is None and http_status >= 500:
            cls = errors.PortalUnavailable
    if cls is None:
        cls = errors.RecordRejected if in_batch or http_status == 400 else errors.InvalidRequest
    kwargs: dict[str, Any] = {"code": code, "method": method, "http_status": http_status}
    if cls is errors.OperationTimeLimit:
        kwargs["reset_at"] = None
    return cls(description, **kwargs)
