"""Uploading through the staff workspace, with the real app, job runner and pipeline: the form,
the plain multipart POST (CSRF token as its first field) answered with the job's page, that page
until the job is done, its report table and outcome filter, the manifest template; without the
token nothing is queued, and another institution's user gets the 404 of an unknown job."""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.http.app import create_app
from api.http.i18n import message
from repository.users import UserStore
from tests.e2e.governance_support import BASE_URL, INST_A, INST_B, settings_for
from tests.e2e.test_ingest_api import NOT_A_JPEG, jpeg

PASSWORD = "correct horse battery"
PHOTOS = {"鹤舞.jpg": ("crane", "鹤舞剪纸"), "b.jpg": ("tiger", "虎头鞋样")}
POLLS = 1200  # at 0.1 s: a generous bound for two pictures, not a timing assertion


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    settings = settings_for(
        tmp_path_factory.mktemp("workspace-upload") / "data", workers=1, ffmpeg_concurrency=1
    )
    app = create_app(settings)
    with TestClient(app):  # runs the lifespan: the job runner
        users = UserStore(app.state.services.store)
        users.create("li.na", INST_A, "archivist", PASSWORD)
        users.create("zhao.bo", INST_B, "curator", PASSWORD)
        app.state.services.records.save_collection(
            {"slug": "museum-a-papercuts", "title": {"zh": "剪纸"}, "institution": INST_A}
        )
        yield app


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def signed_in(app: Any, name: str) -> TestClient:
    client = TestClient(app, base_url=BASE_URL)
    form = client.get("/workspace/login")
    data = {"name": name, "password": PASSWORD, "csrf_token": csrf_of(form.text)}
    answer = client.post("/workspace/login", data=data, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return client


def manifest_csv(photos: dict[str, tuple[str, str]] = PHOTOS) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["path", "identifier", "title_zh", "status"])
    writer.writerows(
        [path, identifier, title, "draft"] for path, (identifier, title) in photos.items()
    )
    return text.getvalue().encode()


