"""Fixtures for the sandbox portal tests: real HTTP over 127.0.0.1 with httpx."""

from __future__ import annotations

from typing import Any, Callable

import httpx
import pytest

from b24metrics.sandbox import SandboxPortal

UNLIMITED = {"rate": 10_000.0, "burst": 1_000_000}


@pytest.fixture(scope="session")
def portal():
    """A read-only portal shared by all sandbox tests (tests must not change its data or knobs)."""
    with SandboxPortal(seed=7, leads=500, **UNLIMITED) as running:
        yield running


@pytest.fixture
def fresh_portal():
    """A small portal of one's own, for tests that change data or knobs."""
    with SandboxPortal(seed=3, leads=120, **UNLIMITED) as running:
        yield running


@pytest.fixture(scope="session")
def http():
    with httpx.Client(timeout=30) as client:
        yield client


@pytest.fixture
def rest(http) -> Callable[..., Any]:
    """``rest(portal, method, params, expect=200)`` -> decoded JSON body (JSON POST)."""

    def call(target: SandboxPortal, method: str, params: dict[str, Any] | None = None,
             expect: int = 200) -> dict[str, Any]:
        response = http.post(target.webhook_url + method, json=params or {})
        assert response.status_code == expect, response.text
        assert response.headers["content-type"].startswith("application/json")
        return response.json()

    return call


@pytest.fixture
def fetch_all(rest) -> Callable[..., list[dict[str, Any]]]:
    """``fetch_all(portal, method, params)`` -> every row of a list method, following ``next``."""

    def run(target: SandboxPortal, method: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        params = dict(params or {})
        rows: list[dict[str, Any]] = []
        start = 0
        while True:
            body = rest(target, method, {**params, "start": start})
            rows.extend(body["result"])
            if "next" not in body:
                return rows
            start = body["next"]

    return run
