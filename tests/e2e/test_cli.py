"""The real `heritage` console script, run as an archivist would, in a temporary data dir."""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.sharing_support import free_port, noise_picture

HERITAGE = Path(sys.executable).parent / "heritage"
REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"

Run = Callable[..., subprocess.CompletedProcess[str]]


def _environment(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERITAGE_")}
    env.update(HERITAGE_DATA_DIR=str(data_dir), HERITAGE_STORAGE="local", HERITAGE_SEARCH="sqlite")
    env.update(extra)
    return env


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def heritage(tmp_path: Path, data_dir: Path) -> Run:
    def run(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(HERITAGE), *map(str, args)],
            capture_output=True,
            text=True,
            cwd=tmp_path,  # no stray .env
            env=env or _environment(data_dir),
            timeout=300,
        )

    return run


def _collection(root: Path, rows: list[dict[str, str]], broken: list[str] = ()) -> Path:
    """Pictures for `rows` (plus `broken` files that are not images) and a manifest."""
    for seed, row in enumerate(rows):
        noise_picture(root / row["path"], seed, size=(96, 64))
    for name in broken:
        (root / name).write_bytes(b"\xff\xd8\xff\xe0 this is not really a JPEG")
    manifest = root.parent / f"{root.name}.csv"
    with manifest.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["path", "title_zh", "title_en", "category"])
        writer.writeheader()
        writer.writerows(rows)
    return manifest


ROWS = [
    {
        "path": "a.jpg",
        "title_zh": "剪纸窗花",
        "title_en": "Window flower paper-cut",
        "category": "traditional-art",
    },
    {
        "path": "b.jpg",
        "title_zh": "皮影戏人",
        "title_en": "Shadow puppet figure",
        "category": "traditional-drama",
    },
]


def _report(result: subprocess.CompletedProcess) -> tuple[Path, dict]:
    line = next(x for x in result.stdout.splitlines() if x.startswith("Report: "))
    path = Path(line.removeprefix("Report: ").strip())
    return path, json.loads(path.read_text(encoding="utf-8"))