def form_body(parts: list[tuple[str, str | None, bytes]]) -> tuple[bytes, str]:
    """A multipart body as browsers write it, in order: (field, file name or None, content);
    an empty file input is a part with `filename=""` (which httpx cannot send)."""
    boundary = "----heritage-test-boundary"
    chunks = []
    for field, filename, content in parts:
        disposition = f'form-data; name="{field}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n"
        chunks.append(head.encode() + content + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def upload(
    client: TestClient,
    token: str | None,
    collection: str = "museum-a-papercuts",
    *,
    dry_run: bool = False,
    photos: dict[str, tuple[str, str]] = PHOTOS,
) -> Any:
    """The form as a browser without scripts sends it: the token first, then the fields, the
    files, an empty folder input and the manifest."""
    parts: list[tuple[str, str | None, bytes]] = []
    if token is not None:
        parts.append(("csrf_token", None, token.encode()))
    parts += [("collection", None, collection.encode()), ("status", None, b"draft")]
    parts += [("access", None, b"")] + ([("dry_run", None, b"1")] if dry_run else [])
    parts += [("files", name, jpeg(seed)) for seed, name in enumerate(PHOTOS)]
    parts += [("files", "broken.jpg", NOT_A_JPEG), ("files", "", b"")]
    parts += [("manifest", "著录.csv", manifest_csv(photos))]
    body, content_type = form_body(parts)
    return client.post(
        "/workspace/upload",
        content=body,
        headers={"Content-Type": content_type},
        follow_redirects=False,
    )


def wait_for_page(client: TestClient, url: str) -> str:
    for _ in range(POLLS):
        page = client.get(url)
        assert page.status_code == 200, page.text
        if 'http-equiv="refresh"' not in page.text:
            return page.text
        time.sleep(0.1)
    pytest.fail(f"{url} still refreshes: the job did not finish")


def rows_of(html: str) -> list[tuple[str, str]]:
    """(outcome, source) of each report row."""
    return re.findall(r'<tr data-outcome="([^"]+)">\s*<td>([^<]*)</td>', html)


@pytest.fixture(scope="module")
def job_url(app: Any) -> str:
    client = signed_in(app, "li.na")
    form = client.get("/workspace/upload")
    assert form.status_code == 200
    assert "museum-a-papercuts" in form.text  # the institution's collection is offered
    answer = upload(client, csrf_of(form.text))
    assert answer.status_code == 303, answer.text
    url: str = answer.headers["location"]
    assert re.fullmatch(r"/workspace/jobs/[\w-]+", url)
    return url


def test_an_archivist_uploads_and_reads_the_report(app: Any, job_url: str) -> None:
    client = signed_in(app, "li.na")
    html = wait_for_page(client, job_url + "?lang=en")
    assert message("en", "job.state.done") in html
    rows = rows_of(html)
    assert sorted(rows) == [("failed", "broken.jpg"), ("stored", "b.jpg"), ("stored", "鹤舞.jpg")]
    job_id = job_url.rsplit("/", 1)[1]
    item_ids = re.findall(r'<a href="/items/([^"]+)">', html)
    api_job = client.get(f"/api/jobs/{job_id}").json()
    stored = {i["id"] for i in api_job["items"] if i["outcome"] == "stored"}
    assert set(item_ids) == stored and len(stored) == 2
    for item_id in stored:
        assert client.get(f"/items/{item_id}").status_code == 200  # the link leads to the item
    for fmt in ("csv", "xlsx"):
        link = f"/api/jobs/{job_id}/report?format={fmt}&amp;lang=en"
        assert link in html
        assert client.get(link.replace("&amp;", "&")).status_code == 200


def test_the_outcome_filter_works_without_scripts(app: Any, job_url: str) -> None:
    client = signed_in(app, "li.na")
    wait_for_page(client, job_url)
    assert rows_of(client.get(job_url, params={"outcome": "failed"}).text) == [
        ("failed", "broken.jpg")
    ]
    stored = rows_of(client.get(job_url, params={"outcome": "stored"}).text)
    assert sorted(source for _, source in stored) == sorted(PHOTOS)
    assert client.get(job_url, params={"outcome": "nonsense"}).status_code == 422


def test_without_the_csrf_token_nothing_is_queued(app: Any) -> None:
    client = signed_in(app, "li.na")
    jobs_before = list(app.state.services.store.list("jobs/"))
    missing = upload(client, None)
    assert missing.status_code == 403 and "CSRF token is missing" in missing.text
    wrong = upload(client, "not-the-token")
    assert wrong.status_code == 403 and "does not match" in wrong.text
    assert list(app.state.services.store.list("jobs/")) == jobs_before
    assert list(app.state.services.settings.uploads_dir.iterdir()) == []


def test_another_institution_gets_404_and_strangers_the_sign_in_form(
    app: Any, job_url: str
) -> None:
    assert signed_in(app, "zhao.bo").get(job_url).status_code == 404
    stranger = TestClient(app, base_url=BASE_URL)
    for url in (job_url, "/workspace/upload", "/workspace/manifest-template.xlsx"):
        answer = stranger.get(url, follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, "/workspace/login")
    assert upload(stranger, None).headers["location"] == "/workspace/login"


def test_the_manifest_template_is_an_xlsx_workbook(app: Any, tmp_path: Path) -> None:
    answer = signed_in(app, "li.na").get("/workspace/manifest-template.xlsx")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(answer.content))
    headers = [cell.value for cell in book.active[2]]
    assert "path" in headers and "title" in headers


def test_the_landing_page_links_to_the_upload_form(app: Any) -> None:
    page = signed_in(app, "li.na").get("/workspace/?lang=zh")
    assert 'href="/workspace/upload"' in page.text
    assert message("zh", "workspace.link_upload") in page.text


