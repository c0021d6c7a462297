"""The type checker over src/ (its settings: [tool.mypy] in pyproject.toml)."""

import subprocess
import sys
from pathlib import Path


def test_mypy_is_clean():
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental"], cwd=root,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]
    assert "Success: no issues found" in done.stdout
