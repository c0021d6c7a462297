"""``scope``: the scopes the webhook was created with (``SandboxPortal.scopes``)."""

from __future__ import annotations

from typing import Any

from .envelope import Outcome, param

#: every scope Bitrix24 offers that the sandbox's methods belong to
ALL_SCOPES = ("crm", "telephony", "user")


def scope(portal: Any, params: dict[str, Any]) -> Outcome:
    """The webhook's scopes; ``full=true`` lists every scope the portal offers instead."""
    full = str(param(params, "full") or "").lower() in ("1", "true", "y")
    return Outcome(list(ALL_SCOPES if full else portal.scopes))
