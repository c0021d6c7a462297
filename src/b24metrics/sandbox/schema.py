"""Field lists of the sandbox's CRM entities, in Bitrix24's output order.

Every field has a *kind* that decides how filters compare it and how
``crm.*.update`` coerces a written value:

``int``       integer stored as a numeric string (IDs, links to users/companies)
``float``     money/double stored as a string with 2 decimals (``"15000.00"``)
``datetime``  ISO 8601 with the portal offset
``date``      ``YYYY-MM-DD``
``char``      a ``"Y"``/``"N"`` flag
``string``    anything else (status codes, texts)
``bool``      a JSON boolean (boolean user fields)
"""

from __future__ import annotations

# (name, kind, writable through crm.lead.update)
# Address, UTM and last-activity fields: the same on leads and companies.
_ADDRESS_UTM_ACTIVITY: list[tuple[str, str, bool]] = [
    ("ADDRESS", "string", True),
    ("ADDRESS_2", "string", True),
    ("ADDRESS_CITY", "string", True),
    ("ADDRESS_POSTAL_CODE", "string", True),
    ("ADDRESS_REGION", "string", True),
    ("ADDRESS_PROVINCE", "string", True),
    ("ADDRESS_COUNTRY", "string", True),
    ("ADDRESS_COUNTRY_CODE", "string", True),
    ("ADDRESS_LOC_ADDR_ID", "int", False),
    ("UTM_SOURCE", "string", True),
    ("UTM_MEDIUM", "string", True),
    ("UTM_CAMPAIGN", "string", True),
    ("UTM_CONTENT", "string", True),
    ("UTM_TERM", "string", True),
    ("LAST_ACTIVITY_BY", "int", False),
    ("LAST_ACTIVITY_TIME", "datetime", False),
]


LEAD_FIELDS: list[tuple[str, str, bool]] = [
    ("ID", "int", False),
    ("TITLE", "string", True),
    ("HONORIFIC", "string", True),
    ("NAME", "string", True),
    ("SECOND_NAME", "string", True),
    ("LAST_NAME", "string", True),
    ("COMPANY_TITLE", "string", True),
    ("COMPANY_ID", "int", True),
    ("CONTACT_ID", "int", True),
    ("IS_RETURN_CUSTOMER", "char", False),
    ("BIRTHDATE", "datetime", True),
    ("SOURCE_ID", "string", True),
    ("SOURCE_DESCRIPTION", "string", True),
    ("STATUS_ID", "string", True),
    ("STATUS_DESCRIPTION", "string", True),
    ("POST", "string", True),
    ("COMMENTS", "string", True),
    ("CURRENCY_ID", "string", True),
    ("OPPORTUNITY", "float", True),
    ("IS_MANUAL_OPPORTUNITY", "char", True),
    ("HAS_PHONE", "char", False),
    ("HAS_EMAIL", "char", False),
    ("HAS_IMOL", "char", False),
    ("ASSIGNED_BY_ID", "int", True),
    ("CREATED_BY_ID", "int", False),
    ("MODIFY_BY_ID", "int", False),
    ("DATE_CREATE", "datetime", False),
    ("DATE_MODIFY", "datetime", False),
    ("DATE_CLOSED", "datetime", False),
    ("STATUS_SEMANTIC_ID", "string", False),
    ("OPENED", "char", True),
    ("ORIGINATOR_ID", "string", True),
    ("ORIGIN_ID", "string", True),
    ("MOVED_BY_ID", "int", False),
    ("MOVED_TIME", "datetime", False),
] + _ADDRESS_UTM_ACTIVITY

COMPANY_FIELDS: list[tuple[str, str, bool]] = [
    ("ID", "int", False),
    ("COMPANY_TYPE", "string", True),
    ("TITLE", "string", True),
    ("LOGO", "string", False),
    ("LEAD_ID", "int", False),
    ("HAS_PHONE", "char", False),
    ("HAS_EMAIL", "char", False),
    ("HAS_IMOL", "char", False),
    ("ASSIGNED_BY_ID", "int", True),
    ("CREATED_BY_ID", "int", False),
    ("MODIFY_BY_ID", "int", False),
    ("BANKING_DETAILS", "string", True),
    ("INDUSTRY", "string", True),
    ("REVENUE", "float", True),
    ("CURRENCY_ID", "string", True),
    ("EMPLOYEES", "string", True),
    ("COMMENTS", "string", True),
    ("DATE_CREATE", "datetime", False),
    ("DATE_MODIFY", "datetime", False),
    ("OPENED", "char", True),
    ("IS_MY_COMPANY", "char", True),
    ("ORIGINATOR_ID", "string", True),
    ("ORIGIN_ID", "string", True),
    ("ORIGIN_VERSION", "string", True),
] + _ADDRESS_UTM_ACTIVITY

STATUS_FIELDS: list[tuple[str, str, bool]] = [
    ("ID", "int", False),
    ("ENTITY_ID", "string", False),
    ("STATUS_ID", "string", False),
    ("NAME", "string", False),
    ("NAME_INIT", "string", False),
    ("SORT", "int", False),
    ("SYSTEM", "char", False),
    ("CATEGORY_ID", "int", False),
    ("COLOR", "string", False),
    ("SEMANTICS", "string", False),
    ("EXTRA", "object", False),
]

USERFIELD_FIELDS: list[tuple[str, str, bool]] = [
    ("ID", "int", False),
    ("ENTITY_ID", "string", False),
    ("FIELD_NAME", "string", False),
    ("USER_TYPE_ID", "string", False),
    ("XML_ID", "string", False),
    ("SORT", "int", False),
    ("MULTIPLE", "char", False),
    ("MANDATORY", "char", False),
    ("SHOW_FILTER", "char", False),
    ("SHOW_IN_LIST", "char", False),
    ("EDIT_IN_LIST", "char", False),
    ("IS_SEARCHABLE", "char", False),
]

#: USER_TYPE_ID values crm.lead.userfield.add accepts.
USER_TYPES = (
    "string",
    "integer",
    "double",
    "boolean",
    "datetime",
    "date",
    "money",
    "url",
    "enumeration",
    "employee",
    "crm_status",
    "crm",
)

#: How a user field of each USER_TYPE_ID is filtered and coerced.
USER_TYPE_KIND = {
    "string": "string",
    "integer": "int",
    "double": "float",
    "boolean": "bool",
    "datetime": "datetime",
    "date": "date",
    "money": "string",
    "url": "string",
    "enumeration": "int",
    "employee": "int",
    "crm_status": "string",
    "crm": "string",
}


def kinds_of(fields: list[tuple[str, str, bool]]) -> dict[str, str]:
    return {name: kind for name, kind, _ in fields}


def names_of(fields: list[tuple[str, str, bool]]) -> list[str]:
    return [name for name, _, _ in fields]


def writable_of(fields: list[tuple[str, str, bool]]) -> set[str]:
    return {name for name, _, writable in fields if writable}


LEAD_KINDS = kinds_of(LEAD_FIELDS)
LEAD_NAMES = names_of(LEAD_FIELDS)
LEAD_WRITABLE = writable_of(LEAD_FIELDS)
COMPANY_KINDS = kinds_of(COMPANY_FIELDS)
COMPANY_NAMES = names_of(COMPANY_FIELDS)
COMPANY_WRITABLE = writable_of(COMPANY_FIELDS)
STATUS_KINDS = kinds_of(STATUS_FIELDS)
STATUS_NAMES = names_of(STATUS_FIELDS)
USERFIELD_KINDS = kinds_of(USERFIELD_FIELDS)
