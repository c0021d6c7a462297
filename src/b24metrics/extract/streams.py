"""One declarative entry per entity: where it comes from and how it lands in the warehouse."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, get_args

# "values": a multifield (PHONE, EMAIL, WEB: a list of {"VALUE": ...}) kept as its values
# joined by ", ", so that SQL can match e-mail domains and phone numbers without the raw payload.
Kind = Literal["int", "float", "str", "bool", "datetime", "date", "values"]
# What an incremental pass goes on from: "modified", the rows changed since the last pass (by
# the stream's modified_field); "id", the rows after the highest ID seen (records that never
# change once written: call records, history rows); "none", nothing: every pass is full.
Cursor = Literal["modified", "id", "none"]
# How the method spells its list parameters: "crm" (order/filter/select), "user" (user.get:
# sort/order strings, FILTER), "voximplant" (SORT/ORDER/FILTER), or "single" (the method's own
# parameters, no keyset: a short list, read from its first page on by offset).
Style = Literal["crm", "user", "voximplant", "single"]


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
    id_field: str = "ID"              # the keyset order
    cursor: Cursor = "none"
    modified_field: str | None = None  # a "modified" cursor's field: incremental passes read `>=` it
    # Pages chained per batch. Commands past the last page still run (and cost the portal time),
    # so a table known to be small asks for few.
    pages_per_batch: int = 50
    wrapper: str | None = None        # key holding the rows, for methods that answer {"items": [...]}
    filter: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)  # fixed parameters, e.g. entityTypeId
    style: Style = "crm"
    # Values that must name an entry of a crm.status.list dictionary: (column, dictionary).
    # "DEAL_STAGE" means the stages of the row's own pipeline (DEAL_STAGE_<category_id>).
    references: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        # A typo here would silently make every pass full, or page a method the wrong way.
        if self.cursor not in get_args(Cursor):
            raise ValueError(f"stream {self.name}: cursor {self.cursor!r} is not one of {get_args(Cursor)}")
        if self.style not in get_args(Style):
            raise ValueError(f"stream {self.name}: style {self.style!r} is not one of {get_args(Style)}")
        if (self.cursor == "modified") != (self.modified_field is not None):
            raise ValueError(f"stream {self.name}: modified_field goes with the cursor \"modified\", and only with it")
        if self.style == "single" and self.cursor != "none":
            raise ValueError(f"stream {self.name}: a single call reads the whole table: its cursor is \"none\"")

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
    references=(("status_id", "STATUS"), ("source_id", "SOURCE")),
    cursor="modified",
    modified_field="DATE_MODIFY",
    columns=_cols(
        "id:ID:int, title:TITLE:str, name:NAME:str, last_name:LAST_NAME:str,"
        "status_id:STATUS_ID:str, status_semantic_id:STATUS_SEMANTIC_ID:str, source_id:SOURCE_ID:str,"
        "company_id:COMPANY_ID:int, assigned_by_id:ASSIGNED_BY_ID:int, opportunity:OPPORTUNITY:float,"
        "currency_id:CURRENCY_ID:str, has_phone:HAS_PHONE:bool, has_email:HAS_EMAIL:bool,"
        "utm_source:UTM_SOURCE:str, utm_medium:UTM_MEDIUM:str, utm_campaign:UTM_CAMPAIGN:str,"
        "date_create:DATE_CREATE:datetime, date_modify:DATE_MODIFY:datetime,"
        "moved_time:MOVED_TIME:datetime, date_closed:DATE_CLOSED:datetime,"
        # What the person gave when the lead arrived: the grade's lead-time facts (grading/).
        "company_title:COMPANY_TITLE:str, post:POST:str, contact_id:CONTACT_ID:int,"
        "is_return_customer:IS_RETURN_CUSTOMER:bool, emails:EMAIL:values, phones:PHONE:values"
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
    cursor="modified",
    modified_field="DATE_MODIFY",
    columns=_cols(
        "id:ID:int, title:TITLE:str, company_type:COMPANY_TYPE:str, industry:INDUSTRY:str,"
        "employees:EMPLOYEES:str, revenue:REVENUE:float, currency_id:CURRENCY_ID:str,"
        "assigned_by_id:ASSIGNED_BY_ID:int, date_create:DATE_CREATE:datetime,"
        "date_modify:DATE_MODIFY:datetime, emails:EMAIL:values, phones:PHONE:values, web:WEB:values,"
        " is_my_company:IS_MY_COMPANY:bool"
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

DEALS = Stream(
    name="deals",
    method="crm.deal.list",
    table="deals",
    entity="deal",
    primary_key=("id",),
    references=(("stage_id", "DEAL_STAGE"), ("source_id", "SOURCE")),
    cursor="modified",
    modified_field="DATE_MODIFY",
    columns=_cols(
        "id:ID:int, title:TITLE:str, type_id:TYPE_ID:str, category_id:CATEGORY_ID:int,"
        "stage_id:STAGE_ID:str, stage_semantic_id:STAGE_SEMANTIC_ID:str, is_new:IS_NEW:bool,"
        "is_recurring:IS_RECURRING:bool, is_return_customer:IS_RETURN_CUSTOMER:bool,"
        "is_repeated_approach:IS_REPEATED_APPROACH:bool, probability:PROBABILITY:int,"
        "currency_id:CURRENCY_ID:str, opportunity:OPPORTUNITY:float, tax_value:TAX_VALUE:float,"
        "company_id:COMPANY_ID:int, contact_id:CONTACT_ID:int, lead_id:LEAD_ID:int,"
        "begindate:BEGINDATE:date, closedate:CLOSEDATE:date, closed:CLOSED:bool, source_id:SOURCE_ID:str,"
        "assigned_by_id:ASSIGNED_BY_ID:int, created_by_id:CREATED_BY_ID:int, moved_by_id:MOVED_BY_ID:int,"
        "utm_source:UTM_SOURCE:str, utm_medium:UTM_MEDIUM:str, utm_campaign:UTM_CAMPAIGN:str,"
        "date_create:DATE_CREATE:datetime, date_modify:DATE_MODIFY:datetime, moved_time:MOVED_TIME:datetime,"
        "last_activity_time:LAST_ACTIVITY_TIME:datetime"
    ),
    extra_select=("UF_*",),
)

CONTACTS = Stream(
    name="contacts",
    method="crm.contact.list",
    table="contacts",
    entity="contact",
    primary_key=("id",),
    cursor="modified",
    modified_field="DATE_MODIFY",
    columns=_cols(
        "id:ID:int, name:NAME:str, last_name:LAST_NAME:str, type_id:TYPE_ID:str, source_id:SOURCE_ID:str,"
        "company_id:COMPANY_ID:int, lead_id:LEAD_ID:int, assigned_by_id:ASSIGNED_BY_ID:int,"
        "has_phone:HAS_PHONE:bool, has_email:HAS_EMAIL:bool, utm_source:UTM_SOURCE:str,"
        "utm_medium:UTM_MEDIUM:str, utm_campaign:UTM_CAMPAIGN:str,"
        "date_create:DATE_CREATE:datetime, date_modify:DATE_MODIFY:datetime,"
        "emails:EMAIL:values, phones:PHONE:values"
    ),
    extra_select=("UF_*",),
)

USERS = Stream(
    name="users",
    method="user.get",
    table="users",
    entity="user",
    primary_key=("id",),
    style="user",
    columns=_cols(
        "id:ID:int, active:ACTIVE:bool, name:NAME:str, last_name:LAST_NAME:str, email:EMAIL:str,"
        "work_position:WORK_POSITION:str, user_type:USER_TYPE:str, date_register:DATE_REGISTER:datetime"
    ),
)

ACTIVITIES = Stream(
    name="activities",
    method="crm.activity.list",
    table="activities",
    entity="activity",
    primary_key=("id",),
    cursor="modified",
    modified_field="LAST_UPDATED",
    columns=_cols(
        "id:ID:int, owner_id:OWNER_ID:int, owner_type_id:OWNER_TYPE_ID:int, type_id:TYPE_ID:int,"
        "provider_id:PROVIDER_ID:str, provider_type_id:PROVIDER_TYPE_ID:str, direction:DIRECTION:int,"
        "subject:SUBJECT:str, completed:COMPLETED:bool, status:STATUS:int, priority:PRIORITY:int,"
        "responsible_id:RESPONSIBLE_ID:int, author_id:AUTHOR_ID:int, created:CREATED:datetime,"
        "last_updated:LAST_UPDATED:datetime, start_time:START_TIME:datetime, end_time:END_TIME:datetime,"
        "deadline:DEADLINE:datetime, is_incoming_channel:IS_INCOMING_CHANNEL:bool"
    ),
)

DEAL_CATEGORIES = Stream(
    name="deal_categories",
    method="crm.category.list",
    table="deal_categories",
    entity="deal_category",
    primary_key=("id",),
    style="single",
    params={"entityTypeId": 2},
    wrapper="categories",
    id_field="id",
    columns=_cols("id:id:int, name:name:str, sort:sort:int, is_default:isDefault:bool"),
)

# Custom field definitions: a field's type and, for an enumeration, its items (LIST: item ID and
# text, kept in the raw payload), so that the KPIs show "Дорого" where the portal stores 1801.
# A page of 50 per call, as any list: a portal an integrator set up has more lead fields than
# that, and a grading rule on the 51st must not read as one on a missing field. Field IDs are one
# sequence across entities: both land in one table.
LEAD_FIELDS = Stream(
    name="lead_fields",
    method="crm.lead.userfield.list",
    table="userfields",
    entity="userfield",
    primary_key=("id",),
    style="single",
    columns=_cols(
        "id:ID:int, entity_id:ENTITY_ID:str, field_name:FIELD_NAME:str, user_type_id:USER_TYPE_ID:str,"
        "multiple:MULTIPLE:bool"
    ),
)
DEAL_FIELDS = Stream(
    name="deal_fields",
    method="crm.deal.userfield.list",
    table="userfields",
    entity="userfield",
    primary_key=("id",),
    style="single",
    columns=LEAD_FIELDS.columns,
)

LEAD_HISTORY = Stream(
    name="lead_history",
    method="crm.stagehistory.list",
    table="lead_history",
    entity="lead_history",
    primary_key=("id",),
    params={"entityTypeId": 1},
    wrapper="items",
    cursor="id",
    columns=_cols(
        "id:ID:int, type_id:TYPE_ID:int, owner_id:OWNER_ID:int, created_time:CREATED_TIME:datetime,"
        "status_id:STATUS_ID:str, status_semantic_id:STATUS_SEMANTIC_ID:str"
    ),
)

DEAL_HISTORY = Stream(
    name="deal_history",
    method="crm.stagehistory.list",
    table="deal_history",
    entity="deal_history",
    primary_key=("id",),
    params={"entityTypeId": 2},
    wrapper="items",
    cursor="id",
    columns=_cols(
        "id:ID:int, type_id:TYPE_ID:int, owner_id:OWNER_ID:int, created_time:CREATED_TIME:datetime,"
        "category_id:CATEGORY_ID:int, stage_id:STAGE_ID:str, stage_semantic_id:STAGE_SEMANTIC_ID:str"
    ),
)

# Call records appear when a call ends, with its earlier start date: read them by ID.
CALLS = Stream(
    name="calls",
    method="voximplant.statistic.get",
    table="calls",
    entity="call",
    primary_key=("id",),
    style="voximplant",
    cursor="id",
    columns=_cols(
        "id:ID:int, call_id:CALL_ID:str, call_type:CALL_TYPE:int, portal_user_id:PORTAL_USER_ID:int,"
        "portal_number:PORTAL_NUMBER:str, phone_number:PHONE_NUMBER:str, call_duration:CALL_DURATION:int,"
        "call_start_date:CALL_START_DATE:datetime, call_failed_code:CALL_FAILED_CODE:str,"
        "call_failed_reason:CALL_FAILED_REASON:str, crm_entity_type:CRM_ENTITY_TYPE:str,"
        "crm_entity_id:CRM_ENTITY_ID:int, crm_activity_id:CRM_ACTIVITY_ID:int, cost:COST:float,"
        "cost_currency:COST_CURRENCY:str, call_vote:CALL_VOTE:int"
    ),
)

STREAMS: dict[str, Stream] = {
    s.name: s
    for s in (STATUSES, DEAL_CATEGORIES, LEAD_FIELDS, DEAL_FIELDS, USERS, COMPANIES, CONTACTS, LEADS, DEALS,
              ACTIVITIES, LEAD_HISTORY, DEAL_HISTORY, CALLS)
}
