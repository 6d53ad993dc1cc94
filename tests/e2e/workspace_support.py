"""Signing in to the workspace from a test client, as one browser would: the form's CSRF token,
the sign-in, and reading the token of a page."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.e2e.governance_support import BASE_URL

PASSWORD = "correct horse battery"


def browser(app: Any, lang: str | None = None) -> TestClient:
    """A client with its own cookie jar, as one browser; given `lang`, it asks for HTML pages in
    that language (error pages included)."""
    headers = {"Accept-Language": lang, "Accept": "text/html"} if lang else {}
    return TestClient(app, base_url=BASE_URL, headers=headers)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> Any:
    form = client.get("/workspace/login")
    assert form.status_code == 200, form.text
    data = {"name": name, "password": password, "csrf_token": csrf_of(form.text)}
    return client.post("/workspace/login", data=data, follow_redirects=False)


def signed_in(app: Any, name: str, password: str = PASSWORD, lang: str | None = None) -> TestClient:
    client = browser(app, lang)
    answer = sign_in(client, name, password)
    assert answer.status_code == 303 and answer.headers["location"] == "/workspace/", answer.text
    return client
