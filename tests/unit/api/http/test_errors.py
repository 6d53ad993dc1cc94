"""Every failure answers `{"error": {"status", "message"}}`, naming the bad parameter."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import uvicorn
from fastapi import FastAPI, Query
from fastapi.testclient import TestClient

from api.http.errors import install_error_handlers
from repository import StorageError


def make_client() -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/api/things")
    def things(size: Annotated[int, Query(ge=1, le=100)] = 20) -> dict[str, int]:
        return {"size": size}

    @app.get("/api/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    @app.get("/api/store")
    def store() -> None:
        raise StorageError("S3 bucket 'heritage' at 127.0.0.1:9 is unreachable")

    return TestClient(app, raise_server_exceptions=False)


def test_validation_error_names_the_parameter() -> None:
    response = make_client().get("/api/things", params={"size": 500})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["status"] == 422
    assert "query parameter 'size'" in error["message"]
    assert "100" in error["message"]
    assert error["details"][0]["parameter"] == "size"


def test_not_an_integer() -> None:
    error = make_client().get("/api/things?size=ten").json()["error"]
    assert "'size'" in error["message"] and "'ten'" in error["message"]


def test_unknown_route_is_json_404() -> None:
    response = make_client().get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"status": 404, "message": "no such page or resource: /api/nothing-here"}
    }


def test_wrong_method_is_json_405_with_allow() -> None:
    response = make_client().delete("/api/things")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert response.json()["error"]["message"] == "method DELETE is not allowed on /api/things"


def test_unexpected_error_is_json_500_without_internals() -> None:
    response = make_client().get("/api/boom")
    assert response.status_code == 500
    assert response.json()["error"]["status"] == 500
    assert "secret internals" not in response.text


def test_storage_failure_is_503_naming_the_backend() -> None:
    response = make_client().get("/api/store")
    assert response.status_code == 503
    assert "unreachable" in response.json()["error"]["message"]


def test_browsers_get_an_html_error_page_outside_the_api() -> None:
    response = make_client().get("/nowhere/<b>", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "<b>" not in response.text
    assert "&lt;b&gt;" in response.text
    assert "返回检索" in response.text  # Chinese by default; the words come from api/messages


def test_the_html_error_page_speaks_the_visitors_language() -> None:
    response = make_client().get("/nowhere?lang=en", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert '<html lang="en">' in response.text
    assert "Back to search" in response.text


@contextmanager
def served(app: FastAPI) -> Iterator[int]:
    """`app` on a real uvicorn server on 127.0.0.1 (a free port), in a thread; its port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def test_an_unexpected_error_keeps_the_connection_alive() -> None:
    """uvicorn closes a keep-alive connection when the app raises, even after a complete 500;
    a client sending its next request on it gets no answer."""
    with served(make_client().app) as port:  # type: ignore[arg-type]
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/api/boom")
        first = connection.getresponse()
        assert first.status == 500
        assert json.loads(first.read())["error"]["status"] == 500
        sock = connection.sock
        connection.request("GET", "/api/things?size=3")
        second = connection.getresponse()
        assert second.status == 200 and json.loads(second.read()) == {"size": 3}
        assert connection.sock is sock, "the second request needed a new connection"
        connection.close()
