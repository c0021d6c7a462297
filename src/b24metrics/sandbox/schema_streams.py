"""Field lists of deals, contacts, activities, stage history, users and call
statistics, in Bitrix24's output order (kinds as in :mod:`.schema`).

``(name, kind, writable)``: *writable* matters only for deals
(``crm.deal.update``).  Kind ``object`` fields are returned but never
filtered or sorted on.
"""

from __future__ import annotations

from .schema import kinds_of, names_of, writable_of

_UTM: list[tuple[str, str, bool]] = [
    ("UTM_SOURCE", "string", True),
    ("UTM_MEDIUM", "string", True),
    ("UTM_CAMPAIGN", "string", True),
    ("UTM_CONTENT", "string", True),
    ("UTM_TERM", "string", True),
]

# crm.deal.get's order (D:api-reference/crm/deals/crm-deal-get).  BEGINDATE/CLOSEDATE
# are dates that Bitrix writes as UTC midnight in the portal offset.
DEAL_FIELDS: list[tuple[str, str, bool]] = [
    ("ID", "int", False),
    ("TITLE", "string", True),
    ("TYPE_ID", "string", True),
    ("STAGE_ID", "string", True),
    ("PROBABILITY", "int", True),
    ("CURRENCY_ID", "string", True),
    ("OPPORTUNITY", "float", True),
    ("IS_MANUAL_OPPORTUNITY", "char", True),
    ("TAX_VALUE", "float", True),
    ("LEAD_ID", "int", False),
    ("COMPANY_ID", "int", True),
    ("CONTACT_ID", "int", True),
    ("QUOTE_ID", "int", False),
    ("BEGINDATE", "date", True),
    ("CLOSEDATE", "date", True),
    ("ASSIGNED_BY_ID", "int", True),
    ("CREATED_BY_ID", "int", False),
    ("MODIFY_BY_ID", "int", False),
    ("DATE_CREATE", "datetime", False),
    ("DATE_MODIFY", "datetime", False),
    ("OPENED", "char", True),
    ("CLOSED", "char", False),
    ("COMMENTS", "string", True),
    ("ADDITIONAL_INFO", "string", True),
    ("LOCATION_ID", "string", False),
    ("CATEGORY_ID", "int", False),
    ("STAGE_SEMANTIC_ID", "string", False),
    ("IS_NEW", "char", False),
    ("IS_RECURRING", "char", False),
    ("IS_RETURN_CUSTOMER", "char", False),
    ("IS_REPEATED_APPROACH", "char", False),
    ("SOURCE_ID", "string", True),
    ("SOURCE_DESCRIPTION", "string", True),
    ("ORIGINATOR_ID", "string", True),
    ("ORIGIN_ID", "string", True),
    ("MOVED_BY_ID", "int", False),
    ("MOVED_TIME", "datetime", False),
    ("LAST_ACTIVITY_TIME", "datetime", False),
] + _UTM + [
    ("LAST_ACTIVITY_BY", "int", False),
]

# crm.contact.get's order (D:api-reference/crm/contacts/crm-contact-get); PHONE and
# EMAIL are multifields: only when selected by name (not by "*").
CONTACT_FIELDS: list[tuple[str, str, bool]] = [
    ("ID", "int", False),
    ("POST", "string", False),
    ("COMMENTS", "string", False),
    ("HONORIFIC", "string", False),
    ("NAME", "string", False),
    ("SECOND_NAME", "string", False),
    ("LAST_NAME", "string", False),
    ("PHOTO", "string", False),
    ("LEAD_ID", "int", False),
    ("TYPE_ID", "string", False),
    ("SOURCE_ID", "string", False),
    ("SOURCE_DESCRIPTION", "string", False),
    ("COMPANY_ID", "int", False),
    ("BIRTHDATE", "date", False),
    ("EXPORT", "char", False),
    ("HAS_PHONE", "char", False),
    ("HAS_EMAIL", "char", False),
    ("HAS_IMOL", "char", False),
    ("DATE_CREATE", "datetime", False),
    ("DATE_MODIFY", "datetime", False),
    ("ASSIGNED_BY_ID", "int", False),
    ("CREATED_BY_ID", "int", False),
    ("MODIFY_BY_ID", "int", False),
    ("OPENED", "char", False),
    ("ORIGINATOR_ID", "string", False),
    ("ORIGIN_ID", "string", False),
    ("ORIGIN_VERSION", "string", False),
    ("FACE_ID", "int", False),
    ("LAST_ACTIVITY_TIME", "datetime", False),
    ("ADDRESS", "string", False),
    ("ADDRESS_2", "string", False),
    ("ADDRESS_CITY", "string", False),
    ("ADDRESS_POSTAL_CODE", "string", False),
    ("ADDRESS_REGION", "string", False),
    ("ADDRESS_PROVINCE", "string", False),
    ("ADDRESS_COUNTRY", "string", False),
    ("ADDRESS_LOC_ADDR_ID", "int", False),
] + _UTM + [
    ("LAST_ACTIVITY_BY", "int", False),
]
CONTACT_MULTIFIELDS = ("PHONE", "EMAIL")

