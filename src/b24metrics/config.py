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
# plus any custom field of the lead by its UF_CRM_ name.
FEATURES = (
    "has_company",
    "company_employees_min",
    "company_revenue",
    "company_industry",
    "has_phone",
    "has_email",
    "source_id",
    "status_semantic",
    "opportunity",
)
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


class GradeRule(_Section):
    label: str = Field(min_length=1)
    points: int
    when: list[Condition] = Field(default_factory=list, description="all must hold; empty = always")


def _rule(label: str, points: int, *conds: tuple[str, str, Any]) -> GradeRule:
    return GradeRule(
        label=label,
        points=points,
        when=[Condition(field=f, op=o, value=v) for f, o, v in conds],
    )


# B2B segments: A = large business (1,000+ staff or revenue above 100 mln RUB), B = medium,
# C = small regional business, D = a private person or sole trader.
DEFAULT_RULES = [
    _rule("no company: private person or sole trader", 0, ("has_company", "=", False)),
    _rule("company 1000+ employees", 60, ("company_employees_min", ">=", 1000)),
    _rule("company revenue above 100 mln", 60, ("company_revenue", ">=", 100_000_000)),
    _rule("company 250-999 employees", 40, ("company_employees_min", ">=", 250), ("company_employees_min", "<", 1000)),
    _rule("company 50-249 employees", 25, ("company_employees_min", ">=", 50), ("company_employees_min", "<", 250)),
    _rule("company under 50 employees", 15, ("company_employees_min", "<", 50)),
    _rule("company revenue 10-100 mln", 15, ("company_revenue", ">=", 10_000_000), ("company_revenue", "<", 100_000_000)),
    _rule("phone given", 5, ("has_phone", "=", True)),
    _rule("e-mail given", 5, ("has_email", "=", True)),
]


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


def _uf_or_off(name: str) -> str:
    if name and not _UF_NAME.match(name):
        raise ValueError('must be UF_CRM_ followed by at most 43 of A-Z, 0-9, _ (or "" to write nothing there)')
    return name


class LeadFields(_Section):
    grade: str = Field("UF_CRM_B24M_GRADE", description="fit grade A-D")
    score: str = Field("UF_CRM_B24M_SCORE", description="score 0-100")
    factors: str = Field("UF_CRM_B24M_FACTORS", description="the rules that gave the score, as text")

    _check = field_validator("grade", "score", "factors")(_uf_or_off)


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
