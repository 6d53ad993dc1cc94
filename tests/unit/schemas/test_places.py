"""The gazetteer and the map place of a region (schemas/places.py)."""

from __future__ import annotations

from typing import Any

import pytest

from schemas.places import county_code, gazetteer, map_place, parse_key


def test_the_gazetteer_names_its_source_and_licence_and_has_three_levels() -> None:
    known = gazetteer()
    assert "cpca" in known.source and "MIT" in known.licence
    assert known.places["610000"][0] == "陕西省"  # province
    assert known.places["610600"][0] == "延安市"  # prefecture
    assert known.places["130726"][0] == "蔚县"  # county
    name, lat, lon = known.places["130726"]
    assert 39 < lat < 41 and 114 < lon < 115
    assert known.full_name("130726") == "河北省张家口市蔚县"
    assert known.full_name("110105") == "北京市朝阳区"  # no 市辖区 in names


@pytest.mark.parametrize(
    ("region", "key"),
    [
        ({"name": "延安市", "code": "610600"}, "610600"),  # a code's centroid
        ({"name": "蔚县"}, "130726"),  # a unique name
        ({"name": "陕西省延安市安塞区"}, "610603"),  # a full name
        ({"name": "北京市朝阳区"}, "110105"),
        ({"name": "朝阳区"}, None),  # several 朝阳区: ambiguous, not guessed
        ({"name": "华县"}, None),  # gone since 2015: not in the gazetteer
        ({"name": "某地", "code": "610699"}, "610600"),  # unknown county: its prefecture
        ({"name": "某地", "lat": 36.12345, "lon": 109.3}, "@36.12,109.30"),  # its own point
        ({"name": "某地", "code": "610600", "lat": 36.1, "lon": 109.3}, "@36.10,109.30"),
        (None, None),
    ],
)
def test_map_place(region: dict[str, Any] | None, key: str | None) -> None:
    place = map_place(region)
    assert (place.key if place else None) == key


def test_a_sensitive_place_is_only_its_county_centroid_never_its_own_point() -> None:
    home = {"name": "某村", "code": "130726", "lat": 39.91234, "lon": 114.71234, "sensitive": True}
    place = map_place(home)
    assert place is not None
    assert place.key == "130726"
    assert (place.lat, place.lon) == gazetteer().places["130726"][1:]
    assert map_place({**home, "code": None, "name": "某村"}) is None  # no county known: off the map
    assert map_place({"name": "蔚县", "lat": 39.9, "lon": 114.7, "sensitive": True}).key == "130726"  # type: ignore[union-attr]
    assert county_code("130726001") == "130726"


def test_parse_key() -> None:
    assert parse_key("@36.12,109.30") == map_place({"name": "x", "lat": 36.12, "lon": 109.3})
    assert parse_key("130726") is not None and parse_key("130726").code == "130726"  # type: ignore[union-attr]
    for bad in ("@x,y", "@95,10", "999999", ""):
        assert parse_key(bad) is None
