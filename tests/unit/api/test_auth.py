"""The write guard: which requests carry an acceptable API key."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from api.auth import key_is_allowed, require_api_key
from api.errors import install_error_handlers
from api.settings import Settings


def client_with_keys(keys: str) -> TestClient:
    app = FastAPI()
    app.state.services = SimpleNamespace(settings=Settings(api_keys=keys))
    install_error_handlers(app)

    @app.post("/write")
    def write(key: str = Depends(require_api_key)) -> dict[str, str]:
        return {"key": key}

    return TestClient(app)


@pytest.mark.parametrize(
    "headers",
    [{"Authorization": "Bearer k2"}, {"X-API-Key": "k2"}, {"authorization": "bearer k2"}],
)
def test_accepts_a_configured_key_in_either_header(headers: dict[str, str]) -> None:
    response = client_with_keys("k1, k2 ,").post("/write", headers=headers)
    assert response.status_code == 200
    assert response.json() == {"key": "k2"}


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "an API key is required"),
        ({"Authorization": "Basic azI6"}, "an API key is required"),
        ({"Authorization": "Bearer nope"}, "not valid"),
        ({"X-API-Key": "k1x"}, "not valid"),
    ],
)
def test_refuses_missing_or_wrong_keys(headers: dict[str, str], message: str) -> None:
    response = client_with_keys("k1,k2").post("/write", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert message in response.json()["error"]["message"]


def test_no_configured_keys_means_writes_are_off() -> None:
    response = client_with_keys("").post("/write", headers={"X-API-Key": ""})
    assert response.status_code == 403
    assert "HERITAGE_API_KEYS" in response.json()["error"]["message"]


def test_key_comparison() -> None:
    allowed = frozenset({"alpha", "密钥"})
    assert key_is_allowed("密钥", allowed)
    assert not key_is_allowed("alph", allowed)
    assert not key_is_allowed("", allowed)
