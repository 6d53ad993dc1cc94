"""Who is calling: tokens → callers, the short lookup cache, and the role guard over HTTP."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.http.auth import AdminDep, ArchivistDep, CuratorDep, OptionalCaller
from api.http.errors import install_error_handlers
from api.operations.callers import Caller, KeyRing
from api.settings import Settings
from repository import LocalStore, ObjectStore
from repository.apikeys import KeyStore


class CountingStore:
    """A LocalStore that counts reads (to see what the cache spares)."""

    def __init__(self, root: Path):
        self.inner = LocalStore(root)
        self.reads = 0

    def get_bytes(self, key: str) -> bytes:
        self.reads += 1
        return self.inner.get_bytes(key)

    def get_versioned(self, key: str) -> tuple[bytes, str]:
        self.reads += 1
        return self.inner.get_versioned(key)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_lookups_are_cached_and_revocation_lands_when_the_entry_expires(tmp_path: Path) -> None:
    store = CountingStore(tmp_path)
    keys = KeyStore(store)
    key, token = keys.create("museum-a", "curator")
    clock = Clock()
    ring = KeyRing(keys, frozenset(), "operator", ttl=5.0, clock=clock)
    assert ring.resolve(token) == Caller(key.id, "museum-a", "curator")
    reads = store.reads
    for _ in range(20):
        assert ring.resolve(token) is not None
    assert store.reads == reads  # within the TTL, storage is not asked again
    keys.revoke(key.id)
    clock.now += 5.1
    assert ring.resolve(token) is None


def test_wrong_keys_are_cached_too(tmp_path: Path) -> None:
    store = CountingStore(tmp_path)
    ring = KeyRing(KeyStore(store), frozenset(), "operator", clock=Clock())
    wrong = "hk_0123456789ab_" + "A" * 43
    assert ring.resolve(wrong) is None
    reads = store.reads
    assert ring.resolve(wrong) is None
    assert store.reads == reads


def test_bootstrap_keys_are_admins_of_the_operator_and_never_touch_storage(tmp_path: Path) -> None:
    store = CountingStore(tmp_path)
    ring = KeyRing(KeyStore(store), frozenset({"boot-1", "启动"}), "operator")
    caller = ring.resolve("启动")
    assert caller is not None and (caller.role, caller.institution) == ("admin", "operator")
    assert caller.key_id.startswith("env-") and "启动" not in caller.key_id
    assert store.reads == 0
    assert ring.resolve("boot-") is None


def test_roles_rank() -> None:
    archivist, curator, admin = (Caller("k", "a", r) for r in ("archivist", "curator", "admin"))
    assert archivist.has_role("archivist") and not archivist.has_role("curator")
    assert curator.has_role("archivist") and not curator.has_role("admin")
    assert admin.has_role("curator")
    assert curator.agent == "a/curator (key k)"


def app_with(store: ObjectStore, bootstrap: str = "") -> TestClient:
    app = FastAPI()
    app.state.services = SimpleNamespace(
        store=store, settings=Settings(api_keys=bootstrap, institution="operator", _env_file=None)
    )
    install_error_handlers(app)

    @app.get("/who")
    def who(caller: OptionalCaller) -> dict:
        return {"caller": caller.key_id if caller else None}

    @app.post("/ingest")
    def ingest(caller: ArchivistDep) -> dict:
        return {"role": caller.role}

    @app.post("/publish")
    def publish(caller: CuratorDep) -> dict:
        return {"role": caller.role}

    @app.post("/admin")
    def admin(caller: AdminDep) -> dict:
        return {"role": caller.role}

    return TestClient(app)


@pytest.fixture
def tokens(tmp_path: Path) -> tuple[TestClient, dict[str, str]]:
    store = LocalStore(tmp_path)
    keys = KeyStore(store)
    tokens = {role: keys.create("museum-a", role)[1] for role in ("archivist", "curator", "admin")}
    return app_with(store, "boot"), tokens | {"boot": "boot"}


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("archivist", {"/ingest"}),
        ("curator", {"/ingest", "/publish"}),
        ("admin", {"/ingest", "/publish", "/admin"}),
        ("boot", {"/ingest", "/publish", "/admin"}),
    ],
)
def test_each_role_passes_its_guards_only(
    tokens: tuple[TestClient, dict[str, str]], role: str, allowed: set[str]
) -> None:
    client, by_role = tokens
    for path in ("/ingest", "/publish", "/admin"):
        for headers in ({"Authorization": f"Bearer {by_role[role]}"}, {"X-API-Key": by_role[role]}):
            response = client.post(path, headers=headers)
            assert response.status_code == (200 if path in allowed else 403), (path, response.text)
            if response.status_code == 403:
                assert "role" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "an API key is required"),
        ({"Authorization": "Basic azI6"}, "an API key is required"),
        ({"Authorization": "Bearer nope"}, "not valid"),
        ({"X-API-Key": "hk_0123456789ab_" + "A" * 43}, "not valid"),
    ],
)
def test_missing_or_wrong_keys_are_401(
    tokens: tuple[TestClient, dict[str, str]], headers: dict[str, str], message: str
) -> None:
    client, _ = tokens
    response = client.post("/ingest", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert message in response.json()["error"]["message"]


def test_reads_are_anonymous_without_a_key_and_refused_with_a_wrong_one(
    tokens: tuple[TestClient, dict[str, str]],
) -> None:
    client, by_role = tokens
    assert client.get("/who").json() == {"caller": None}
    assert client.get("/who", headers={"X-API-Key": by_role["curator"]}).json()["caller"]
    assert client.get("/who", headers={"X-API-Key": "nope"}).status_code == 401
