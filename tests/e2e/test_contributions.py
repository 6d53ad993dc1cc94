"""Public contributions through the real app, job runner and pipeline: a visitor's form (CSRF
token first, a solved challenge) becomes a draft in `contributions` with the contributor
credited, a curator accepts (published, credited) or declines (never public, the message on the
private status page); the contact never reaches a public view; floods, oversize files, files that
are not what their names say and HTML in the fields are refused or kept as text."""

from __future__ import annotations

import base64
import html as entities
import io
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from PIL import ExifTags, Image

from api.http.app import create_app
from api.http.i18n import message
from api.operations.contributions import COLLECTION, ContributionStore, solve
from repository.keys import AUDIT_PREFIX
from repository.users import UserStore
from tests.e2e.governance_support import BASE_URL, settings_for
from tests.e2e.workspace_support import PASSWORD, browser, csrf_of, signed_in

CURATOR = "wang.li"
CONTACT = "zhao.contact@example.org"
POLLS = 1200  # at 0.1 s: a generous bound for one small photo, not a timing assertion
LIMITS = {
    "contribution_challenge_bits": 6,
    "contribution_file_max_bytes": 200_000,
    "contribution_max_bytes": 600_000,
    "contribution_max_files": 3,
}


def make_app(root: Path, **overrides: Any) -> Any:
    settings = settings_for(root / "data", workers=1, ffmpeg_concurrency=1, **LIMITS, **overrides)
    return create_app(settings)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    app = make_app(tmp_path_factory.mktemp("contributions"), contributions_per_hour=100)
    with TestClient(app):  # runs the lifespan: the job runner
        UserStore(app.state.services.store).create(CURATOR, "operator", "curator", PASSWORD)
        yield app


def photo(seed: int, gps: bool = True) -> bytes:
    exif = Image.Exif()
    if gps:
        ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
        ifd[ExifTags.GPS.GPSLatitudeRef], ifd[ExifTags.GPS.GPSLatitude] = "N", (39.0, 54.0, 15.0)
        ifd[ExifTags.GPS.GPSLongitudeRef], ifd[ExifTags.GPS.GPSLongitude] = "E", (116.0, 23.0, 2.0)
    buffer = io.BytesIO()
    Image.effect_noise((96, 64), 30 + seed).convert("RGB").save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def gps_in(data: bytes) -> dict[int, Any]:
    return dict(Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo))


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"the form has no {name}"
    return found.group(1)


def form_page(client: TestClient) -> str:
    page = client.get("/contribute")
    assert page.status_code == 200, page.text
    assert "no-store" in page.headers["cache-control"]
    return page.text


def send(
    client: TestClient,
    files: list[tuple[str, bytes]],
    *,
    page: str | None = None,
    solved: bool = True,
    **fields: str | None,
) -> Any:
    """Fill in the form as a browser with scripts does (the proof of work solved)."""
    page = page or form_page(client)
    challenge = hidden(page, "challenge")
    data = {
        "csrf_token": csrf_of(page),
        "name": "赵大姐",
        "contact": CONTACT,
        "title": "村里的花灯节",
        "place": "河北省蔚县",
        "date": "2019-02",
        "category": "folk-customs",
        "story": "每年正月十五，全村一起扎花灯。",
        "licence": "1",
        "consent": "1",
        "challenge": challenge,
        "signature": hidden(page, "signature"),
        "work": solve(challenge) if solved else "",
        **fields,
    }
    data = {k: v for k, v in data.items() if v is not None}
    parts = [("files", (name, body, "application/octet-stream")) for name, body in files]
    return client.post("/contribute", data=data, files=parts, follow_redirects=False)


