"""Where an item goes on the map: its region → one map place (a key, a point, a label).

The gazetteer (`vocabularies/gazetteer.json`: GB/T 2260 code → name and centroid, province,
prefecture and county; its `source` names the package it came from and its licence) turns a
code, or a name it knows unambiguously, into a point. The rules, in order:

- a place marked sensitive (`region.sensitive`: a sacred site, a bearer's home) is shown only
  at its county: the code cut to county level (six digits) and that county's centroid, never
  the record's own lat/lon; with no code the gazetteer knows, its name must name a place in the
  gazetteer, else the item is left off the map;
- otherwise the record's own lat/lon, rounded to 0.01° (about 1 km: the map needs no more, and
  fewer distinct points keep the search index's facet combinations few);
- otherwise the code's centroid (a code the gazetteer lacks falls back to its prefecture, then
  its province), else the centroid of the place its name names exactly and unambiguously (the
  place's own name, such as 蔚县, or its full name, such as 河北省张家口市蔚县).

The key is what the search index counts (`place` facet): the code for a centroid, "@lat,lon"
for a point of the record's own.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

POINT_DECIMALS = 2
PLACEHOLDERS = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})
"""GB/T 2260 rows that group places rather than name one: left out of names."""


@dataclass(frozen=True)
class MapPlace:
    key: str  # the facet value: a GB/T 2260 code, or "@lat,lon"
    lat: float
    lon: float
    code: str | None  # the code whose centroid this is, None for the record's own point


@dataclass(frozen=True)
class Gazetteer:
    places: dict[str, tuple[str, float, float]]  # code -> (name, lat, lon)
    by_name: dict[str, str]  # an unambiguous name or full name -> code
    source: str
    licence: str
    full_names: dict[str, str] = field(default_factory=dict)  # code -> `full_name(code)`

    def full_name(self, code: str) -> str:
        """河北省张家口市蔚县: the names of the province, prefecture and county the code lies in."""
        known = self.full_names.get(code)
        if known is not None:
            return known
        levels = (code[:2] + "0000", code[:4] + "00", code)
        names: list[str] = []
        for level in dict.fromkeys(levels):
            found = self.places.get(level)
            if found and found[0] not in names and found[0] not in PLACEHOLDERS:
                names.append(found[0])
        return "".join(names)

    def point(self, code: str) -> tuple[str, float, float] | None:
        """(code, lat, lon) of the code, else of its prefecture, else of its province."""
        for level in (code, code[:4] + "00", code[:2] + "0000"):
            found = self.places.get(level)
            if found:
                return level, found[1], found[2]
        return None


@cache
def gazetteer() -> Gazetteer:
    text = resources.files("schemas").joinpath("vocabularies/gazetteer.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    places = {
        code: (name, float(lat), float(lon)) for code, (name, lat, lon) in data["places"].items()
    }
    partial = Gazetteer(places, {}, data["source"], data["licence"])
    full_names = {code: partial.full_name(code) for code in places}
    names: Counter[str] = Counter()
    codes: dict[str, str] = {}
    for code, (name, _, _) in places.items():
        for written in {name, full_names[code]} - PLACEHOLDERS:
            names[written] += 1
            codes[written] = code
    by_name = {name: codes[name] for name, n in names.items() if n == 1}
    return Gazetteer(places, by_name, partial.source, partial.licence, full_names)


def county_code(code: str) -> str:
    """The code cut to county level: GB/T 2260's six digits (a township code loses the rest)."""
    return code[:6]


def map_place(region: Mapping[str, Any] | None) -> MapPlace | None:
    """Where the item with this `region` goes on the map, or None (see the module's rules)."""
    if not region:
        return None
    known = gazetteer()
    sensitive = region.get("sensitive") is True
    lat, lon = region.get("lat"), region.get("lon")
    if not sensitive and isinstance(lat, int | float) and isinstance(lon, int | float):
        lat, lon = round(float(lat), POINT_DECIMALS), round(float(lon), POINT_DECIMALS)
        return MapPlace(f"@{lat:.{POINT_DECIMALS}f},{lon:.{POINT_DECIMALS}f}", lat, lon, None)
    code = region.get("code")
    found = known.point(county_code(code)) if isinstance(code, str) and code.isdigit() else None
    if found is None:
        named = known.by_name.get(" ".join(str(region.get("name") or "").split()))
        found = known.point(named) if named else None
    if found is None:
        return None
    return MapPlace(found[0], found[1], found[2], found[0])


_KEY = re.compile(r"[0-9]{6}|@-?[0-9]{1,2}\.[0-9]{2},-?[0-9]{1,3}\.[0-9]{2}")


def is_place_key(text: str) -> bool:
    """Whether `text` is written as a place key: six digits, or "@lat,lon" with two decimals."""
    return _KEY.fullmatch(text) is not None


def parse_key(key: str) -> MapPlace | None:
    """The place a facet key stands for: a code's centroid or an "@lat,lon" point; None if not
    one (a code the gazetteer has lost since indexing, or a malformed key)."""
    if key.startswith("@"):
        lat_text, _, lon_text = key[1:].partition(",")
        try:
            lat, lon = float(lat_text), float(lon_text)
        except ValueError:
            return None
        if -90 <= lat <= 90 and -180 <= lon <= 180:
            return MapPlace(key, lat, lon, None)
        return None
    found = gazetteer().places.get(key)
    return MapPlace(key, found[1], found[2], key) if found else None