# crm.activity.list's order (D:api-reference/crm/timeline/activities/activity-base/crm-activity-list)
ACTIVITY_FIELDS: list[tuple[str, str, bool]] = [
    ("ID", "int", False),
    ("OWNER_ID", "int", False),
    ("OWNER_TYPE_ID", "int", False),
    ("TYPE_ID", "int", False),
    ("PROVIDER_ID", "string", False),
    ("PROVIDER_TYPE_ID", "string", False),
    ("PROVIDER_GROUP_ID", "string", False),
    ("ASSOCIATED_ENTITY_ID", "int", False),
    ("SUBJECT", "string", False),
    ("CREATED", "datetime", False),
    ("LAST_UPDATED", "datetime", False),
    ("START_TIME", "datetime", False),
    ("END_TIME", "datetime", False),
    ("DEADLINE", "datetime", False),
    ("COMPLETED", "char", False),
    ("STATUS", "int", False),
    ("RESPONSIBLE_ID", "int", False),
    ("PRIORITY", "int", False),
    ("NOTIFY_TYPE", "int", False),
    ("NOTIFY_VALUE", "int", False),
    ("DESCRIPTION", "string", False),
    ("DESCRIPTION_TYPE", "int", False),
    ("DIRECTION", "int", False),
    ("LOCATION", "string", False),
    ("SETTINGS", "object", False),
    ("ORIGINATOR_ID", "string", False),
    ("ORIGIN_ID", "string", False),
    ("AUTHOR_ID", "int", False),
    ("EDITOR_ID", "int", False),
    ("PROVIDER_PARAMS", "object", False),
    ("PROVIDER_DATA", "string", False),
    ("RESULT_MARK", "int", False),
    ("RESULT_VALUE", "float", False),
    ("RESULT_SUM", "float", False),
    ("RESULT_CURRENCY_ID", "string", False),
    ("RESULT_STATUS", "int", False),
    ("RESULT_STREAM", "int", False),
    ("RESULT_SOURCE_ID", "string", False),
    ("AUTOCOMPLETE_RULE", "int", False),
    ("IS_INCOMING_CHANNEL", "char", False),
]

# crm.stagehistory.list items (D:api-reference/crm/crm-stage-history-list): IDs are JSON numbers.
STAGE_HISTORY_COMMON: list[tuple[str, str, bool]] = [
    ("ID", "int", False),
    ("TYPE_ID", "int", False),
    ("OWNER_ID", "int", False),
    ("CREATED_TIME", "datetime", False),
]
LEAD_HISTORY_FIELDS = STAGE_HISTORY_COMMON + [
    ("STATUS_SEMANTIC_ID", "string", False),
    ("STATUS_ID", "string", False),
]
DEAL_HISTORY_FIELDS = STAGE_HISTORY_COMMON + [
    ("CATEGORY_ID", "int", False),
    ("STAGE_SEMANTIC_ID", "string", False),
    ("STAGE_ID", "string", False),
]

