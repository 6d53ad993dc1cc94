"""`GET /api/search?format=csv` over real HTTP: UTF-8 with BOM, an attachment, every page of the
current result and nothing the public may not see; the row cap on the real index."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

from api.http.searching import search_params
from api.protocols.exports import CSV_COLUMNS, csv_lines
from api.services import Services
from search.base import Audience
from tests.e2e.sharing_support import Corpus, LiveServer


def fetch_csv(server: LiveServer, query: str) -> tuple[dict, list[dict[str, str]]]:
    status, headers, body = server.get(f"/api/search?format=csv&{query}")
    assert status == 200, body
    assert body.startswith("\ufeff".encode())  # the BOM Excel needs to read UTF-8
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    return headers, rows


def test_whole_result_as_csv(server: LiveServer, corpus: Corpus) -> None:
    headers, rows = fetch_csv(server, "size=2")  # size is a page size: every page is exported
    assert headers["content-type"].startswith("text/csv")
    assert headers["content-disposition"].startswith("attachment;")
    assert list(rows[0].keys()) == list(CSV_COLUMNS)
    assert {row["id"] for row in rows} == corpus.visible
    p1 = next(row for row in rows if row["id"] == corpus.ids["P1"])
    assert p1 == {
        "id": corpus.ids["P1"],
        "title_zh": "蔚县剪纸《戏曲人物》",
        "title_en": "Yuxian paper cutting: opera figures",
        "category": "traditional-art",
        "region": "河北省蔚县",
        "date": "1985",
        "media_type": "image",
        "url": f"{server.url}/items/{corpus.ids['P1']}",
    }


def test_csv_follows_the_query_and_filters(server: LiveServer, corpus: Corpus) -> None:
    _, rows = fetch_csv(server, "category=traditional-drama")
    assert [row["id"] for row in rows] == [corpus.ids["O1"]]
    _, rows = fetch_csv(server, urlencode({"q": "龙舟"}))
    assert [row["id"] for row in rows] == [corpus.ids["V1"]]
    _, rows = fetch_csv(server, urlencode({"q": "剪纸"}))
    assert not {row["id"] for row in rows} & (corpus.hidden | corpus.withdrawn)
    _, rows = fetch_csv(server, "q=nothing-matches-this")
    assert rows == []


def test_bad_format_is_refused(server: LiveServer) -> None:
    assert server.get("/api/search?format=xlsx")[0] == 422


def test_rows_stop_at_the_cap(corpus: Corpus) -> None:
    services = Services.from_settings(corpus.settings())
    try:
        params = search_params()
        chunks = list(csv_lines(services.index, params, Audience.public(), "http://x", max_rows=3))
    finally:
        services.close()
    rows = list(csv.reader(io.StringIO("".join(chunks).removeprefix("\ufeff"))))
    assert rows[0] == list(CSV_COLUMNS)
    assert len(rows) == 1 + 3