def _search(heritage: Run, query: str, *extra: str, env: dict[str, str] | None = None) -> dict:
    result = heritage("search", query, "--json", *extra, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_ingest_all_done_exits_0_and_writes_the_report(
    heritage: Run, tmp_path: Path, data_dir: Path
) -> None:
    manifest = _collection(tmp_path / "photos", ROWS)
    result = heritage(
        "ingest",
        tmp_path / "photos",
        "--collection",
        "test-cuts",
        "--manifest",
        manifest,
        "--workers",
        "1",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    path, report = _report(result)
    assert path.parent == data_dir / "reports"
    assert path.name == f"{report['job_id']}.json"
    assert report["counts"] == {"stored": 2}
    assert "2/2" in result.stderr  # plain progress lines when not on a terminal

    again = heritage(
        "ingest", tmp_path / "photos", "-c", "test-cuts", "--manifest", manifest, "--workers", "1"
    )
    assert again.returncode == 0
    assert _report(again)[1]["counts"] == {"unchanged": 2}


def test_failed_items_exit_1_naming_the_file(heritage: Run, tmp_path: Path) -> None:
    _collection(tmp_path / "mixed", ROWS[:1], broken=["broken.jpg"])
    result = heritage("ingest", tmp_path / "mixed", "--collection", "mixed", "--workers", "1")
    assert result.returncode == 1, result.stdout + result.stderr
    _, report = _report(result)
    assert report["counts"] == {"stored": 1, "failed": 1}
    failed = [i for i in report["items"] if i["outcome"] == "failed"]
    assert [i["source"] for i in failed] == ["broken.jpg"]
    line = next(x for x in result.stdout.splitlines() if x.startswith("failed: "))
    assert line.count("broken.jpg") == 1, line  # the reason names the file; not said twice


def test_dry_run_prints_each_field_it_would_change_and_stores_nothing(
    heritage: Run, tmp_path: Path, data_dir: Path
) -> None:
    manifest = _collection(tmp_path / "photos", ROWS)
    args = [
        "ingest",
        tmp_path / "photos",
        "-c",
        "test-cuts",
        "--manifest",
        manifest,
        "--workers",
        "1",
    ]
    assert heritage(*args).returncode == 0
    stored = sorted((data_dir / "store" / "records").rglob("*.json"))
    before = {path: path.read_bytes() for path in stored}
    corrected = [ROWS[0], {**ROWS[1], "title_en": "Shadow puppet of Mu Guiying " + "x" * 200}]
    manifest = _collection(tmp_path / "photos", corrected)

    result = heritage(*args, "--dry-run")

    assert result.returncode == 0, result.stdout + result.stderr
    _, report = _report(result)
    assert report["counts"] == {"unchanged": 1, "would-update": 1}
    changed = next(i for i in report["items"] if i["changes"])
    lines = result.stdout.splitlines()
    heading = lines.index(f"{changed['id']} (b.jpg)")
    change = lines[heading + 1]  # one line, cut to the width; what happens comes first
    assert change.startswith("  ~ title (update): en: Shadow puppet figure → en: Shadow puppet")
    assert change.endswith("…") and len(change) <= 80  # only the language that changes
    assert [x for x in lines[heading + 2 :] if x.startswith("  ")] == []  # only that change
    assert heading < next(n for n, x in enumerate(lines) if "Ingest " in x)  # then the summary
    assert {p: p.read_bytes() for p in stored} == before  # nothing stored


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ingest", "{src}", "--collection", "Bad Slug!"), "slug"),
        (("ingest", "{tmp}/nowhere", "--collection", "ok"), "nowhere"),
        (
            ("ingest", "{src}", "--collection", "ok", "--manifest", "{tmp}/missing.csv"),
            "missing.csv",
        ),
        (("ingest", "{src}", "--collection", "ok", "--manifest", "{tmp}/bad.csv"), "bad.csv"),
        (("ingest", "{src}"), "--collection"),
    ],
)
def test_bad_usage_exits_2_with_one_clear_line(
    heritage: Run, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    _collection(tmp_path / "src", ROWS[:1])
    (tmp_path / "bad.csv").write_text("path,colour\na.jpg,red\n", encoding="utf-8")
    argv = [a.format(src=tmp_path / "src", tmp=tmp_path) for a in args]
    result = heritage(*argv)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_settings_exit_2(heritage: Run, tmp_path: Path, data_dir: Path) -> None:
    env = _environment(data_dir, HERITAGE_SEARCH="lucene")
    result = heritage("reindex", env=env)
    assert result.returncode == 2
    assert "HERITAGE_SEARCH" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_reindex_gives_identical_search_results(
    heritage: Run, tmp_path: Path, data_dir: Path
) -> None:
    manifest = _collection(tmp_path / "photos", ROWS)
    ingested = heritage(
        "ingest", tmp_path / "photos", "-c", "test-cuts", "--manifest", manifest, "--workers", "1"
    )
    assert ingested.returncode == 0, ingested.stderr
    before = {q: _search(heritage, q) for q in ("剪纸", "puppet", "")}
    assert before["剪纸"]["total"] == 1 and before[""]["total"] == 2
    for path in data_dir.glob("index.sqlite3*"):
        path.unlink()
    lost = heritage("search", "剪纸")  # not "0 hits": the index is empty, storage is not
    assert lost.returncode == 2 and "heritage reindex" in lost.stderr, lost.stderr
    assert len(lost.stderr.strip().splitlines()) == 1
    result = heritage("reindex")
    assert result.returncode == 0, result.stderr
    assert "2 records indexed, 0 damaged." in result.stdout
    after = {q: _search(heritage, q) for q in before}
    for q in before:
        assert [i["id"] for i in after[q]["items"]] == [i["id"] for i in before[q]["items"]]
        assert after[q]["facets"] == before[q]["facets"]


def test_search_prints_a_table(heritage: Run, tmp_path: Path) -> None:
    manifest = _collection(tmp_path / "photos", ROWS)
    heritage("ingest", tmp_path / "photos", "-c", "cuts", "--manifest", manifest, "--workers", "1")
    result = heritage("search", "剪纸")
    assert result.returncode == 0
    assert "剪纸窗花" in result.stdout and "皮影戏人" not in result.stdout
    public = _search(heritage, "剪纸", "--public")  # ingested as drafts: the public sees nothing
    assert public["total"] == 0


def test_verify_finds_changed_and_missing_blobs(
    heritage: Run, tmp_path: Path, data_dir: Path
) -> None:
    manifest = _collection(tmp_path / "photos", ROWS)
    heritage("ingest", tmp_path / "photos", "-c", "cuts", "--manifest", manifest, "--workers", "1")
    intact = heritage("verify")
    assert intact.returncode == 0, intact.stdout
    assert "all intact" in intact.stdout
    record = json.loads(next((data_dir / "store" / "records").glob("*.json")).read_text())
    original = next(f for f in record["files"] if f["role"] == "original")
    blob = data_dir / "store" / original["key"]
    blob.write_bytes(blob.read_bytes()[:-1] + b"\x00")
    changed = heritage("verify")
    assert changed.returncode == 1
    assert f"changed: {record['id']} original" in changed.stdout
    blob.unlink()
    missing = heritage("verify")
    assert missing.returncode == 1
    assert f"missing: {record['id']} original" in missing.stdout


def test_serve_prints_the_address_and_answers(tmp_path: Path, data_dir: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [str(HERITAGE), "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
        env=_environment(data_dir),
    )
    try:
        assert process.stdout is not None
        assert f"http://127.0.0.1:{port}/" in process.stdout.readline()
        body = None
        for _ in range(100):  # bounded: at most ~20 s
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health") as response:
                    body = json.load(response)
                break
            except OSError:
                time.sleep(0.2)
        assert body is not None and body["status"] == "ok"
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()


def test_demo_ingests_the_samples(heritage: Run, tmp_path: Path) -> None:
    demo_dir = tmp_path / "demo"
    result = heritage("demo", "--data-dir", demo_dir, "--no-serve")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (demo_dir / "store" / "records").is_dir()
    with (SAMPLES / "manifest.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    shown = {
        r["title_zh"]
        for r in rows
        if "剪纸" in r["title_zh"]
        and r["status"] in ("published", "")
        and r["access"] in ("public", "")
    }
    hidden = {r["title_zh"] for r in rows if r["status"] not in ("published", "")}
    found = _search(heritage, "剪纸", "--public", "--size", "100", env=_environment(demo_dir))
    titles = {item["title"] for item in found["items"]}
    assert shown and shown <= titles
    assert not titles & hidden


def test_serve_on_a_port_in_use_says_so_and_exits_2(heritage: Run) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = heritage("serve", "--port", str(port))
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}: the port is in use" in result.stderr
    assert "http://" not in result.stdout  # no address printed as if it were running


def test_search_with_an_unreachable_cluster_is_one_line_exit_2(
    heritage: Run, data_dir: Path
) -> None:
    env = {
        **_environment(data_dir),
        "HERITAGE_SEARCH": "elasticsearch",
        "HERITAGE_SEARCH_URL": "http://127.0.0.1:1",
    }
    result = heritage("search", "剪纸", env=env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "http://127.0.0.1:1" in result.stderr and "unreachable" in result.stderr


def test_a_rerun_prints_what_it_kept_and_never_republishes(heritage: Run, data_dir: Path) -> None:
    """The sample manifest says status=published; a curator withdraws one item; the same
    command again keeps it withdrawn and says so, with or without --overwrite-edits."""
    from repository import LocalStore, RecordStore

    args = (
        "ingest",
        SAMPLES / "collection",
        "-c",
        "samples",
        "--manifest",
        SAMPLES / "manifest.csv",
        "--workers",
        "1",
    )
    assert heritage(*args).returncode == 0
    records = RecordStore(LocalStore(data_dir / "store"))
    record = next(r for r in records if r.get("identifier") == "XLG-CD-001")
    record["status"] = "withdrawn"
    records.save(record)
    for extra in ((), ("--overwrite-edits",)):
        again = heritage(*args, *extra)
        assert again.returncode == 0, again.stderr
        assert "kept status 'withdrawn'" in again.stdout.replace('"', "'"), again.stdout
        assert records.load(record["id"])["status"] == "withdrawn"


def test_manifest_template_command_writes_a_workbook_ingest_reads(
    heritage: Run, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    target = tmp_path / "清单.xlsx"
    result = heritage("manifest-template", target)
    assert result.returncode == 0, result.stderr
    sheet = load_workbook(target).active
    headers = [cell.value for cell in sheet[1] if cell.value]
    assert "标题" in " ".join(map(str, headers))
    assert heritage("manifest-template", tmp_path / "x.csv").returncode == 2


def test_search_says_which_words_it_read_as_a_date(heritage: Run) -> None:
    result = heritage("search", "清代 剪纸")
    assert result.returncode == 0, result.stderr
    assert "read as a date: 清代 → 1644–1912" in result.stdout
