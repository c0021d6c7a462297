"""Settings: one frozen model read from a TOML file, then `B24M_`-prefixed environment variables.

`B24M_PORTAL__WEBHOOK_URL=...` overrides `[portal] webhook_url`. The webhook URL is a secret:
it is a SecretStr, and validation errors never echo input values.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from b24metrics.errors import ConfigError

DEFAULT_CONFIG_FILE = Path("b24metrics.toml")
CONFIG_ENV = "B24M_CONFIG"
#: [kpis] keys naming input files: a relative path written in the config file means beside it
INPUT_FILE_KEYS = ("spend_file", "plan_file")

_WEBHOOK = re.compile(r"^https?://[^/\s]+(?::\d+)?/rest/\d+/[A-Za-z0-9_\-]+/?$")
# Normalized lead features that grading rules may test (grading/sql/lead_features.sql makes them),
# plus any custom field of the lead by its UF_CRM_ name. Each with the kind of value it holds:
# "bool", "number", "text", or the closed set of texts it takes.
FEATURE_KINDS: dict[str, str | tuple[str, ...]] = {
    "has_company": "bool",
    "company_match": ("linked", "title", "domain", "phone"),
    "company_title": "text",
    "legal_form": ("organisation", "sole_trader"),
    "client_type": ("organisation", "sole_trader", "private_person"),
    "company_employees_min": "number",
    "company_revenue": "number",
    "company_size_known": "bool",
    "company_industry": "text",
    "returning_client": "bool",
    "post": "text",
    "email_domain": "text",
    "free_email": "bool",
    "has_phone": "bool",
    "has_email": "bool",
    "utm_source": "text",
    "utm_medium": "text",
    "utm_campaign": "text",
    "source_id": "text",
    "status_semantic": ("P", "S", "F"),
    "opportunity": "number",
}
FEATURES = tuple(FEATURE_KINDS)
_UF_NAME = re.compile(r"^UF_CRM_[A-Z0-9_]{1,43}$")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


MEMORY_SIZE = r"^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$"  # as DuckDB's memory_limit takes it


class PortalSettings(_Section):
    # Optional here: only the commands that call the portal require it (load_settings(calls_portal=True)).
    webhook_url: SecretStr | None = Field(
        None, description="inbound webhook URL: https://<portal>/rest/<user>/<secret>/"
    )
    rate: float = Field(2.0, gt=0, description="requests per second the portal drains (2; Enterprise 5)")
    burst: int = Field(50, ge=1, description="requests the portal's bucket holds (50; Enterprise 250)")
    timeout: float = Field(30.0, gt=0, description="seconds to wait for one HTTP answer")
    max_retries: int = Field(6, ge=0, description="retries of one request on 503/5xx/timeouts")
    operating_limit: float = Field(
        480.0, gt=0, description="seconds of execution time a method may spend in 10 minutes (429 past it)"
    )
    give_up_after_seconds: float = Field(
        120.0, gt=0, description="seconds requests may keep failing (refused, timed out, 5xx) with no answer "
        "between before the run gives up with exit code 4",
    )

    @field_validator("webhook_url")
    @classmethod
    def _looks_like_webhook(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _WEBHOOK.match(value.get_secret_value()):
            # The value itself is never repeated: it holds the secret.
            raise ValueError("must look like https://<portal>/rest/<user id>/<secret>/")
        return value


class WarehouseSettings(_Section):
    path: Path = Field(Path("b24metrics.duckdb"), description="the DuckDB file")
    memory_limit: str = Field(
        "256MB", pattern=MEMORY_SIZE,
        description="memory DuckDB may hold for caches and indexes (the sync, the write-back's diff, the readers); "
        "it spills to disk beyond it. 256MB holds a million leads (measured: the README's Memory section)",
    )
    busy_timeout: float = Field(
        30.0, ge=0, description="seconds a command waits for the DuckDB file while another process holds it "
        "(a daemon cycle holds it during its sync and KPI refresh)",
    )
    writer_wait: float = Field(
        0.0, ge=0, description="seconds a writing command waits for another writer (a sync, a daemon cycle) "
        "to finish before it gives up with exit code 5 (0: at once); a daemon cycle that meets one is skipped",
    )


class Condition(_Section):
    field: str
    op: Literal["=", "!=", ">", ">=", "<", "<=", "in", "is_null", "not_null"] = "="
    value: Any = None

    @field_validator("field")
    @classmethod
    def _known_field(cls, name: str) -> str:
        if name not in FEATURES and not _UF_NAME.match(name):
            raise ValueError(f"unknown field; use one of {', '.join(FEATURES)} or a UF_CRM_ name")
        return name

    def value_problem(self) -> str | None:
        """Why this condition's value does not suit its field and operator, or None."""
        if self.op in ("is_null", "not_null"):
            return None if self.value is None else f"{self.op} takes no value (remove value = {self.value!r})"
        values = self.value if isinstance(self.value, list) else [self.value]
        if self.op != "in" and isinstance(self.value, list):
            return f"a list of values needs op = \"in\", not {self.op!r}"
        if not values or any(v is None for v in values):
            return f"{self.op!r} needs a value"
        if any(isinstance(v, (dict, list)) for v in values):
            return "a value must be a number, a text or true/false"
        kind = FEATURE_KINDS.get(self.field)
        ordering = self.op in (">", ">=", "<", "<=")
        if kind == "number" or (kind is None and ordering):
            bad = [v for v in values if isinstance(v, bool) or not isinstance(v, (int, float))]
            if bad and (kind == "number" or not all(isinstance(v, str) for v in values)):
                return f"{self.field} {self.op} needs a number, not {bad[0]!r}"
        elif kind == "bool":
            if ordering:
                return f"{self.field} is true or false: use = or !=, not {self.op!r}"
            if any(not isinstance(v, bool) for v in values):
                return f"{self.field} needs true or false, not {next(v for v in values if not isinstance(v, bool))!r}"
        elif kind is not None:   # text, or a closed set of texts
            if any(not isinstance(v, str) for v in values):
                return f"{self.field} needs a text, not {next(v for v in values if not isinstance(v, str))!r}"
            if isinstance(kind, tuple):
                unknown = [v for v in values if v not in kind]
                if unknown:
                    return f"{self.field} is one of {', '.join(kind)}, not {unknown[0]!r}"
        return None


