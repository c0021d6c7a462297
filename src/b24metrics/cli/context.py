"""What the commands share: the global options, the settings they name, the progress bar."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from b24metrics.config import Settings, load_settings
from b24metrics.logsetup import setup_logging

# The one lock every writing command takes (re-exported so that the commands name it once).
from b24metrics.warehouse import current_holder, writer_lock

if TYPE_CHECKING:
    from rich.progress import TaskID

    from b24metrics.extract import Stream

__all__ = ["State", "current_holder", "progress", "settings", "state", "writer_lock"]


@dataclass
class State:
    """The options given before the command (`b24metrics --config F sync`)."""

    config: Path | None = None
    log_level: str | None = None


state = State()


def settings(*, calls_portal: bool) -> Settings:
    """The settings of --config (else $B24M_CONFIG, ./b24metrics.toml), logging set up by them.
    Every command says whether it calls the portal: only those require the webhook, so that the
    commands that read the warehouse alone run with nothing but warehouse.path."""
    loaded = load_settings(state.config, calls_portal=calls_portal)
    setup_logging(state.log_level or loaded.log_level)
    return loaded


@contextmanager
def progress(enabled: bool = True) -> Iterator[Callable[[Stream, int, int], None] | None]:
    """A live line per stream on stderr when it is a terminal; yields the callback the sync calls."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description:<14}"), TextColumn("{task.completed:>10,.0f} rows"),
        TextColumn("{task.fields[requests]:>6} requests"), TextColumn("{task.fields[rate]:>8,.0f} rows/s"),
        TimeElapsedColumn(), console=Console(stderr=True), transient=False, disable=not sys.stderr.isatty(),
    )
    tasks: dict[str, TaskID] = {}

    def advance(stream: Stream, rows: int, requests: int) -> None:
        if stream.name not in tasks:
            tasks[stream.name] = bar.add_task(stream.name, total=None, requests=0, rate=0.0)
        task_id = tasks[stream.name]
        bar.advance(task_id, rows)
        task = bar.tasks[task_id]
        bar.update(task_id, requests=requests, rate=task.completed / max(task.elapsed or 0.0, 1e-3))

    with bar:
        yield advance
