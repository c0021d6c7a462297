"""A missing or invalid config: one clear line naming the key and the file, exit 2, no secret."""

import os
import subprocess
import sys

import pytest

from b24metrics.config import DEFAULT_RULES, load_settings
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
        load_settings(cfg)
    assert "portal.webhook_url" in str(caught.value)
    assert "B24M_PORTAL__WEBHOOK_URL" in str(caught.value) and str(cfg) in str(caught.value)


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


def test_example_config_is_valid_and_documents_every_key(monkeypatch):
    from pathlib import Path

    example = Path(__file__).resolve().parents[1] / "config.example.toml"
    s = load_settings(example)
    assert s.grading.rules == DEFAULT_RULES, "the example's rules are the defaults"
    text = example.read_text()
    for section, model in (("portal", s.portal), ("warehouse", s.warehouse), ("writeback", s.writeback), ("sync", s.sync),
                           ("daemon", s.daemon), ("report", s.report)):
        for key in type(model).model_fields:
            assert f"{key} =" in text or f"[{section}.{key}]" in text, f"{section}.{key} undocumented"


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
