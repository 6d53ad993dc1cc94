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
