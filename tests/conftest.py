"""Fixtures shared by every test package."""

from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_service(variable: str, what: str) -> str:
    """The URL of a real server from scripts/services.sh. In CI a missing server fails the run."""
    value = os.environ.get(variable, "")
    if not value:
        message = f"{what} is not configured ({variable} unset); run `scripts/services.sh up`"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return value


SERVICE_PARAMETERS = frozenset({"s3", "minio", "elasticsearch", "opensearch"})
"""Parameter ids that name a real server: a test run with one of them needs scripts/services.sh."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that runs against a real server `services`, so `-m "not services"` (make
    test-fast) runs with no server at all; tests without parameters mark themselves."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and SERVICE_PARAMETERS & set(callspec.id.split("-")):
            item.add_marker(pytest.mark.services)
