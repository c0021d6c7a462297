"""The admin's door: `b24metrics demo | sync | status | kpi | explain | fields | writeback | report |
export | run | sandbox`. One module per group of commands, the Rich output in render.py."""

from b24metrics.cli.app import app, main

__all__ = ["app", "main"]
