"""One line of the doctor's checklist, and what a list of them adds up to."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Status = Literal["ok", "warning", "problem"]
#: the exit code of `b24metrics doctor` by its worst line
EXIT_BY_STATUS: dict[str, int] = {"ok": 0, "warning": 1, "problem": 2}


@dataclass(frozen=True)
class Check:
    name: str        # what was checked: "webhook", "time zone", "spend file" ...
    status: Status
    detail: str      # what was found, with the names and numbers that matter
    fix: str = ""    # what to do about it ("" when nothing is to be done)

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def ok(name: str, detail: str) -> Check:
    return Check(name, "ok", detail)


def warning(name: str, detail: str, fix: str) -> Check:
    return Check(name, "warning", detail, fix)


def problem(name: str, detail: str, fix: str) -> Check:
    return Check(name, "problem", detail, fix)


def worst(checks: list[Check]) -> Status:
    """problem beats warning beats ok; no checks at all is ok."""
    return max((c.status for c in checks), key=lambda s: EXIT_BY_STATUS[s], default="ok")


def exit_code(checks: list[Check]) -> int:
    return EXIT_BY_STATUS[worst(checks)]
