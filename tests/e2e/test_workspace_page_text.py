"""A curator corrects one page's OCR text in the workspace: the form per page (CSRF, If-Match),
a new version marked as a person's, search finding the corrected word on that page, and an
archivist refused. The OCR itself is faked here (a record as the stage leaves it); the stage is
tests/e2e/test_ocr.py's."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from api.http.app import create_app
from api.services import Services
from ingest.ocr import page_texts, set_page_texts
from repository.users import UserStore
from tests.browser.markup import parse
from tests.e2e.sharing_support import make_settings
from tests.support.ingesting import ingest_folder

PASSWORD = "correct horse battery"


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def signed_in(client: TestClient, name: str) -> None:
    form = client.get("/workspace/login")
    data = {"name": name, "password": PASSWORD, "csrf_token": csrf_of(form.text)}
    assert client.post("/workspace/login", data=data, follow_redirects=False).status_code == 303


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Any, str]:
    source = tmp_path / "source"
    source.mkdir()
    frames = [Image.new("RGB", (300, 400), c) for c in ((200, 30, 30), (30, 30, 200))]
    frames[0].save(source / "scan.tif", "TIFF", save_all=True, append_images=frames[1:])
    (source / "m.csv").write_text(
        "path,identifier,title_zh,status,access\nscan.tif,T-1,唱本,published,public\n",
        encoding="utf-8",
    )
    settings = make_settings(tmp_path / "data", institution="local")
    report = ingest_folder(settings, source, source / "m.csv", "scans", institution="local")
    item_id = report.items[0].id
    assert item_id is not None
    services = Services.from_settings(settings)
    try:
        record = dict(services.records.load(item_id))
        set_page_texts(record, ["第一页识别", "窗花识别错字"])
        record["ocr"] = {
            "engine": "rapidocr 1.4.4",
            "confidence": 0.9,
            "pages": [
                {"page": n, "engine": "rapidocr 1.4.4", "confidence": 0.9, "layout": "horizontal"}
                for n in (1, 2)
            ],
        }
        services.records.save(record)
        services.index.index([record])
        users = UserStore(services.store)
        users.create("curator", "local", "curator", PASSWORD)
        users.create("archivist", "local", "archivist", PASSWORD)
    finally:
        services.close()
    return settings, item_id


def test_a_curator_corrects_one_pages_text_and_search_finds_it_there(
    setup: tuple[Any, str],
) -> None:
    settings, item_id = setup
    with TestClient(create_app(settings), base_url="http://heritage.test") as client:
        signed_in(client, "curator")
        page = client.get(f"/workspace/items/{item_id}", headers={"Accept-Language": "en"})
        forms = parse(page.text).find("section", "page-texts").find_all("form")
        assert [f.attrs["action"] for f in forms] == [
            f"/workspace/items/{item_id}/pages/{n}/text" for n in (1, 2)
        ]
        assert "OCR (rapidocr 1.4.4, confidence 90 %)" in forms[1].text()
        etag = html.unescape(re.findall(r'name="etag" value="([^"]+)"', page.text)[-1])
        url = f"/workspace/items/{item_id}/pages/2/text"
        fields = {"csrf_token": csrf_of(page.text), "etag": etag, "text": "窗花剪纸喜鹊"}

        assert client.post(url, data={**fields, "csrf_token": "wrong"}).status_code == 403
        stale = client.post(url, data={**fields, "etag": '"stale"'}, follow_redirects=False)
        assert stale.status_code in (409, 412)  # the form was of another version: not saved
        saved = client.post(url, data=fields, follow_redirects=False)
        assert saved.status_code == 303
        assert saved.headers["location"] == f"/workspace/items/{item_id}?saved=1#page-2"

        services = Services.from_settings(settings)
        try:
            record = services.records.load(item_id)
            assert page_texts(record, 2) == ["第一页识别", "窗花剪纸喜鹊"]
            edited = record["ocr"]["pages"][1]
            assert edited["edited_by"] == "curator"
            assert "edited_by" not in record["ocr"]["pages"][0]
            assert any("page 2" in e.get("detail", "") for e in record["events"])
        finally:
            services.close()
        (hit,) = client.get("/api/search", params={"q": "喜鹊"}).json()["items"]
        assert hit["id"] == item_id and hit["highlights"]["page"] == "2"
        public = client.get(
            f"/items/{item_id}?page=2", headers={"Accept": "text/html", "Accept-Language": "en"}
        )
        note = parse(public.text).find("p", "page-text__source").text()
        assert note == "OCR text, corrected by a curator"  # and not who

        client.post("/workspace/logout", data={"csrf_token": csrf_of(page.text)})
    with TestClient(create_app(settings), base_url="http://heritage.test") as client:
        signed_in(client, "archivist")
        form = client.get("/workspace/")
        refused = client.post(url, data={"csrf_token": csrf_of(form.text), "etag": "", "text": "x"})
        assert refused.status_code == 403