# user.get (D:api-reference/user/user-get): ACTIVE is a JSON boolean, UF_DEPARTMENT a list of ints,
# TIMESTAMP_X / LAST_ACTIVITY_DATE come back as empty objects, as in the docs' example.
USER_FIELDS: list[tuple[str, str, bool]] = [
    ("ID", "int", False),
    ("XML_ID", "string", False),
    ("ACTIVE", "bool", False),
    ("NAME", "string", False),
    ("LAST_NAME", "string", False),
    ("SECOND_NAME", "string", False),
    ("EMAIL", "string", False),
    ("LAST_LOGIN", "datetime", False),
    ("DATE_REGISTER", "datetime", False),
    ("TIME_ZONE", "string", False),
    ("IS_ONLINE", "char", False),
    ("TIME_ZONE_OFFSET", "int", False),
    ("TIMESTAMP_X", "object", False),
    ("LAST_ACTIVITY_DATE", "object", False),
    ("PERSONAL_GENDER", "string", False),
    ("PERSONAL_BIRTHDAY", "string", False),
    ("PERSONAL_MOBILE", "string", False),
    ("PERSONAL_CITY", "string", False),
    ("WORK_PHONE", "string", False),
    ("WORK_POSITION", "string", False),
    ("UF_EMPLOYMENT_DATE", "string", False),
    ("UF_DEPARTMENT", "int", False),
    ("UF_PHONE_INNER", "string", False),
    ("USER_TYPE", "string", False),
]

# voximplant.statistic.get (D:api-reference/telephony/voximplant/voximplant-statistic-get):
# every value a string or null.
CALL_FIELDS: list[tuple[str, str, bool]] = [
    ("ID", "int", False),
    ("PORTAL_USER_ID", "int", False),
    ("PORTAL_NUMBER", "string", False),
    ("PHONE_NUMBER", "string", False),
    ("CALL_ID", "string", False),
    ("EXTERNAL_CALL_ID", "string", False),
    ("CALL_CATEGORY", "string", False),
    ("CALL_LOG", "string", False),
    ("CALL_DURATION", "int", False),
    ("CALL_START_DATE", "datetime", False),
    ("CALL_RECORD_URL", "string", False),
    ("CALL_VOTE", "int", False),
    ("COST", "float", False),
    ("COST_CURRENCY", "string", False),
    ("CALL_FAILED_CODE", "string", False),
    ("CALL_FAILED_REASON", "string", False),
    ("CRM_ENTITY_TYPE", "string", False),
    ("CRM_ENTITY_ID", "int", False),
    ("CRM_ACTIVITY_ID", "int", False),
    ("REST_APP_ID", "int", False),
    ("REST_APP_NAME", "string", False),
    ("TRANSCRIPT_ID", "int", False),
    ("TRANSCRIPT_PENDING", "string", False),
    ("SESSION_ID", "int", False),
    ("REDIAL_ATTEMPT", "int", False),
    ("COMMENT", "string", False),
    ("RECORD_DURATION", "int", False),
    ("RECORD_FILE_ID", "int", False),
    ("CALL_TYPE", "int", False),
]

DEAL_KINDS = kinds_of(DEAL_FIELDS)
DEAL_NAMES = names_of(DEAL_FIELDS)
DEAL_WRITABLE = writable_of(DEAL_FIELDS)
CONTACT_KINDS = {**kinds_of(CONTACT_FIELDS), "PHONE": "object", "EMAIL": "object"}
CONTACT_NAMES = names_of(CONTACT_FIELDS)
ACTIVITY_KINDS = kinds_of(ACTIVITY_FIELDS)
ACTIVITY_NAMES = names_of(ACTIVITY_FIELDS)
LEAD_HISTORY_KINDS = kinds_of(LEAD_HISTORY_FIELDS)
LEAD_HISTORY_NAMES = names_of(LEAD_HISTORY_FIELDS)
DEAL_HISTORY_KINDS = kinds_of(DEAL_HISTORY_FIELDS)
DEAL_HISTORY_NAMES = names_of(DEAL_HISTORY_FIELDS)
USER_KINDS = kinds_of(USER_FIELDS)
USER_NAMES = names_of(USER_FIELDS)
CALL_KINDS = kinds_of(CALL_FIELDS)
CALL_NAMES = names_of(CALL_FIELDS)
