"""`/projects/{id}` and `/bearers/{id}`: who, what, where, and the items linked to them that the
visitor may see — a draft or restricted item never appears on the public page; an id of the other
kind, or none, is a 404 page in the visitor's language."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.http.app import create_app
from api.settings import Settings
from tests.e2e.authority_support import LINKED, authority_catalogue


def test_project_and_bearer_pages_show_only_what_the_public_may_see(tmp_path: Path) -> None:
    data, items = authority_catalogue(tmp_path, LINKED)
    settings = Settings(data_dir=data, storage="local", search="sqlite", _env_file=None)
    html = {"accept": "text/html"}
    with TestClient(create_app(settings)) as client:
        project = client.get("/projects/project-vii-16", headers=html)
        assert project.status_code == 200
        page = project.text
        assert "剪纸" in page and "Ⅶ-16" in page and "2006" in page and "国家级" in page
        assert 'href="/bearers/bearer-huang-lihua-1950"' in page and "黄丽华" in page
        assert "窗花《喜鹊登梅》" in page and "相关条目（1）" in page
        assert "未审草稿" not in page and "内部资料" not in page
        assert "蔚县剪纸" in page  # a place inscribed under the number, as another name

        bearer = client.get("/bearers/bearer-huang-lihua-1950?lang=en", headers=html)
        assert bearer.status_code == 200
        page = bearer.text
        assert "Huang Lihua" in page and "Representative bearer" in page and "National" in page
        assert 'href="/projects/project-vii-16"' in page
        assert "https://www.wikidata.org/wiki/Q42" in page
        assert "1950年" in page and "河北省蔚县" in page and "蔚县剪纸艺人。" in page
        assert "窗花《喜鹊登梅》" in page and "Items (1)" in page
        assert "未审草稿" not in page and "内部资料" not in page

        for url in ("/projects/bearer-huang-lihua-1950", "/bearers/project-vii-16",
                    "/projects/project-nope", "/bearers/..%2Fetc"):  # fmt: skip
            missing = client.get(url, headers=html)
            assert missing.status_code == 404, url
        in_zh = client.get("/projects/project-nope?lang=zh", headers=html)  # ?lang=en stuck
        assert "没有编号为 project-nope 的代表性项目" in in_zh.text
        item = client.get(f"/items/{items['窗花《喜鹊登梅》']}?lang=zh", headers=html).text
        assert "项目与传承人" in item
        assert 'href="/projects/project-vii-16"' in item and 'href="/bearers/bearer-huang' in item

        empty = client.get("/projects/project-i-1", headers=html)
        assert empty.status_code == 200 and "苗族古歌" in empty.text


def test_search_filters_and_counts_by_project_and_bearer_with_their_names(tmp_path: Path) -> None:
    data, items = authority_catalogue(tmp_path, LINKED)
    settings = Settings(data_dir=data, storage="local", search="sqlite", _env_file=None)
    bearer = "bearer-huang-lihua-1950"
    with TestClient(create_app(settings)) as client:
        found = client.get(
            "/api/search",
            params={"project": "project-vii-16", "bearer": bearer, "facets": "project,bearer"},
        ).json()
        assert [i["title"] for i in found["items"]] == ["窗花《喜鹊登梅》"]  # not the draft
        assert [(f["value"], f["label"], f["count"]) for f in found["facets"]["project"]] == [
            ("project-vii-16", "剪纸", 1)  # the seed list has no English name: Chinese stands in
        ]
        assert [(f["value"], f["label"], f["count"]) for f in found["facets"]["bearer"]] == [
            (bearer, "黄丽华", 1)
        ]
        english = client.get("/api/search", params={"facets": "bearer", "lang": "en"}).json()
        assert english["facets"]["bearer"][0]["labels"] == {"zh": "黄丽华", "en": "Huang Lihua"}
        assert english["facets"]["bearer"][0]["label"] == "Huang Lihua"
        none = client.get("/api/search", params={"project": "project-i-1"}).json()
        assert none["total"] == 0
        bad = client.get("/api/search", params={"facets": "projects"})
        assert bad.status_code == 422 and "projects" in bad.text

        html = {"accept": "text/html"}
        page = client.get("/", params={"project": "project-vii-16"}, headers=html).text
        assert 'data-facet="project"' in page and 'data-facet="bearer"' in page
        assert "非遗项目" in page and "剪纸" in page and "黄丽华" in page
        assert "窗花《喜鹊登梅》" in page and "未审草稿" not in page