class GradeRule(_Section):
    label: str = Field(min_length=1)
    points: int
    when: list[Condition] = Field(default_factory=list, description="all must hold; empty = always")

    @model_validator(mode="after")
    def _values_fit_their_fields(self) -> "GradeRule":
        # A wrong value would otherwise surface as a conversion error deep in the refresh's SQL.
        for cond in self.when:
            problem = cond.value_problem()
            if problem:
                raise ValueError(f"rule {self.label!r}: {problem}")
        return self


def _rule(label: str, points: int, *conds: tuple[str, str, Any]) -> GradeRule:
    return GradeRule(
        label=label,
        points=points,
        when=[Condition(field=f, op=o, value=v) for f, o, v in conds],
    )


# B2B segments (seed 000): A = large business (1,000+ staff or revenue above 100 mln RUB),
# B = medium business, C = small regional business, D = a private person or sole trader.
# Size comes from a company the CRM knew before the lead (linked, or matched by title, domain or
# phone); an organisation it does not know yet is "size unknown": C-level points, never D.
# Employee thresholds are mapped onto the portal's own EMPLOYEES bands (grading/bands.py).
_ORG = ("client_type", "=", "organisation")
DEFAULT_RULES = [
    _rule("private person: no company named", 0, ("client_type", "=", "private_person")),
    _rule("sole trader (ИП)", 0, ("client_type", "=", "sole_trader")),
    _rule("organisation, size unknown", 20, _ORG, ("company_size_known", "=", False)),
    _rule("large business: 1000+ employees", 60, _ORG, ("company_employees_min", ">=", 1000)),
    _rule("large business: revenue above 100 mln", 60, _ORG, ("company_revenue", ">=", 100_000_000)),
    _rule("medium business: 250-999 employees", 40, _ORG, ("company_employees_min", ">=", 250),
          ("company_employees_min", "<", 1000)),
    _rule("small business: under 250 employees", 20, _ORG, ("company_employees_min", "<", 250)),
    _rule("revenue 10-100 mln", 15, _ORG, ("company_revenue", ">=", 10_000_000), ("company_revenue", "<", 100_000_000)),
    _rule("returning client", 15, ("returning_client", "=", True)),
    _rule("corporate e-mail", 5, ("free_email", "=", False)),
    _rule("phone given", 5, ("has_phone", "=", True)),
    _rule("e-mail given", 5, ("has_email", "=", True)),
]


