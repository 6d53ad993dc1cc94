"""`POST /api/ingest` and `GET /api/jobs/{id}` through the real app, LocalStore, SqliteIndex and
ingest pipeline (its process pools included): what an archivist uploads is ingested, reported
and searchable; what may not be uploaded is refused before anything is stored."""

from __future__ import annotations

import csv
import io
import random
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from api.http.app import create_app
from api.operations.jobs import INTERRUPTED, Job, JobStore
from api.settings import Settings
from ingest.task import item_id
from repository import LocalStore
from repository.apikeys import KeyStore
from repository.audit import AuditLog
from tests.e2e.governance_support import ADMIN_TOKEN, INST_A, INST_B, settings_for
from tests.unit.support.archives import gbk_member

NOT_A_JPEG = b"\xff\xd8\xff\xe0 this is not really a JPEG"
MANIFEST_COLUMNS = ["path", "identifier", "title_zh", "title_en", "status", "access"]
PHOTOS = {  # uploaded name -> manifest row
    "鹤舞.jpg": ["crane", "鹤舞剪纸", "Crane dance papercut", "draft", "public"],
    "b.jpg": ["tiger", "虎头鞋样", "Tiger head shoe pattern", "review", "public"],
    "照片/渔歌.jpg": ["fishing", "渔歌手抄本", "Fishing song manuscript", "draft", "institution"],
}
BOGUS = ("m.csv", b"bogus\n1\n")  # a manifest with an unknown column
POLLS = 1200  # at 0.1 s: a generous bound for three pictures, not a timing assertion


def jpeg(seed: int) -> bytes:
    rng = random.Random(seed)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (96, 64), rng.randbytes(96 * 64 * 3)).save(buffer, "JPEG")
    return buffer.getvalue()