def contributed(app: Any, lang: str = "en", **fields: str | None) -> tuple[TestClient, str, str]:
    """A visitor's contribution of one photo, waited for until it is in review: (their browser,
    status path, item id)."""
    client = browser(app, lang)
    given: dict[str, Any] = dict(fields)
    answer = send(client, [("灯.jpg", photo(len(fields)))], **given)
    assert answer.status_code == 303, answer.text
    status = answer.headers["location"].split("?")[0]
    assert re.fullmatch(r"/contribute/status/[A-Za-z0-9_-]{32}", status)
    for _ in range(POLLS):
        state = status_state(client, status)
        if state != "received":
            break
        time.sleep(0.1)
    assert state == "review", state
    contribution = ContributionStore(app.state.services).by_token(status.rsplit("/", 1)[1])
    assert contribution is not None
    return client, status, contribution.item_id


def status_state(client: TestClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    assert "noindex" in page.headers["x-robots-tag"]
    found = re.search(r'id="contribute-state" data-state="(\w+)"', page.text)
    assert found
    return found.group(1)


def decide(app: Any, item_id: str, action: str, text: str = "") -> Any:
    curator = signed_in(app, CURATOR)
    assert curator.get("/workspace/contributions").status_code == 200
    page = curator.get("/workspace/")  # its sign-out form carries the session's token
    contribution = ContributionStore(app.state.services).by_item(item_id)
    assert contribution is not None
    data = {
        "csrf_token": csrf_of(page.text),
        "contribution": contribution.id,
        "action": action,
        "message": text,
    }
    return curator.post("/workspace/contributions", data=data, follow_redirects=False)


def public_views(client: TestClient, item_id: str, words: str) -> list[str]:
    identifier = f"oai:heritage.test:{item_id}"
    views = [
        client.get(f"/items/{item_id}", headers={"Accept": "text/html"}).text,
        client.get(f"/api/items/{item_id}").text,
        client.get(f"/api/items/{item_id}", headers={"Accept": "text/turtle"}).text,
        client.get(f"/api/items/{item_id}", headers={"Accept": "application/ld+json"}).text,
        client.get(f"/iiif/{item_id}/manifest").text,
        client.get("/api/search", params={"q": words}).text,
        client.get("/", params={"q": words}).text,
    ]
    for prefix in ("oai_dc", "edm"):
        oai = f"/oai?verb=GetRecord&metadataPrefix={prefix}&identifier={identifier}"
        views.append(client.get(oai).text)
    return views


# --- the flow ------------------------------------------------------------------------------------


def test_a_contribution_lands_in_review_and_is_published_with_credit(
    app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    visitor, status, item_id = contributed(
        app, name="<b>Zhao</b>", story='<script>alert("x")</script> 花灯'
    )
    record = app.state.services.records.get(item_id)
    assert record["collection"] == COLLECTION and record["status"] == "draft"
    assert {"name": "<b>Zhao</b>", "role": "contributor"} in record["people"]
    assert CONTACT not in str(record)
    assert record["description"]["zh"].startswith('<script>alert("x")</script>')  # kept as text
    assert record["date"]["edtf"] == "2019-02"
    curator = signed_in(app, CURATOR, lang="en")
    queue = curator.get("/workspace/review", params={"status": "draft"}).text
    assert item_id in queue and "review-contribution" in queue
    listing = curator.get("/workspace/contributions").text
    assert CONTACT in listing  # the curators may answer the contributor
    assert "<b>Zhao</b>" not in listing and entities.escape("<b>Zhao</b>") in listing
    assert visitor.get(f"/items/{item_id}").status_code == 404  # a draft is nobody's business

    answer = decide(app, item_id, "accept", "谢谢")
    assert answer.headers["location"].endswith("done=accepted")
    assert status_state(visitor, status) == "published"
    assert f'href="/items/{item_id}"' in visitor.get(status).text
    public = browser(app, "en")
    item_page = public.get(f"/items/{item_id}").text
    assert entities.escape("<b>Zhao</b>") in item_page and "<b>Zhao</b>" not in item_page
    assert "<script>alert" not in item_page
    for view in public_views(public, item_id, "花灯节"):
        assert CONTACT not in view and "zhao.contact" not in view
    assert any("村里的花灯节" in v for v in public_views(public, item_id, "花灯节")[5:7])
    assert gps_in(public.get(f"/api/items/{item_id}/files/original").content) == {}
    store = app.state.services.store
    for key in [*store.list(AUDIT_PREFIX), *store.list("reports/"), *store.list("jobs/")]:
        assert CONTACT.encode() not in store.get_bytes(key), key
    assert CONTACT not in caplog.text


def test_a_contribution_is_screened_for_sensitive_terms(app: Any) -> None:
    _, _, item_id = contributed(app, title="老屋", story="墙下发现了人类遗骸，村里重新安葬。")
    page = signed_in(app, CURATOR, lang="en").get("/workspace/contributions").text
    entry = page.split(f'href="/workspace/items/{item_id}"', 1)[1].split("</li>", 1)[0]
    assert "needs-review:human-remains" in entry


def test_keep_my_location_keeps_the_gps_of_the_public_original(app: Any) -> None:
    _, _, item_id = contributed(app, keep_location="1", title="保留位置的照片")
    decide(app, item_id, "accept")
    original = browser(app).get(f"/api/items/{item_id}/files/original")
    assert original.status_code == 200
    assert gps_in(original.content)  # the contributor asked to show where it was taken


def test_a_declined_contribution_is_never_public(app: Any) -> None:
    visitor, status, item_id = contributed(app, title="不该公开的投稿")
    missing = decide(app, item_id, "decline", "")
    assert missing.headers["location"].endswith("done=message")  # a reason is required
    answer = decide(app, item_id, "decline", "照片<i>模糊</i>，请重拍")
    assert answer.headers["location"].endswith("done=declined")
    page = visitor.get(status).text
    assert 'data-state="declined"' in page
    assert entities.escape("照片<i>模糊</i>，请重拍") in page and "<i>模糊</i>" not in page
    assert f"/items/{item_id}" not in page
    public = browser(app)
    assert public.get(f"/items/{item_id}", headers={"Accept": "text/html"}).status_code == 404
    assert public.get(f"/api/items/{item_id}").status_code == 404
    assert public.get(f"/iiif/{item_id}/manifest").status_code == 404
    assert public.get(f"/api/items/{item_id}/files/original").status_code == 404
    oai = f"/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:heritage.test:{item_id}"
    assert "idDoesNotExist" in public.get(oai).text
    assert item_id not in public.get("/api/search", params={"q": "不该公开"}).text
    assert item_id not in public.get("/oai?verb=ListIdentifiers&metadataPrefix=oai_dc").text
    assert decide(app, item_id, "accept").headers["location"].endswith("done=done_already")


def test_a_status_link_that_is_not_ours_is_not_found(app: Any) -> None:
    assert browser(app).get("/contribute/status/" + "A" * 32).status_code == 404


# --- refusals ------------------------------------------------------------------------------------


def test_without_the_csrf_token_nothing_is_received(app: Any) -> None:
    before = len(list(app.state.services.store.list("contributions/")))
    client = browser(app, "en")
    page = form_page(client)
    assert send(client, [("a.jpg", photo(1))], page=page, csrf_token=None).status_code == 403
    assert send(client, [("a.jpg", photo(1))], page=page, csrf_token="x" * 43).status_code == 403
    refused = send(client, [("a.jpg", photo(1))], page=page, csrf_token="x" * 43)
    assert message("en", "contribute.problem.csrf") in entities.unescape(refused.text)
    stranger = browser(app, "zh")  # no session cookie at all
    alone = send(stranger, [("a.jpg", photo(1))], page=page)
    assert alone.status_code == 403 and "set-cookie" not in alone.headers
    assert message("zh", "contribute.problem.csrf") in entities.unescape(alone.text)
    assert len(list(app.state.services.store.list("contributions/"))) == before  # none taken


def test_an_unanswered_or_replayed_challenge_is_refused(app: Any) -> None:
    client = browser(app, "en")
    wrong = send(client, [("a.jpg", photo(2))], solved=False, answer="99")
    assert wrong.status_code == 403
    assert message("en", "contribute.problem.challenge") in entities.unescape(wrong.text)
    page = form_page(client)
    a, b = re.search(r"what is (\d) \+ (\d)", page).groups()  # type: ignore[union-attr]
    total = str(int(a) + int(b))
    right = send(client, [("a.jpg", photo(2))], page=page, solved=False, answer=total)
    assert right.status_code == 303  # the no-script question is an answer too
    again = send(client, [("a.jpg", photo(3))], page=page)  # the same challenge once more
    assert again.status_code == 403
    forged = send(client, [("a.jpg", photo(3))], signature="0" * 64)
    assert forged.status_code == 403
    robot = send(client, [("a.jpg", photo(3))], website="http://spam.example")
    assert robot.status_code == 403


def test_oversize_files_and_too_many_files_are_refused_naming_them(app: Any) -> None:
    client = browser(app, "en")
    big = send(client, [("大.jpg", photo(4) + b"\0" * 250_000)])
    assert big.status_code == 413
    assert message("en", "contribute.problem.file_large", name="大.jpg", mib=1) in (
        entities.unescape(big.text)
    )
    many = send(client, [(f"{n}.jpg", photo(n)) for n in range(4)])
    assert many.status_code == 422
    assert message("en", "contribute.problem.files_many", n=3) in entities.unescape(many.text)
    page = form_page(client)
    huge = client.post(
        "/contribute",
        content=b"x",
        headers={"Content-Length": str(5 * 1024**3), "Content-Type": "multipart/form-data"},
    )
    assert huge.status_code == 413 and "csrf_token" in page
    empty = send(client, [])
    assert empty.status_code == 422 and 'data-problem="files"' in empty.text


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("invitation.jpg", b"<html><script>alert(1)</script></html>" * 10),
        ("photo.jpg", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(500)),
        ("song.mp3", b"%PDF-1.7\n" + bytes(500)),
    ],
)
def test_a_file_that_is_not_what_its_name_says_is_refused(app: Any, name: str, body: bytes) -> None:
    client = browser(app, "zh")
    answer = send(client, [("ok.jpg", photo(5)), (name, body)])
    assert answer.status_code == 415
    assert message("zh", "contribute.problem.type", name=name) in entities.unescape(answer.text)


