"""The demand map: searches are logged without personal data, append-only, and curators (only)
read them as a report, charts and CSV."""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.http.i18n import message
from api.http.sessions import SESSION_COOKIE
from api.operations.insights import FEW_RESULTS, LOG_FILE
from repository import open_store
from repository.apikeys import KeyStore
from tests.browser.corpus import CURATOR_KEY, Corpus, shared_corpus
from tests.browser.markup import parse

KEY = {"X-API-Key": CURATOR_KEY}
MARKERS = ("203.0.113.77", "MarkerAgent/9.9", "marker-cookie-value")
"""Stand-ins for what a visitor's request carries and the log must never keep."""


@pytest.fixture
def corpus(tmp_path: Path) -> Corpus:
    return shared_corpus().copy(tmp_path)


@pytest.fixture
def client(corpus: Corpus) -> Iterator[TestClient]:
    with TestClient(create_app(corpus.settings())) as client:
        yield client


def visit(client: TestClient, **params: object) -> None:
    headers = {"X-Forwarded-For": MARKERS[0], "User-Agent": MARKERS[1], "Cookie": f"s={MARKERS[2]}"}
    response = client.get(f"/?{urlencode(params, doseq=True)}", headers=headers)
    assert response.status_code == 200


def key_login(client: TestClient, key: str, **kwargs: object) -> Any:
    """Sign in through the key form, with the CSRF token the form carries."""
    form = parse(client.get("/insights").text).find("form", "login-form")
    token = form.find("input", name="csrf_token").attrs["value"]
    return client.post("/insights/login", data={"key": key, "csrf_token": token}, **kwargs)


def settle(client: TestClient, query: str) -> dict:
    response = client.post("/api/insights/searches", json={"query": query})
    assert response.status_code == 202, response.text
    return response.json()


def report(client: TestClient, days: int = 30) -> dict:
    response = client.get(f"/api/insights?days={days}", headers=KEY)
    assert response.status_code == 200, response.text
    return response.json()


def total(client: TestClient, **params: object) -> int:
    return client.get(f"/api/search?{urlencode(params, doseq=True)}").json()["total"]


def test_searches_are_counted_under_one_normal_form(client: TestClient) -> None:
    visit(client, q="剪纸")
    visit(client, q="  剪紙 ")  # traditional characters and stray spaces
    settle(client, "q=%E5%89%AA%E7%BA%B8")
    visit(client, q="剪纸", page=2)  # paging through is not a new search
    assert settle(client, "q=剪纸&page=2") == {"logged": False}
    assert settle(client, "") == {"logged": False}
    data = report(client)
    top = {row["query"]: row for row in data["top_queries"]}
    assert top["剪纸"]["searches"] == 3
    assert top["剪纸"]["avg_results"] == total(client, q="剪纸")
    assert data["totals"]["searches"] == 3
    assert data["trend"][-1]["searches"] == 3
    assert len(data["trend"]) == 30


def test_zero_and_few_result_queries_are_listed(client: TestClient) -> None:
    visit(client, q="木版年画并无此物")
    visit(client, q="剪纸")
    data = report(client, days=7)
    poor = {row["query"]: row for row in data["poor_queries"]}
    assert poor["木版年画并无此物"]["max_results"] == 0
    assert ("剪纸" in poor) == (total(client, q="剪纸") <= FEW_RESULTS)
    assert data["totals"]["zero"] == 1
    assert data["trend"][-1]["zero"] == 1


def test_demand_by_category_and_region(client: TestClient) -> None:
    visit(client, category="traditional-music")
    settle(client, "category=traditional-music&q=长调")
    visit(client, region="陕西省延安市安塞区")
    data = report(client)
    categories = {row["value"]: row for row in data["by_category"]}
    assert categories["traditional-music"]["searches"] == 2
    assert categories["traditional-music"]["label"] == "传统音乐"
    regions = {row["value"]: row["searches"] for row in data["by_region"]}
    assert regions["陕西省"] >= 1


