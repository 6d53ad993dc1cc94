"""IIIF against a real uvicorn server: manifests and collections loaded back into the
`iiif-prezi3` models, and the IIIF community's `iiif-validator` run on the Image API service."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from iiif_prezi3 import Collection, Manifest
from PIL import Image
from rdflib import Graph

from tests.e2e.sharing_support import (
    COLLECTION,
    Corpus,
    LiveServer,
    make_settings,
    name_institution,
)

VALIDATOR = Path(sys.executable).parent / "iiif-validate.py"
EXTRA_FEATURE_TESTS = [
    "rot_mirror",
    "rot_mirror_180",
    "rot_full_non90",
    "rot_region_non90",
    "linkheader_profile",
    "linkheader_canonical",
]
# The validator's own format_webp test cannot run (it calls Python 2's urllib.urlopen), so
# test_webp_and_png_are_real_images checks that extra format instead.


def get_json(server: LiveServer, path: str, status: int = 200) -> dict:
    code, headers, body = server.get(path)
    assert code == status, body
    assert headers["access-control-allow-origin"] == "*"
    return json.loads(body)


def painting_bodies(manifest: dict) -> list[dict]:
    return [
        page_item["body"]
        for canvas in manifest["items"]
        for page in canvas["items"]
        for page_item in page["items"]
        if page_item["motivation"] == "painting"
    ]


def test_image_manifest_is_valid_presentation_3(server: LiveServer, corpus: Corpus) -> None:
    item_id = corpus.ids["P1"]
    document = get_json(server, f"/iiif/{item_id}/manifest")
    model = Manifest(**document)
    assert str(model.id) == f"{server.url}/iiif/{item_id}/manifest"
    assert document["label"] == {
        "zh": ["蔚县剪纸《戏曲人物》"],
        "en": ["Yuxian paper cutting: opera figures"],
    }
    assert document["summary"]["zh"] == ["点彩剪纸，戏曲人物。"]
    assert document["rights"] == "http://creativecommons.org/licenses/by/4.0/"
    assert "蔚县文化馆" in document["requiredStatement"]["value"]["zh"][0]
    labels = [entry["label"]["en"][0] for entry in document["metadata"]]
    assert {"Category", "Region", "Date", "Person", "Collection", "Identifier"} <= set(labels)
    assert document["homepage"][0]["id"] == f"{server.url}/items/{item_id}"
    assert document["partOf"][0]["id"] == f"{server.url}/iiif/collection/{COLLECTION}"
    (canvas,) = document["items"]
    (body,) = painting_bodies(document)
    assert body["id"] == f"{server.url}/api/items/{item_id}/files/access"
    assert (canvas["width"], canvas["height"]) == (body["width"], body["height"])
    assert canvas["thumbnail"][0]["id"].endswith("/files/thumbnail")
    # the painting annotation's body and the image service are real and agree on the size
    status, headers, data = server.get(body["id"].removeprefix(server.url))
    assert status == 200 and headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(data)) as picture:
        assert picture.size == (canvas["width"], canvas["height"])
    service = body["service"][0]
    info = get_json(server, service["id"].removeprefix(server.url) + "/info.json")
    assert (info["width"], info["height"]) == (canvas["width"], canvas["height"])
    # seeAlso points at the RDF of the same item
    turtle = next(s for s in document["seeAlso"] if s["format"] == "text/turtle")
    status, _, data = server.get(turtle["id"].removeprefix(server.url))
    assert status == 200 and len(Graph().parse(data=data, format="turtle")) > 20


def test_the_rights_holder_is_the_institutions_name_never_its_code(
    corpus: Corpus, tmp_path: Path
) -> None:
    """An item with no rights holder of its own names its institution's (zh line in Chinese,
    en line in English, each falling back to the other); unnamed, the holder line is left out."""
    from fastapi.testclient import TestClient

    from api.http.app import create_app

    data = tmp_path / "data"
    shutil.copytree(corpus.data_dir, data)
    item_id = corpus.ids["P2"]  # the institution wx-centre's, no rights holder given

    def statement(**changes: str) -> dict[str, list[str]]:
        with TestClient(create_app(make_settings(data, **changes))) as client:
            answer = client.get(f"/iiif/{item_id}/manifest")
        assert answer.status_code == 200, answer.text
        Manifest(**answer.json())
        value: dict[str, list[str]] = answer.json()["requiredStatement"]["value"]
        return value

    unnamed = statement()
    assert "wx-centre" not in json.dumps(unnamed)
    assert unnamed == {"none": ["InC"]}
    named = {
        "institution": "wx-centre",
        "institution_name": "蔚县文化馆",
        "institution_name_en": "Yuxian Culture Centre",
    }
    assert statement(**named) == {
        "zh": ["版权所有：蔚县文化馆"],
        "en": ["Rights holder: Yuxian Culture Centre"],
        "none": ["InC"],
    }
    name_institution(data, "wx-centre", {"zh": "蔚县剪纸博物馆"})
    assert statement() == {
        "zh": ["版权所有：蔚县剪纸博物馆"],
        "en": ["Rights holder: 蔚县剪纸博物馆"],
        "none": ["InC"],
    }


def test_multi_image_manifest_has_a_canvas_per_image(server: LiveServer, corpus: Corpus) -> None:
    item_id = corpus.ids["P2"]
    document = get_json(server, f"/iiif/{item_id}/manifest")
    Manifest(**document)
    assert document["rights"] == "http://rightsstatements.org/vocab/InC/1.0/"
    bodies = painting_bodies(document)
    assert [b["id"].removeprefix(server.url) for b in bodies] == [
        f"/api/items/{item_id}/files/access",
        f"/api/items/{item_id}/files/access?n=2",
    ]
    services = [b["service"][0]["id"].removeprefix(server.url) for b in bodies]
    assert services == [f"/iiif/image/{item_id}", f"/iiif/image/{item_id}~2"]
    for service in services:
        assert get_json(server, f"{service}/info.json")["id"] == server.url + service
    assert len({canvas["id"] for canvas in document["items"]}) == 2


def test_video_and_audio_manifests(server: LiveServer, corpus: Corpus) -> None:
    video = get_json(server, f"/iiif/{corpus.ids['V1']}/manifest")
    Manifest(**video)
    (canvas,) = video["items"]
    assert (canvas["width"], canvas["height"], canvas["duration"]) == (1280, 720, 61.5)
    (body,) = painting_bodies(video)
    assert body["type"] == "Video" and body["format"] == "video/mp4"
    assert body["id"].endswith("/files/access")
    assert video["thumbnail"][0]["id"].endswith("/files/thumbnail")
    assert video["rights"] == "http://creativecommons.org/licenses/by-sa/4.0/"

    audio = get_json(server, f"/iiif/{corpus.ids['A1']}/manifest")
    Manifest(**audio)
    (canvas,) = audio["items"]
    assert canvas["duration"] == 185.25 and "width" not in canvas
    (body,) = painting_bodies(audio)
    assert body["type"] == "Sound" and body["format"] == "audio/mp4"


def test_collection_lists_only_visible_items(server: LiveServer, corpus: Corpus) -> None:
    document = get_json(server, f"/iiif/collection/{COLLECTION}")
    Collection(**document)
    assert document["label"] == {"zh": ["蔚县剪纸"], "en": ["Yuxian paper cutting"]}
    listed = {entry["id"].removeprefix(server.url) for entry in document["items"]}
    expected = {f"/iiif/{corpus.ids[k]}/manifest" for k in ("P1", "P2", "G1", "O1")}
    assert listed == expected
    for entry in document["items"]:
        Manifest(**get_json(server, entry["id"].removeprefix(server.url)))
    get_json(server, "/iiif/collection/no-such-collection", status=404)


def test_hidden_and_withdrawn_items_do_not_exist(server: LiveServer, corpus: Corpus) -> None:
    for item_id in corpus.hidden | corpus.withdrawn:
        get_json(server, f"/iiif/{item_id}/manifest", status=404)
        get_json(server, f"/iiif/image/{item_id}/info.json", status=404)
        get_json(server, f"/iiif/image/{item_id}/full/max/0/default.jpg", status=404)


def test_listed_sizes_are_the_stored_copies(server: LiveServer, corpus: Corpus) -> None:
    item_id = corpus.ids["G1"]
    info = get_json(server, f"/iiif/image/{item_id}/info.json")
    assert info["sizes"] == [{"width": 400, "height": 400}, {"width": 1000, "height": 1000}]
    _, _, access = server.get(f"/api/items/{item_id}/files/access")
    _, _, thumbnail = server.get(f"/api/items/{item_id}/files/thumbnail")
    status, headers, full = server.get(f"/iiif/image/{item_id}/full/max/0/default.jpg")
    assert status == 200 and full == access
    assert headers["access-control-allow-origin"] == "*"
    small = info["sizes"][0]
    status, _, data = server.get(f"/iiif/image/{item_id}/full/{small['width']},/0/default.jpg")
    assert status == 200 and data == thumbnail


def test_webp_and_png_are_real_images(server: LiveServer, corpus: Corpus) -> None:
    base = f"/iiif/image/{corpus.ids['G1']}/square/200,/90/gray"
    for fmt, pil_format in (("webp", "WEBP"), ("png", "PNG")):
        status, headers, data = server.get(f"{base}.{fmt}")
        assert status == 200 and headers["content-type"] == f"image/{fmt}"
        with Image.open(io.BytesIO(data)) as picture:
            assert picture.format == pil_format and picture.size == (200, 200)
            red, green, blue = picture.convert("RGB").getpixel((150, 50))
            assert red == green == blue
        assert 'rel="canonical"' in headers["link"]


@pytest.mark.parametrize(
    "path",
    [
        "full/max/0/default.tif",
        "full/max/0/sepia.jpg",
        "full/max/400/default.jpg",
        "full/max/x/default.jpg",
        "full/0,/0/default.jpg",
        "full/pct:200/0/default.jpg",
        "full/^max/0/default.jpg",
        "5000,0,10,10/max/0/default.jpg",
        "0,0,0,10/max/0/default.jpg",
        "everything/max/0/default.jpg",
        "full/!100,/0/default.jpg",
    ],
)
def test_bad_image_parameters_are_400(server: LiveServer, corpus: Corpus, path: str) -> None:
    body = get_json(server, f"/iiif/image/{corpus.ids['P1']}/{path}", status=400)
    assert body["error"]["message"]


def _validate(server: LiveServer, identifier: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            str(VALIDATOR),
            "--server",
            server.url.removeprefix("http://"),
            "--prefix",
            "iiif/image",
            "--identifier",
            identifier,
            "--version",
            "3.0",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_iiif_validator_passes_level_2(server: LiveServer, corpus: Corpus) -> None:
    """The community validator at the level info.json claims, on its own test pattern."""
    identifier = corpus.ids["G1"]
    assert get_json(server, f"/iiif/image/{identifier}/info.json")["profile"] == "level2"
    result = _validate(server, identifier, "--level", "2")
    assert result.returncode == 0, result.stderr
    assert "Done (33 tests, 0 failures)" in result.stderr


def test_iiif_validator_passes_the_extra_features_we_claim(
    server: LiveServer, corpus: Corpus
) -> None:
    info = get_json(server, f"/iiif/image/{corpus.ids['G1']}/info.json")
    assert {"mirroring", "rotationArbitrary", "profileLinkHeader", "canonicalLinkHeader"} <= set(
        info["extraFeatures"]
    )
    tests = [arg for name in EXTRA_FEATURE_TESTS for arg in ("--test", name)]
    result = _validate(server, corpus.ids["G1"], *tests)
    assert result.returncode == 0, result.stderr
    assert f"Done ({len(EXTRA_FEATURE_TESTS)} tests, 0 failures)" in result.stderr
