"""api.protocols.iiif.presentation: an item of a photo and a 3-page PDF is a photo canvas and a
canvas per page, each page with its own image service."""

from __future__ import annotations

import json

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


def test_linked_projects_and_bearers_are_named_with_links_to_their_pages() -> None:
    record = photo_and_booklet() | {
        "authorities": [
            {"kind": "project", "id": "project-vii-16"},
            {"kind": "bearer", "id": "bearer-a-1950"},
            {"kind": "bearer", "id": "bearer-b-1960"},
            {"kind": "institution", "id": "institution-x"},
        ]
    }
    known = {
        "project-vii-16": {"kind": "project", "names": {"zh": "剪纸", "en": "Paper cutting"}},
        "bearer-a-1950": {"kind": "bearer", "names": {"zh": "<b>甲</b>"}},
    }
    document = manifest(record, BASE, authorities=known.get)
    assert document is not None
    Manifest(**document)
    metadata = {e["label"]["en"][0]: e for e in document["metadata"]}
    assert metadata["Project"] == {
        "label": {"zh": ["项目"], "en": ["Project"]},
        "value": {
            "zh": [f'<a href="{BASE}/projects/project-vii-16">剪纸</a>'],
            "en": [f'<a href="{BASE}/projects/project-vii-16">Paper cutting</a>'],
        },
    }
    # a name is escaped, a missing English name is the Chinese one, an unknown bearer its id
    first = f'<a href="{BASE}/bearers/bearer-a-1950">&lt;b&gt;甲&lt;/b&gt;</a>'
    second = f'<a href="{BASE}/bearers/bearer-b-1960">bearer-b-1960</a>'
    assert metadata["Bearer"]["value"] == {"zh": [first, second], "en": [first, second]}
    assert "institution-x" not in str(document["metadata"])


def test_without_authority_links_there_is_no_project_or_bearer_entry() -> None:
    document = manifest(photo_and_booklet(), BASE, authorities=lambda _: None)
    assert document is not None
    labels = {e["label"]["en"][0] for e in document["metadata"]}
    assert not labels & {"Project", "Bearer"}


def _holder_lines(document: dict) -> dict[str, list[str]]:
    value = document["requiredStatement"]["value"]
    return {
        lang: [line for line in lines if line.startswith(("版权所有", "Rights holder"))]
        for lang, lines in value.items()
    }


def test_the_rights_holder_is_the_institutions_name_in_each_language() -> None:
    record = photo_and_booklet() | {"institution": "wx-centre"}
    both = {"zh": "蔚县文化馆", "en": "Yuxian Culture Centre"}
    document = manifest(record, BASE, institution=both)
    assert document is not None
    Manifest(**document)
    assert _holder_lines(document) == {
        "zh": ["版权所有：蔚县文化馆"],
        "en": ["Rights holder: Yuxian Culture Centre"],
    }
    # a name in one language stands in for the other
    only_zh = manifest(record, BASE, institution={"zh": "蔚县文化馆"})
    assert only_zh is not None
    assert _holder_lines(only_zh) == {
        "zh": ["版权所有：蔚县文化馆"],
        "en": ["Rights holder: 蔚县文化馆"],
    }
    # the record's own holder wins over the institution
    held = record | {"rights": {"holder": "王老汉"}}
    document = manifest(held, BASE, institution=both)
    assert document is not None
    assert _holder_lines(document) == {"zh": ["版权所有：王老汉"], "en": ["Rights holder: 王老汉"]}


def test_an_institution_nobody_named_is_no_rights_holder() -> None:
    """Its code is governance, not a name: the statement says nothing rather than the code."""
    record = photo_and_booklet() | {"institution": "wx-centre", "rights": {"license": "CC-BY-4.0"}}
    document = manifest(record, BASE)
    assert document is not None
    Manifest(**document)
    assert "wx-centre" not in json.dumps(document["requiredStatement"])
    assert document["requiredStatement"]["value"] == {"none": ["CC-BY-4.0"]}