class EngagementSettings(_Section):
    """What a lead did, in points, decaying with the time since its last touch (grading/engagement.py)."""

    half_life_days: float = Field(
        14, gt=0, description="days after which a lead's engagement is worth half: it halves again every as many days "
        "since its last touch (a closed lead's counts to its closing)",
    )
    answered_call: int = Field(20, ge=0, description="points per answered inbound call (incoming or callback)")
    repeat_call: int = Field(10, ge=0, description="points per inbound call after the lead's first, answered or not")
    email: int = Field(10, ge=0, description="points per inbound e-mail")
    meeting: int = Field(25, ge=0, description="points per completed meeting")
    repeat_request: int = Field(
        15, ge=0, description="points per request through an incoming channel (form, chat, call) after the first",
    )


class GradingSettings(_Section):
    rules: list[GradeRule] = Field(default_factory=lambda: list(DEFAULT_RULES))
    thresholds: dict[Literal["A", "B", "C"], int] = Field(
        default_factory=lambda: {"A": 60, "B": 40, "C": 20},  # type: ignore[arg-type]
        description="lowest score of each grade; below C is D",
    )
    employee_bands: dict[str, int] = Field(
        default_factory=dict,
        description="EMPLOYEES band code -> lowest head count; unset bands are read from their names",
    )
    engagement: EngagementSettings = Field(default_factory=EngagementSettings)


def _uf_or_off(name: str) -> str:
    if name and not _UF_NAME.match(name):
        raise ValueError('must be UF_CRM_ followed by at most 43 of A-Z, 0-9, _ (or "" to write nothing there)')
    return name


class LeadFields(_Section):
    grade: str = Field("UF_CRM_B24M_GRADE", description="fit grade A-D")
    score: str = Field("UF_CRM_B24M_SCORE", description="score 0-100")
    factors: str = Field("UF_CRM_B24M_FACTORS", description="the rules that gave the score, as text")
    engagement: str = Field("UF_CRM_B24M_ENGAGEMENT", description="engagement 0-100: what the lead did, decayed")

    _check = field_validator("grade", "score", "factors", "engagement")(_uf_or_off)


class DealFields(_Section):
    origin_grade: str = Field("UF_CRM_B24M_ORIGIN_GRADE", description="grade of the lead the deal came from")
    cycle_days: str = Field(
        "UF_CRM_B24M_CYCLE_DAYS", description="won or lost: days from creation to closing; open: age in whole days"
    )
    channel_win_rate: str = Field(
        "UF_CRM_B24M_CHANNEL_WIN_RATE", description="won / (won + lost) in percent, of the deals of the deal's channel"
    )

    _check = field_validator("origin_grade", "cycle_days", "channel_win_rate")(_uf_or_off)


class CompanyFields(_Section):
    ltv: str = Field("UF_CRM_B24M_LTV", description="revenue of all the company's won deals (a money field)")
    purchases: str = Field("UF_CRM_B24M_PURCHASES", description="number of the company's won deals")

    _check = field_validator("ltv", "purchases")(_uf_or_off)


