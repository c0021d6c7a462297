"""The one-way flow of docs/architecture.md, enforced: import-linter's contracts in pyproject.toml."""

from pathlib import Path

from importlinter import configuration
from importlinter.application.use_cases import lint_imports


def test_layers_hold(monkeypatch, capsys):
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    configuration.configure()
    kept = lint_imports(cache_dir=None, no_logo=True)
    assert kept, capsys.readouterr().out
