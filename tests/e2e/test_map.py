"""`/api/map` and `/map`: items counted by place through the search index, under the caller's
audience; a sensitive place only at its county's centroid; filters by category and era; bad
parameters a 422 naming the parameter, never a 500."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.settings import Settings
from repository.apikeys import KeyStore
from repository.users import UserStore
from schemas.places import gazetteer
from tests.conformance.conftest import make_record
from tests.e2e.test_workspace_items import edit_form
from tests.e2e.workspace_support import PASSWORD, signed_in

MUSEUM = "weixian-museum"
HOME = {"lat": 39.91234, "lon": 114.71234}  # a bearer's home: must never be sent


def _date(earliest: int, latest: int) -> dict[str, Any]:
    return {"edtf": f"{earliest}/{latest}", "earliest": earliest, "latest": latest}


def _records() -> list[dict[str, Any]]:
    def item(id_: str, region: dict[str, Any], **fields: Any) -> dict[str, Any]:
        return make_record(
            id_, "weixian", {"zh": f"条目 {id_}"}, institution=MUSEUM, region=region, **fields
        )

    return [
        item(
            "map-1",
            {"name": "蔚县", "code": "130726"},
            category="traditional-art",
            date=_date(1700, 1750),
        ),  # fmt: skip
        item("map-2", {"name": "蔚县"}, category="traditional-art", date=_date(1960, 1969)),
        item(
            "map-3",
            {"name": "黄家", "code": "130726", **HOME, "sensitive": True},
            category="folk-customs",
            date=_date(1980, 1989),
        ),  # fmt: skip
        item(
            "map-4",
            {"name": "延安市宝塔区", "lat": 36.58765, "lon": 109.48765},
            category="folk-customs",
            date=_date(1650, 1660),
        ),  # fmt: skip
        item(
            "map-5",
            {"name": "苏州市", "code": "320500"},
            category="traditional-drama",
            access="restricted",
        ),  # fmt: skip
        item(
            "map-6",
            {"name": "苏州市", "code": "320500"},
            category="traditional-drama",
            status="draft",
        ),  # fmt: skip
        item("map-7", {"name": "某个不存在的地方"}, category="traditional-art"),
    ]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    data = tmp_path_factory.mktemp("map") / "data"
    settings = Settings(data_dir=data, storage="local", search="sqlite", _env_file=None)
    app = create_app(settings)
    services = app.state.services
    for record in _records():
        services.records.save(record)
    services.index.index(_records())
    token = KeyStore(services.store).create(MUSEUM, "curator", "pytest map")[1]
    with TestClient(app) as client:
        yield client, token


def places(response: Any) -> dict[str, int]:
    assert response.status_code == 200, response.text
    return {place["key"]: place["count"] for place in response.json()["places"]}


def test_the_public_sees_counts_of_published_public_items_only(
    site: tuple[TestClient, str],
) -> None:
    client, token = site
    public = client.get("/api/map")
    assert places(public) == {"130726": 3, "@36.59,109.49": 1}
    body = public.json()
    assert body["total"] == 5 and body["placed"] == 4  # map-7's place is unknown: not placed
    assert "320500" not in json.dumps(body)  # neither the restricted nor the draft item
    curator = client.get("/api/map", headers={"Authorization": f"Bearer {token}"})
    assert places(curator)["320500"] == 2


def test_a_sensitive_place_is_sent_as_its_county_centroid_only(
    site: tuple[TestClient, str],
) -> None:
    client, _ = site
    body = client.get("/api/map?lang=en").json()
    weixian = next(place for place in body["places"] if place["key"] == "130726")
    _, lat, lon = gazetteer().places["130726"]
    assert (weixian["lat"], weixian["lon"]) == (lat, lon)
    assert weixian["centroid"] is True
    assert weixian["label"] == "河北省张家口市蔚县"
    assert {item["id"] for item in weixian["items"]} == {"map-1", "map-2", "map-3"}
    text = json.dumps(body)
    assert "39.91" not in text and "114.71" not in text  # the home's own coordinates
    on_search = client.get("/api/search?place=130726&facets=place").json()
    assert {hit["id"] for hit in on_search["items"]} == {"map-1", "map-2", "map-3"}
    assert "39.91" not in json.dumps(on_search)


def test_filters_by_category_and_era(site: tuple[TestClient, str]) -> None:
    client, _ = site
    assert places(client.get("/api/map?category=folk-customs")) == {
        "130726": 1,
        "@36.59,109.49": 1,
    }
    assert places(client.get("/api/map?category=traditional-art")) == {"130726": 2}
    assert places(client.get("/api/map?era=qing")) == {"130726": 1, "@36.59,109.49": 1}
    assert places(client.get("/api/map?era=qing&category=traditional-art")) == {"130726": 1}
    assert places(client.get("/api/map?year_from=1950&year_to=1999")) == {"130726": 2}
    assert places(client.get("/api/map?place=130726")) == {"130726": 3, "@36.59,109.49": 1}


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("era=tang-song", "era"),
        ("year_from=abc", "year_from"),
        ("year_from=2000&year_to=1900", "year_to"),
        ("place=Weixian", "place"),
        ("place=@36.1,109", "place"),
        ("size=0", "size"),
        ("q=" + "x" * 501, "q"),
    ],
)
def test_bad_parameters_are_a_422_naming_the_parameter(
    site: tuple[TestClient, str], query: str, parameter: str
) -> None:
    client, _ = site
    response = client.get(f"/api/map?{query}")
    assert response.status_code == 422, response.text
    assert parameter in response.text


def test_the_page_lists_places_links_to_search_and_says_it_loads_no_tiles(
    site: tuple[TestClient, str],
) -> None:
    client, _ = site
    page = client.get("/map?category=traditional-art", headers={"accept": "text/html"})
    assert page.status_code == 200
    text = page.text
    assert "/static/vendor/leaflet/leaflet.js" in text
    assert "不加载任何在线地图瓦片" in text
    assert 'href="/?category=traditional-art&amp;place=130726"' in text
    assert "河北省张家口市蔚县" in text
    assert 'data-places="1"' in text
    bad = client.get("/map?place=nowhere&year_from=x", headers={"accept": "text/html"})
    assert bad.status_code == 200  # a visitor's URL always gets a page


def test_the_catalogue_links_to_the_map_and_takes_a_place(site: tuple[TestClient, str]) -> None:
    client, _ = site
    page = client.get("/?category=folk-customs&era=qing", headers={"accept": "text/html"}).text
    assert 'href="/map?category=folk-customs&amp;era=qing"' in page
    placed = client.get("/?place=130726", headers={"accept": "text/html"}).text
    assert "河北省张家口市蔚县" in placed  # the chip names the place
    assert "条目 map-3" in placed and "条目 map-4" not in placed


def test_a_sensitive_places_coordinates_stay_with_its_institution(
    site: tuple[TestClient, str],
) -> None:
    client, token = site
    public = client.get("/api/items/map-3").json()["region"]
    assert public == {"name": "黄家", "code": "130726", "sensitive": True}
    own = client.get("/api/items/map-3", headers={"Authorization": f"Bearer {token}"}).json()
    assert (own["region"]["lat"], own["region"]["lon"]) == (HOME["lat"], HOME["lon"])
    turtle = client.get("/api/items/map-3", headers={"Accept": "text/turtle"}).text
    assert "schema:latitude" not in turtle and "schema:longitude" not in turtle
    assert "130726" in turtle  # the county stays
    other = client.get("/api/items/map-4", headers={"Accept": "text/turtle"}).text
    assert "schema:latitude" in other  # a place not marked sensitive keeps its coordinates


def test_a_curator_marks_a_place_sensitive_in_the_edit_form(
    site: tuple[TestClient, str],
) -> None:
    client, token = site
    app: Any = client.app
    services = app.state.services
    record = make_record(
        "map-9", "weixian", {"zh": "宝塔区的老艺人"}, institution=MUSEUM, status="draft",
        region={"name": "宝塔区", "lat": 36.61234, "lon": 109.51234},
    )  # fmt: skip
    services.records.save(record)
    services.index.index([record])
    staff = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def place_of_item() -> set[str]:
        body = client.get("/api/map?q=老艺人", headers=staff).json()
        return {place["key"] for place in body["places"]}

    assert place_of_item() == {"@36.61,109.51"}
    UserStore(services.store).create("map-curator", MUSEUM, "curator", PASSWORD)
    curator = signed_in(app, "map-curator")
    page = curator.get("/workspace/items/map-9").text
    assert re.search(r'id="region_sensitive"[^>]*value="on">', page)  # not checked yet
    sent = curator.post(
        "/workspace/items/map-9",
        data={**edit_form(page), "region_sensitive": "on"},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    region = services.records.get("map-9")["region"]
    assert region["sensitive"] is True and region["lat"] == 36.61234  # kept, for the staff
    assert place_of_item() == {"610602"}  # the county's centroid only
    page = curator.get("/workspace/items/map-9").text
    assert re.search(r'id="region_sensitive"[^>]*checked', page)
    form = edit_form(page)
    sent = curator.post("/workspace/items/map-9", data=form, follow_redirects=False)
    assert sent.status_code == 303, sent.text
    assert "sensitive" not in services.records.get("map-9")["region"]
    assert place_of_item() == {"@36.61,109.51"}