# The measures of H1 (kpis/families/hygiene.py) a quality gate may bound; a test keeps them equal.
HYGIENE_MEASURES = (
    "leads_no_source", "no_source_share", "deals_no_amount", "no_amount_share",
    "items_no_activity", "no_activity_share", "overdue_activities", "overdue_share",
)


class QualityGate(_Section):
    max_sync_age_minutes: float = Field(
        180, ge=0, description="no write-back when the last good sync is older than this (0: any age)"
    )
    hygiene_days: int = Field(30, ge=1, description="the hygiene checks count leads, deals and activities of these days")
    hygiene_max: dict[Literal[HYGIENE_MEASURES], float] = Field(  # type: ignore[valid-type]
        default_factory=dict, description="H1 measure -> the highest value at which write-back still runs"
    )


class WritebackSettings(_Section):
    enabled: bool = True
    lead_fields: LeadFields = Field(default_factory=LeadFields)
    deal_fields: DealFields = Field(default_factory=DealFields)
    company_fields: CompanyFields = Field(default_factory=CompanyFields)
    batch_size: int = Field(50, ge=1, le=50, description="updates per batch request (Bitrix24 allows 50)")
    workers: int = Field(4, ge=1, le=50, description="batch requests in flight at once")
    max_tries: int = Field(
        5, ge=1, description="a value the portal rejects this many times in a row is marked permanent, not retried"
    )
    ledger_days: int = Field(
        90, ge=0, description="writeback_ledger keeps rows this many days, and those still read (0: forever)"
    )
    quality_gate: QualityGate = Field(default_factory=QualityGate)

    def mappings(self) -> dict[str, dict[str, str]]:
        """entity -> (value -> the custom field it goes into); a value set to "" is left out."""
        by_entity = {"lead": self.lead_fields, "deal": self.deal_fields, "company": self.company_fields}
        return {entity: {k: v for k, v in m.model_dump().items() if v} for entity, m in by_entity.items()}

    def own_fields(self) -> dict[str, tuple[str, ...]]:
        """entity -> the custom fields the write-back fills on it."""
        return {entity: tuple(mapping.values()) for entity, mapping in self.mappings().items()}

    @model_validator(mode="after")
    def _one_value_per_field(self) -> "WritebackSettings":
        for mapping in self.mappings().values():
            names = list(mapping.values())
            if len(names) != len(set(names)):
                raise ValueError(f"two values would share one field: {', '.join(sorted(names))}")
        return self


class SyncSettings(_Section):
    overlap_seconds: int = Field(
        300, ge=0, description="incremental passes re-read this much before the watermark (clock skew, slow commits)"
    )
    workers: int = Field(
        4, ge=1, le=50, description="requests in flight at once (ID ranges and streams read side by side)"
    )


class FunnelSettings(_Section):
    reading: Literal["history", "cumulative"] = Field(
        "history", description='F1: "history" counts a stage as reached when the stage history shows the '
        'item in it (a jump past a stage skips it); "cumulative" counts every stage up to the furthest one reached',
    )
    min_items: int = Field(
        20, ge=1, description="F1: a stage needs this many items that have left it (went on, or were lost "
        "from it) before it can be named the bottleneck; below it the stage says too few to tell",
    )


class LeadStageSettings(_Section):
    accepted: list[str] = Field(
        default_factory=list, description="M3: lead statuses (ID or name) that mean accepted into work (SAL); "
        "empty: any status but the first and the failures",
    )
    qualified: list[str] = Field(
        default_factory=list, description="M3: lead statuses (ID or name) that mean qualified (SQL); "
        "empty: converted to a deal or contact",
    )


