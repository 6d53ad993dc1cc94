"""What the end-to-end modules that ingest a small corpus of their own share (captions, document
pages): the folder ingested into a fresh repository for the institution `local`, its stored
records by manifest identifier, the app over it and its pages parsed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.http.app import create_app
from api.settings import Settings
from ingest.report import IngestReport
from repository import RecordStore, open_store
from tests.browser.markup import Node, parse
from tests.e2e.sharing_support import make_settings
from tests.support.ingesting import ingest_folder


@dataclass
class Ingested:
    settings: Settings
    report: IngestReport

    def record(self, identifier: str) -> dict[str, Any]:
        """The stored record of the item whose manifest row gave this identifier."""
        store = RecordStore(open_store(self.settings.store_config()))
        for item in self.report.items:
            if item.id and store.load(item.id).get("identifier") == identifier:
                return dict(store.load(item.id))
        raise KeyError(identifier)


def ingest_corpus(data: Path, source: Path, collection: str, **options: Any) -> Ingested:
    """`source` with its `manifest.csv`, ingested into a new repository at `data` (options as
    `ingest_folder` takes them: `expect_failures`, limits, …)."""
    settings = make_settings(data)
    manifest = source / "manifest.csv"
    return Ingested(
        settings,
        ingest_folder(settings, source, manifest, collection, institution="local", **options),
    )


def served(ingested: Ingested) -> Iterator[TestClient]:
    """The body of a module's `client` fixture: the app over the corpus, its lifespan running."""
    with TestClient(create_app(ingested.settings)) as client:
        yield client


def html(client: TestClient, url: str, lang: str = "en") -> Node:
    response = client.get(url, headers={"Accept-Language": lang, "Accept": "text/html"})
    assert response.status_code == 200, response.text[:500]
    return parse(response.text)
