"""Resumable uploads (tus 1.0, `/api/uploads/`) with the real app, job runner and pipeline,
spoken by hand: create, send part, the connection drops, HEAD says how far it got, resume,
finish, and a batch naming the upload ids ingests the files. Uploads are their creator's alone;
a session needs its CSRF token; the size limit, a 0-byte file, a wrong offset and a refused
batch (which must not lose the upload) each answer as the protocol and the API say."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.operations.resumable import KEEP_DAYS, owner_folder, sweep
from repository.users import UserStore
from tests.e2e.governance_support import BASE_URL, INST_A, INST_B
from tests.e2e.test_ingest_api import Api, jpeg, make_tokens, small_settings
from tests.e2e.test_workspace_upload import PASSWORD, csrf_of, form_body, signed_in

LIMIT = 300_000  # bytes: HERITAGE_UPLOAD_MAX_BYTES for this app
TUS = {"Tus-Resumable": "1.0.0"}


@dataclass
class Env:
    api: Api
    app: Any


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    settings = small_settings(tmp_path_factory.mktemp("tus") / "data", upload_max_bytes=LIMIT)
    app = create_app(settings)
    with TestClient(app, base_url=BASE_URL) as client:
        UserStore(app.state.services.store).create("li.na", INST_A, "archivist", PASSWORD)
        app.state.services.records.save_collection(
            {"slug": "museum-b-songs", "title": {"zh": "民歌"}, "institution": INST_B}
        )
        yield Env(Api(client, settings, make_tokens(client)), app)


def meta(name: str, filetype: str = "image/jpeg") -> str:
    b64 = [base64.b64encode(v.encode()).decode() for v in (name, filetype)]
    return f"filename {b64[0]},filetype {b64[1]}"


def create(client: TestClient, headers: dict[str, str], size: int, name: str = "鹤舞.jpg") -> Any:
    return client.post(
        "/api/uploads/",
        headers={**TUS, **headers, "Upload-Length": str(size), "Upload-Metadata": meta(name)},
    )


def upload_path(response: Any) -> str:
    assert response.status_code == 201, response.text
    location: str = response.headers["location"]
    assert location.startswith(f"{BASE_URL}/api/uploads/")
    return location.removeprefix(BASE_URL)


def patch(client: TestClient, headers: dict[str, str], path: str, offset: int, data: bytes) -> Any:
    return client.patch(
        path,
        content=data,
        headers={
            **TUS,
            **headers,
            "Upload-Offset": str(offset),
            "Content-Type": "application/offset+octet-stream",
        },
    )


def offset_of(client: TestClient, headers: dict[str, str], path: str) -> int:
    head = client.head(path, headers={**TUS, **headers})
    assert head.status_code == 200, head.headers
    assert head.headers["Cache-Control"] == "no-store"
    return int(head.headers["Upload-Offset"])


def asgi_patch(
    client: TestClient,
    headers: dict[str, str],
    path: str,
    data: bytes,
    total: int,
    hang: bool = False,
) -> Future[None]:
    """A PATCH announcing `total` bytes that sends `data`, then its connection drops (the server
    hears of it) or, with `hang`, goes silent (a half-open connection: the server hears
    nothing). Driven at the ASGI level, where a client can vanish mid-body; returns when the
    server is waiting for more, with the request's future."""
    raw = {
        **TUS,
        **headers,
        "Upload-Offset": "0",
        "Content-Type": "application/offset+octet-stream",
        "Content-Length": str(total),
        "Host": BASE_URL.removeprefix("http://"),
    }
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "PATCH",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in raw.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("heritage.test", 80),
        "state": {},
    }
    sent = threading.Event()

    async def receive() -> dict[str, Any]:
        if not sent.is_set():
            sent.set()
            return {"type": "http.request", "body": data, "more_body": True}
        if hang:
            await anyio.sleep_forever()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        pass

    async def call() -> None:
        await client.app(scope, receive, send)  # type: ignore[arg-type]

    assert client.portal is not None
    future = client.portal.start_task_soon(call)
    if not hang:
        future.result()
    assert sent.wait(10)
    return future


