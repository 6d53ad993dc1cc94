"""`GET /api/dates`: what the edit form shows as the archivist types is what a save stores."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.http.i18n import message
from schemas.dates import parse_date
from tests.e2e.governance_support import settings_for


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    return TestClient(create_app(settings_for(tmp_path_factory.mktemp("dates") / "data")))


@pytest.mark.parametrize(
    ("text", "earliest", "latest"),
    [
        ("清代", 1644, 1912),
        ("乾隆五十年", 1785, 1785),
        ("民国三十年", 1941, 1941),
        ("1950年代", 1950, 1959),
    ],
)
def test_a_date_is_read_as_a_save_would_store_it(
    client: TestClient, text: str, earliest: int, latest: int
) -> None:
    answer = client.get("/api/dates", params={"text": text, "lang": "zh"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["earliest"], body["latest"]) == (earliest, latest)
    assert {k: v for k, v in body.items() if k != "understood"} == parse_date(text)
    expected = message(
        "zh", "edit.date_understood", edtf=body["edtf"], earliest=earliest, latest=latest
    )
    assert body["understood"] == expected


def test_the_sentence_follows_the_language(client: TestClient) -> None:
    english = client.get("/api/dates", params={"text": "清代", "lang": "en"}).json()["understood"]
    assert english.startswith(
        message("en", "edit.date_understood", edtf="x", earliest=0, latest=0)[:5]
    )
    assert "1644" in english and "1912" in english


@pytest.mark.parametrize("text", ["明朝末年的某一天", "9" * 99, "a\x00b", "公元前0年"])
def test_an_unreadable_date_is_422_quoting_it(client: TestClient, text: str) -> None:
    answer = client.get("/api/dates", params={"text": text})
    assert answer.status_code == 422, answer.text
    assert "invalid literal" not in answer.text and "Traceback" not in answer.text
    assert answer.json()["error"]["message"]


@pytest.mark.parametrize("params", [{}, {"text": ""}, {"text": "清" * 101}])
def test_a_missing_or_overlong_text_is_422(client: TestClient, params: dict[str, str]) -> None:
    assert client.get("/api/dates", params=params).status_code == 422


def test_the_reader_takes_no_writes(client: TestClient) -> None:
    assert client.post("/api/dates", params={"text": "清代"}).status_code == 405
