"""`heritage keys create|list|revoke`: a token printed once that the API then accepts, listed
without secrets, refused once revoked; each change in the audit log."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from api.cli.commands import app
from api.http.app import create_app
from api.settings import Settings
from repository import LocalStore
from repository.audit import AuditLog


def heritage(data_dir: Path, *args: str) -> Result:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERITAGE_")}
    env |= {"HERITAGE_DATA_DIR": str(data_dir), "HERITAGE_STORAGE": "local"}
    return CliRunner().invoke(app, list(args), env=env)


def test_create_use_list_revoke(tmp_path: Path) -> None:
    data = tmp_path / "data"
    made = heritage(
        data,
        "keys",
        "create",
        "--institution",
        "蔚县文化馆",
        "--role",
        "curator",
        "--label",
        "王老师",
    )
    assert made.exit_code == 0, made.output
    token = made.stdout.strip().splitlines()[-1]
    key_id = made.stdout.split()[1].rstrip(":")
    assert token.startswith(f"hk_{key_id}_")

    listed = json.loads(heritage(data, "keys", "list", "--json").stdout)
    assert listed == [
        {
            "id": key_id,
            "institution": "蔚县文化馆",
            "role": "curator",
            "label": "王老师",
            "created": listed[0]["created"],
            "revoked": None,
        }
    ]
    table = heritage(data, "keys", "list").stdout
    assert key_id in table and token not in table

    settings = Settings(data_dir=data, storage="local", search="sqlite", _env_file=None)
    with TestClient(create_app(settings)) as client:
        review = client.get("/api/review", headers={"X-API-Key": token})
        assert review.status_code == 200 and review.json()["institution"] == "蔚县文化馆"
        revoked = heritage(data, "keys", "revoke", key_id)
        assert revoked.exit_code == 0 and "Revoked key" in revoked.stdout
        with TestClient(create_app(settings)) as fresh:  # a server started after the revocation
            assert fresh.get("/api/review", headers={"X-API-Key": token}).status_code == 401

    assert json.loads(heritage(data, "keys", "list", "--json").stdout)[0]["revoked"]
    entries = list(AuditLog(LocalStore(data / "store")).day(datetime.now(UTC).date()))
    assert [(e["action"], e["key"]) for e in entries] == [
        ("keys create", key_id),
        ("keys revoke", key_id),
    ]
    assert all(token not in json.dumps(e, ensure_ascii=False) for e in entries)


def test_bad_requests_exit_2_naming_the_problem(tmp_path: Path) -> None:
    data = tmp_path / "data"
    bad_role = heritage(data, "keys", "create", "--institution", "a", "--role", "owner")
    assert bad_role.exit_code == 2 and "role 'owner' is not one of" in bad_role.stderr
    unknown = heritage(data, "keys", "revoke", "0123456789ab")
    assert unknown.exit_code == 2 and "no API key with id '0123456789ab'" in unknown.stderr
    assert json.loads(heritage(data, "keys", "list", "--json").stdout) == []
