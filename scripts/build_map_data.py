"""Build the map's shipped data from two registry packages (run by hand when updating them).

    pip download --no-deps cpca==0.5.5 && unzip cpca-0.5.5-*.whl -d cpca
    npm pack echarts@4.9.0 && mkdir echarts && tar xzf echarts-4.9.0.tgz -C echarts
    python scripts/build_map_data.py cpca/cpca/resources/adcodes.csv \
        echarts/package/map/json/china.json

Writes schemas/vocabularies/gazetteer.json (GB/T 2260 code → name and centroid, 4 decimals,
about 11 m) and api/http/static/map/china-provinces.geojson (province outlines decoded from
ECharts' compact encoding, coordinates rounded to 2 decimals, rings with fewer than 4 distinct
points dropped).
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def gazetteer(adcodes: Path) -> dict[str, Any]:
    places: dict[str, list[Any]] = {}
    with adcodes.open(encoding="utf-8") as source:
        for row in csv.DictReader(source):
            if not row["latitude"] or not row["longitude"]:
                continue  # 市辖区 and other placeholders without a place
            code = row["adcode"][:6]
            places[code] = [
                row["name"],
                round(float(row["latitude"]), 4),
                round(float(row["longitude"]), 4),
            ]
    return {
        "id": "gazetteer",
        "title": {
            "zh": "行政区划代码与中心点（省、地、县三级）",
            "en": "Division codes with centroids (province, prefecture, county)",
        },
        "source": "PyPI package cpca 0.5.5 (resources/adcodes.csv, GB/T 2260 codes of 2020 with "
        "longitude/latitude; project chinese_province_city_area_mapper by DQinYuan)",
        "licence": "MIT (cpca 0.5.5)",
        "note": "places: code -> [name, lat, lon]; codes are GB/T 2260 six-digit codes. "
        "Built by scripts/build_map_data.py; coordinates are GCJ-02-ish centroids as "
        "the source gives them, good to a county, not a street.",
        "places": dict(sorted(places.items())),
    }


def _decode(ring: str, offset: list[int], scale: float) -> list[list[float]]:
    """ECharts 4's UTF-8 encoding: zigzag deltas of x, y as char codes - 64, over `scale`."""
    points: list[list[float]] = []
    x0, y0 = offset
    for i in range(0, len(ring), 2):
        x, y = ord(ring[i]) - 64, ord(ring[i + 1]) - 64
        x, y = (x >> 1) ^ -(x & 1), (y >> 1) ^ -(y & 1)
        x0, y0 = x0 + x, y0 + y
        points.append([round(x0 / scale, 2), round(y0 / scale, 2)])
    kept = [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
    if kept and kept[0] != kept[-1]:
        kept.append(kept[0])
    return kept


def outlines(china: Path) -> dict[str, Any]:
    data = json.loads(china.read_text(encoding="utf-8"))
    scale = float(data.get("UTF8Scale") or 1024)
    features = []
    for feature in data["features"]:
        geometry = feature["geometry"]
        if geometry["type"] == "Polygon":
            polygons = [(geometry["coordinates"], geometry["encodeOffsets"])]
        else:
            polygons = list(zip(geometry["coordinates"], geometry["encodeOffsets"], strict=True))
        decoded = []
        for rings, offsets in polygons:
            kept = [_decode(r, o, scale) for r, o in zip(rings, offsets, strict=True)]
            kept = [r for r in kept if len(r) >= 4]
            if kept:
                decoded.append(kept)
        props = feature["properties"]
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "code": props["id"],
                    "name": props["name"],
                    "label": [round(props["cp"][1], 3), round(props["cp"][0], 3)],
                },
                "geometry": {"type": "MultiPolygon", "coordinates": decoded},
            }
        )
    return {
        "type": "FeatureCollection",
        "source": "npm package echarts 4.9.0 (map/json/china.json), Apache-2.0; schematic "
        "province outlines, not a surveyed map",
        "features": features,
    }


def main(adcodes: str, china: str) -> None:
    target = ROOT / "schemas" / "vocabularies" / "gazetteer.json"
    target.write_text(
        json.dumps(gazetteer(Path(adcodes)), ensure_ascii=False, separators=(",", ":")) + "\n",
        encoding="utf-8",
    )
    shapes = ROOT / "api" / "http" / "static" / "map" / "china-provinces.geojson"
    shapes.parent.mkdir(parents=True, exist_ok=True)
    shapes.write_text(
        json.dumps(outlines(Path(china)), ensure_ascii=False, separators=(",", ":")) + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main(*sys.argv[1:3])
