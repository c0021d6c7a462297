"""The ``batch`` method: up to 50 sub-commands in one HTTP request.

``cmd`` maps a key to ``"method?query"`` (``query`` is a PHP-style query
string).  Sub-commands run in order; after a sub-command's query is parsed,
every string value (recursively) may reference earlier results:
``$result[key]`` followed by any number of ``[index]``/``[FIELD]`` parts
(also ``$total[key]``, ``$next[key]``, ``$time[key]...``, ``$error[key]...``).
A value that is exactly one reference takes the referenced value as is;
a reference inside a longer string is interpolated as text.  A reference
that cannot be resolved becomes ``""``.

The response maps (``result``, ``result_error``, ``result_total``,
``result_next``, ``result_time``) are PHP arrays: an empty one is ``[]``.
"""

from __future__ import annotations

import re
from typing import Any

from .envelope import Outcome, RestError, param, php_map, php_truthy
from .methods import HANDLERS, execute, normalize_method
from .phpquery import parse_php_query

__all__ = ["run_batch", "MAX_COMMANDS"]

MAX_COMMANDS = 50

_REFERENCE = re.compile(
    r"\$(result|total|next|time|error)\[([^\]\[]+)\]((?:\[[^\]\[]*\])*)"
)
_PART = re.compile(r"\[([^\]\[]*)\]")
_MISSING = object()


def _lookup(node: Any, parts: list[str]) -> Any:
    for part in parts:
        if isinstance(node, list):
            try:
                index = int(part)
            except ValueError:
                return _MISSING
            if not 0 <= index < len(node):
                return _MISSING
            node = node[index]
        elif isinstance(node, dict):
            if part in node:
                node = node[part]
            else:
                return _MISSING
        else:
            return _MISSING
    return node


def _as_text(value: Any) -> str:
    if value is _MISSING or value is None or value is False:
        return ""
    if value is True:
        return "1"
    if isinstance(value, (list, dict)):
        return "Array"
    return str(value)


class _Results:
    def __init__(self) -> None:
        self.result: dict[str, Any] = {}
        self.error: dict[str, Any] = {}
        self.total: dict[str, Any] = {}
        self.next: dict[str, Any] = {}
        self.time: dict[str, Any] = {}

    def resolve(self, match: re.Match[str]) -> Any:
        source = getattr(self, match.group(1))
        parts = [match.group(2), *_PART.findall(match.group(3) or "")]
        return _lookup(source, parts)

    def substitute(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {key: self.substitute(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.substitute(item) for item in value]
        if not isinstance(value, str) or "$" not in value:
            return value
        whole = _REFERENCE.fullmatch(value)
        if whole:
            resolved = self.resolve(whole)
            return "" if resolved is _MISSING or resolved is None else resolved
        return _REFERENCE.sub(lambda m: _as_text(self.resolve(m)), value)


def _commands(cmd: Any) -> list[tuple[str, Any]]:
    if cmd is None or cmd == "":
        return []
    if isinstance(cmd, dict):
        return [(str(key), value) for key, value in cmd.items()]
    if isinstance(cmd, list):
        return [(str(index), value) for index, value in enumerate(cmd)]
    raise RestError(400, "INVALID_REQUEST", "The parameter 'cmd' must be array.")


def run_batch(portal: Any, params: dict[str, Any]) -> Outcome:
    halt = php_truthy(param(params, "halt"))
    commands = _commands(param(params, "cmd"))
    if len(commands) > MAX_COMMANDS:
        raise RestError(400, "ERROR_BATCH_LENGTH_EXCEEDED", "Max batch length exceeded")
    results = _Results()
    for key, command in commands:
        try:
            if not isinstance(command, str):
                raise RestError(400, "INVALID_REQUEST", "Wrong command format.")
            method, _, query = command.partition("?")
            method = normalize_method(method)
            if method == "batch":
                raise RestError(405, "ERROR_BATCH_METHOD_NOT_ALLOWED",
                                "Method is not allowed for batch usage")
            sub_params = results.substitute(parse_php_query(query))
            outcome, time_info = execute(portal, method, sub_params)
        except RestError as exc:
            results.error[key] = exc.body()
            if halt:
                break
            continue
        results.result[key] = outcome.result
        if outcome.total is not None:
            results.total[key] = outcome.total
        if outcome.next is not None:
            results.next[key] = outcome.next
        results.time[key] = time_info
    return Outcome({
        "result": php_map(results.result),
        "result_error": php_map(results.error),
        "result_total": php_map(results.total),
        "result_next": php_map(results.next),
        "result_time": php_map(results.time),
    })


HANDLERS["batch"] = run_batch
