"""Docs that cannot drift: every setting, CLI command and HTTP route is named in README.md or
docs/*.md, and every module docs/internals.md names exists."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer.main

from api.cli.commands import app as cli_app
from api.settings import Settings
from tests.support.routes import every_route

ROOT = Path(__file__).resolve().parents[2]
DOCS = "\n".join(
    p.read_text(encoding="utf-8")
    for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
)


def cli_commands() -> list[str]:
    """Every command path, e.g. 'ingest', 'keys create'."""
    found: list[str] = []

    def walk(command: Any, prefix: str) -> None:  # typer ships its own click
        if hasattr(command, "commands"):  # a group
            for name, sub in command.commands.items():
                walk(sub, f"{prefix} {name}".strip())
        else:
            found.append(prefix)

    walk(typer.main.get_command(cli_app), "")
    assert len(found) > 10 and "ingest" in found  # the walk really sees the commands
    return sorted(found)


def http_routes(data_dir: Path) -> list[str]:
    from api.http.app import create_app

    app = create_app(Settings(_env_file=None, data_dir=data_dir))  # type: ignore[call-arg]
    paths = {path for path, _ in every_route(app.routes)}
    skip = ("/docs", "/openapi.json", "/redoc", "/static")
    return sorted(p for p in paths if p and not p.startswith(skip))


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_documented(field: str) -> None:
    assert f"HERITAGE_{field.upper()}" in DOCS, f"HERITAGE_{field.upper()} is in no README/docs"


@pytest.mark.parametrize("command", cli_commands())
def test_every_cli_command_is_documented(command: str) -> None:
    assert f"heritage {command}" in DOCS, f"`heritage {command}` is in no README/docs"


def test_every_http_route_is_documented(tmp_path: Path) -> None:
    routes = http_routes(tmp_path)
    assert len(routes) > 30 and "/api/search" in routes  # the walk really sees the routes
    missing = [  # a path named on its own: /items/{item_id} is not found inside /api/items/…
        p for p in routes if not re.search(rf"(?<![\w/.{{}}-]){re.escape(p)}(?![\w/{{-])", DOCS)
    ]
    assert not missing, f"routes in no README/docs: {missing}"


def test_internals_names_only_modules_that_exist() -> None:
    text = (ROOT / "docs" / "internals.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:api|ingest|repository|search|schemas)(?:/[\w.]+)+\.py)`", text))
    assert named, "docs/internals.md names no module"
    missing = sorted(n for n in named if not (ROOT / n).exists())
    assert not missing, f"docs/internals.md names modules that do not exist: {missing}"


def test_no_reference_to_a_design_file_that_is_not_in_the_repository() -> None:
    for match in re.finditer(r"\(([\w./-]+\.md)\)", DOCS):
        target = match.group(1)
        if target.startswith("http") or target.startswith("../shared"):
            continue
        assert (ROOT / target).exists() or (ROOT / "docs" / target).exists(), target
