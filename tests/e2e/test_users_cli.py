"""`heritage users create|list|disable|set-password`: a password asked twice (or read from stdin)
that the sign-in form then accepts, users listed without hashes, a disabled user refused, each
change in the audit log, bad input refused before any password is asked for."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from api.cli.commands import app
from api.http.app import create_app
from api.settings import Settings
from repository import LocalStore
from repository.audit import AuditLog

PASSWORD = "correct horse battery"


def heritage(data_dir: Path, *args: str, stdin: str = "") -> Result:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERITAGE_")}
    env |= {"HERITAGE_DATA_DIR": str(data_dir), "HERITAGE_STORAGE": "local"}
    return CliRunner().invoke(app, list(args), env=env, input=stdin)


def sign_in(client: TestClient, name: str, password: str) -> int:
    form = client.get("/workspace/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token
    data = {"name": name, "password": password, "csrf_token": token.group(1)}
    return client.post("/workspace/login", data=data, follow_redirects=False).status_code


def test_create_sign_in_list_disable_set_password(tmp_path: Path) -> None:
    data = tmp_path / "data"
    made = heritage(data, "users", "create", "--institution", "蔚县文化馆", "--role", "curator",
                    "wang.li", stdin=f"{PASSWORD}\n{PASSWORD}\n")  # fmt: skip
    assert made.exit_code == 0, made.output
    assert "User wang.li: curator of 蔚县文化馆" in made.stdout and PASSWORD not in made.stdout
    piped = heritage(data, "users", "create", "--institution", "museum-a", "--role", "archivist",
                     "--password-stdin", "li.na", stdin=f"{PASSWORD}\n")  # fmt: skip
    assert piped.exit_code == 0, piped.output

    listed = json.loads(heritage(data, "users", "list", "--json").stdout)
    assert [(u["name"], u["institution"], u["role"], u["disabled"]) for u in listed] == [
        ("li.na", "museum-a", "archivist", None),
        ("wang.li", "蔚县文化馆", "curator", None),
    ]
    assert "argon2" not in heritage(data, "users", "list").stdout

    settings = Settings(data_dir=data, storage="local", search="sqlite", _env_file=None)
    with TestClient(create_app(settings)) as client:
        assert sign_in(client, "wang.li", PASSWORD) == 303
    assert heritage(data, "users", "disable", "wang.li").exit_code == 0
    with TestClient(create_app(settings)) as client:
        assert sign_in(client, "wang.li", PASSWORD) == 401
    changed = heritage(data, "users", "set-password", "--password-stdin", "li.na",
                       stdin="a new long password\n")  # fmt: skip
    assert changed.exit_code == 0, changed.output
    with TestClient(create_app(settings)) as client:
        assert sign_in(client, "li.na", PASSWORD) == 401
        assert sign_in(client, "li.na", "a new long password") == 303

    entries = AuditLog(LocalStore(data / "store")).day(datetime.now(UTC).date())
    actions = [(e["action"], e["user"]) for e in entries]
    assert actions == [
        ("users create", "wang.li"),
        ("users create", "li.na"),
        ("users disable", "wang.li"),
        ("users set-password", "li.na"),
    ]


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    data = tmp_path / "data"
    cases = [
        (["create", "--institution", "m", "--role", "boss", "x"], "role 'boss'"),
        (["create", "--institution", "m", "--role", "curator", "../x"], "user name '../x'"),
        (["create", "--institution", "m", "--role", "curator", "--password-stdin", "x"],
         "at least 10"),
        (["disable", "nobody"], "no user named 'nobody'"),
        (["set-password", "nobody"], "no user named 'nobody'"),
    ]  # fmt: skip
    for args, named in cases:
        result = heritage(data, "users", *args, stdin="short\n")
        assert result.exit_code == 2, (args, result.output)
        assert named in result.stderr and "Traceback" not in result.output
        assert "Password" not in result.output  # refused before any prompt
    mismatch = heritage(data, "users", "create", "--institution", "m", "--role", "curator", "y",
                        stdin=f"{PASSWORD}\nsomething else\n{PASSWORD}\n{PASSWORD}\n")  # fmt: skip
    assert mismatch.exit_code == 0, mismatch.output  # asked again until both entries match
    assert json.loads(heritage(data, "users", "list", "--json").stdout)[0]["name"] == "y"


def test_enable_and_set_role_are_audited_and_take_effect(tmp_path: Path) -> None:
    data = tmp_path / "data"
    made = heritage(data, "users", "create", "--institution", "museum-a", "--role", "archivist",
                    "--password-stdin", "li.na", stdin=f"{PASSWORD}\n")  # fmt: skip
    assert made.exit_code == 0, made.output
    assert heritage(data, "users", "disable", "li.na").exit_code == 0
    enabled = heritage(data, "users", "enable", "li.na")
    assert enabled.exit_code == 0 and "Enabled user li.na" in enabled.stdout
    role = heritage(data, "users", "set-role", "li.na", "--role", "curator")
    assert role.exit_code == 0 and "User li.na: curator of museum-a" in role.stdout
    bad = heritage(data, "users", "set-role", "li.na", "--role", "owner")
    assert bad.exit_code == 2 and "owner" in bad.output
    listed = json.loads(heritage(data, "users", "list", "--json").stdout)
    assert [(u["name"], u["role"], u["disabled"]) for u in listed] == [("li.na", "curator", None)]
    settings = Settings(data_dir=data, storage="local", search="sqlite", _env_file=None)
    with TestClient(create_app(settings)) as client:
        assert sign_in(client, "li.na", PASSWORD) == 303
    entries = AuditLog(LocalStore(data / "store")).day(datetime.now(UTC).date())
    actions = [e["action"] for e in entries]
    assert actions[-2:] == ["users enable", "users set-role"]
