"""Fixed data sets for oracle tests: a sandbox portal holding exactly the records a test lists.

The portal keeps its dictionaries (statuses, sources, deal pipelines and stages, 8 users), and
no generated CRM records. Times are given as the portal's local wall clock ("2026-03-01 10:00")
and stored with the portal's offset, as Bitrix24 writes them. Then `sync()` runs a real sync
over HTTP and rebuilds the KPI tables; `cut()` reads a KPI.

    s = Scenario()
    lead = s.lead(created="2026-03-01 10:00", source="CALL", status="NEW", manager=5)
    s.history("lead", lead, "IN_PROCESS", at="2026-03-01 10:20")
    s.sync()
    rows = s.cut("speed_to_lead", period="month", by="manager")
"""

from __future__ import annotations

import tempfile
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any

from b24metrics import pipeline
from b24metrics.config import load_settings
from b24metrics.extract import STREAMS
from b24metrics.kpis.catalogue import find
from b24metrics.kpis.cuts import cut
from b24metrics.kpis.refresh import refresh_kpis
from b24metrics.sandbox import SandboxPortal

USERS = (1, 5, 6, 9, 11, 14, 17, 23)  # the sandbox's users


class Scenario:
    def __init__(self, tz: str = "+03:00", **settings: Any) -> None:
        self._stack = ExitStack()
        self.portal = self._stack.enter_context(SandboxPortal(
            seed=1, leads=0, companies=0, contacts=0, deals=0, activities=0, calls=0,
            tz=tz, rate=1000.0, burst=1000))
        self.tz = tz
        self._dir = Path(self._stack.enter_context(tempfile.TemporaryDirectory()))
        self.settings_overrides = settings
        self.state = self.portal.state
        self._ids: dict[str, int] = {}
        template = SandboxPortal(seed=1, leads=2, deals=2, contacts=1, activities=1, calls=1, companies=1).state
        self._templates = {
            "lead": dict(next(iter(template.leads.values()))),
            "deal": dict(next(iter(template.deals.values()))),
            "contact": dict(next(iter(template.contacts.values()))),
            "company": dict(next(iter(template.companies.values()))),
            "activity": dict(next(iter(template.activities.values()))),
            "call": dict(next(iter(template.calls.values()))),
        }
        self.warehouse = None

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> "Scenario":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- records

    def at(self, local: str) -> str:
        """'2026-03-01 10:00' (portal wall clock) -> '2026-03-01T10:00:00+03:00'."""
        moment = datetime.fromisoformat(local.replace(" ", "T"))
        return moment.strftime("%Y-%m-%dT%H:%M:%S") + self.tz

    def _next(self, kind: str) -> int:
        self._ids[kind] = self._ids.get(kind, 0) + 1
        return self._ids[kind]

    def _add(self, kind: str, table: dict, fields: dict[str, Any]) -> int:
        record_id = self._next(kind)
        record = {k: None for k in self._templates[kind]}
        record.update({k: v for k, v in self._templates[kind].items() if k.startswith("UF_")})
        record.update(ID=str(record_id), **{k: v for k, v in fields.items() if v is not ...})
        with self.state.lock:
            table[record_id] = record
        return record_id

    def lead(self, *, created: str, source: str | None = "CALL", status: str = "NEW", manager: int = 1,
             company: int | None = None, amount: float = 0, currency: str = "RUB", utm: dict | None = None,
             modified: str | None = None, **extra: Any) -> int:
        semantic = {"CONVERTED": "S", "JUNK": "F"}.get(status, "P")
        return self._add("lead", self.state.leads, {
            "TITLE": "lead", "SOURCE_ID": source, "STATUS_ID": status, "STATUS_SEMANTIC_ID": semantic,
            "ASSIGNED_BY_ID": str(manager), "COMPANY_ID": str(company) if company else None,
            "OPPORTUNITY": f"{amount:.2f}", "CURRENCY_ID": currency, "HAS_PHONE": "Y", "HAS_EMAIL": "N",
            "DATE_CREATE": self.at(created), "DATE_MODIFY": self.at(modified or created),
            **{f"UTM_{k.upper()}": v for k, v in (utm or {}).items()}, **extra})

    def deal(self, *, created: str, stage: str = "NEW", category: int = 0, amount: float = 0,
             currency: str = "RUB", manager: int = 1, source: str | None = None, lead: int | None = None,
             company: int | None = None, contact: int | None = None, moved: str | None = None,
             recurring: bool = False, **extra: Any) -> int:
        bare = stage.split(":", 1)[-1]
        semantic = "S" if bare == "WON" else "F" if bare in ("LOSE", "APOLOGY") else "P"
        return self._add("deal", self.state.deals, {
            "TITLE": "deal", "STAGE_ID": stage, "CATEGORY_ID": str(category), "STAGE_SEMANTIC_ID": semantic,
            "OPPORTUNITY": f"{amount:.2f}", "CURRENCY_ID": currency, "ASSIGNED_BY_ID": str(manager),
            "SOURCE_ID": source, "LEAD_ID": str(lead) if lead else None,
            "COMPANY_ID": str(company) if company else None, "CONTACT_ID": str(contact) if contact else None,
            "DATE_CREATE": self.at(created), "DATE_MODIFY": self.at(moved or created),
            "MOVED_TIME": self.at(moved or created), "CLOSED": "Y" if semantic != "P" else "N",
            "IS_RECURRING": "Y" if recurring else "N", **extra})

    def company(self, *, created: str, title: str = "company", employees: str | None = None,
                revenue: float | None = None, **extra: Any) -> int:
        return self._add("company", self.state.companies, {
            "TITLE": title, "EMPLOYEES": employees, "REVENUE": None if revenue is None else f"{revenue:.2f}",
            "DATE_CREATE": self.at(created), "DATE_MODIFY": self.at(created), **extra})

    def contact(self, *, created: str, company: int | None = None, source: str | None = None, **extra: Any) -> int:
        return self._add("contact", self.state.contacts, {
            "NAME": "contact", "COMPANY_ID": str(company) if company else None, "SOURCE_ID": source,
            "DATE_CREATE": self.at(created), "DATE_MODIFY": self.at(created), **extra})

    def activity(self, *, owner: tuple[str, int], at: str, type_id: int = 2, direction: int = 2,
                 completed: bool = True, deadline: str | None = None, responsible: int = 1, **extra: Any) -> int:
        """type_id: 1 meeting, 2 call, 3 task, 4 e-mail; direction: 1 incoming, 2 outgoing."""
        owner_type = {"lead": 1, "deal": 2, "contact": 3, "company": 4}[owner[0]]
        return self._add("activity", self.state.activities, {
            "OWNER_TYPE_ID": str(owner_type), "OWNER_ID": str(owner[1]), "TYPE_ID": str(type_id),
            "DIRECTION": str(direction), "COMPLETED": "Y" if completed else "N", "RESPONSIBLE_ID": str(responsible),
            "CREATED": self.at(at), "LAST_UPDATED": self.at(at), "START_TIME": self.at(at), "END_TIME": self.at(at),
            "DEADLINE": self.at(deadline or at), "SUBJECT": "activity", **extra})

    def call(self, *, number: str, at: str, duration: int = 60, failed_code: str = "200", user: int = 1,
             entity: tuple[str, int] | None = None, incoming: bool = True, **extra: Any) -> int:
        return self._add("call", self.state.calls, {
            "PORTAL_NUMBER": number, "CALL_START_DATE": self.at(at), "CALL_DURATION": str(duration),
            "CALL_FAILED_CODE": failed_code, "PORTAL_USER_ID": str(user), "CALL_TYPE": "2" if incoming else "1",
            "CRM_ENTITY_TYPE": entity[0].upper() if entity else None, "CRM_ENTITY_ID": str(entity[1]) if entity else None,
            "PHONE_NUMBER": "+70000000000", **extra})

    def history(self, entity: str, owner: int, stage: str, *, at: str, category: int = 0) -> int:
        """A stage history row: the lead or deal `owner` entered `stage` at `at`."""
        type_id = 2
        record_id = self._next(f"history_{entity}")
        if entity == "lead":
            semantic = {"CONVERTED": "S", "JUNK": "F"}.get(stage, "P")
            row = {"ID": record_id, "TYPE_ID": type_id, "OWNER_ID": owner, "CREATED_TIME": self.at(at),
                   "STATUS_SEMANTIC_ID": semantic, "STATUS_ID": stage}
            table = self.state.stage_history[1]
        else:
            bare = stage.split(":", 1)[-1]
            semantic = "S" if bare == "WON" else "F" if bare in ("LOSE", "APOLOGY") else "P"
            row = {"ID": record_id, "TYPE_ID": type_id, "OWNER_ID": owner, "CREATED_TIME": self.at(at),
                   "CATEGORY_ID": category, "STAGE_SEMANTIC_ID": semantic, "STAGE_ID": stage}
            table = self.state.stage_history[2]
        with self.state.lock:
            table[record_id] = row
        return record_id

    # -- sync and read

    def settings(self, **overrides: Any):
        merged = {**self.settings_overrides, **overrides}
        kpis = merged.pop("kpis", {})
        return load_settings(
            read_file=False,
            portal={"webhook_url": self.portal.webhook_url, "rate": 1000.0, "burst": 1000},
            warehouse={"path": str(self._dir / "wh.duckdb")}, kpis=kpis, **merged)

    def sync(self, **overrides: Any):
        """Sync every stream over HTTP and rebuild the KPI tables; returns the settings used."""
        settings = self.settings(**overrides)
        self.warehouse = pipeline.open_warehouse(settings)
        with pipeline.open_client(settings) as client:
            pipeline.sync(client, self.warehouse, list(STREAMS.values()), settings)
        refresh_kpis(self.warehouse, settings)
        return settings

    def cut(self, name: str, **kw: Any):
        with self.warehouse.connect(read_only=True) as con:
            return cut(con, find(name), **kw)

    def rows(self, name: str, **kw: Any) -> list[dict[str, Any]]:
        return self.cut(name, **kw).rows

    def sql(self, query: str, params: list | None = None) -> list[tuple]:
        with self.warehouse.connect(read_only=True) as con:
            return con.execute(query, params or []).fetchall()
