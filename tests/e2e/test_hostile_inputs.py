"""Hostile but well-formed input never makes the server fail (no 5xx), on every route.

A black-box probe: every route the app has (walked from `app.routes`, whatever their module) gets
each hostile value in turn in each of its path and query parameters (named by the OpenAPI schema,
plus the query names the routes outside it read themselves), in its headers, and every writing
route gets hostile bodies; anonymous and with an admin key. Each must be answered below 500: bad
input is the client's error (400/404/413/415/422 with a reason), never the server's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.operations.jobs import Job, JobStore
from tests.e2e.sharing_support import API_KEY, COLLECTION, Corpus, shared_corpus
from tests.support.routes import every_route

HOSTILE: dict[str, str] = {
    "huge number": "9" * 400,
    "huge negative number": "-" + "9" * 400,
    "more digits than int() takes": "9" * 5000,
    "float overflow": "1e999",
    "not a number": "NaN",
    "zero": "0",
    "negative": "-1",
    "fullwidth digits": "１２",
    "NUL": "a\x00b",
    "control characters": "\x01\x1f\x7f",
    "U+FFFF": "\uffff",
    "10 000 characters": "x" * 10_000,
    "empty": "",
    "path climbing": "../../etc/passwd",
    "huge percent (IIIF)": "pct:" + "9" * 400,
    "huge box (IIIF)": "9" * 5000 + ",0,1,1",
    "huge best fit (IIIF)": "!" + "9" * 400 + "," + "9" * 400,
    "huge width (IIIF)": "9" * 400 + ",",
}
"""Values, percent-encoded into the URL."""

RAW: dict[str, str] = {
    "lone surrogate": "%ED%A0%80",
    "invalid UTF-8": "%FF%FE",
    "overlong UTF-8": "%C0%AF",
}
"""Values sent already percent-encoded, as bytes no text encodes to."""

HEADERS: dict[str, str] = {
    "Range": "bytes=" + "9" * 400 + "-",
    "If-None-Match": '"' + "x" * 10_000 + '"',
    "If-Range": "9" * 400,
    "If-Match": '"' + "9" * 400 + '"',
    "Accept": "application/ld+json;" * 500,
    "Accept-Language": "zh;q=" + "9" * 400 + ", " + "x" * 5000,
    "Cookie": "heritage_lang=" + "x" * 5000 + "; heritage_insights=" + "9" * 400 + "%00%ED%A0%80",
    "Authorization": "Bearer " + "x" * 10_000,
}

DEEP = 100_000
BODIES: dict[str, tuple[str | None, bytes]] = {
    "arrays nested 100 000 deep": ("application/json", b"[" * DEEP + b"]" * DEEP),
    "objects nested 100 000 deep": ("application/json", b'{"a":' * DEEP + b"1" + b"}" * DEEP),
    "a field nested 900 deep": (
        "application/json",
        b'{"title": ' + b'{"a":' * 900 + b"1" + b"}" * 901,
    ),
    "merge patch nested 100 000 deep": (
        "application/merge-patch+json",
        b'{"a":' * DEEP + b"1" + b"}" * DEEP,
    ),
    "merge patch nested 900 deep": (
        "application/merge-patch+json",
        b'{"description": ' + b'{"a":' * 900 + b"1" + b"}" * 901,
    ),
    "an integer of 5000 digits": ("application/json", b'{"expires_in": ' + b"9" * 5000 + b"}"),
    "a float overflow": ("application/json", b'{"expires_in": 1e999, "size": 1e999}'),
    "NUL and a lone surrogate in strings": (
        "application/merge-patch+json",
        b'{"title": {"zh": "\\u0000\\ud800"}, "decision": "\\ud800", "note": "\\u0000"}',
    ),
    "lone surrogates as JSON": (
        "application/json",
        b'{"decision": "\\ud800", "note": "\\udfff", "q": "\\ud800"}',
    ),
    "10 000-character strings": (
        "application/merge-patch+json",
        b'{"title": {"zh": "' + b"x" * 10_000 + b'"}, "note": "' + b"x" * 10_000 + b'"}',
    ),
    "invalid UTF-8 as JSON": ("application/json", b'{"note": "\xff\xfe"}'),
    "JSON null": ("application/json", b"null"),
    "JSON number": ("application/merge-patch+json", b"1"),
    "plain text": ("text/plain", b"hello"),
    "no content type": (None, b"hello"),
    "multipart without a boundary": ("multipart/form-data", b"hello"),
    "multipart with a broken part": (
        "multipart/form-data; boundary=xyz",
        b"--xyz\r\nContent-Disposition: form-data; name=\x00\r\n\r\n\xff\r\n--xyz",
    ),
    "hostile values under the routes' own names": (
        "application/json",
        b'{"query": "q=x&year_from=' + b"9" * 30 + b"&decade=" + b"9" * 5000 + b'", '
        b'"expires_in": ' + b"9" * 30 + b', "status": "draft", "reason": "\\u0000\\ud800", '
        b'"title": {"zh": "\\ud800\\u0000"}, "subjects": ["\\uffff"]}',
    ),
    "merge patch with a lone surrogate": (
        "application/merge-patch+json",
        b'{"subjects": ["\\ud800"]}',
    ),
    "merge patch with 10 000 characters": (
        "application/merge-patch+json",
        b'{"subjects": ["' + b"x" * 10_000 + b'"]}',
    ),
    "multipart: hostile file names and fields": (
        "multipart/form-data; boundary=xyz",
        b'--xyz\r\nContent-Disposition: form-data; name="collection"\r\n\r\n'
        + b"x" * 2000
        + b'\r\n--xyz\r\nContent-Disposition: form-data; name="files"; filename="'
        + b"a" * 300
        + b'.jpg"\r\n\r\nnot a picture\r\n--xyz\r\nContent-Disposition: form-data; '
        b'name="files"; filename="\xff\xfe\xed\xa0\x80.txt"\r\n\r\ntext\r\n'
        b'--xyz\r\nContent-Disposition: form-data; name="manifest"; filename="../../m.csv"'
        b"\r\n\r\npath\r\n--xyz--\r\n",
    ),
    "form with NUL and U+FFFF": (
        "application/x-www-form-urlencoded",
        b"verb=ListRecords&metadataPrefix=%00&key=%EF%BF%BF&set=%ED%A0%80",
    ),
}

EXTRA_QUERY: dict[str, tuple[str, ...]] = {
    "/": (
        "q",
        "category",
        "media_type",
        "region",
        "collection",
        "decade",
        "era",
        "year_from",
        "year_to",
        "sort",
        "size",
        "page",
    ),
    "/items/{item_id}": ("image", "strip"),
    "/oai": ("verb", "identifier", "metadataPrefix", "from", "until", "set", "resumptionToken"),
    "/insights": ("days",),
}
"""Query names routes outside the OpenAPI schema (or reading the raw query string) use."""

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_PARAM = re.compile(r"{(\w+)(?::\w+)?}")


@dataclass(frozen=True)
class Probe:
    what: str  # which hostile input, where
    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None

    def __str__(self) -> str:
        return f"{self.method} {self.url[:80]}: {self.what}"


def valid_path_values(corpus: Corpus, token: str) -> dict[str, str]:
    item = corpus.ids["P1"]
    return {
        "item_id": item,
        "identifier": item,
        "role": "original",
        "region": "full",
        "size": "max",
        "rotation": "0",
        "quality_format": "default.jpg",
        "slug": COLLECTION,
        "token": token,
        "job_id": "20260101T000000Z-nothing-000000",
        "n": "1",
        "page": "1",
        "path": "style.css",
        "project_id": "project-vii-16",
        "bearer_id": "bearer-wang-1950",
        "uuid": "0123456789abcdef0123456789abcdef",  # a resumable upload's id (none such)
    }


def probes(app: Any, corpus: Corpus, token: str) -> Iterator[Probe]:
    spec = app.openapi()["paths"]
    valid = valid_path_values(corpus, token)
    values = {**{what: quote(v, safe="") for what, v in HOSTILE.items()}, **RAW}
    for path, methods in every_route(app.routes):
        if path.startswith(("/docs", "/redoc", "/openapi")):
            continue
        operations = spec.get(path, {})
        names = [match.group(1) for match in _PARAM.finditer(path)]
        query = {
            p["name"]
            for op in operations.values()
            for p in op.get("parameters", [])
            if p["in"] == "query"
        } | {"lang", *EXTRA_QUERY.get(path, ())}
        filled = {n: quote(valid[n], safe="/" if n == "path" else "") for n in names}
        for method in sorted(methods - {"HEAD"}) or ["GET"]:
            url = _url(path, filled)
            for what, value in values.items():
                for name in names:
                    yield Probe(f"{what} in {name}", method, _url(path, {**filled, name: value}))
                for name in sorted(query):
                    yield Probe(f"{what} in ?{name}", method, f"{url}?{name}={value}")
            for header, value in HEADERS.items():
                yield Probe(f"header {header}", method, url, ((header, value),))
            if method in WRITES:
                for what, (content_type, body) in BODIES.items():
                    headers = (("Content-Type", content_type),) if content_type else ()
                    yield Probe(f"body: {what}", method, url, headers, body)


def _url(path: str, values: dict[str, str]) -> str:
    return _PARAM.sub(lambda m: values[m.group(1)], path)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Corpus]]:
    corpus = shared_corpus().copy(tmp_path_factory.mktemp("hostile") / "data")
    with TestClient(create_app(corpus.settings()), raise_server_exceptions=False) as test_client:
        yield test_client, corpus


@pytest.mark.parametrize("actor", ["anonymous", "admin"])
def test_no_hostile_input_makes_a_server_error(
    client: tuple[TestClient, Corpus], actor: str
) -> None:
    test_client, corpus = client
    key = {"X-API-Key": API_KEY}
    made = test_client.post(f"/api/items/{corpus.ids['P1']}/share", json={}, headers=key)
    assert made.status_code == 200, made.text
    token = made.json()["url"].rsplit("/", 1)[1]
    failures = []
    count = 0
    for probe in probes(test_client.app, corpus, token):
        headers = dict(probe.headers) | (key if actor == "admin" else {})
        response = test_client.request(probe.method, probe.url, headers=headers, content=probe.body)
        count += 1
        if response.status_code >= 500:
            failures.append(f"{probe} -> {response.status_code} {response.text[:120]}")
    item = corpus.ids["P1"]
    for url in (  # nothing a probe managed to store may break what reads it afterwards
        "/oai?verb=ListRecords&metadataPrefix=oai_dc",
        "/oai?verb=ListRecords&metadataPrefix=edm",
        f"/api/items/{item}",
        f"/items/{item}",
        f"/iiif/{item}/manifest",
        f"/api/items/{item}/events",
        "/api/search?q=x",
    ):
        response = test_client.get(url, headers=key if actor == "admin" else {})
        if response.status_code >= 500:
            failures.append(f"GET {url} afterwards -> {response.status_code}")
    assert count > 1000, f"only {count} probes: are the routes found?"
    assert not failures, f"{len(failures)} of {count} probes failed:\n" + "\n".join(failures)


def test_every_route_is_probed(client: tuple[TestClient, Corpus]) -> None:
    """The walk finds the routes of every router (a walk that missed the routers finds none)."""
    paths = {path for path, _ in every_route(client[0].app.routes)}
    assert {"/api/search", "/oai", "/", "/api/items/{item_id}", "/static/{path:path}"} <= paths


@pytest.mark.parametrize("actor", ["anonymous", "admin"])
def test_a_job_id_longer_than_a_file_name_is_404(
    client: tuple[TestClient, Corpus], actor: str
) -> None:
    """The id became the name of a file to open: past 255 bytes the open failed (a 500)."""
    test_client, _ = client
    finished = Job("20260101T000000Z-done-000000", COLLECTION, "wx-centre", "pytest", "", [])
    finished.state = "done"
    JobStore(test_client.app.state.services.store).save(finished)  # so `jobs/` exists
    headers = {"X-API-Key": API_KEY} if actor == "admin" else {}
    for path in ("/api/jobs/" + "a" * 300, "/api/jobs/" + "a" * 300 + "/report"):
        response = test_client.get(path, headers=headers)
        assert response.status_code == 404, response.text[:200]
        assert "no ingest job" in response.json()["error"]["message"]