def test_scripts_send_the_token_as_a_header_and_read_errors_as_json(app: Any) -> None:
    """What `static/upload.js` relies on: `X-CSRF-Token` instead of the field, and a refusal
    (here: another institution's collection) as the API's JSON error."""
    app.state.services.records.save_collection({"slug": "library-b-books", "institution": INST_B})
    client = signed_in(app, "li.na")
    token = csrf_of(client.get("/workspace/upload").text)
    body, content_type = form_body(
        [("collection", None, b"library-b-books"), ("files", "a.jpg", jpeg(7))]
    )
    headers = {"Content-Type": content_type, "Accept": "application/json"}
    wrong = client.post("/workspace/upload", content=body, headers={**headers, "X-CSRF-Token": "x"})
    assert wrong.status_code == 403 and "does not match" in wrong.json()["error"]["message"]
    refused = client.post(
        "/workspace/upload", content=body, headers={**headers, "X-CSRF-Token": token}
    )
    assert refused.status_code == 403
    assert "belongs to institution 'library-b'" in refused.json()["error"]["message"]
    assert list(app.state.services.settings.uploads_dir.iterdir()) == []


def test_a_dry_run_previews_the_changes_and_its_apply_button_imports_those_files(app: Any) -> None:
    """Preview a new batch (nothing stored), apply it (stored by a new job, once), then preview
    a corrected manifest: the changes table under the item, kept through the outcome filter."""
    records = app.state.services.records
    client = signed_in(app, "li.na")
    token = csrf_of(client.get("/workspace/upload").text)
    assert 'name="dry_run"' in client.get("/workspace/upload").text
    before = sorted(records.ids())
    answer = upload(client, token, "museum-a-preview", dry_run=True)
    assert answer.status_code == 303, answer.text
    preview_url = answer.headers["location"]
    html = wait_for_page(client, preview_url + "?lang=en")
    assert sorted(rows_of(html)) == [
        ("failed", "broken.jpg"), ("would-store", "b.jpg"), ("would-store", "鹤舞.jpg")
    ]  # fmt: skip
    assert 'id="job-dry-run"' in html and sorted(records.ids()) == before  # nothing stored
    assert client.get(f"/api/jobs/{preview_url.rsplit('/', 1)[1]}").json()["dry_run"] is True

    applied = client.post(
        preview_url + "/apply", data={"csrf_token": token}, follow_redirects=False
    )
    assert applied.status_code == 303, applied.text
    real_url = applied.headers["location"]
    html = wait_for_page(client, real_url + "?lang=en")
    assert sorted(rows_of(html)) == [
        ("failed", "broken.jpg"), ("stored", "b.jpg"), ("stored", "鹤舞.jpg")
    ]  # fmt: skip
    assert f'href="{preview_url}"' in html  # the real job names the preview it applies
    preview_page = client.get(preview_url).text
    assert f'href="{real_url}"' in preview_page and 'id="job-apply"' not in preview_page
    again = client.post(preview_url + "/apply", data={"csrf_token": token})
    assert again.status_code == 409  # applied once only
    forged = client.post(preview_url + "/apply", data={"csrf_token": "x"})
    assert forged.status_code == 403

    retitled = {**PHOTOS, "b.jpg": ("tiger", "虎头鞋样（清代）")}
    answer = upload(client, token, "museum-a-preview", dry_run=True, photos=retitled)
    html = wait_for_page(client, answer.headers["location"] + "?lang=en")
    assert sorted(rows_of(html)) == [
        ("failed", "broken.jpg"), ("unchanged", "鹤舞.jpg"), ("would-update", "b.jpg")
    ]  # fmt: skip
    changes = re.findall(r'<tr data-action="([^"]+)"><td>([^<]*)</td><td>([^<]*)</td>', html)
    assert changes == [("update", "title", "zh: 虎头鞋样")]
    assert "虎头鞋样（清代）" in html and 'id="job-apply"' in html
    filtered = client.get(answer.headers["location"], params={"outcome": "would-update"}).text
    assert rows_of(filtered) == [("would-update", "b.jpg")] and 'data-action="update"' in filtered
    failed = client.get(answer.headers["location"], params={"outcome": "failed"}).text
    assert "data-action=" not in failed
    tiger = next(r for r in records if r.get("identifier") == "tiger")
    assert tiger["title"] == {"zh": "虎头鞋样"}  # the preview changed nothing
