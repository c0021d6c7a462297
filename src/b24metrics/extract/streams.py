"""One declarative entry per entity: where it comes from and how it lands in the warehouse."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["int", "float", "str", "bool", "datetime"]


@dataclass(frozen=True)
class Column:
    name: str       # column in the warehouse
    source: str     # field name on the portal
    kind: Kind = "str"


def _cols(spec: str) -> tuple[Column, ...]:
    """'title:TITLE:str, ...' keeps each entry on one line."""
    out = []
    for item in spec.split(","):
        name, source, kind = (part.strip() for part in item.split(":"))
        out.append(Column(name, source, kind))  # type: ignore[arg-type]
    return tuple(out)


@dataclass(frozen=True)
class Stream:
    name: str
    method: str
    table: str
    entity: str                       # key of its raw payloads
    primary_key: tuple[str, ...]
    columns: tuple[Column, ...]
    extra_select: tuple[str, ...] = ()  # asked for and kept raw, not typed (custom fields)
    id_field: str = "ID"              # the keyset cursor
    modified_field: str | None = None  # incremental passes read `>=` this; None: always a full pass
    # Pages chained per batch. Commands past the last page still run (and cost the portal time),
    # so a table known to be small asks for few.
    pages_per_batch: int = 50
    wrapper: str | None = None        # key holding the rows, for methods that answer {"items": [...]}
    filter: dict[str, Any] = field(default_factory=dict)

    @property
    def select(self) -> list[str]:
        fields = [self.id_field] + [c.source for c in self.columns if c.source != self.id_field]
        return fields + list(self.extra_select)

    def raw_id(self, record: dict[str, Any]) -> str:
        return ":".join(str(record.get(_source_of(self, k), "")) for k in self.primary_key)


def _source_of(stream: Stream, column: str) -> str:
    return next(c.source for c in stream.columns if c.name == column)


LEADS = Stream(
    name="leads",
    method="crm.lead.list",
    table="leads",
    entity="lead",
    primary_key=("id",),
    modified_field="DATE_MODIFY",
    columns=_cols(
        "id:ID:int, title:TITLE:str, name:NAME:str, last_name:LAST_NAME:str,"
        "status_id:STATUS_ID:str, status_semantic_id:STATUS_SEMANTIC_ID:str, source_id:SOURCE_ID:str,"
        "company_id:COMPANY_ID:int, assigned_by_id:ASSIGNED_BY_ID:int, opportunity:OPPORTUNITY:float,"
        "currency_id:CURRENCY_ID:str, has_phone:HAS_PHONE:bool, has_email:HAS_EMAIL:bool,"
        "utm_source:UTM_SOURCE:str, utm_medium:UTM_MEDIUM:str, utm_campaign:UTM_CAMPAIGN:str,"
        "date_create:DATE_CREATE:datetime, date_modify:DATE_MODIFY:datetime,"
        "moved_time:MOVED_TIME:datetime, date_closed:DATE_CLOSED:datetime"
    ),
    # Custom fields are kept in the raw payload: grading rules and the write-back diff read them.
    extra_select=("UF_*",),
)

COMPANIES = Stream(
    name="companies",
    method="crm.company.list",
    table="companies",
    entity="company",
    primary_key=("id",),
    modified_field="DATE_MODIFY",
    columns=_cols(
        "id:ID:int, title:TITLE:str, company_type:COMPANY_TYPE:str, industry:INDUSTRY:str,"
        "employees:EMPLOYEES:str, revenue:REVENUE:float, currency_id:CURRENCY_ID:str,"
        "assigned_by_id:ASSIGNED_BY_ID:int, date_create:DATE_CREATE:datetime,"
        "date_modify:DATE_MODIFY:datetime"
    ),
    extra_select=("UF_*",),
)

# Every crm.status.list dictionary at once: lead statuses, sources, size bands, industries...
# A few hundred rows with no modification date: every pass reads them whole.
STATUSES = Stream(
    name="statuses",
    method="crm.status.list",
    table="statuses",
    entity="status",
    primary_key=("entity_id", "status_id"),
    pages_per_batch=4,
    columns=_cols(
        "id:ID:int, entity_id:ENTITY_ID:str, status_id:STATUS_ID:str, name:NAME:str, sort:SORT:int,"
        "semantics:SEMANTICS:str, category_id:CATEGORY_ID:str"
    ),
)

STREAMS: dict[str, Stream] = {s.name: s for s in (STATUSES, COMPANIES, LEADS)}
