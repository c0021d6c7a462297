"""docs/report.png, the README's picture of the report: `python -m tests.report.screenshot` runs
`b24metrics demo` in a temporary directory and photographs the top of the report it writes with
the render test's Chromium (tests/report/chromium.py). `python -m tests.report.screenshot cohorts`
photographs one section instead (docs/report-cohorts.png: which channel pays)."""

from __future__ import annotations

import base64
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from tests.report.chromium import Browser, Page

DOCS = Path(__file__).resolve().parents[2] / "docs"


@contextmanager
def demo_report() -> Iterator[Page]:
    """The report a fresh `b24metrics demo` writes, open in the render test's Chromium."""
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([sys.executable, "-m", "b24metrics", "demo", "--dir", folder], check=True,
                       stdout=subprocess.DEVNULL)
        with Browser() as browser:
            page = browser.open(Path(folder) / "b24metrics-report.html", width=1280)
            assert browser.blocked == [], browser.blocked
            yield page


def main(height: int = 1500) -> Path:
    DOCS.mkdir(exist_ok=True)
    target = DOCS / "report.png"
    with demo_report() as page:
        page.screenshot(target, max_height=height)
    return target


def section(sid: str, height: int = 1600) -> Path:
    """The top of one section of the demo's report, as docs/report-<sid>.png."""
    DOCS.mkdir(exist_ok=True)
    target = DOCS / f"report-{sid}.png"
    with demo_report() as page:
        box = page.evaluate(f"(() => {{ const b = document.querySelector('section[data-section={sid}]')"
                            ".getBoundingClientRect(); return [b.top + window.scrollY, b.height]; })()")
        shot = page.browser.call("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": box[0], "width": 1280, "height": min(box[1], height), "scale": 1}}, page.session)
        target.write_bytes(base64.b64decode(shot["data"]))
    return target


if __name__ == "__main__":
    print(section(sys.argv[1]) if len(sys.argv) > 1 else main())
