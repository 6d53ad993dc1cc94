"""api.protocols.iiif.presentation: an item of a photo and a 3-page PDF is a photo canvas and a
canvas per page, each page with its own image service."""

from __future__ import annotations

from iiif_prezi3 import Manifest

from api.protocols.iiif.presentation import manifest
from tests.unit.support.records import photo_and_booklet

BASE = "https://heritage.example"


def test_a_photo_keeps_its_canvas_and_each_page_gets_one() -> None:
    document = manifest(photo_and_booklet(), BASE)
    assert document is not None
    Manifest(**document)

    canvases = document["items"]
    assert [c["label"] for c in canvases] == [
        {"zh": ["第 1 件"], "en": ["Part 1"]},
        {"zh": ["第1页"], "en": ["p. 1"]},
        {"zh": ["第2页"], "en": ["p. 2"]},
        {"zh": ["第3页"], "en": ["p. 3"]},
    ]
    bodies = [c["items"][0]["items"][0]["body"] for c in canvases]
    item = f"{BASE}/api/items/test-0123456789ab/files"
    assert [b["id"] for b in bodies] == [
        f"{item}/access",
        f"{item}/page",
        f"{item}/page?n=2",
        f"{item}/page?n=3",
    ]
    services = [b["service"][0]["id"].rsplit("/", 1)[1] for b in bodies]
    assert services == ["test-0123456789ab", *(f"test-0123456789ab~p{n}" for n in (1, 2, 3))]
