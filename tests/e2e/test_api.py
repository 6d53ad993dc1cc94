"""The HTTP API end to end: real ingest into a real LocalStore and SqliteIndex, then requests.

The collection mixes items the public may see with hidden ones (a draft, a restricted item, one
under embargo): hidden items must behave exactly like ids that do not exist, everywhere.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.settings import Settings
from schemas import category_by_code, validate_record
from tests.e2e.sharing_support import noise_picture
from tests.support.ingesting import ingest_folder

COLUMNS = [
    "path",
    "identifier",
    "title_zh",
    "title_en",
    "category",
    "region",
    "date",
    "people",
    "status",
    "access",
    "embargo_until",
]
ROWS = [
    # visible
    [
        "papercut/蔚县剪纸_戏曲人物.jpg",
        "P1",
        "蔚县剪纸《戏曲人物》",
        "Yuxian paper cutting: opera figures",
        "traditional-art",
        "河北省蔚县",
        "1985",
        "王老汉 (传承人)",
        "published",
        "public",
        "",
    ],
    [
        "papercut/script.jpg",
        "P2",
        "<script>alert(1)</script>窗花剪纸",
        "Window paper-cut",
        "traditional-art",
        "陕西省延川县",
        "2001",
        "",
        "published",
        "public",
        "",
    ],
    [
        "opera/mask.png",
        "O1",
        "京剧脸谱",
        "Peking opera mask",
        "traditional-drama",
        "北京市",
        "1950s",
        "",
        "published",
        "public",
        "",
    ],
    # hidden
    [
        "papercut/draft.jpg",
        "H1",
        "剪纸草稿",
        "Paper cutting draft",
        "traditional-art",
        "河北省蔚县",
        "2020",
        "",
        "draft",
        "public",
        "",
    ],
    [
        "papercut/restricted.jpg",
        "H2",
        "剪纸内部资料",
        "Paper cutting restricted",
        "traditional-art",
        "河北省蔚县",
        "2020",
        "",
        "published",
        "restricted",
        "",
    ],
    [
        "papercut/embargo.jpg",
        "H3",
        "剪纸新作",
        "Paper cutting under embargo",
        "traditional-art",
        "河北省蔚县",
        "2021",
        "",
        "published",
        "public",
        "2999-01-01",
    ],
]
VISIBLE = {"P1", "P2", "O1"}
ART = category_by_code("traditional-art")
DRAMA = category_by_code("traditional-drama")
HIDDEN = {"H1", "H2", "H3"}


@dataclass
class Corpus:
    client: TestClient
    ids: dict[str, str]  # manifest identifier -> item id
    originals: dict[str, bytes]  # manifest identifier -> the original file's bytes
    settings: Settings


def make_settings(data_dir: Path) -> Settings:
    return Settings(
        data_dir=data_dir, storage="local", search="sqlite", api_keys="", _env_file=None
    )


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    root = tmp_path_factory.mktemp("api")
    source = root / "source"
    originals = {row[1]: noise_picture(source / row[0], seed) for seed, row in enumerate(ROWS)}
    manifest = root / "items.csv"
    with manifest.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(ROWS)
    settings = make_settings(root / "data")
    report = ingest_folder(
        settings, source, manifest, "test-papercuts", institution="test", default_status="draft"
    )
    ids = {ROWS[outcome.row - 1][1]: outcome.id for outcome in report.items if outcome.row}
    assert set(ids) == VISIBLE | HIDDEN
    with TestClient(create_app(settings)) as client:
        yield Corpus(client, ids, originals, settings)


def visible_ids(corpus: Corpus) -> set[str]:
    return {corpus.ids[i] for i in VISIBLE}


def hidden_ids(corpus: Corpus) -> set[str]:
    return {corpus.ids[i] for i in HIDDEN}


def search(corpus: Corpus, **params: object) -> dict:
    response = corpus.client.get("/api/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()


# --- search ---------------------------------------------------------------------------------


def test_chinese_query_finds_only_visible_papercuts(corpus: Corpus) -> None:
    result = search(corpus, q="剪纸")
    found = {item["id"] for item in result["items"]}
    assert found == {corpus.ids["P1"], corpus.ids["P2"]}
    assert result["total"] == 2
    assert result["page"] == 1 and result["size"] == 20
    for item in result["items"]:
        assert item["url"] == f"/api/items/{item['id']}"
        assert item["category"] == "traditional-art"
        assert item["category_label"] == ART.zh


def test_english_query(corpus: Corpus) -> None:
    result = search(corpus, q="opera mask")
    assert [item["id"] for item in result["items"]] == [corpus.ids["O1"]]
    assert result["items"][0]["thumbnail_url"] == f"/api/items/{corpus.ids['O1']}/files/thumbnail"


def test_empty_query_lists_everything_visible(corpus: Corpus) -> None:
    result = search(corpus, size=100)
    assert {item["id"] for item in result["items"]} == visible_ids(corpus)
    assert result["total"] == len(VISIBLE)


def test_facets_count_only_visible_items(corpus: Corpus) -> None:
    facets = search(corpus)["facets"]
    categories = {f["value"]: (f["label"], f["count"]) for f in facets["category"]}
    assert categories == {
        "traditional-art": (ART.zh, 2),
        "traditional-drama": (DRAMA.zh, 1),
    }
    assert {f["value"]: f["count"] for f in facets["access"]} == {"public": 3}
    assert sum(f["count"] for f in facets["collection"]) == len(VISIBLE)


def test_labels_follow_lang_and_accept_language(corpus: Corpus) -> None:
    by_param = search(corpus, q="剪纸", lang="en")
    assert {f["label"] for f in by_param["facets"]["category"]} == {ART.en}
    assert by_param["items"][0]["category_label"] == ART.en
    header = corpus.client.get("/api/search", headers={"Accept-Language": "en-GB,en;q=0.8"})
    labels = {f["value"]: f["label"] for f in header.json()["facets"]["category"]}
    assert labels["traditional-drama"] == DRAMA.en
    assert header.json()["facets"]["category"][0]["labels"].keys() == {"zh", "en"}


def test_filters_are_any_of(corpus: Corpus) -> None:
    both = search(corpus, category=["traditional-art", "traditional-drama"])
    assert both["total"] == 3
    drama = search(corpus, category="traditional-drama")
    assert [item["id"] for item in drama["items"]] == [corpus.ids["O1"]]


def test_paging(corpus: Corpus) -> None:
    first = search(corpus, size=2, page=1, sort="title")
    second = search(corpus, size=2, page=2, sort="title")
    assert len(first["items"]) == 2 and len(second["items"]) == 1
    seen = {i["id"] for i in first["items"]} | {i["id"] for i in second["items"]}
    assert seen == visible_ids(corpus)


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"size": 101}, "size"),
        ({"size": 0}, "size"),
        ({"page": 0}, "page"),
        ({"sort": "random"}, "sort"),
        ({"facets": "colour"}, "facets"),
        ({"year_from": "soon"}, "year_from"),
        ({"year_from": "9" * 20}, "year_from"),  # past SQLite's integers: it was a 500
        ({"year_to": "-" + "9" * 300}, "year_to"),
        ({"page": "9" * 20}, "page"),
    ],
)
def test_bad_search_parameters_are_422_naming_the_parameter(
    corpus: Corpus, params: dict, parameter: str
) -> None:
    response = corpus.client.get("/api/search", params=params)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["status"] == 422
    assert f"'{parameter}'" in error["message"]


# --- items ----------------------------------------------------------------------------------


def test_item_is_the_stored_record_with_file_urls(corpus: Corpus) -> None:
    item_id = corpus.ids["P1"]
    record = corpus.client.get(f"/api/items/{item_id}").json()
    assert record["id"] == item_id
    assert record["title"]["zh"] == "蔚县剪纸《戏曲人物》"
    roles = [f["role"] for f in record["files"]]
    assert {"original", "access", "thumbnail"} <= set(roles)
    for file in record["files"]:
        assert file.pop("url") == f"/api/items/{item_id}/files/{file['role']}"
    validate_record(record)


def test_hidden_and_unknown_items_answer_the_same_404(corpus: Corpus) -> None:
    unknown = corpus.client.get("/api/items/no-such-item")
    assert unknown.status_code == 404
    for item_id in hidden_ids(corpus):
        response = corpus.client.get(f"/api/items/{item_id}")
        assert response.status_code == 404
        assert response.json() == _same_as_unknown(unknown.json(), "no-such-item", item_id)


def test_hidden_items_are_absent_from_search(corpus: Corpus) -> None:
    for q in ("剪纸", "draft", "restricted", "embargo", "草稿"):
        found = {item["id"] for item in search(corpus, q=q)["items"]}
        assert not found & hidden_ids(corpus), q


def _same_as_unknown(body: dict, unknown_id: str, item_id: str) -> dict:
    message = body["error"]["message"].replace(unknown_id, item_id)
    return {"error": {**body["error"], "message": message}}


# --- files ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def original(corpus: Corpus) -> tuple[str, bytes]:
    return f"/api/items/{corpus.ids['P1']}/files/original", corpus.originals["P1"]


def test_whole_file_with_headers(corpus: Corpus, original: tuple[str, bytes]) -> None:
    url, data = original
    response = corpus.client.get(url)
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["etag"] == f'"{hashlib.sha256(data).hexdigest()}"'
    assert response.headers["accept-ranges"] == "bytes"
    assert int(response.headers["content-length"]) == len(data)
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert unquote(disposition.split("filename*=UTF-8''", 1)[1]) == "蔚县剪纸_戏曲人物.jpg"


@pytest.mark.parametrize(
    ("header", "part"),
    [
        ("bytes=0-99", slice(0, 100)),
        ("bytes=-100", slice(-100, None)),
        ("bytes=100-", slice(100, None)),
    ],
)
def test_single_ranges(
    corpus: Corpus, original: tuple[str, bytes], header: str, part: slice
) -> None:
    url, data = original
    response = corpus.client.get(url, headers={"Range": header})
    assert response.status_code == 206
    assert response.content == data[part]
    start = part.start % len(data) if part.start is not None else 0
    end = start + len(data[part]) - 1
    assert response.headers["content-range"] == f"bytes {start}-{end}/{len(data)}"
    assert int(response.headers["content-length"]) == len(data[part])


def test_invalid_range_sends_the_whole_file(corpus: Corpus, original: tuple[str, bytes]) -> None:
    url, data = original
    response = corpus.client.get(url, headers={"Range": "bytes=abc"})
    assert response.status_code == 200
    assert response.content == data


def test_unsatisfiable_range_is_416(corpus: Corpus, original: tuple[str, bytes]) -> None:
    url, data = original
    response = corpus.client.get(url, headers={"Range": f"bytes={len(data)}-"})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{len(data)}"
    assert response.json()["error"]["status"] == 416


def test_if_none_match_gives_304(corpus: Corpus, original: tuple[str, bytes]) -> None:
    url, _ = original
    etag = corpus.client.get(url).headers["etag"]
    response = corpus.client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag
    assert corpus.client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


def test_stale_if_range_sends_the_whole_file(corpus: Corpus, original: tuple[str, bytes]) -> None:
    url, data = original
    response = corpus.client.get(url, headers={"Range": "bytes=0-9", "If-Range": '"old"'})
    assert response.status_code == 200 and response.content == data


def test_head_has_headers_but_no_body(corpus: Corpus, original: tuple[str, bytes]) -> None:
    url, data = original
    response = corpus.client.head(url)
    assert response.status_code == 200
    assert response.content == b""
    assert int(response.headers["content-length"]) == len(data)


def test_derivatives_are_served_inline(corpus: Corpus) -> None:
    response = corpus.client.get(f"/api/items/{corpus.ids['P1']}/files/thumbnail")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/")
    assert "content-disposition" not in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"


def test_missing_roles_and_numbers_are_404(corpus: Corpus) -> None:
    item_id = corpus.ids["P1"]
    for url in (f"/api/items/{item_id}/files/poster", f"/api/items/{item_id}/files/original?n=2"):
        response = corpus.client.get(url)
        assert response.status_code == 404
        assert response.json()["error"]["status"] == 404


def test_hidden_files_answer_the_same_404_as_unknown(corpus: Corpus) -> None:
    unknown = corpus.client.get("/api/items/no-such-item/files/original").json()
    for item_id in hidden_ids(corpus):
        for role in ("original", "thumbnail"):
            response = corpus.client.get(f"/api/items/{item_id}/files/{role}")
            assert response.status_code == 404
            assert response.json() == _same_as_unknown(unknown, "no-such-item", item_id)


# --- collections, health, errors -------------------------------------------------------------


def test_collections_count_visible_items(corpus: Corpus) -> None:
    body = corpus.client.get("/api/collections").json()
    assert [(c["slug"], c["count"]) for c in body["collections"]] == [("test-papercuts", 3)]


def test_health_is_ok(corpus: Corpus) -> None:
    response = corpus.client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["storage"]["ok"] and body["index"]["ok"]


def test_health_is_503_when_the_store_is_gone(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/health").status_code == 200
        shutil.rmtree(settings.local_store_path)
        response = client.get("/api/health")
    assert response.status_code == 503
    assert response.json()["storage"]["ok"] is False


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("GET", "/api/nothing", 404),
        ("POST", "/api/search", 405),
        ("GET", "/api/search?size=500", 422),
        ("GET", "/api/items/no-such-item", 404),
    ],
)
def test_errors_are_json(corpus: Corpus, method: str, url: str, status: int) -> None:
    response = corpus.client.request(method, url)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["status"] == status and body["error"]["message"]


def test_openapi_docs_are_served(corpus: Corpus) -> None:
    assert corpus.client.get("/docs").status_code == 200
    paths = corpus.client.get("/openapi.json").json()["paths"]
    assert {"/api/search", "/api/items/{item_id}", "/api/items/{item_id}/files/{role}"} <= set(
        paths
    )


# --- the catalogue page ---------------------------------------------------------------------


def test_catalogue_page_escapes_titles(corpus: Corpus) -> None:
    response = corpus.client.get("/", params={"q": "剪纸"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "蔚县剪纸《戏曲人物》" in page
    assert f"/api/items/{corpus.ids['P1']}/files/thumbnail" in page
    assert "剪纸草稿" not in page


def test_catalogue_page_has_category_facets_with_counts(corpus: Corpus) -> None:
    page = corpus.client.get("/").text
    assert "category=traditional-art" in page and ART.zh in page
    filtered = corpus.client.get("/", params={"category": "traditional-drama"}).text
    assert "京剧脸谱" in filtered and "蔚县剪纸" not in filtered


def test_catalogue_query_is_escaped_in_the_search_box(corpus: Corpus) -> None:
    page = corpus.client.get("/", params={"q": '"><script>x</script>'}).text
    assert "<script>x" not in page


def test_item_page(corpus: Corpus) -> None:
    item_id = corpus.ids["P1"]
    page = corpus.client.get(f"/items/{item_id}").text
    assert "蔚县剪纸《戏曲人物》" in page
    assert "王老汉" in page and "传承人" in page
    assert f"/api/items/{item_id}/files/access" in page
    english = corpus.client.get(f"/items/{item_id}?lang=en").text
    assert "Yuxian paper cutting: opera figures" in english and "Bearer" in english


def test_item_page_escapes_and_hides(corpus: Corpus) -> None:
    page = corpus.client.get(f"/items/{corpus.ids['P2']}").text
    assert "<script>alert" not in page
    hidden = corpus.client.get(f"/items/{corpus.ids['H1']}", headers={"Accept": "text/html"})
    assert hidden.status_code == 404
    assert hidden.headers["content-type"].startswith("text/html")


def test_a_date_in_the_query_becomes_a_year_condition_shown_and_removable(corpus: Corpus) -> None:
    """1950年代 脸谱: the decade filters, the words search; the response says what it read and
    how to take it out again."""
    found = search(corpus, q="1950年代 脸谱")
    assert [item["id"] for item in found["items"]] == [corpus.ids["O1"]]
    assert found["understood"] == [
        {"label": "1950年代", "year_from": 1950, "year_to": 1959, "era": None, "without": "脸谱"}
    ]
    assert search(corpus, q="1980年代 脸谱")["total"] == 0  # the decade really filters
    assert search(corpus, q="脸谱")["understood"] == []


def test_era_parameter_keeps_neighbouring_periods_apart(corpus: Corpus) -> None:
    in_prc = {item["id"] for item in search(corpus, era="prc")["items"]}
    assert {corpus.ids["O1"], corpus.ids["P1"]} <= in_prc  # 1950s, 1985
    assert search(corpus, era="republic")["total"] == 0  # shares 1949 with prc: not enough
    response = corpus.client.get("/api/search", params={"era": "tang-ish"})
    assert response.status_code == 422
    assert "'era'" in response.json()["error"]["message"]
