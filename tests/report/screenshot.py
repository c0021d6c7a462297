"""docs/report.png, the README's picture of the report: `python -m tests.report.screenshot` runs
`b24metrics demo` in a temporary directory and photographs the top of the report it writes with
the render test's Chromium (tests/report/chromium.py)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from tests.report.chromium import Browser

DOCS = Path(__file__).resolve().parents[2] / "docs"


def main(height: int = 1500) -> Path:
    DOCS.mkdir(exist_ok=True)
    target = DOCS / "report.png"
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([sys.executable, "-m", "b24metrics", "demo", "--dir", folder], check=True,
                       stdout=subprocess.DEVNULL)
        with Browser() as browser:
            page = browser.open(Path(folder) / "b24metrics-report.html", width=1280)
            assert browser.blocked == [], browser.blocked
            page.screenshot(target, max_height=height)
    return target


if __name__ == "__main__":
    print(main())
