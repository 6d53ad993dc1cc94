"""What the governance tests stand on: a repository ingested by the real pipeline with items of
two institutions at every access level, API keys of every role, and an HTTP client.

Institution A (`museum-a`) owns one item per access level (see `LEVELS`); institution B
(`library-b`) owns a few more. Every item has its own title words and its own region, so a search
hit or a facet count reveals exactly one item.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.http.app import create_app
from api.services import Services
from api.settings import Settings
from repository.apikeys import KeyStore
from tests.e2e.sharing_support import noise_picture
from tests.support.ingesting import ingest_folder

INST_A = "museum-a"
INST_B = "library-b"
ADMIN_TOKEN = "bootstrap-admin-token-for-tests"
SECRET = "governance-test-secret-0123456789abcdef"
BASE_URL = "http://heritage.test"

LEVELS: dict[str, dict[str, str]] = {
    "public-published": {"status": "published", "access": "public"},
    "public-draft": {"status": "draft", "access": "public"},
    "institution": {"status": "published", "access": "institution"},
    "restricted": {"status": "published", "access": "restricted"},
    "embargoed": {"status": "published", "access": "public", "embargo_until": "2999-01-01"},
}
"""The access levels of the matrix: institution A owns one item at each."""

ITEMS_B: dict[str, dict[str, str]] = {
    "b-public": {"status": "published", "access": "public"},
    "b-review": {"status": "review", "access": "public"},
    "b-restricted": {"status": "published", "access": "restricted"},
}

_TITLES = {
    "public-published": ("鹤舞剪纸", "Crane dance papercut"),
    "public-draft": ("虎头鞋样", "Tiger head shoe pattern"),
    "institution": ("渔歌手抄本", "Fishing song manuscript"),
    "restricted": ("祭祀内部影像", "Ritual inner footage"),
    "embargoed": ("新编皮影", "Newly made shadow puppets"),
    "b-public": ("龙灯扎制", "Dragon lantern making"),
    "b-review": ("傩面雕刻", "Nuo mask carving"),
    "b-restricted": ("族谱残卷", "Clan genealogy fragment"),
}
_REGIONS = {
    "public-published": "鹤城县",
    "public-draft": "虎丘镇",
    "institution": "渔港乡",
    "restricted": "祭山村",
    "embargoed": "影坊街",
    "b-public": "龙泉镇",
    "b-review": "傩乡",
    "b-restricted": "谱村",
}
COLUMNS = ["path", "identifier", "title_zh", "title_en", "region", "institution", "status"]
COLUMNS += ["access", "embargo_until"]


@dataclass
class Repo:
    client: TestClient
    settings: Settings
    services: Services
    ids: dict[str, str]  # name (a LEVELS or ITEMS_B key) -> item id
    originals: dict[str, bytes]
    tokens: dict[str, str] = field(default_factory=dict)  # actor -> token ("" = anonymous)

    def title(self, name: str) -> str:
        return _TITLES[name][0]

    def record(self, name: str) -> dict[str, Any]:
        return self.services.records.load(self.ids[name])

    def etag(self, actor: str, name: str) -> str:
        response = self.get(actor, f"/api/items/{self.ids[name]}")
        assert response.status_code == 200, response.text
        return response.headers["ETag"]

    def region(self, name: str) -> str:
        return _REGIONS[name]

    def headers(self, actor: str, **extra: str) -> dict[str, str]:
        token = self.tokens[actor]
        return {**({"Authorization": f"Bearer {token}"} if token else {}), **extra}

    def get(self, actor: str, url: str, **kwargs: Any) -> Any:
        headers = self.headers(actor, **kwargs.pop("headers", {}))
        return self.client.get(url, headers=headers, **kwargs)

    def post(self, actor: str, url: str, **kwargs: Any) -> Any:
        headers = self.headers(actor, **kwargs.pop("headers", {}))
        return self.client.post(url, headers=headers, **kwargs)

    def patch(self, actor: str, url: str, patch: Any, **extra: str) -> Any:
        headers = self.headers(actor, **{"Content-Type": "application/merge-patch+json", **extra})
        return self.client.patch(url, json=patch, headers=headers)


def settings_for(data_dir: Path, **overrides: Any) -> Settings:
    return Settings(
        data_dir=data_dir,
        storage="local",
        search="sqlite",
        api_keys=ADMIN_TOKEN,
        secret=SECRET,
        base_url=BASE_URL,
        institution="operator",
        _env_file=None,
        **overrides,
    )


def ingest_rows(
    settings: Settings,
    source: Path,
    rows: dict[str, dict[str, str]],
    collection: str,
    extra_titles: dict[str, tuple[str, str]] | None = None,
) -> tuple[dict[str, str], dict[str, bytes]]:
    """Ingest one picture per row with the real pipeline; (name → item id, name → bytes)."""
    titles = {**_TITLES, **(extra_titles or {})}
    source.mkdir(parents=True, exist_ok=True)
    manifest = source.parent / f"{collection}.csv"
    originals = {}
    with manifest.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for seed, (name, fields) in enumerate(rows.items()):
            path = f"{name}.png"
            originals[name] = noise_picture(source / path, f"{collection}/{seed}", (96, 64))
            zh, en = titles[name]
            writer.writerow(
                [
                    path,
                    name,
                    zh,
                    en,
                    _REGIONS.get(name, ""),
                    fields.get("institution", INST_A),
                    fields["status"],
                    fields["access"],
                    fields.get("embargo_until", ""),
                ]
            )
    report = ingest_folder(settings, source, manifest, collection, institution=INST_A)
    ids = {outcome.source.removesuffix(".png"): outcome.id for outcome in report.items}
    assert set(ids) == set(rows), ids
    return ids, originals


@contextmanager
def governed_repository(
    root: Path, extra: dict[str, tuple[dict[str, str], tuple[str, str]]] | None = None
) -> Iterator[Repo]:
    """Institution A's items at every level, B's items, and keys for every actor; `extra`
    items (name → (fields, (title zh, title en))) go to A's collection `museum-a-more`."""
    config = settings_for(root / "data")
    ids, originals = ingest_rows(config, root / "a", dict(LEVELS), "museum-a-items")
    rows_b = {name: {**fields, "institution": INST_B} for name, fields in ITEMS_B.items()}
    more_ids, more_originals = ingest_rows(config, root / "b", rows_b, "library-b-items")
    if extra:
        rows = {name: fields for name, (fields, _) in extra.items()}
        titles = {name: title for name, (_, title) in extra.items()}
        extra_ids, extra_originals = ingest_rows(config, root / "c", rows, "museum-a-more", titles)
        more_ids, more_originals = more_ids | extra_ids, more_originals | extra_originals
    with TestClient(create_app(config)) as client:
        services = client.app.state.services
        keys = KeyStore(services.store)
        tokens = {"anonymous": "", "admin": ADMIN_TOKEN}
        for actor, institution, role in [
            ("archivist-a", INST_A, "archivist"),
            ("curator-a", INST_A, "curator"),
            ("curator-b", INST_B, "curator"),
            ("archivist-b", INST_B, "archivist"),
            ("admin-key", INST_B, "admin"),
        ]:
            tokens[actor] = keys.create(institution, role, f"pytest {actor}")[1]
        yield Repo(client, config, services, ids | more_ids, originals | more_originals, tokens)
