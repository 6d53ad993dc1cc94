"""Two API replicas, two real server processes on one store and index, as behind a load balancer:
whichever one answers, a person stays signed in (and signed out), a share link opens, a harvest
continues, and of two racing edits exactly one wins."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import httpx
import pytest
from lxml import etree

from repository import LocalStore
from repository.users import UserStore
from tests.e2e.sharing_support import API_KEY, Corpus, live_server, shared_corpus
from tests.support.server import LiveServer

PAGE = 3
NS = {"o": "http://www.openarchives.org/OAI/2.0/"}
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    copied = shared_corpus().copy(tmp_path_factory.mktemp("replicas") / "data")
    UserStore(LocalStore(copied.data_dir / "store")).create(
        "wang.li", "operator", "curator", PASSWORD
    )
    return copied


@pytest.fixture(scope="module")
def replicas(corpus: Corpus) -> Iterator[tuple[LiveServer, LiveServer]]:
    with (
        live_server(corpus.data_dir, oai_page_size=PAGE) as one,
        live_server(corpus.data_dir, oai_page_size=PAGE) as two,
    ):
        yield one, two


def sign_in(server: LiveServer) -> httpx.Client:
    client = httpx.Client(base_url=server.url)
    form = client.get("/workspace/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, form.text
    data = {"name": "wang.li", "password": PASSWORD, "csrf_token": token.group(1)}
    assert client.post("/workspace/login", data=data).status_code in (200, 303)
    return client


def test_a_session_works_on_either_replica_and_a_sign_out_on_one_ends_it_on_both(
    replicas: tuple[LiveServer, LiveServer],
) -> None:
    one, two = replicas
    browser = sign_in(one)
    elsewhere = httpx.Client(base_url=two.url, cookies=dict(browser.cookies))
    try:
        assert elsewhere.get("/workspace/review").status_code == 200
        token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/workspace/").text)
        assert token
        browser.post("/workspace/logout", data={"csrf_token": token.group(1)})
        # the cookie as it was before signing out, replayed on the other replica
        again = elsewhere.get("/workspace/review", follow_redirects=False)
        assert again.status_code == 303
        assert again.headers["location"].endswith("/workspace/login")
    finally:
        browser.close()
        elsewhere.close()


def test_a_share_link_made_on_one_replica_opens_on_the_other(
    replicas: tuple[LiveServer, LiveServer], corpus: Corpus
) -> None:
    one, two = replicas
    item = sorted(corpus.hidden)[0]
    made = httpx.post(
        f"{one.url}/api/items/{item}/share",
        json={"expires_in": 600},
        headers={"Authorization": f"Bearer {API_KEY}"},
    )
    assert made.status_code == 200, made.text
    path = made.json()["url"].split("/share/", 1)[1]
    assert httpx.get(f"{two.url}/share/{path}").status_code == 200
    assert httpx.get(f"{two.url}/api/items/{item}").status_code == 404  # still hidden


def test_a_harvest_alternating_replicas_gets_every_record_once(
    replicas: tuple[LiveServer, LiveServer], corpus: Corpus
) -> None:
    seen: list[str] = []
    params: dict[str, str] = {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"}
    pages = 0
    while True:
        server = replicas[pages % 2]
        answer = httpx.get(f"{server.url}/oai", params=params)
        assert answer.status_code == 200
        node = etree.fromstring(answer.content).find("o:ListIdentifiers", NS)
        assert node is not None, answer.text
        seen += [h.text or "" for h in node.findall("o:header/o:identifier", NS)]
        pages += 1
        token = node.find("o:resumptionToken", NS)
        if token is None or not token.text:
            break
        params = {"verb": "ListIdentifiers", "resumptionToken": token.text}
    assert pages > 2
    assert len(seen) == len(set(seen)) == len(corpus.visible | corpus.withdrawn)


def test_patches_racing_on_two_processes_exactly_one_wins(
    replicas: tuple[LiveServer, LiveServer], corpus: Corpus
) -> None:
    item = sorted(corpus.visible)[0]
    key = {"Authorization": f"Bearer {API_KEY}"}
    etag = httpx.get(f"{replicas[0].url}/api/items/{item}", headers=key).headers["ETag"]
    start = threading.Barrier(6)
    statuses: list[int] = []

    def edit(n: int) -> None:
        headers = {**key, "If-Match": etag, "Content-Type": "application/merge-patch+json"}
        start.wait()
        answer = httpx.patch(
            f"{replicas[n % 2].url}/api/items/{item}",
            content=f'{{"subjects": ["版本{n}"]}}'.encode(),
            headers=headers,
            timeout=60,
        )
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=edit, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 412, 412, 412, 412, 412]
    record = httpx.get(f"{replicas[1].url}/api/items/{item}", headers=key).json()
    assert len(record["subjects"]) == 1
