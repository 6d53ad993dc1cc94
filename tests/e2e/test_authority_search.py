"""Authorities as search-box results: a search naming a project or a bearer (简体, 繁體, pinyin)
shows its card above the item results, linking to its page, and `authorities` in the search
JSON. Names are matched by the authority store, not the index, so this holds on every backend."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.http.app import create_app
from api.settings import Settings
from tests.e2e.authority_support import authority_catalogue
from tests.e2e.test_related_items import MANIFEST

HTML = {"accept": "text/html"}


def test_a_search_naming_a_project_or_bearer_shows_its_card(tmp_path: Path) -> None:
    data, _ = authority_catalogue(tmp_path, MANIFEST)
    settings = Settings(data_dir=data, storage="local", search="sqlite", _env_file=None)
    with TestClient(create_app(settings)) as client:
        page = client.get("/?q=剪纸&lang=zh", headers=HTML).text
        cards = page[page.index('id="authority-cards"') : page.index('id="cards"')]
        assert 'href="/projects/project-vii-16"' in cards and "代表性项目" in cards
        assert "Ⅶ-16" in cards
        assert page.index('id="authority-cards"') < page.index("窗花《喜鹊登梅》")

        for q in ("黄丽华", "黃麗華", "huang lihua", "Huáng Lìhuá", "剪纸 黄丽华"):
            answer = client.get("/api/search", params={"q": q, "lang": "en"}).json()
            ids = [card["id"] for card in answer["authorities"]]
            assert "bearer-huang-lihua-1950" in ids, q
            card = next(c for c in answer["authorities"] if c["kind"] == "bearer")
            assert card["url"] == "/bearers/bearer-huang-lihua-1950"
            assert card["name"] == "Huang Lihua" and card["kind_label"] == "Representative bearer"
            assert card["level_label"] == "National"
        both = client.get("/api/search", params={"q": "剪纸 黄丽华"}).json()["authorities"]
        assert [c["kind"] for c in both] == ["project", "bearer"]

        for q in ("", "长调民歌", "黄丽", "x" * 300):
            answer = client.get("/api/search", params={"q": q}).json()
            assert answer["authorities"] == [], q
        quiet = client.get("/?q=长调民歌", headers=HTML).text
        assert 'id="authority-cards"' in quiet and "authority-card__name" not in quiet
        second = client.get("/?q=剪纸&page=2", headers=HTML).text
        assert "authority-card__name" not in second  # the cards head the first page only