def gbk_manifest(rows: dict[str, list[str]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(MANIFEST_COLUMNS)
    writer.writerows([path, *row] for path, row in rows.items())
    return text.getvalue().encode("gbk")


@dataclass
class Api:
    client: TestClient
    settings: Settings
    tokens: dict[str, str]

    def headers(self, actor: str) -> dict[str, str]:
        token = self.tokens.get(actor, "")
        return {"Authorization": f"Bearer {token}"} if token else {}

    def submit(
        self,
        actor: str,
        collection: str,
        files: list[tuple[str, bytes]],
        manifest: tuple[str, bytes] | None = None,
        **fields: str,
    ) -> httpx.Response:
        parts = [("files", (name, data, "application/octet-stream")) for name, data in files]
        if manifest:
            parts.append(("manifest", (manifest[0], manifest[1], "text/csv")))
        return self.client.post(
            "/api/ingest",
            data={"collection": collection, **fields},
            files=parts,
            headers=self.headers(actor),
        )

    def get(self, actor: str, url: str, **params: Any) -> httpx.Response:
        return self.client.get(url, headers=self.headers(actor), params=params)

    def wait(self, actor: str, url: str) -> dict[str, Any]:
        for _ in range(POLLS):
            response = self.get(actor, url)
            assert response.status_code == 200, response.text
            job = response.json()
            if job["state"] in ("done", "failed"):
                return job
            time.sleep(0.1)
        pytest.fail(f"job {url} did not finish: {job}")

    def job_keys(self) -> list[str]:
        return list(self.client.app.state.services.store.list("jobs/"))

    def leftovers(self) -> list[Path]:
        return list(self.settings.uploads_dir.iterdir())


def make_tokens(client: TestClient) -> dict[str, str]:
    keys = KeyStore(client.app.state.services.store)
    tokens = {"admin": ADMIN_TOKEN}
    for actor, institution, role in [
        ("archivist-a", INST_A, "archivist"),
        ("curator-a", INST_A, "curator"),
        ("archivist-b", INST_B, "archivist"),
    ]:
        tokens[actor] = keys.create(institution, role, f"pytest {actor}")[1]
    return tokens


def small_settings(data_dir: Path, **overrides: Any) -> Settings:
    return settings_for(data_dir, workers=1, ffmpeg_concurrency=1, **overrides)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    settings = small_settings(tmp_path_factory.mktemp("ingest-api") / "data")
    with TestClient(create_app(settings)) as client:
        records = client.app.state.services.records
        records.save_collection(
            {"slug": "library-b-items", "title": {"en": "B's items"}, "institution": INST_B}
        )
        yield Api(client, settings, make_tokens(client))


@pytest.fixture(scope="module")
def photos_job(api: Api) -> dict[str, Any]:
    """Three JPEGs (one in a folder, Chinese names) and a GBK manifest, by archivist A."""
    files = [(name, jpeg(seed)) for seed, name in enumerate(PHOTOS)]
    response = api.submit(
        "archivist-a", "museum-a-uploads", files, ("著录.csv", gbk_manifest(PHOTOS))
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["url"] == f"/api/jobs/{body['job']}"
    assert response.headers["Location"] == body["url"]
    return api.wait("archivist-a", body["url"])


def test_uploaded_photos_are_ingested_per_manifest(api: Api, photos_job: dict[str, Any]) -> None:
    assert photos_job["state"] == "done", photos_job
    assert photos_job["collection"] == "museum-a-uploads"
    assert photos_job["counts"] == {"stored": 3}
    assert photos_job["errors"] == []
    assert sorted(photos_job["files"]) == sorted(PHOTOS)
    items = {item["source"]: item for item in photos_job["items"]}
    assert set(items) == set(PHOTOS)
    for name, (identifier, title_zh, _, status, access) in PHOTOS.items():
        item = items[name]
        assert item["outcome"] == "stored"
        hits = api.get("archivist-a", "/api/search", q=title_zh).json()["items"]
        assert item["id"] in {hit["id"] for hit in hits}
        record = api.get("archivist-a", f"/api/items/{item['id']}").json()
        assert record["id"] == item_id("museum-a-uploads", identifier)
        assert (record["status"], record["access"]) == (status, access)
        assert record["institution"] == INST_A
        assert record["title"]["zh"] == title_zh
        assert any("museum-a/archivist" in event["agent"] for event in record["events"])
        public = api.get("anonymous", "/api/search", q=title_zh).json()["items"]
        assert item["id"] not in {hit["id"] for hit in public}  # drafts stay unpublished
    collection = api.client.app.state.services.records.load_collection("museum-a-uploads")
    assert collection["institution"] == INST_A
    assert api.leftovers() == []


def test_the_report_is_the_one_the_pipeline_stored(api: Api, photos_job: dict[str, Any]) -> None:
    report = api.get("archivist-a", photos_job["report_url"])
    assert report.status_code == 200
    stored = report.json()
    assert stored["collection"] == "museum-a-uploads"
    assert stored["items"] == photos_job["items"]
    assert stored["counts"] == photos_job["counts"]


def test_the_submission_is_audited(api: Api, photos_job: dict[str, Any]) -> None:
    log = AuditLog(api.client.app.state.services.store)
    entries = [e for e in log.day(datetime.now(UTC).date()) if photos_job["id"] in e["summary"]]
    assert len(entries) == 1
    assert entries[0]["action"] == "POST /api/ingest"
    assert entries[0]["actor"]["institution"] == INST_A
    assert entries[0]["actor"]["role"] == "archivist"


def test_zip_with_gbk_names_is_ingested_and_a_bad_file_fails_alone(api: Api) -> None:
    bundle = io.BytesIO()
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr(gbk_member("剪纸/蝴蝶.jpg"), jpeg(10))
        archive.writestr(gbk_member("剪纸/喜鹊.jpg"), jpeg(11))
    files = [("剪纸作品.zip", bundle.getvalue()), ("坏图.jpg", NOT_A_JPEG)]
    response = api.submit("curator-a", "museum-a-bundles", files, status="published")
    assert response.status_code == 202, response.text
    job = api.wait("curator-a", response.json()["url"])
    assert job["state"] == "done", job
    assert job["counts"] == {"stored": 2, "failed": 1}
    outcomes = {item["source"]: item for item in job["items"]}
    assert set(outcomes) == {"剪纸/蝴蝶.jpg", "剪纸/喜鹊.jpg", "坏图.jpg"}
    assert outcomes["坏图.jpg"]["outcome"] == "failed"
    assert "坏图.jpg" in outcomes["坏图.jpg"]["reason"]
    hits = api.get("anonymous", "/api/search", q="蝴蝶").json()["items"]
    assert outcomes["剪纸/蝴蝶.jpg"]["id"] in {hit["id"] for hit in hits}  # published by a curator
    assert api.leftovers() == []


def test_no_key_or_a_wrong_key_is_401(api: Api) -> None:
    before = api.job_keys()
    for headers in ({}, {"Authorization": "Bearer hk_000000000000_wrong"}):
        response = api.client.post(
            "/api/ingest",
            data={"collection": "museum-a-uploads"},
            files=[("files", ("a.jpg", jpeg(20)))],
            headers=headers,
        )
        assert response.status_code == 401, response.text
    assert api.job_keys() == before
    assert api.leftovers() == []


def test_another_institutions_collection_is_403(api: Api) -> None:
    before = api.job_keys()
    response = api.submit("archivist-a", "library-b-items", [("a.jpg", jpeg(21))])
    assert response.status_code == 403, response.text
    message = response.json()["error"]["message"]
    assert INST_B in message and INST_A in message
    assert api.job_keys() == before
    assert api.leftovers() == []


@pytest.mark.parametrize(
    ("fields", "manifest", "wanted"),
    [
        ({"status": "published"}, None, "form field 'status'"),
        ({}, [["a.jpg", "a", "甲", "A", "published", "public"]], "row 1"),
    ],
)
def test_an_archivist_may_not_publish(
    api: Api, fields: dict[str, str], manifest: list[list[str]] | None, wanted: str
) -> None:
    sent = ("m.csv", gbk_manifest({row[0]: row[1:] for row in manifest})) if manifest else None
    response = api.submit("archivist-a", "museum-a-uploads", [("a.jpg", jpeg(22))], sent, **fields)
    assert response.status_code == 403, response.text
    assert wanted in response.json()["error"]["message"]
    assert "curator" in response.json()["error"]["message"]
    assert api.leftovers() == []


def test_a_manifest_row_for_another_institution_is_403(api: Api) -> None:
    manifest = "path,title_zh,institution\na.jpg,甲,library-b\n".encode()
    response = api.submit(
        "archivist-a", "museum-a-uploads", [("a.jpg", jpeg(23))], ("m.csv", manifest)
    )
    assert response.status_code == 403, response.text
    assert "m.csv row 1" in response.json()["error"]["message"]


def raw_form(filename: bytes) -> tuple[bytes, dict[str, str]]:
    """A multipart body written by hand: clients escape what an attacker would not."""
    body = (
        b'--BOUNDARY\r\nContent-Disposition: form-data; name="collection"\r\n\r\n'
        b"museum-a-uploads\r\n"
        b'--BOUNDARY\r\nContent-Disposition: form-data; name="files"; filename="'
        + filename
        + b'"\r\nContent-Type: image/jpeg\r\n\r\n'
        + jpeg(24)
        + b"\r\n--BOUNDARY--\r\n"
    )
    return body, {"Content-Type": "multipart/form-data; boundary=BOUNDARY"}


@pytest.mark.parametrize(
    "filename",
    ["../../etc/passwd", "/etc/passwd", "照片/../../../passwd", "a\x00.jpg", "..\\..\\x.jpg"],
)
def test_file_names_that_would_escape_are_refused(api: Api, filename: str) -> None:
    body, headers = raw_form(filename.encode())
    headers |= api.headers("archivist-a")
    before = api.job_keys()
    response = api.client.post("/api/ingest", content=body, headers=headers)
    assert response.status_code == 422, response.text
    assert f"file name {filename!r}" in response.json()["error"]["message"]
    assert api.job_keys() == before
    assert api.leftovers() == []
    for root in (api.settings.data_dir, api.settings.uploads_dir):
        assert not (root / "etc").exists() and not (root / "passwd").exists()


@pytest.mark.parametrize(
    ("data", "files", "wanted"),
    [
        ({}, [("files", ("a.jpg", b"x"))], "form field 'collection'"),
        ({"collection": "Not A Slug"}, [("files", ("a.jpg", b"x"))], "not a valid slug"),
        ({"collection": "museum-a-x"}, [("manifest", ("m.csv", b"path\na.jpg\n"))], "'files'"),
        ({"collection": "museum-a-x", "status": "gone"}, [("files", ("a.jpg", b"x"))], "status"),
        ({"collection": "museum-a-x", "colour": "red"}, [("files", ("a.jpg", b"x"))], "colour"),
        ({"collection": "museum-a-x"}, [("files", ("a.jpg", b"x"))] * 2, "twice"),
        ({"collection": "museum-a-x"}, [("files", ("a.jpg", b"x")), ("manifest", BOGUS)], "bogus"),
    ],
)  # fmt: skip
def test_bad_forms_are_422_naming_the_field(
    api: Api, data: dict[str, str], files: list[Any], wanted: str
) -> None:
    response = api.client.post(
        "/api/ingest", data=data, files=files, headers=api.headers("archivist-a")
    )
    assert response.status_code == 422, response.text
    assert wanted in response.json()["error"]["message"]
    assert api.leftovers() == []


def test_unknown_and_other_institutions_jobs_are_404(api: Api, photos_job: dict[str, Any]) -> None:
    url = f"/api/jobs/{photos_job['id']}"
    for actor in ("archivist-b", "anonymous"):
        assert api.get(actor, url).status_code == 404
        assert api.get(actor, f"{url}/report").status_code == 404
    for actor in ("curator-a", "admin"):
        assert api.get(actor, url).json()["id"] == photos_job["id"]
    for unknown in ("20990101T000000Z-00000000", "..", "no-such-job"):
        response = api.get("admin", f"/api/jobs/{unknown}")
        assert response.status_code == 404
        assert "error" in response.json()


def test_an_upload_over_the_limit_is_413(tmp_path: Path) -> None:
    settings = small_settings(tmp_path / "data", upload_max_bytes=50_000)
    with TestClient(create_app(settings)) as client:
        api = Api(client, settings, {"admin": ADMIN_TOKEN})
        big = [("big.jpg", random.Random(1).randbytes(80_000))]
        declared = api.submit("admin", "museum-a-uploads", big)  # with Content-Length
        body, headers = raw_form(b"big.jpg")
        body = body.replace(jpeg(24), random.Random(2).randbytes(80_000))

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams in
            for start in range(0, len(body), 8192):
                yield body[start : start + 8192]

        streamed = client.post(
            "/api/ingest", content=chunks(), headers=headers | api.headers("admin")
        )
        for response in (declared, streamed):
            assert response.status_code == 413, response.text
            message = response.json()["error"]["message"]
            assert "50000 bytes" in message and "HERITAGE_UPLOAD_MAX_BYTES" in message
        assert api.job_keys() == []
        assert api.leftovers() == []


def test_a_job_running_when_the_server_stopped_is_failed_on_the_next_start(
    tmp_path: Path,
) -> None:
    settings = small_settings(tmp_path / "data")
    jobs = JobStore(LocalStore(settings.local_store_path))
    left = {"running": "20240101T000000Z-00000001", "queued": "20240101T000000Z-00000002"}
    for state, job_id in left.items():
        submitted = "2024-01-01T00:00:00Z"
        job = Job(job_id, "museum-a-uploads", INST_A, "museum-a/archivist", submitted, ["a.jpg"])
        job.state = state  # type: ignore[assignment]
        jobs.save(job)
    leftover = settings.uploads_dir / left["running"] / "files" / "a.jpg"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"half an upload")
    with TestClient(create_app(settings)) as client:
        for job_id in left.values():
            headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
            job = client.get(f"/api/jobs/{job_id}", headers=headers).json()
            assert (job["state"], job["error"]) == ("failed", INTERRUPTED)
            assert job["finished"] is not None
        assert list(settings.uploads_dir.iterdir()) == []


def test_stopping_the_server_leaves_no_upload_and_no_unfinished_job(tmp_path: Path) -> None:
    settings = small_settings(tmp_path / "data")
    with TestClient(create_app(settings)) as client:
        api = Api(client, settings, make_tokens(client))
        response = api.submit("archivist-a", "museum-a-uploads", [("a.jpg", jpeg(30))])
        assert response.status_code == 202, response.text
        job_id = response.json()["job"]
    job = JobStore(LocalStore(settings.local_store_path)).get(job_id)
    assert job is not None
    assert job.state in ("done", "failed")
    assert job.state == "done" or job.error == INTERRUPTED
    assert list(settings.uploads_dir.iterdir()) == []


def test_the_report_downloads_as_a_spreadsheet(api: Api, photos_job: dict[str, Any]) -> None:
    """The same report as CSV (UTF-8 with BOM, Chinese headings) and as XLSX, one row per item."""
    from io import BytesIO

    from openpyxl import load_workbook

    url = photos_job["report_url"]
    as_csv = api.get("archivist-a", url, format="csv")
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.content.startswith(b"\xef\xbb\xbf")
    lines = as_csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].split(",")[:2] == ["文件", "结果"]
    assert len(lines) == 1 + len(photos_job["items"])
    as_xlsx = api.get("archivist-a", url, format="xlsx", lang="en")
    assert as_xlsx.status_code == 200
    sheet = load_workbook(BytesIO(as_xlsx.content)).active
    assert [c.value for c in sheet[1]][:2] == ["Source", "Outcome"]
    assert sheet.max_row == 1 + len(photos_job["items"])
    assert api.get("archivist-a", url, format="pdf").status_code == 422


def test_a_dry_run_stores_nothing_keeps_its_files_and_is_applied_once(tmp_path: Path) -> None:
    """`dry_run=1`: a report of what would happen and no item; `POST /api/jobs/{id}/apply` runs
    the kept files for real as a new job, once; stopping the server drops unapplied files."""
    settings = small_settings(tmp_path / "data")
    with TestClient(create_app(settings)) as client:
        api = Api(client, settings, make_tokens(client))
        files = [(name, jpeg(seed)) for seed, name in enumerate(PHOTOS)]
        manifest = ("著录.csv", gbk_manifest(PHOTOS))
        bad = api.submit("archivist-a", "museum-a-uploads", files, manifest, dry_run="maybe")
        assert bad.status_code == 422 and "dry_run" in bad.json()["error"]["message"]
        sent = api.submit("archivist-a", "museum-a-uploads", files, manifest, dry_run="1")
        preview = api.wait("archivist-a", sent.json()["url"])
        assert preview["dry_run"] is True and preview["counts"] == {"would-store": 3}
        assert list(client.app.state.services.records.ids()) == []
        assert len(api.leftovers()) == 1  # its files, kept to be applied
        url = f"{sent.json()['url']}/apply"
        assert client.post(url, headers=api.headers("archivist-b")).status_code == 404
        applied = client.post(url, headers=api.headers("curator-a"))
        assert applied.status_code == 202, applied.text
        job = api.wait("curator-a", applied.json()["url"])
        assert job["counts"] == {"stored": 3} and job["applies"] == preview["id"]
        assert sorted(job["files"]) == sorted(preview["files"])
        assert api.get("curator-a", sent.json()["url"]).json()["applied_by"] == job["id"]
        again = client.post(url, headers=api.headers("curator-a"))
        assert again.status_code == 409 and job["id"] in again.json()["error"]["message"]
        assert (
            client.post(f"/api/jobs/{job['id']}/apply", headers=api.headers("admin")).status_code
            == 409
        )
        assert api.leftovers() == []  # the real job's end removed them
        kept = api.submit("archivist-a", "museum-a-uploads", files, manifest, dry_run="1")
        assert api.wait("archivist-a", kept.json()["url"])["counts"] == {"unchanged": 3}
        assert len(api.leftovers()) == 1
    assert list(settings.uploads_dir.iterdir()) == []  # not kept across a stop
