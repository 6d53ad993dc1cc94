"""The rooms and which way imports point (docs/internals.md): a lower room never imports a higher
one at import time, and the CLI starts without FastAPI, the web app or Pillow. Unit tests mirror the
source: tests/unit/<package path>/test_<module>.py tests <package path>/<module>.py."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# room -> the rooms of ours it may import at module level (itself always allowed)
ALLOWED: dict[str, set[str]] = {
    "schemas": set(),
    "repository": {"schemas"},
    "search": {"schemas"},
    "ingest": {"schemas", "repository", "search"},
    "api": set(),  # the package itself: its docstring only
    "api.settings": {"schemas"},
    "api.labels": {"schemas"},
    "api.present": {"schemas", "api.labels"},
    "api.services": {"schemas", "repository", "search", "api.settings"},
    "api.operations": {
        "schemas",
        "repository",
        "search",
        "ingest",
        "api.settings",
        "api.services",
        "api.labels",
        "api.present",
    },
    "api.protocols": {
        "schemas",
        "repository",
        "search",
        "ingest",
        "api.settings",
        "api.services",
        "api.labels",
        "api.present",
        "api.operations",
    },
    "api.cli": {"schemas", "api.settings"},
    "api.http": {
        "schemas",
        "repository",
        "search",
        "ingest",
        "api.settings",
        "api.services",
        "api.labels",
        "api.present",
        "api.operations",
        "api.protocols",
    },
}
OURS = ("schemas", "repository", "search", "ingest", "api")
HTTP_LIBRARIES = ("fastapi", "starlette", "uvicorn")


def room_of(module: str) -> str:
    """The longest room name that `module` is in."""
    return max((r for r in ALLOWED if module == r or module.startswith(r + ".")), key=len)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def top_level_imports(path: Path) -> list[tuple[int, str]]:
    """Imports that run when the module is imported: not those inside functions or under
    `if TYPE_CHECKING:`."""
    found: list[tuple[int, str]] = []

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import):
                found.extend((node.lineno, alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                # relative imports would hide which room they reach: the rooms import absolutely
                found.append((node.lineno, "." * node.level + (node.module or "")))
            elif isinstance(node, ast.If):
                if not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    return found


SOURCES = sorted(
    p for package in OURS for p in (ROOT / package).rglob("*.py") if "__pycache__" not in p.parts
)


def test_every_source_module_is_in_a_room() -> None:
    assert SOURCES
    for path in SOURCES:
        assert room_of(module_name(path)), f"{path} is in no room of tests/unit/test_rooms.py"


def violations(path: Path, module: str) -> list[str]:
    """What in `path` (the module `module`) breaks the rule, one line each."""
    room = room_of(module)
    found = []
    for line, imported in top_level_imports(path):
        where = f"{path.name}:{line}"
        if imported.startswith("."):
            found.append(f"{where}: relative import {imported}; import absolutely")
        elif imported.split(".")[0] in OURS:
            target = room_of(imported)
            if target != room and target not in ALLOWED[room]:
                found.append(f"{where}: {room} may not import {imported} ({target})")
        elif room != "api.http" and imported.split(".")[0] in HTTP_LIBRARIES:
            found.append(f"{where}: only api.http may import {imported}")
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_point_down(path: Path) -> None:
    assert violations(path, module_name(path)) == []


def loaded(statement: str, wanted: str) -> list[str]:
    """The modules a fresh interpreter holds after `statement` that `wanted` (an expression of
    `m`, a module name) picks."""
    code = f"import sys; {statement}; print(sorted(m for m in sys.modules if {wanted}))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return list(ast.literal_eval(result.stdout.strip()))


def test_the_cli_starts_without_the_web_app_or_the_pipeline() -> None:
    found = loaded(
        "import api.cli.commands",
        "m.split('.')[0] in ('fastapi', 'starlette', 'PIL', 'ingest', 'jsonschema', 'rdflib')"
        " or m.startswith('api.http')",
    )
    assert found == []


def test_the_ingest_coordinator_loads_no_decoder() -> None:
    """The coordinator builds tasks and commits records; decoding is the workers' (ingest.pool):
    loading pyvips and PDFium here too cost every run 0.1–0.15 s of CPU before its first item."""
    found = loaded(
        "import api.operations.ingesting, ingest.pipeline",
        "m.split('.')[0] in ('pyvips', 'simplejpeg', 'pillow_heif', 'pypdfium2')"
        " or m.startswith(('ingest.worker', 'ingest.normalize', 'ingest.media.image'))",
    )
    assert found == []


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    """The rule catches what it is for: ingest importing api, and an import under a condition."""
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nif os.name:\n    from api.http.app import create_app\n")
    assert (3, "api.http.app") in top_level_imports(bad)
    assert violations(bad, "ingest.bad") == [
        "bad.py:3: ingest may not import api.http.app (api.http)"
    ]
    web = tmp_path / "web.py"
    web.write_text("from fastapi import Request\nfrom ..http import app\n")
    assert len(violations(web, "api.operations.web")) == 2
    lazy = tmp_path / "lazy.py"
    lazy.write_text("def f():\n    import fastapi\n")
    assert top_level_imports(lazy) == []


UNIT = ROOT / "tests" / "unit"
# test files about the whole repository rather than one module
CROSS_CUTTING = {"test_rooms.py", "test_docs_cover_the_code.py"}


def misplaced(path: Path) -> str | None:
    """Why the unit-test file `path` breaks the mirror rule (tests/unit/<package>/test_<module>.py
    tests <package>/<module>.py or the package <package>/<module>/), or None when it keeps it."""
    rel = path.relative_to(UNIT)
    if rel.parts[0] == "support":
        return None if not rel.name.startswith("test_") else "support/ holds helpers, not tests"
    if not rel.name.startswith("test_"):
        if rel.name in ("__init__.py", "conftest.py"):
            return None
        return "a helper module belongs in tests/unit/support/"
    if len(rel.parts) == 1:
        return None if rel.name in CROSS_CUTTING else "a test file belongs beside its module's path"
    source = ROOT.joinpath(*rel.parts[:-1], rel.name.removeprefix("test_").removesuffix(".py"))
    if source.with_suffix(".py").is_file() or (source / "__init__.py").is_file():
        return None
    return f"tests no module: neither {source.relative_to(ROOT)}.py nor a package of that name"


def test_unit_tests_mirror_the_source() -> None:
    files = sorted(p for p in UNIT.rglob("*.py") if "__pycache__" not in p.parts)
    problems = [f"tests/unit/{p.relative_to(UNIT)}: {why}" for p in files if (why := misplaced(p))]
    folders = {p.parent for p in files}
    problems += [
        f"tests/unit/{f.relative_to(UNIT)}: no __init__.py"
        for f in sorted(folders)
        if not (f / "__init__.py").is_file()
    ]
    assert not problems, "\n".join(problems)


def test_the_mirror_rule_sees_a_stray_test_file() -> None:
    assert misplaced(UNIT / "api" / "http" / "test_auth.py") is None
    assert misplaced(UNIT / "api" / "protocols" / "test_oai.py") is None  # a package
    assert misplaced(UNIT / "governance" / "test_auth.py") is not None
    assert misplaced(UNIT / "api" / "test_http_headers.py") is not None
    assert misplaced(UNIT / "records.py") is not None
    assert misplaced(UNIT / "test_elsewhere.py") is not None
