"""The in-memory portal: the records the sandbox serves.

Records are stored exactly as the REST API returns them (IDs and numbers as
strings, datetimes as ISO 8601 with the portal offset, ``None`` for empty).
Hold ``state.lock`` while reading or changing several things at once.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from typing import Any

__all__ = ["PortalState"]


class PortalState:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        #: lead ID (int) -> record
        self.leads: dict[int, dict[str, Any]] = {}
        #: company ID (int) -> record
        self.companies: dict[int, dict[str, Any]] = {}
        #: crm.status.list rows
        self.statuses: list[dict[str, Any]] = []
        #: crm.lead.userfield.list definitions (internal form, see methods)
        self.lead_userfields: list[dict[str, Any]] = []
        #: crm.deal.userfield.list definitions (same form)
        self.deal_userfields: list[dict[str, Any]] = []
        #: crm.company.userfield.list definitions (same form)
        self.company_userfields: list[dict[str, Any]] = []
        self.next_userfield_id = 1
        #: the next ID of an enumeration item (crm.*.userfield.add hands them out)
        self.next_enum_id = 1
        #: deal ID (int) -> record (crm.deal.list; CONTACT_IDS is never stored)
        self.deals: dict[int, dict[str, Any]] = {}
        #: contact ID (int) -> record (crm.contact.list; PHONE/EMAIL multifields included)
        self.contacts: dict[int, dict[str, Any]] = {}
        #: user ID (int) -> record (user.get)
        self.users: dict[int, dict[str, Any]] = {}
        #: activity ID (int) -> record (crm.activity.list)
        self.activities: dict[int, dict[str, Any]] = {}
        #: activity ID (int) -> [(OWNER_TYPE_ID, OWNER_ID), ...]: every binding, the owner first
        self.activity_bindings: dict[int, list[tuple[int, int]]] = {}
        #: call statistics ID (int) -> record (voximplant.statistic.get)
        self.calls: dict[int, dict[str, Any]] = {}
        #: deal pipelines, crm.category.list form, in the order the method returns them
        self.categories: list[dict[str, Any]] = []
        #: entityTypeId (1 lead, 2 deal) -> history ID (int) -> record (crm.stagehistory.list)
        self.stage_history: dict[int, dict[int, dict[str, Any]]] = {1: {}, 2: {}}
        self._sorted_ids: dict[int, tuple[Any, list[int]]] = {}

    def sorted_ids(self, table: dict[int, Any]) -> list[int]:
        """Ascending IDs of ``table``, cached until its size or last-inserted key changes
        (so records added to or removed from ``state.leads`` directly are seen)."""
        fingerprint = (len(table), next(reversed(table), None))
        cached = self._sorted_ids.get(id(table))
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        ids = sorted(table)
        self._sorted_ids[id(table)] = (fingerprint, ids)
        return ids

    @staticmethod
    def ids_from(ids: list[int], lower: float | None, inclusive: bool) -> int:
        """Index of the first ID in ``ids`` that satisfies the lower bound."""
        if lower is None:
            return 0
        return bisect_left(ids, lower) if inclusive else bisect_right(ids, lower)

    def userfield(self, field_name: str, definitions: str = "lead_userfields") -> dict[str, Any] | None:
        for definition in getattr(self, definitions):
            if definition["FIELD_NAME"] == field_name:
                return definition
        return None