def key(env: Env, actor: str) -> dict[str, str]:
    return env.api.headers(actor)


def test_options_tells_what_this_server_speaks(env: Env) -> None:
    answer = env.api.client.options("/api/uploads/")
    assert answer.status_code == 204
    assert answer.headers["Tus-Version"] == "1.0.0"
    assert answer.headers["Tus-Max-Size"] == str(LIMIT)
    assert set(answer.headers["Tus-Extension"].split(",")) == {
        "creation",
        "expiration",
        "termination",
    }


def test_a_dropped_upload_resumes_from_its_offset_and_its_batch_ingests(env: Env) -> None:
    client, who = env.api.client, key(env, "archivist-a")
    photo = jpeg(7)
    sixty = len(photo) * 6 // 10
    path = upload_path(create(client, who, len(photo)))
    assert offset_of(client, who, path) == 0
    asgi_patch(client, who, path, photo[:sixty], len(photo))  # the network drops at 60 %
    assert offset_of(client, who, path) == sixty  # what arrived is kept
    resumed = patch(client, who, path, sixty, photo[sixty:])
    assert resumed.status_code == 204, resumed.text
    assert resumed.headers["Upload-Offset"] == str(len(photo))
    assert offset_of(client, who, path) == len(photo)
    upload_id = path.rsplit("/", 1)[1]
    answer = client.post(
        "/api/ingest",
        data={"collection": "museum-a-papercuts", "uploads": [upload_id]},
        headers=who,
    )
    assert answer.status_code == 202, answer.text
    job = env.api.wait("archivist-a", answer.json()["url"])
    assert job["state"] == "done" and job["files"] == ["鹤舞.jpg"]
    assert [i["outcome"] for i in job["items"]] == ["stored"]
    stored = env.app.state.services.records.get(job["items"][0]["id"])
    assert stored is not None  # the bytes that arrived in two pieces made one good picture
    assert client.head(path, headers={**TUS, **who}).status_code == 404  # taken: gone
    again = client.post(
        "/api/ingest", data={"collection": "museum-a-papercuts", "uploads": upload_id}, headers=who
    )
    assert again.status_code == 422 and "unknown or expired" in again.text


def test_an_upload_is_its_creators_alone(env: Env) -> None:
    client, owner, other = env.api.client, key(env, "archivist-a"), key(env, "archivist-b")
    path = upload_path(create(client, owner, 10, name="a.bin"))
    assert client.head(path, headers={**TUS, **other}).status_code == 404
    assert patch(client, other, path, 0, b"0123456789").status_code == 404
    assert client.delete(path, headers={**TUS, **other}).status_code == 404
    assert offset_of(client, owner, path) == 0  # nothing of the other's arrived
    assert patch(client, owner, path, 0, b"0123456789").status_code == 204
    taken = client.post(
        "/api/ingest",
        data={"collection": "museum-b-songs", "uploads": path.rsplit("/", 1)[1]},
        headers=other,
    )
    assert taken.status_code == 422 and "unknown or expired" in taken.text
    anonymous = client.head(path, headers=TUS)
    assert anonymous.status_code == 401
    assert client.head("/api/uploads/..%2f..%2fsecret", headers={**TUS, **owner}).status_code in (
        404,
    )