class KpiSettings(_Section):
    timezone: str = Field(
        "portal", description='periods begin at midnight here: "portal" (the offset the portal writes its '
        'dates in), a fixed offset like "+03:00", or an IANA zone such as "Europe/Berlin" for a zone with DST',
    )
    speed_sla_minutes: int = Field(15, ge=1, description="speed to lead: a first contact later than this breaches the SLA")
    win_rate_days: int = Field(
        365, ge=0, description="a deal card's channel win rate counts the deals closed in these last days (0: all time)"
    )
    memory_limit: str = Field(
        "1GB", pattern=MEMORY_SIZE,
        description="memory DuckDB may use while it rebuilds the KPI tables (whole-table joins)",
    )
    full_refresh_hours: float = Field(
        24, ge=0, description="between full rebuilds, a refresh recomputes only the leads and deals loaded "
        "since the last one; 0 rebuilds everything every time",
    )
    spend_file: Path | None = Field(
        None, description="marketing spend per month and channel (CSV or TOML); a relative path in the config "
        "file is read beside the config file",
    )
    plan_file: Path | None = Field(
        None, description="plan targets per period and metric (CSV or TOML); a relative path in the config "
        "file is read beside the config file",
    )
    tracking_numbers: dict[str, str] = Field(
        default_factory=dict, description="portal (tracking) phone number -> channel it advertises"
    )
    base_currency: str | None = Field(None, description="convert money into this currency with currency_rates")
    currency_rates: dict[str, float] = Field(
        default_factory=dict, description="currency -> value of 1 unit in base_currency; unlisted ones stay apart"
    )
    rejection_field: str | None = Field(
        None, pattern=r"^UF_CRM_\w+$", description="a custom field holding the rejection reason, if the portal has one"
    )
    funnel: FunnelSettings = Field(default_factory=FunnelSettings)
    lead_stages: LeadStageSettings = Field(default_factory=LeadStageSettings)
    attribution_window_days: int = Field(
        180, ge=1, le=730, description="cohort attribution: a lead's cohort is credited with the deals won within "
        "this many days of the lead's creation"
    )
    attribution_model: Literal["first", "deal"] = Field(
        "first", description='cohort attribution: "first" credits a returning client\'s later deals to the channel '
        'that first brought the client (lifetime value by channel); "deal" credits each deal to its own lead, '
        "or to its own source when it has none"
    )


class DaemonSettings(_Section):
    interval_seconds: float = Field(900, gt=0, description="a cycle starts this often (start to start)")
    sweep_at: str = Field(
        "03:00", pattern=r"^(([01]\d|2[0-3]):[0-5]\d)?$",
        description='HH:MM local time of the nightly ID sweep that finds deleted records ("" turns it off)',
    )
    host: str = Field("127.0.0.1", description="address of the health and metrics endpoint")
    port: int = Field(9310, ge=0, le=65535, description="port of the health and metrics endpoint (0: any free port)")
    health_max_age_seconds: float = Field(
        3600, gt=0, description="/healthz answers 503 once the last successful cycle is older than this"
    )
    log_format: Literal["auto", "json", "text"] = Field(
        "auto", description="auto: JSON lines unless stderr is a terminal, then plain text"
    )


class HygieneThresholds(_Section):
    """Shares (%) of a manager's records with a gap, and the count of overdue activities, above
    which the report marks them red."""

    no_source_share: float = Field(10.0, ge=0, le=100, description="leads without a source")
    no_amount_share: float = Field(10.0, ge=0, le=100, description="open or won deals without an amount")
    no_activity_share: float = Field(20.0, ge=0, le=100, description="leads and deals with no activity at all")
    overdue_activities: int = Field(
        5, ge=0, description="open activities past their deadline: a count, not a share (of a period that has "
        "ended every activity still open is past its deadline)",
    )