def test_html_in_the_fields_is_shown_back_as_text(app: Any) -> None:
    client = browser(app, "en")
    answer = send(client, [("a.jpg", photo(6))], title='"><script>alert(1)</script>', consent="")
    assert answer.status_code == 422
    assert 'data-problem="consent"' in answer.text
    assert "<script>alert(1)</script>" not in answer.text
    assert str(escape('"><script>alert(1)</script>')) in answer.text  # as the template escapes
    bad_date = send(client, [("a.jpg", photo(6))], date="sometime soonish")
    assert bad_date.status_code == 422 and 'data-problem="date"' in bad_date.text


def test_a_flood_from_one_address_gets_429_in_the_visitors_language(
    tmp_path: Path,
) -> None:
    app = make_app(tmp_path, contributions_per_hour=2)
    with TestClient(app):
        client = browser(app, "zh")
        for n in range(2):
            assert send(client, [("a.jpg", photo(10 + n))]).status_code == 303
        flood = send(client, [("a.jpg", photo(12))])
        assert flood.status_code == 429
        assert int(flood.headers["retry-after"]) > 0
        assert "请" in flood.text and "分钟" in flood.text


def test_one_published_from_the_review_queue_cannot_be_declined_and_hides_its_gps(
    app: Any,
) -> None:
    visitor, status, item_id = contributed(app, keep_location="1", title="从队列发布的投稿")
    curator = signed_in(app, CURATOR, lang="en")
    token = csrf_of(curator.get("/workspace/review", params={"status": "draft"}).text)
    for current, move in (("draft", "review"), ("review", "published")):
        form = {"csrf_token": token, "status": current, "decision": move, "reason": "好"}
        answer = curator.post(
            "/workspace/review", data={**form, "item": item_id}, follow_redirects=False
        )
        assert f"done={item_id}" in answer.headers["location"], answer.headers["location"]
    refused = decide(app, item_id, "decline", "太晚了")
    assert refused.headers["location"].endswith("done=done_already")
    assert status_state(visitor, status) == "published"
    original = browser(app).get(f"/api/items/{item_id}/files/original")
    assert gps_in(original.content) == {}  # only accepting here applies "keep my location"


