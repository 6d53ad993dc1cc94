"""`/docs` works offline: Swagger UI comes from the app itself, not from a CDN."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.settings import Settings


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data_dir = tmp_path_factory.mktemp("docs")
    with TestClient(create_app(Settings(_env_file=None, data_dir=data_dir))) as test_client:
        yield test_client


def test_docs_reference_no_other_host(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert not re.findall(r"(?:https?:)?//[\w.-]+", page.text), "an address on another host"
    assert '"validatorUrl": null' in page.text  # no badge from the online validator


def test_every_asset_docs_reference_is_served(client: TestClient) -> None:
    page = client.get("/docs").text
    assets = set(re.findall(r"""(?:src|href)=["']([^"']+)["']""", page))
    assets |= set(re.findall(r"""url: ?["']([^"']+)["']""", page))  # the schema Swagger UI loads
    kinds = {".js": "javascript", ".css": "text/css", ".svg": "image/svg", ".json": "json"}
    assert {Path(a).suffix for a in assets} == set(kinds), assets
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert kinds[Path(asset).suffix] in response.headers["content-type"], asset
    swagger = next(a for a in assets if a.endswith(".js"))
    assert "SwaggerUIBundle" in client.get(swagger).text


def test_redoc_is_not_offered(client: TestClient) -> None:
    """FastAPI's ReDoc page loads ReDoc and web fonts from other hosts: it is not served."""
    assert client.get("/redoc").status_code == 404
