"""Where a photo was taken is the curators' to publish (docs/governance.md, "Location").

Photos with EXIF GPS (and XMP GPS) go through the real pipeline into a published, public item
each. The public, other institutions, the institution's archivists and share links get neither
`technical.gps` nor the position inside the original; the institution's curators and admins get
both; a curator's `location_public` opens both to everyone, and outlives a re-ingest.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pillow_heif
import pytest
from fastapi.testclient import TestClient
from PIL import ExifTags, Image

from api.http.app import create_app
from repository.apikeys import KeyStore
from tests.e2e.governance_support import ADMIN_TOKEN, INST_A, INST_B, settings_for
from tests.support.ingesting import ingest_folder

pillow_heif.register_heif_opener()

COLLECTION = "museum-a-photos"
LAT, LON = (39.0, 54.0, 15.25), (116.0, 23.0, 27.5)
SHOWN = ("39.904", "116.390")  # how the position reads in decimal degrees
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF'
    b' xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description'
    b' xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="39,54.254N"'
    b' exif:GPSLongitude="116,23.458E"/></rdf:RDF></x:xmpmeta>'
)
PHOTOS = {  # name -> (file, Pillow format, extra save arguments, title)
    "jpeg": ("jpeg.jpg", "JPEG", {"xmp": XMP}, "鹤岭剪纸照片"),
    "tiff": ("tiff.tif", "TIFF", {}, "鹤岭皮影照片"),
    "webp": ("webp.webp", "WEBP", {"xmp": XMP}, "鹤岭年画照片"),
    "heic": ("heic.heic", "HEIF", {}, "鹤岭刺绣照片"),
    "png": ("png.png", "PNG", {}, "鹤岭泥塑照片"),
}
ACTORS = ("anonymous", "archivist-a", "curator-a", "curator-b", "admin")
SEES_LOCATION = {"curator-a", "admin"}


def photo(path: Path, fmt: str, extra: dict[str, Any], seed: int) -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make], exif[ExifTags.Base.Model] = "Canon", "EOS 5D"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef], gps[ExifTags.GPS.GPSLatitude] = "N", LAT
    gps[ExifTags.GPS.GPSLongitudeRef], gps[ExifTags.GPS.GPSLongitude] = "E", LON
    image = Image.effect_noise((96, 64), 40 + seed).convert("RGB")
    image.save(path, fmt, exif=exif.tobytes(), **extra)
    return path.read_bytes()


def ingest(settings: Any, source: Path) -> dict[str, str]:
    manifest = source.parent / "photos.csv"
    with manifest.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "identifier", "title_zh", "status", "access"])
        for name, (file, _, _, title) in PHOTOS.items():
            writer.writerow([file, name, title, "published", "public"])
    report = ingest_folder(settings, source, manifest, COLLECTION, institution=INST_A)
    return {item.source.split(".")[0]: item.id for item in report.items}


class Photos:
    def __init__(self, client: TestClient, ids: dict[str, str], originals: dict[str, bytes]):
        self.client = client
        self.ids = ids
        self.originals = originals
        self.tokens: dict[str, str] = {"anonymous": "", "admin": ADMIN_TOKEN}

    def get(self, actor: str, url: str, **headers: str) -> Any:
        token = self.tokens[actor]
        auth = {"Authorization": f"Bearer {token}"} if token else {}
        return self.client.get(url, headers={**auth, **headers})

    def patch(self, actor: str, name: str, patch: dict[str, Any]) -> Any:
        url = f"/api/items/{self.ids[name]}"
        etag = self.get(actor, url).headers["ETag"]
        headers = {
            "Authorization": f"Bearer {self.tokens[actor]}",
            "Content-Type": "application/merge-patch+json",
            "If-Match": etag,
        }
        return self.client.patch(url, json=patch, headers=headers)


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Photos]:
    root = tmp_path_factory.mktemp("location")
    settings = settings_for(root / "data")
    source = root / "photos"
    source.mkdir()
    originals = {
        name: photo(source / file, fmt, extra, seed)
        for seed, (name, (file, fmt, extra, _)) in enumerate(PHOTOS.items())
    }
    ids = ingest(settings, source)
    with TestClient(create_app(settings)) as client:
        keys = KeyStore(client.app.state.services.store)
        repo = Photos(client, ids, originals)
        for actor, institution, role in [
            ("archivist-a", INST_A, "archivist"),
            ("curator-a", INST_A, "curator"),
            ("curator-b", INST_B, "curator"),
        ]:
            repo.tokens[actor] = keys.create(institution, role, f"pytest {actor}")[1]
        repo.settings, repo.source = settings, source  # type: ignore[attr-defined]
        yield repo


def gps_in(data: bytes) -> dict[int, Any]:
    return dict(Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo))


@pytest.mark.parametrize("actor", ACTORS)
def test_item_json_gives_the_position_to_the_institutions_curators_only(
    photos: Photos, actor: str
) -> None:
    for item_id in photos.ids.values():
        response = photos.get(actor, f"/api/items/{item_id}")
        assert response.status_code == 200
        technical = response.json()["technical"]
        assert technical["camera"] == "Canon EOS 5D"  # the other facts stay
        if actor in SEES_LOCATION:
            assert technical["gps"]["lat"] == pytest.approx(39.904236, abs=1e-5)
        else:
            assert "gps" not in technical


@pytest.mark.parametrize("name", PHOTOS)
@pytest.mark.parametrize("actor", ACTORS)
def test_the_original_keeps_its_gps_for_staff_only(photos: Photos, actor: str, name: str) -> None:
    url = f"/api/items/{photos.ids[name]}/files/original"
    response = photos.get(actor, url)
    assert response.status_code == 200
    original = photos.originals[name]
    if actor in SEES_LOCATION:
        assert response.content == original
        return
    served = response.content
    assert len(served) == len(original) == int(response.headers["content-length"])
    assert gps_in(original) and gps_in(served) == {}
    assert b"39,54.254N" not in served
    image = Image.open(io.BytesIO(served))
    assert image.getexif()[ExifTags.Base.Make] == "Canon"
    assert image.tobytes() == Image.open(io.BytesIO(original)).tobytes()
    assert response.headers["etag"].endswith('-nogps"')  # not the stored bytes' validator


def test_ranges_and_validators_of_a_blanked_original(photos: Photos) -> None:
    url = f"/api/items/{photos.ids['jpeg']}/files/original"
    whole = photos.get("anonymous", url)
    etag = whole.headers["etag"]
    for first, last in [(0, 99), (100, 600), (len(whole.content) - 10, len(whole.content) - 1)]:
        part = photos.get("anonymous", url, Range=f"bytes={first}-{last}")
        assert part.status_code == 206
        assert part.content == whole.content[first : last + 1]
    assert photos.get("anonymous", url, **{"If-None-Match": etag}).status_code == 304
    staff_etag = photos.get("curator-a", url).headers["etag"]
    assert photos.get("anonymous", url, **{"If-None-Match": staff_etag}).status_code == 200
    stale = photos.get("anonymous", url, Range="bytes=0-9", **{"If-Range": staff_etag})
    assert stale.status_code == 200 and stale.content == whole.content


def test_derivatives_carry_no_position(photos: Photos) -> None:
    for item_id in photos.ids.values():
        for role in ("access", "thumbnail"):
            data = photos.get("curator-a", f"/api/items/{item_id}/files/{role}").content
            assert gps_in(data) == {}
            assert b"GPS" not in data and b"39,54" not in data


def test_a_share_link_grants_the_item_not_its_position(photos: Photos) -> None:
    item_id = photos.ids["jpeg"]
    made = photos.client.post(
        f"/api/items/{item_id}/share",
        headers={"Authorization": f"Bearer {photos.tokens['curator-a']}"},
    )
    assert made.status_code == 200
    path = made.json()["url"].removeprefix("http://heritage.test")
    assert "gps" not in photos.client.get(path).json()["technical"]
    assert gps_in(photos.client.get(f"{path}/files/original").content) == {}


def test_no_public_view_names_the_position(photos: Photos) -> None:
    item_id = photos.ids["jpeg"]
    identifier = f"oai:heritage.test:{item_id}"
    views = [
        photos.get("anonymous", f"/api/items/{item_id}", Accept="text/turtle").text,
        photos.get("anonymous", f"/api/items/{item_id}", Accept="application/ld+json").text,
        photos.get("anonymous", f"/items/{item_id}", Accept="text/html").text,
        photos.get("anonymous", f"/iiif/{item_id}/manifest").text,
        photos.get("anonymous", "/api/search?q=鹤岭").text,
        photos.get("anonymous", "/api/search?q=鹤岭&format=csv").text,
        photos.get("anonymous", "/?q=鹤岭").text,
    ]
    for prefix in ("oai_dc", "edm"):
        oai = f"/oai?verb=GetRecord&metadataPrefix={prefix}&identifier={identifier}"
        views.append(photos.get("anonymous", oai).text)
    for view in views:  # every view is the real item, not an error page
        assert "鹤岭剪纸照片" in view, view[:300]
    for view in views:
        assert not any(re.search(re.escape(shown), view) for shown in SHOWN), view[:300]


def test_a_curator_may_make_the_position_public_and_take_it_back(photos: Photos) -> None:
    name = "webp"
    url = f"/api/items/{photos.ids[name]}"
    assert photos.patch("archivist-a", name, {"location_public": True}).status_code == 403
    assert photos.patch("curator-a", name, {"location_public": "yes"}).status_code == 422
    assert photos.patch("curator-a", name, {"location_public": True}).status_code == 200
    assert "gps" in photos.get("anonymous", url).json()["technical"]
    assert photos.get("anonymous", f"{url}/files/original").content == photos.originals[name]
    events = photos.get("curator-a", url).json()["events"]
    assert "location_public" in events[-1]["detail"]
    assert photos.patch("curator-a", name, {"location_public": None}).status_code == 200
    assert "gps" not in photos.get("anonymous", url).json()["technical"]
    assert gps_in(photos.get("anonymous", f"{url}/files/original").content) == {}


def test_a_re_ingest_keeps_the_curators_choice(photos: Photos) -> None:
    name = "png"
    assert photos.patch("curator-a", name, {"location_public": True}).status_code == 200
    ingest(photos.settings, photos.source)  # type: ignore[attr-defined]
    record = photos.client.app.state.services.records.get(photos.ids[name])
    assert record["location_public"] is True
    assert "gps" in photos.get("anonymous", f"/api/items/{photos.ids[name]}").json()["technical"]


def test_earlier_versions_keep_the_position_from_whom_the_item_does(photos: Photos) -> None:
    """History reads (versions, diff) are another way into the record: an archivist of the
    institution reads the history but, as with the item, not where the photo was taken."""
    name = "jpeg"
    url = f"/api/items/{photos.ids[name]}"
    assert photos.patch("curator-a", name, {"subjects": ["剪纸"]}).status_code == 200
    for actor in ("archivist-a", "curator-a"):
        versions = photos.get(actor, f"{url}/versions").json()
        for entry in versions["versions"]:
            shown = photos.get(actor, f"{url}/versions/{entry['n']}").json()
            assert ("gps" in shown["technical"]) == (actor in SEES_LOCATION), (actor, entry)
        diff = photos.get(actor, f"{url}/diff?from=1&to={versions['total']}")
        assert diff.status_code == 200, diff.text
        assert ("39.904" in diff.text) == (actor in SEES_LOCATION and "gps" in diff.text)
