"""The same program on real servers, configured by environment alone (issue: scale-out backends).

`heritage demo` on MinIO + Elasticsearch and MinIO + OpenSearch, and `heritage transfer` moving an
embedded repository onto MinIO + a cluster index, resumable and verified.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.conftest import require_service

HERITAGE = Path(sys.executable).parent / "heritage"

pytestmark = pytest.mark.services


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERITAGE_")}
    env["HERITAGE_DATA_DIR"] = str(tmp_path / "data")
    env["HERITAGE_WORKERS"] = "2"
    env.update(extra)
    return env


def _cluster_env(tmp_path: Path, engine: str) -> dict[str, str]:
    s3 = require_service("HERITAGE_TEST_S3_ENDPOINT", "MinIO")
    variable = f"HERITAGE_TEST_{engine.upper()}_URL"
    url = require_service(variable, engine)
    suffix = uuid.uuid4().hex[:10]
    return _env(
        tmp_path,
        HERITAGE_STORAGE="s3",
        HERITAGE_S3_ENDPOINT=s3,
        HERITAGE_S3_ACCESS_KEY=os.environ["HERITAGE_TEST_S3_ACCESS_KEY"],
        HERITAGE_S3_SECRET_KEY=os.environ["HERITAGE_TEST_S3_SECRET_KEY"],
        HERITAGE_S3_BUCKET=f"demo-{suffix}",
        HERITAGE_SEARCH=engine,
        HERITAGE_SEARCH_URL=url,
        HERITAGE_SEARCH_INDEX=f"demo-{suffix}",
    )


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(HERITAGE), *args], capture_output=True, text=True, env=env, timeout=600, cwd="/"
    )


def _public_ids(env: dict[str, str], query: str) -> set[str]:
    result = _run(env, "search", query, "--public", "--json", "--size", "100")
    assert result.returncode == 0, result.stderr
    return {hit["id"] for hit in json.loads(result.stdout)["items"]}


@pytest.mark.parametrize("engine", ["elasticsearch", "opensearch"])
def test_demo_runs_on_minio_and_a_cluster(tmp_path: Path, engine: str) -> None:
    env = _cluster_env(tmp_path, engine)
    result = _run(env, "demo", "--no-serve")
    assert result.returncode == 0, result.stdout + result.stderr
    embedded = _env(tmp_path / "embedded")
    assert _run(embedded, "demo", "--no-serve").returncode == 0
    for query in ("剪纸", "昆曲", "paper cutting"):
        found = _public_ids(env, query)
        assert found, f"{engine} found nothing for {query}"
        assert found == _public_ids(embedded, query), query


def test_transfer_moves_an_embedded_repository_onto_minio_and_opensearch(tmp_path: Path) -> None:
    embedded = _env(tmp_path / "embedded")
    assert _run(embedded, "demo", "--no-serve").returncode == 0
    target = _cluster_env(tmp_path, "opensearch")
    first = _run(target, "transfer", str(tmp_path / "embedded" / "data"))
    assert first.returncode == 0, first.stdout + first.stderr
    assert "records" in first.stdout
    assert _public_ids(target, "剪纸") == _public_ids(embedded, "剪纸")
    again = _run(target, "transfer", str(tmp_path / "embedded" / "data"))
    assert again.returncode == 0, again.stderr
    assert "Copied 0 objects" in again.stdout
    verify = _run(target, "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_transfer_refuses_a_missing_source(tmp_path: Path) -> None:
    result = _run(_env(tmp_path), "transfer", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert "nowhere" in result.stderr