# --- resumable uploads of visitors ---------------------------------------------------------------

TUS = {"Tus-Resumable": "1.0.0"}


def tus_create(client: TestClient, token: str | None, size: int, name: str = "灯.jpg") -> Any:
    names = [base64.b64encode(v.encode()).decode() for v in (name, "image/jpeg")]
    headers = {**TUS, "Upload-Length": str(size)}
    headers["Upload-Metadata"] = f"filename {names[0]},filetype {names[1]}"
    if token is not None:
        headers["X-CSRF-Token"] = token
    return client.post("/contribute/uploads/", headers=headers)


def tus_send(client: TestClient, token: str, body: bytes) -> str:
    """A finished resumable upload of `body` in two PATCHes (as after a dropped connection)."""
    created = tus_create(client, token, len(body))
    assert created.status_code == 201, created.text
    path: str = created.headers["location"].removeprefix(BASE_URL)
    assert path.startswith("/contribute/uploads/")
    half = len(body) // 2
    for offset, part in ((0, body[:half]), (half, body[half:])):
        headers = {
            **TUS,
            "X-CSRF-Token": token,
            "Upload-Offset": str(offset),
            "Content-Type": "application/offset+octet-stream",
        }
        assert client.patch(path, headers=headers, content=part).status_code == 204
    return path.rsplit("/", 1)[1]