class ReportSettings(_Section):
    enabled: bool = Field(True, description="the daemon writes the HTML report after every cycle")
    path: Path | None = Field(
        None, description="the HTML report the daemon writes and `b24metrics report` writes by default "
        "(default: b24metrics-report.html beside the warehouse file)",
    )
    lang: Literal["ru", "en"] = Field("ru", description="language of the report's labels and number formats")
    period: Literal["day", "week", "month", "quarter", "year"] = Field(
        "month", description="the report's periods: its trends step by them, its headline is the last whole one",
    )
    top_channels: int = Field(
        8, ge=1, le=11, description="channel charts draw this many channels by leads, the rest as one \"other\"",
    )
    hygiene: HygieneThresholds = Field(default_factory=HygieneThresholds)
    min_count_for_red: int = Field(
        10, ge=0, description="a change or a share counted on fewer records than this is shown plain, not red "
        "(with its counts): -42.8 % on two deals or 1 of 3 records is no alarm",
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="B24M_",
        env_nested_delimiter="__",
        hide_input_in_errors=True,
        frozen=True,
        extra="forbid",
    )

    portal: PortalSettings = Field(default_factory=PortalSettings)
    warehouse: WarehouseSettings = Field(default_factory=WarehouseSettings)
    sync: SyncSettings = Field(default_factory=SyncSettings)
    grading: GradingSettings = Field(default_factory=GradingSettings)
    kpis: KpiSettings = Field(default_factory=KpiSettings)
    writeback: WritebackSettings = Field(default_factory=WritebackSettings)
    daemon: DaemonSettings = Field(default_factory=DaemonSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


def resolve_config_path(path: Path | None) -> Path | None:
    """An explicit path, else $B24M_CONFIG, else ./b24metrics.toml when it exists."""
    if path is not None:
        return path
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    return DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.is_file() else None


class _TomlFile(TomlConfigSettingsSource):
    """The config file, its relative input paths made relative to its own directory: a daemon or a
    cron job started from another directory reads the same files. Environment variables and
    explicit overrides are other sources and keep their paths as given."""

    def _read_file(self, file_path: Any) -> dict[str, Any]:
        data = super()._read_file(file_path)
        kpis = data.get("kpis")
        if isinstance(kpis, dict) and isinstance(file_path, Path):
            for key in INPUT_FILE_KEYS:
                value = kpis.get(key)
                if isinstance(value, str) and value and not Path(value).expanduser().is_absolute():
                    kpis[key] = str(file_path.absolute().parent / value)
        return data


def load_settings(
    path: Path | None = None, *, read_file: bool = True, calls_portal: bool = False, **overrides: Any
) -> Settings:
    """Read settings; any problem becomes one ConfigError line naming the key and the file.

    `overrides` win over the environment, which wins over the file. With read_file=False only
    an explicit `path` is read (the demo brings its own portal and needs no file). The webhook
    is required only with calls_portal=True: a command that reads the warehouse alone runs
    with nothing but warehouse.path.
    """
    path = resolve_config_path(path) if read_file else path
    where = str(path) if path else f"environment ({CONFIG_ENV} unset, no {DEFAULT_CONFIG_FILE})"
    if path is not None and not path.is_file():
        raise ConfigError(f"config file {path} not found")
    if path is not None:
        try:
            tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None

    class _FromFile(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
            if path is not None:
                sources.append(_TomlFile(settings_cls, toml_file=path))
            return tuple(sources)

    try:
        loaded = _FromFile(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "(top level)"
        message = missing_message(first["loc"]) if first["type"] == "missing" else first["msg"]
        more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        raise ConfigError(f"config {where}: {key}: {message}{more}") from None
    if calls_portal and loaded.portal.webhook_url is None:
        raise ConfigError(f"config {where}: portal.webhook_url: {missing_message(('portal', 'webhook_url'))}")
    return loaded


def missing_message(loc: tuple[int | str, ...]) -> str:
    """What a missing setting's line says: where to set it."""
    env = "B24M_" + "__".join(str(p).upper() for p in loc)
    return f"missing (set it in the file or as {env})"
