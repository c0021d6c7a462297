"""A missing or invalid config: one clear line naming the key and the file, exit 2, no secret."""

import os
import re
import subprocess
import sys
import typing

import pytest
from pydantic import BaseModel

from b24metrics.config import DEFAULT_RULES, Settings, load_settings
from b24metrics.errors import ConfigError

SECRET = "cfgsecret0123456789"
URL = f"https://portal.example/rest/1/{SECRET}/"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for key in list(os.environ):
        if key.startswith("B24M_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def test_file_then_env_override(tmp_path, monkeypatch):
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[portal]\nwebhook_url = "{URL}"\nrate = 5\n[warehouse]\npath = "x.duckdb"\n')
    monkeypatch.setenv("B24M_PORTAL__BURST", "250")
    s = load_settings(cfg)
    assert (s.portal.rate, s.portal.burst, str(s.warehouse.path)) == (5.0, 250, "x.duckdb")
    assert SECRET not in repr(s) and SECRET not in str(s.model_dump())
    assert s.grading.rules == DEFAULT_RULES


def test_missing_webhook_names_key_and_env(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[warehouse]\npath = 'x.duckdb'\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(cfg, calls_portal=True)
    assert "portal.webhook_url" in str(caught.value)
    assert "B24M_PORTAL__WEBHOOK_URL" in str(caught.value) and str(cfg) in str(caught.value)


def test_only_the_portal_callers_require_the_webhook(tmp_path):
    """A [portal] section without its webhook is refused with the same line as no section at all,
    and only when the caller means to call the portal."""
    cfg = tmp_path / "c.toml"
    cfg.write_text("[warehouse]\npath = 'x.duckdb'\n")
    assert load_settings(cfg).portal.webhook_url is None
    cfg.write_text("[portal]\nrate = 5\n[warehouse]\npath = 'x.duckdb'\n")
    s = load_settings(cfg)
    assert (s.portal.webhook_url, s.portal.rate, str(s.warehouse.path)) == (None, 5.0, "x.duckdb")
    with pytest.raises(ConfigError) as caught:
        load_settings(cfg, calls_portal=True)
    assert str(caught.value) == (f"config {cfg}: portal.webhook_url: missing (set it in the file or as "
                                 "B24M_PORTAL__WEBHOOK_URL)")
    assert load_settings(cfg, calls_portal=True, portal={"webhook_url": URL}).portal.rate == 5.0


def test_invalid_value_names_key_never_the_secret(tmp_path):
    cfg = tmp_path / "c.toml"
    bad = f"ftp://portal.example/{SECRET}"
    cfg.write_text(f'[portal]\nwebhook_url = "{bad}"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(cfg)
    assert "portal.webhook_url" in str(caught.value) and SECRET not in str(caught.value)


def test_unknown_grading_field_and_bad_toml(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[portal]\nwebhook_url = "{URL}"\n[[grading.rules]]\nlabel="x"\npoints=1\n'
                   'when=[{field="shoe_size", op=">", value=3}]\n')
    with pytest.raises(ConfigError, match=r"grading\.rules\.0\.when\.0\.field"):
        load_settings(cfg)
    cfg.write_text("[portal\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(cfg)
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml")


@pytest.mark.parametrize("condition, complaint", [
    ('{field="company_employees_min", op=">=", value="lots"}', "company_employees_min >= needs a number, not 'lots'"),
    ('{field="company_revenue", op=">", value=true}', "needs a number, not True"),
    ('{field="has_phone", op="=", value="yes"}', "has_phone needs true or false, not 'yes'"),
    ('{field="has_phone", op=">", value=true}', "has_phone is true or false: use = or !="),
    ('{field="client_type", op="=", value="person"}', "client_type is one of organisation, sole_trader, private_person"),
    ('{field="company_match", op="in", value=["title", "email"]}', "not 'email'"),
    ('{field="post", op="=", value=5}', "post needs a text, not 5"),
    ('{field="UF_CRM_RATING", op=">=", value=[4, 5]}', 'a list of values needs op = "in"'),
    ('{field="UF_CRM_RATING", op="is_null", value=1}', "is_null takes no value"),
    ('{field="UF_CRM_RATING", op="="}', "'=' needs a value"),
])
def test_a_rule_value_that_does_not_suit_its_field_is_a_config_error_naming_the_rule(tmp_path, condition, complaint):
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[[grading.rules]]\nlabel="big one"\npoints=1\nwhen=[{condition}]\n', encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_settings(cfg)
    assert "grading.rules.0" in str(raised.value) and "rule 'big one'" in str(raised.value)
    assert complaint in str(raised.value)


def test_rule_values_that_suit_their_fields_load():
    cfg_rules = [{"label": "ok", "points": 1, "when": [
        {"field": "company_employees_min", "op": ">=", "value": 1000}, {"field": "company_revenue", "op": "<", "value": 1.5e8},
        {"field": "has_phone", "value": True}, {"field": "client_type", "op": "in", "value": ["organisation", "sole_trader"]},
        {"field": "UF_CRM_SIZE", "value": "свыше 1000"}, {"field": "UF_CRM_RATING", "op": ">=", "value": 4},
        {"field": "UF_CRM_DATE", "op": ">", "value": "2026-01-01"}, {"field": "post", "op": "not_null"}]}]
    loaded = load_settings(read_file=False, grading={"rules": cfg_rules})
    assert len(loaded.grading.rules[0].when) == 8


def _models_in(annotation) -> list[type[BaseModel]]:
    """The models a field holds: itself, or those inside list[...], X | None, dict[..., X]."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def _keys(model: type[BaseModel], path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every key of the settings, nested sections and the keys of list items included."""
    keys = []
    for name, field in model.model_fields.items():
        keys.append((*path, name))
        for inner in _models_in(field.annotation):
            keys.extend(_keys(inner, (*path, name)))
    return keys


def _sections(text: str) -> dict[str, str]:
    """Each [section] or [[section]] of a TOML text -> its lines, comments included (a key may be
    documented as a commented example); "" holds the lines before the first header."""
    sections: dict[str, str] = {"": ""}
    current = ""
    for line in text.splitlines():
        header = re.match(r"^\[\[?([\w.]+)\]\]?\s*$", line)
        if header:
            current = header.group(1)
            sections.setdefault(current, "")
        else:
            sections[current] += line + "\n"
    return sections


def _documented(key: tuple[str, ...], sections: dict[str, str]) -> bool:
    """A key is its own section, or `key =` stands in the nearest enclosing section present
    (an inline table's keys, like a rule's `when = [{ field = ... }]`, stand in the rule's)."""
    if ".".join(key) in sections:
        return True
    for depth in range(len(key) - 1, -1, -1):
        section = ".".join(key[:depth])
        if section in sections:
            return re.search(rf"(^|[#{{,]\s*){re.escape(key[-1])}\s*=", sections[section], re.M) is not None
    return False


def test_example_config_is_valid_and_documents_every_key():
    from pathlib import Path

    example = Path(__file__).resolve().parents[1] / "config.example.toml"
    s = load_settings(example)
    assert s.grading.rules == DEFAULT_RULES, "the example's rules are the defaults"
    sections = _sections(example.read_text(encoding="utf-8"))
    keys = _keys(Settings)
    # the walk reaches every level: a section, a nested one, a list of rules and their conditions
    assert {("kpis", "timezone"), ("writeback", "quality_gate", "hygiene_max"),
            ("grading", "rules", "when", "op")} <= set(keys)
    assert [".".join(k) for k in keys if not _documented(k, sections)] == []


def test_the_example_config_commented_examples_are_valid_settings(tmp_path):
    """Uncommented, the examples (`# spend_file = "spend.csv"`, a custom field rule, ...) load:
    none names a key that does not exist or a value the key refuses."""
    from pathlib import Path

    example = Path(__file__).resolve().parents[1] / "config.example.toml"
    commented = re.compile(r"^# (\[\[?[\w.]+\]\]?|[\w\"+]+ = .*)$", re.M)
    text = example.read_text(encoding="utf-8")
    assert len(commented.findall(text)) >= 10, "the pattern no longer finds the commented examples"
    uncommented = tmp_path / "all.toml"
    uncommented.write_text(commented.sub(r"\1", text), encoding="utf-8")
    s = load_settings(uncommented)
    assert s.kpis.base_currency == "RUB" and s.grading.rules[-1].when[0].field == "UF_CRM_LEAD_RATING"
    assert s.writeback.quality_gate.hygiene_max == {"no_source_share": 30.0}


def test_the_documentation_check_finds_an_undocumented_key():
    text = "[portal]\nrate = 2\n[[grading.rules]]\nlabel = 'x'\nwhen = [{ field = 'has_phone' }]\n"
    sections = _sections(text)
    assert _documented(("portal", "rate"), sections) and _documented(("grading", "rules", "when", "field"), sections)
    assert not _documented(("portal", "burst"), sections)
    assert not _documented(("grading", "rules", "when", "op"), sections)
    assert not _documented(("kpis", "timezone"), sections)


def test_cli_config_error_is_one_line_exit_2(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[portal]\nwebhook_url = "{URL}"\nrate = "fast"\n')
    run = subprocess.run(
        [sys.executable, "-m", "b24metrics", "--config", str(cfg), "sync"],
        capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 2
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "portal.rate" in lines[0] and str(cfg) in " ".join(run.stderr.split())
    assert "Traceback" not in run.stderr and SECRET not in run.stderr + run.stdout