def test_the_log_holds_no_personal_data_and_is_append_only(
    client: TestClient, corpus: Corpus
) -> None:
    visit(client, q="皮影戏")
    report(client)  # waits for the writer
    path = corpus.data_dir / LOG_FILE
    raw = b"".join(p.read_bytes() for p in path.parent.glob(f"{LOG_FILE}*"))
    for marker in MARKERS:
        assert marker.encode() not in raw
    with sqlite3.connect(path) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(search_log)")]
        assert set(columns) == {
            "seq",
            "at",
            "query",
            "filters",
            "results",
            "category",
            "region",
            "channel",
        }
        assert db.execute("SELECT query, channel FROM search_log").fetchall() == [
            ("皮影戏", "page")
        ]
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute("UPDATE search_log SET query = 'x'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute("DELETE FROM search_log")


def test_reading_needs_a_curator_key(client: TestClient) -> None:
    assert client.get("/api/insights").status_code == 401
    assert client.get("/api/insights", headers={"X-API-Key": "not-a-key"}).status_code == 401
    assert client.get("/insights/export.csv").status_code == 401
    assert (
        client.get("/api/insights", headers={"Authorization": f"Bearer {CURATOR_KEY}"}).status_code
        == 200
    )
    login = client.get("/insights", headers={"Accept-Language": "en"})
    assert login.status_code == 200  # the sign-in form, and nothing of the report
    assert "search_log" not in login.text and "<svg" not in login.text
    form = parse(login.text).find("form", "login-form")
    assert (
        form.attrs["method"] == "post" and form.find("input", id="key").attrs["type"] == "password"
    )


def test_stored_keys_need_the_curator_role(client: TestClient, corpus: Corpus) -> None:
    keys = KeyStore(open_store(corpus.settings().store_config()))
    _, archivist = keys.create("page-tests", "archivist")
    curator_key, curator = keys.create("page-tests", "curator")
    assert client.get("/api/insights", headers={"X-API-Key": archivist}).status_code == 403
    assert key_login(client, archivist).status_code == 401
    assert client.get("/api/insights", headers={"X-API-Key": curator}).status_code == 200
    signed_in = key_login(client, curator, follow_redirects=False)
    assert signed_in.status_code == 303
    assert client.get("/api/insights").status_code == 200
    keys.revoke(curator_key.id)
    assert client.get("/api/insights").status_code == 401  # revoking ends the session


def test_browser_sign_in_sets_a_session_without_the_key(client: TestClient, corpus: Corpus) -> None:
    wrong = key_login(client, "guess", follow_redirects=False)
    assert wrong.status_code == 401
    assert message("zh", "login.failed") in wrong.text
    right = key_login(client, CURATOR_KEY, follow_redirects=False)
    assert right.status_code == 303 and right.headers["location"] == "/insights"
    cookie = right.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
    assert CURATOR_KEY not in cookie
    visit(client, q="长调")
    dashboard = client.get("/insights")
    assert dashboard.status_code == 200
    assert dashboard.headers["cache-control"] == "private, no-store"
    doc = parse(dashboard.text)
    assert len(doc.find_all("svg", "chart")) >= 3
    assert "长调" in doc.find("table", "table").text()
    assert client.get("/api/insights").status_code == 200  # the session also opens the JSON
    # a server no longer configured with that key refuses the session it signed
    settings = corpus.settings().model_copy(update={"api_keys": "another-key"})
    with TestClient(create_app(settings)) as other:
        other.cookies.set(SESSION_COOKIE, client.cookies[SESSION_COOKIE])
        assert other.get("/api/insights").status_code == 401
    assert client.post("/insights/logout").status_code == 403  # no CSRF token: not signed out
    assert client.get("/api/insights").status_code == 200
    token = doc.find("form", action="/insights/logout").find("input", name="csrf_token")
    client.post("/insights/logout", data={"csrf_token": token.attrs["value"]})
    assert client.get("/api/insights").status_code == 401


def test_hostile_queries_are_text_on_the_dashboard(client: TestClient) -> None:
    visit(client, q="<script>window.__pwned=1</script>")
    key_login(client, CURATOR_KEY)
    body = client.get("/insights").text
    assert "<script>window.__pwned" not in body
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in body


def test_csv_export_is_utf8_with_bom_and_spreadsheet_safe(client: TestClient) -> None:
    visit(client, q="剪纸")
    visit(client, q="=HYPERLINK(1)")
    response = client.get("/insights/export.csv?table=searches&days=7", headers=KEY)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="heritage-searches-7d-' in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["time_utc", "query", "filters", "results", "category", "region", "channel"]
    assert [row[1] for row in rows[1:]] == ["剪纸", "'=hyperlink(1)"]
    assert rows[1][3] == str(total(client, q="剪纸"))
    for table in ("top", "poor", "trend", "category", "region"):
        part = client.get(f"/insights/export.csv?table={table}", headers=KEY)
        assert part.status_code == 200 and part.content.startswith(b"\xef\xbb\xbf"), table
    assert client.get("/insights/export.csv?table=secrets", headers=KEY).status_code == 422