def test_a_session_needs_its_csrf_token_and_then_uploads_through_the_workspace(env: Env) -> None:
    session = signed_in(env.app, "li.na")
    token = csrf_of(session.get("/workspace/upload").text)
    photo = jpeg(11)
    refused = create(session, {}, len(photo), name="歌/虎.jpg")
    assert refused.status_code == 403 and "CSRF" in refused.text
    csrf = {"X-CSRF-Token": token}
    path = upload_path(create(session, csrf, len(photo), name="歌/虎.jpg"))
    assert offset_of(session, {}, path) == 0  # HEAD is a read: no token needed
    assert patch(session, {}, path, 0, photo).status_code == 403
    assert patch(session, csrf, path, 0, photo[:1000]).status_code == 204
    assert patch(session, csrf, path, 1000, photo[1000:]).status_code == 204
    body, content_type = form_body(
        [
            ("csrf_token", None, token.encode()),
            ("collection", None, b"museum-a-papercuts"),
            ("uploads", None, path.rsplit("/", 1)[1].encode()),
        ]
    )
    answer = session.post(
        "/workspace/upload",
        content=body,
        headers={"Content-Type": content_type},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    job_id = answer.headers["location"].rsplit("/", 1)[1]
    job = env.api.wait("admin", f"/api/jobs/{job_id}")
    assert job["files"] == ["歌/虎.jpg"] and [i["outcome"] for i in job["items"]] == ["stored"]


def test_the_size_limit_is_413_before_a_byte_is_sent(env: Env) -> None:
    client, who = env.api.client, key(env, "archivist-a")
    answer = create(client, who, LIMIT + 1)
    assert answer.status_code == 413 and "HERITAGE_UPLOAD_MAX_BYTES" in answer.text
    assert upload_path(create(client, who, LIMIT))  # the limit itself is allowed


def test_a_zero_byte_file_is_finished_at_once(env: Env) -> None:
    client, who = env.api.client, key(env, "archivist-a")
    path = upload_path(create(client, who, 0, name="empty.txt"))
    assert offset_of(client, who, path) == 0
    answer = client.post(
        "/api/ingest",
        data={"collection": "museum-a-papercuts", "uploads": path.rsplit("/", 1)[1]},
        headers=who,
    )
    assert answer.status_code == 202, answer.text
    job = env.api.wait("archivist-a", answer.json()["url"])
    assert job["files"] == ["empty.txt"] and len(job["items"]) == 1


def test_a_wrong_offset_is_409_and_changes_nothing(env: Env) -> None:
    client, who = env.api.client, key(env, "archivist-a")
    path = upload_path(create(client, who, 20, name="b.bin"))
    assert patch(client, who, path, 0, b"0123456789").status_code == 204
    for wrong in (0, 5, 15):
        answer = patch(client, who, path, wrong, b"abcdefghij")
        assert answer.status_code == 409, (wrong, answer.text)
    assert offset_of(client, who, path) == 10
    too_much = patch(client, who, path, 10, b"x" * 11)
    assert too_much.status_code == 400  # past the declared length
    assert offset_of(client, who, path) == 10


def test_bad_requests_are_refused_before_a_byte_is_written(env: Env) -> None:
    client, who = env.api.client, key(env, "archivist-a")
    path = upload_path(create(client, who, 10, name="c.bin"))
    plain = client.patch(path, content=b"0123456789", headers={**TUS, **who, "Upload-Offset": "0"})
    assert plain.status_code == 415
    old = patch(client, {**who, "Tus-Resumable": "0.2.2"}, path, 0, b"0123456789")
    assert old.status_code == 412
    assert offset_of(client, who, path) == 0
    for name, expected in (("../x.jpg", "'..'"), ("/etc/passwd", "absolute")):
        answer = create(client, who, 10, name=name)
        assert answer.status_code == 422 and expected in answer.text, answer.text
    bare = client.post("/api/uploads/", headers={**TUS, **who, "Upload-Length": "5"})
    assert bare.status_code == 422 and "filename" in bare.text
    deferred = client.post(
        "/api/uploads/",
        headers={**TUS, **who, "Upload-Defer-Length": "1", "Upload-Metadata": meta("d.bin")},
    )
    assert deferred.status_code == 400 and "Upload-Length" in deferred.text
    with_body = client.post(
        "/api/uploads/",
        content=b"12345",
        headers={**TUS, **who, "Upload-Length": "5", "Upload-Metadata": meta("e.bin")},
    )
    assert with_body.status_code == 400


def test_a_refused_batch_keeps_the_upload_and_termination_removes_it(env: Env) -> None:
    client, who = env.api.client, key(env, "archivist-a")
    photo = jpeg(3)
    path = upload_path(create(client, who, len(photo), name="鼓.jpg"))
    assert patch(client, who, path, 0, photo).status_code == 204
    upload_id = path.rsplit("/", 1)[1]
    refused = client.post(
        "/api/ingest", data={"collection": "museum-b-songs", "uploads": upload_id}, headers=who
    )
    assert refused.status_code == 403  # another institution's collection
    assert offset_of(client, who, path) == len(photo)  # still there, whole
    unfinished = upload_path(create(client, who, 10, name="f.bin"))
    half = client.post(
        "/api/ingest",
        data={"collection": "museum-a-papercuts", "uploads": unfinished.rsplit("/", 1)[1]},
        headers=who,
    )
    assert half.status_code == 422 and "not finished" in half.text
    assert client.delete(path, headers={**TUS, **who}).status_code == 204
    assert client.head(path, headers={**TUS, **who}).status_code == 404
    caller = env.app.state.keyring.resolve(who["Authorization"].removeprefix("Bearer "))
    folder = owner_folder(env.api.settings.resumable_dir, caller)
    assert not list(folder.glob(f"{upload_id}*"))  # the data, the library's and our sidecar
    assert list(env.api.settings.uploads_dir.iterdir()) == []  # refused jobs left nothing


def test_expired_uploads_are_swept(env: Env) -> None:
    client, who = env.api.client, key(env, "archivist-a")
    path = upload_path(create(client, who, 10, name="old.bin"))
    upload_id = path.rsplit("/", 1)[1]
    settings = env.api.settings
    caller = env.app.state.keyring.resolve(who["Authorization"].removeprefix("Bearer "))
    folder = owner_folder(settings.resumable_dir, caller)
    assert (folder / upload_id).exists()
    sweep(settings.resumable_dir)
    assert (folder / upload_id).exists()  # not expired yet
    later = datetime.now(UTC) + timedelta(days=KEEP_DAYS, minutes=1)
    assert sweep(settings.resumable_dir, later) >= 1
    assert not any(p.name.startswith(upload_id) for p in folder.iterdir())
    assert client.head(path, headers={**TUS, **who}).status_code == 404


def test_creation_and_termination_are_audited_the_chunks_are_not(env: Env) -> None:
    client, who = env.api.client, key(env, "archivist-a")
    path = upload_path(create(client, who, 4, name="audited.bin"))
    assert patch(client, who, path, 0, b"abcd").status_code == 204
    assert client.delete(path, headers={**TUS, **who}).status_code == 204
    log = client.get("/api/audit", params={"size": 500}, headers=key(env, "admin")).json()
    about = [
        e for e in log["entries"] if path in str(e.get("path")) or e.get("path") == "/api/uploads/"
    ]
    actions = {e["action"].split(" ")[0] for e in about}
    assert {"POST", "DELETE"} <= actions and "PATCH" not in actions, about


def test_a_silent_connection_is_released_when_its_client_resumes(env: Env) -> None:
    """The old PATCH waits for bytes that never come (no FIN reached the server); the resume
    releases it, its bytes are kept, and the client goes on from the offset it then learns."""
    client, who = env.api.client, key(env, "archivist-a")
    photo = jpeg(5)
    half = len(photo) // 2
    path = upload_path(create(client, who, len(photo), name="半.jpg"))
    stuck = asgi_patch(client, who, path, photo[:half], len(photo), hang=True)
    try:
        assert offset_of(client, who, path) == 0  # the stuck PATCH has not saved its offset
        stale = patch(client, who, path, 0, photo)  # the client resumes from what HEAD said
        assert stale.status_code == 409, stale.text  # the released PATCH kept its half first
        stuck.result(timeout=10)
    finally:
        stuck.cancel()  # a failure here must not leave the app waiting for it
    assert offset_of(client, who, path) == half
    rest = patch(client, who, path, half, photo[half:])
    assert rest.status_code == 204 and rest.headers["Upload-Offset"] == str(len(photo))