def test_a_resumable_upload_joins_the_contribution(app: Any) -> None:
    client = browser(app, "en")
    page = form_page(client)
    token = csrf_of(page)
    upload_id = tus_send(client, token, photo(20))
    stranger = browser(app, "en")
    stranger_page = form_page(stranger)
    taken = send(stranger, [], page=stranger_page, uploads=upload_id)  # not the stranger's
    assert taken.status_code == 422 and "uploads" in entities.unescape(taken.text)
    assert stranger.head(f"/contribute/uploads/{upload_id}", headers=TUS).status_code == 404
    answer = send(client, [], page=page, uploads=upload_id, title="断点续传的照片")
    assert answer.status_code == 303, answer.text
    token_of_status = answer.headers["location"].split("?")[0].rsplit("/", 1)[1]
    contribution = ContributionStore(app.state.services).by_token(token_of_status)
    assert contribution is not None and contribution.files == ["灯.jpg"]


def test_resumable_uploads_of_visitors_are_capped(app: Any) -> None:
    client = browser(app, "en")
    token = csrf_of(form_page(client))
    assert tus_create(client, None, 10).status_code == 403  # the form's token on every write
    assert browser(app).post("/contribute/uploads/", headers=TUS).status_code == 403  # no form
    assert tus_create(client, token, 200_001).status_code == 413  # one file's cap
    assert client.options("/contribute/uploads/").headers["tus-max-size"] == "200000"
    for _ in range(3):
        assert tus_create(client, token, 150_000).status_code == 201
    assert tus_create(client, token, 10).status_code == 422  # the count of files
    other = browser(app, "en")
    other_token = csrf_of(form_page(other))
    for _ in range(3):
        assert tus_create(other, other_token, 200_000).status_code == 201
    assert tus_create(other, other_token, 1).status_code == 422
