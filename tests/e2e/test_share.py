"""Share links over real HTTP: making one needs an API key; the link opens one (even restricted)
item and its files with Range, until it expires; altered links are refused."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime, timedelta

from api.protocols.share_links import ShareLinks
from tests.e2e.sharing_support import (
    API_KEY,
    SECRET,
    Corpus,
    LiveServer,
    live_server,
)


def post(
    server: LiveServer, path: str, body: dict | None, key: str | None = API_KEY
) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    if key:
        headers["X-API-Key"] = key
    request = urllib.request.Request(
        server.url + path, data=data or b"", headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def share(server: LiveServer, item_id: str, seconds: int = 3600) -> str:
    status, body = post(server, f"/api/items/{item_id}/share", {"expires_in": seconds})
    assert status == 200, body
    assert body["url"].startswith(f"{server.url}/share/")
    expires = datetime.fromisoformat(body["expires"].replace("Z", "+00:00"))
    assert (
        timedelta(seconds=seconds - 60) < expires - datetime.now(UTC) <= timedelta(seconds=seconds)
    )
    return body["url"].removeprefix(server.url)


def test_a_link_opens_a_restricted_item_and_its_files(server: LiveServer, corpus: Corpus) -> None:
    item_id = corpus.ids["H2"]
    assert server.get(f"/api/items/{item_id}")[0] == 404  # hidden from the public
    link = share(server, item_id)
    status, headers, body = server.get(link)
    assert status == 200
    assert headers["referrer-policy"] == "no-referrer"
    record = json.loads(body)
    assert record["id"] == item_id and record["access"] == "restricted"
    for file in record["files"]:
        assert file["url"].startswith(f"{link}/files/")
        status, headers, data = server.get(file["url"])
        assert status == 200 and len(data) == file["bytes"]
        assert headers["content-type"] == file["media_type"]


def test_shared_files_answer_range_requests(server: LiveServer, corpus: Corpus) -> None:
    link = share(server, corpus.ids["H1"])
    _, _, whole = server.get(f"{link}/files/original")
    status, headers, part = server.get(f"{link}/files/original", headers={"Range": "bytes=10-99"})
    assert status == 206
    assert headers["content-range"] == f"bytes 10-99/{len(whole)}"
    assert part == whole[10:100]
    status, _, tail = server.get(f"{link}/files/original", headers={"Range": "bytes=-20"})
    assert status == 206 and tail == whole[-20:]
    status, headers, _ = server.get(
        f"{link}/files/original", headers={"Range": f"bytes={len(whole) + 5}-"}
    )
    assert status == 416 and headers["content-range"] == f"bytes */{len(whole)}"
    assert server.get(f"{link}/files/waveform")[0] == 404


def test_tampered_and_expired_links(server: LiveServer, corpus: Corpus) -> None:
    link = share(server, corpus.ids["H2"])
    token = link.removeprefix("/share/")
    for bad in (
        token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"),
        token.replace(".", "x", 1),
        "not-a-token",
    ):
        status, _, body = server.get(f"/share/{bad}")
        assert status == 403, bad
        assert b"not valid" in body
        assert server.get(f"/share/{bad}/files/original")[0] == 403
    foreign, _ = ShareLinks("some other secret").issue(corpus.ids["H2"], timedelta(hours=1))
    assert server.get(f"/share/{foreign}")[0] == 403
    past = datetime.now(UTC) - timedelta(hours=2)
    expired, _ = ShareLinks(SECRET).issue(corpus.ids["H2"], timedelta(hours=1), now=past)
    status, _, body = server.get(f"/share/{expired}")
    assert status == 410 and b"expired" in body
    assert server.get(f"/share/{expired}/files/original")[0] == 410


def test_making_a_link_needs_a_key_and_a_sane_lifetime(server: LiveServer, corpus: Corpus) -> None:
    path = f"/api/items/{corpus.ids['P1']}/share"
    assert post(server, path, {"expires_in": 60}, key=None)[0] == 401
    assert post(server, path, {"expires_in": 60}, key="wrong")[0] == 401
    status, body = post(server, path, {"expires_in": 31 * 24 * 3600})
    assert status == 422 and "expires_in" in body["error"]["message"]
    assert post(server, path, {"expires_in": 5})[0] == 422
    assert post(server, "/api/items/no-such-item/share", {"expires_in": 60})[0] == 404
    status, body = post(server, path, None)  # no body: the default lifetime
    assert status == 200 and body["item"] == corpus.ids["P1"]


def test_without_a_secret_no_links_are_made(corpus: Corpus) -> None:
    with live_server(corpus.data_dir, secret="") as bare:
        status, body = post(bare, f"/api/items/{corpus.ids['P1']}/share", {"expires_in": 60})
        assert status == 503
        assert "HERITAGE_SECRET" in body["error"]["message"]
        token, _ = ShareLinks(SECRET).issue(corpus.ids["P1"], timedelta(hours=1))
        assert bare.get(f"/share/{token}")[0] == 503
