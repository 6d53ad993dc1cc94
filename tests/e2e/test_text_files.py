"""Text originals are served with the charset their bytes are in (UTF-8 or GBK/GB18030, the two
ingest takes), so a browser shows a GBK transcript as Chinese, not as mojibake."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from tests.e2e.sharing_support import COLUMNS, ingest, make_settings

LYRICS = "乌珠穆沁长调：辽阔的草原上，马儿奔跑。\n第二段唱词。\n"
TEXTS = {  # identifier -> (file name, bytes)
    "gbk": ("唱词-gbk.txt", LYRICS.encode("gbk")),
    "utf8": ("唱词-utf8.txt", LYRICS.encode("utf-8")),
    "bom": ("notes.md", LYRICS.encode("utf-8-sig")),
    "long-gbk": ("长.txt", (LYRICS * 4000).encode("gb18030")),  # beyond the head read
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str]]]:
    root = tmp_path_factory.mktemp("texts")
    source = root / "source"
    source.mkdir()
    rows = []
    for identifier, (name, data) in TEXTS.items():
        (source / name).write_bytes(data)
        row = dict.fromkeys(COLUMNS, "")
        row |= {"path": name, "identifier": identifier, "title_zh": f"唱词 {identifier}"}
        row |= {"status": "published", "access": "public"}
        rows.append([row[column] for column in COLUMNS])
    manifest = root / "source.csv"
    with manifest.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([COLUMNS, *rows])
    settings = make_settings(root / "data")
    ids = ingest(settings, source, manifest, "transcripts", rows)
    with TestClient(create_app(settings)) as client:
        yield client, ids


@pytest.mark.parametrize(
    ("identifier", "charset"),
    [("gbk", "gb18030"), ("utf8", "utf-8"), ("bom", "utf-8"), ("long-gbk", "gb18030")],
)
def test_a_text_original_names_the_charset_of_its_bytes(
    served: tuple[TestClient, dict[str, str]], identifier: str, charset: str
) -> None:
    client, ids = served
    url = f"/api/items/{ids[identifier]}/files/original"
    response = client.get(url)
    assert response.status_code == 200
    media_type = "text/markdown" if identifier == "bom" else "text/plain"
    assert response.headers["content-type"] == f"{media_type}; charset={charset}"
    assert response.content == TEXTS[identifier][1]  # the bytes as stored, never re-encoded
    assert response.content.decode(charset).lstrip("\ufeff").startswith(LYRICS)
    head = client.head(url)
    assert head.headers["content-type"] == response.headers["content-type"]
    part = client.get(url, headers={"Range": "bytes=0-9"})
    assert part.status_code == 206
    assert part.headers["content-type"] == response.headers["content-type"]


def test_the_item_is_text(served: tuple[TestClient, dict[str, str]]) -> None:
    client, ids = served
    record = client.get(f"/api/items/{ids['gbk']}").json()
    assert record["media_type"] == "text"
    assert record["technical"]["encoding"] == "gb18030"  # what ingest found, and we serve
    assert Path(record["files"][0]["name"]).suffix == ".txt"
