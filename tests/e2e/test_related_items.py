"""Related items on the item page and at `/api/items/{id}/related`: linked by the same bearer or
project first, with the reason shown; a draft or restricted item never appears for the public."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.http.app import create_app
from api.settings import Settings
from tests.e2e.authority_support import LINKED, authority_catalogue

MANIFEST = LINKED + (  # + one more of the bearer, one alike in words, one unlike
    "d.jpg,十二生肖团花,,黄丽华,published,public\n"
    "e.jpg,窗花图样集,,,published,public\n"
    "f.jpg,长调民歌,,,published,public\n"
)


def test_related_items_on_the_page_and_in_the_api(tmp_path: Path) -> None:
    data, items = authority_catalogue(tmp_path, MANIFEST)
    settings = Settings(data_dir=data, storage="local", search="sqlite", _env_file=None)
    first = items["窗花《喜鹊登梅》"]
    with TestClient(create_app(settings)) as client:
        page = client.get(f"/items/{first}?lang=zh", headers={"accept": "text/html"}).text
        related = page[page.index('id="related"') :]
        assert "相关条目" in related and "十二生肖团花" in related and "同一传承人" in related
        assert "窗花图样集" in related and "内容相近" in related
        assert "未审草稿" not in page and "内部资料" not in page and "长调民歌" not in related
        english = client.get(f"/items/{first}?lang=en", headers={"accept": "text/html"}).text
        assert "Related items" in english and "Same bearer" in english

        answer = client.get(f"/api/items/{first}/related")
        assert answer.status_code == 200 and "etag" not in answer.headers
        body = answer.json()
        assert body["item"] == first
        found = [(item["id"], item["reason"]) for item in body["related"]]
        assert found == [
            (items["十二生肖团花"], "same_bearer"),
            (items["窗花图样集"], "similar_text"),
        ]
        assert body["related"][0]["page_url"] == f"/items/{items['十二生肖团花']}"
        assert body["related"][0]["title"] == "十二生肖团花"

        for bad in ("0", "25", "many"):
            refused = client.get(f"/api/items/{first}/related?limit={bad}")
            assert refused.status_code == 422 and "limit" in refused.text
        hidden = client.get(f"/api/items/{items['内部资料']}/related")
        assert hidden.status_code == 404  # a hidden item has no related list either
        alone = client.get(f"/items/{items['长调民歌']}", headers={"accept": "text/html"}).text
        assert 'id="related"' not in alone
