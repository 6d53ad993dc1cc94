"""Re-running `run_ingest` over a store that people and earlier runs have changed since.

A curator's decisions (status, access, embargo) and edits (a title changed with PATCH) outlive a
re-run of the original manifest, and the report names each value it did not apply. A manifest row
refused while the manifest is read holds its file back until the row is corrected; the corrected
row then applies. An item that fails leaves no blob behind.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.services import Services
from ingest import IngestOptions, IngestReport, run_ingest
from ingest.task import item_id
from repository import LocalStore, RecordStore, StoreConfig
from repository.apikeys import KeyStore
from repository.fixity import audit
from tests.e2e.governance_support import ADMIN_TOKEN, settings_for
from tests.e2e.sharing_support import noise_picture
from tests.unit.support import images

COLLECTION = "reruns"
COLUMNS = ["path", "identifier", "title_zh", "title_en", "status", "access", "embargo_until"]
ROWS = [
    ["song.png", "R-1", "长调", "Long song", "published", "public", ""],
    ["dance.png", "R-2", "安代舞", "Andai dance", "published", "public", "2030-01-01"],
    ["craft.png", "R-3", "剪纸", "Papercut", "published", "public", ""],
]


def write_manifest(path: Path, rows: list[list[str]], columns: list[str] = COLUMNS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(rows)
    return path


@dataclass
class Repository:
    source: Path
    manifest: Path
    services: Services
    client: TestClient

    def ingest(self, **options: Any) -> IngestReport:
        return run_ingest(
            [self.source],
            IngestOptions(
                COLLECTION, manifest=self.manifest, workers=1, agent="pytest-ingest", **options
            ),
            self.services.store_config,
            self.services.index,
        )

    def record(self, identifier: str) -> dict[str, Any]:
        return self.services.records.load(item_id(COLLECTION, identifier))

    def as_admin(self, method: str, identifier: str, suffix: str = "", **kwargs: Any) -> Any:
        url = f"/api/items/{item_id(COLLECTION, identifier)}{suffix}"
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}", **kwargs.pop("headers", {})}
        response = self.client.request(method, url, headers=headers, **kwargs)
        assert response.status_code == 200, response.text
        return response


@pytest.fixture
def repository(tmp_path: Path) -> Iterator[Repository]:
    source = tmp_path / "source"
    for seed, row in enumerate(ROWS):
        noise_picture(source / row[0], f"rerun/{seed}", (96, 64))
    manifest = write_manifest(tmp_path / "items.csv", ROWS)
    settings = settings_for(tmp_path / "data")
    with TestClient(create_app(settings)) as client:
        yield Repository(source, manifest, client.app.state.services, client)


def conflicts(report: IngestReport) -> dict[tuple[str, str], tuple[Any, Any]]:
    """(identifier, field) -> (the manifest's value, the value kept) for every ignored change."""
    by_id = {item_id(COLLECTION, row[1]): row[1] for row in ROWS}
    return {
        (by_id[item.id or ""], c.field): (c.manifest, c.kept)
        for item in report.items
        for c in item.conflicts
    }


def test_a_rerun_keeps_curator_decisions_and_edits_and_names_each_conflict(
    repository: Repository,
) -> None:
    first = repository.ingest()
    assert first.counts() == {"stored": 3}
    repository.as_admin(
        "POST", "R-1", "/review", json={"status": "withdrawn", "reason": "the singer asked us"}
    )
    etag = repository.as_admin("GET", "R-2").headers["ETag"]
    repository.as_admin(
        "PATCH",
        "R-2",
        json={"embargo_until": "2999-01-01", "access": "institution", "title": {"zh": "安代"}},
        headers={"Content-Type": "application/merge-patch+json", "If-Match": etag},
    )
    edited = {name: repository.record(name) for name in ("R-1", "R-2")}

    again = repository.ingest()  # the same manifest: every row still says published, public

    assert again.counts() == {"unchanged": 3}
    assert {name: repository.record(name) for name in edited} == edited  # not even an event
    assert conflicts(again) == {
        ("R-1", "status"): ("published", "withdrawn"),
        ("R-2", "access"): ("public", "institution"),
        ("R-2", "embargo_until"): ("2030-01-01", "2999-01-01"),
        ("R-2", "title"): (
            {"zh": "安代舞", "en": "Andai dance"},
            {"zh": "安代", "en": "Andai dance"},
        ),
    }
    song = next(item for item in again.items if item.source == "song.png")
    assert song.reason is not None and "status" in song.reason and "withdrawn" in song.reason
    saved = again.to_dict()["items"]
    assert {"field": "status", "manifest": "published", "kept": "withdrawn"}.items() <= (
        next(i for i in saved if i["source"] == "song.png")["conflicts"][0].items()
    )
    anonymous = repository.client.get(f"/api/items/{item_id(COLLECTION, 'R-1')}")
    assert anonymous.status_code == 404  # still withdrawn in the index too


def test_overwrite_edits_applies_the_manifest_to_edited_fields_but_never_to_decisions(
    repository: Repository,
) -> None:
    repository.ingest()
    etag = repository.as_admin("GET", "R-2").headers["ETag"]
    repository.as_admin(
        "PATCH",
        "R-2",
        json={"title": {"zh": "安代"}, "embargo_until": "2999-01-01"},
        headers={"Content-Type": "application/merge-patch+json", "If-Match": etag},
    )
    write_manifest(
        repository.manifest,
        [ROWS[0], ROWS[1], ["craft.png", "R-3", "剪纸", "Papercut art", "published", "public", ""]],
    )

    report = repository.ingest(overwrite_edits=True)

    assert report.counts() == {"unchanged": 1, "updated": 2}
    dance = repository.record("R-2")
    assert dance["title"] == {"zh": "安代舞", "en": "Andai dance"}  # the edit replaced, as asked
    assert dance["embargo_until"] == "2999-01-01"  # a decision: never by a re-run
    assert conflicts(report) == {("R-2", "embargo_until"): ("2030-01-01", "2999-01-01")}
    last = dance["events"][-2]  # then validation
    assert last["type"] == "metadata-modification" and last["agent"] == "pytest-ingest"
    assert "title" in last["detail"] and "replaced edits" in last["detail"]
    craft = repository.record("R-3")
    assert craft["title"]["en"] == "Papercut art"  # nobody edited it: the manifest applies
    assert "changed title" in craft["events"][-2]["detail"]

    # The title is the manifest's again: the next run neither keeps nor reports it.
    assert conflicts(repository.ingest()) == {
        ("R-2", "embargo_until"): ("2030-01-01", "2999-01-01")
    }


def test_refused_rows_hold_their_files_back_until_corrected(tmp_path: Path) -> None:
    source = tmp_path / "source"
    for seed, name in enumerate(["ok.png", "bad-access.png", "twin.png", "wide.png"]):
        noise_picture(source / name, f"refused/{seed}", (80, 60))
    columns = ["path", "identifier", "title_en", "access"]
    rows = [
        ["ok.png", "F-1", "Fine", "public"],
        ["bad-access.png", "F-2", "Bad access", "secret"],
        ["twin.png", "F-1", "Same identifier", "public"],
        ["wide.png", "F-4", "Too many cells", "public", "stray"],
    ]
    manifest = write_manifest(tmp_path / "items.csv", rows, columns)
    store_root = tmp_path / "store"

    def ingest() -> IngestReport:
        options = IngestOptions(COLLECTION, manifest=manifest, workers=1)
        return run_ingest([source], options, StoreConfig(local_root=store_root), None)

    report = ingest()
    outcomes = [(item.source, item.outcome) for item in report.items]
    assert sorted(outcomes) == [
        ("bad-access.png", "failed"),
        ("ok.png", "stored"),
        ("twin.png", "failed"),
        ("wide.png", "failed"),
    ]
    records = list(RecordStore(LocalStore(store_root)))
    assert [r["identifier"] for r in records] == ["F-1"]

    rows[1][3], rows[2][1], rows[3] = "institution", "F-3", rows[3][:4]
    write_manifest(manifest, rows, columns)
    corrected = ingest()
    assert sorted((i.source, i.outcome) for i in corrected.items) == [
        ("bad-access.png", "stored"),
        ("ok.png", "unchanged"),
        ("twin.png", "stored"),
        ("wide.png", "stored"),
    ]
    stored = {r["identifier"]: r for r in RecordStore(LocalStore(store_root))}
    assert stored["F-2"]["access"] == "institution"
    assert stored["F-3"]["title"] == {"en": "Same identifier"}
    assert stored["F-4"]["title"] == {"en": "Too many cells"}


def test_a_failed_item_leaves_no_blob_and_a_rerun_stores_nothing_twice(tmp_path: Path) -> None:
    source = tmp_path / "source"
    noise_picture(source / "good.png", "good", (80, 60))
    noise_picture(source / "pair" / "first.png", "pair", (80, 60))
    images.truncated_jpeg(source / "pair" / "second.jpg")
    images.truncated_jpeg(source / "alone.jpg")
    manifest = write_manifest(
        tmp_path / "items.csv",
        [["pair/first.png; pair/second.jpg", "P-1", "A pair"]],
        ["path", "identifier", "title_en"],
    )
    store_root = tmp_path / "store"

    def ingest() -> IngestReport:
        options = IngestOptions(COLLECTION, manifest=manifest, workers=2)
        return run_ingest([source], options, StoreConfig(local_root=store_root), None)

    report = ingest()
    assert sorted((i.source, i.outcome) for i in report.items) == [
        ("alone.jpg", "failed"),
        ("good.png", "stored"),
        ("pair/first.png; pair/second.jpg", "failed"),
    ]
    store = LocalStore(store_root)
    result = audit(RecordStore(store))
    assert result.ok and result.orphans == []
    blobs = list(store.list("blobs/"))
    assert len(blobs) == result.blobs  # every blob is a stored item's

    assert ingest().counts() == {"unchanged": 1, "failed": 2}
    assert list(store.list("blobs/")) == blobs


SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def sample_rows(count: int) -> tuple[list[str], list[dict[str, str]]]:
    """The sample manifest's columns and its first `count` rows (pictures: no transcoding)."""
    with (SAMPLES / "manifest.csv").open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = [row for _, row in zip(range(count), reader, strict=False)]
        return list(reader.fieldnames or []), rows


def test_a_dry_run_previews_each_field_and_the_real_run_applies_only_what_it_showed(
    tmp_path: Path,
) -> None:
    """Samples ingested; a curator retitles one item (PATCH) and withdraws another; the sample
    manifest with one corrected description, dry run: exactly three changes, nothing stored;
    then for real: only the description changes."""
    columns, rows = sample_rows(4)
    assert [r["status"] for r in rows] == ["published"] * 4  # the manifest says so every time
    source = tmp_path / "collection"
    for row in rows:
        (source / row["path"]).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SAMPLES / "collection" / row["path"], source / row["path"])
    manifest = tmp_path / "manifest.csv"
    with manifest.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        writer.writerows(rows)
    settings = settings_for(tmp_path / "data")
    with TestClient(create_app(settings)) as client:
        services = client.app.state.services

        def ingest(**extra: Any) -> IngestReport:
            options = IngestOptions(
                "samples", manifest=manifest, workers=1, institution="operator", **extra
            )
            return run_ingest([source], options, services.store_config, services.index)

        assert ingest().counts() == {"stored": 4}
        ids = {row["identifier"]: item_id("samples", row["identifier"]) for row in rows}
        curator = KeyStore(services.store).create("operator", "curator", "pytest curator")[1]
        auth = {"Authorization": f"Bearer {curator}"}
        url = f"/api/items/{ids['XLG-MTQ-002']}"
        etag = client.get(url, headers=auth).headers["ETag"]
        edited = client.patch(
            url,
            json={"title": {"zh": "马头琴（老艺人旧藏）"}},
            headers={**auth, "Content-Type": "application/merge-patch+json", "If-Match": etag},
        )
        assert edited.status_code == 200, edited.text
        withdrawn = client.post(
            f"/api/items/{ids['XLG-CD-001']}/review",
            json={"status": "withdrawn", "reason": "the singer asked us"},
            headers=auth,
        )
        assert withdrawn.status_code == 200, withdrawn.text
        rows[3]["description_en"] = rows[3]["description_en"].replace("twenty", "about twenty")
        with manifest.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, columns)
            writer.writeheader()
            writer.writerows(rows)
        records = services.records
        versions = {i: records.version_numbers(i) for i in ids.values()}
        before = {i: records.load(i) for i in ids.values()}

        preview = ingest(dry_run=True)

        changes = {
            (item.id, change.field): (change.action, change.old, change.new)
            for item in preview.items
            for change in item.changes
        }
        horse_zh = rows[1]["title_zh"]
        old_description = before[ids["HLBE-NDM-004"]]["description"]
        assert "about twenty" not in old_description["en"]
        assert changes == {
            (ids["HLBE-NDM-004"], "description"): (
                "update",
                old_description,
                {"zh": rows[3]["description_zh"], "en": rows[3]["description_en"]},
            ),
            (ids["XLG-MTQ-002"], "title"): (
                "kept-edited",
                {"zh": "马头琴（老艺人旧藏）", "en": rows[1]["title_en"]},
                {"zh": horse_zh, "en": rows[1]["title_en"]},
            ),
            (ids["XLG-CD-001"], "status"): ("kept-decision", "withdrawn", "published"),
        }
        assert preview.counts() == {"would-update": 1, "unchanged": 3}
        assert {i: records.version_numbers(i) for i in ids.values()} == versions  # nothing stored
        assert {i: records.load(i) for i in ids.values()} == before
        stored = preview.to_dict()["items"]
        assert {c["action"] for i in stored for c in i["changes"]} == {
            "update", "kept-edited", "kept-decision"
        }  # fmt: skip

        applied = ingest()

        assert applied.counts() == {"updated": 1, "unchanged": 3}
        assert [(c.field, c.action) for i in applied.items for c in i.changes if c.applied] == [
            ("description", "update")
        ]
        after = {i: records.load(i) for i in ids.values()}
        horse = ids["HLBE-NDM-004"]
        assert after[horse]["description"]["en"] == rows[3]["description_en"]
        assert {k: v for k, v in after.items() if k != horse} == {
            k: v for k, v in before.items() if k != horse
        }
        assert after[ids["XLG-MTQ-002"]]["title"]["zh"] == "马头琴（老艺人旧藏）"
        assert after[ids["XLG-CD-001"]]["status"] == "withdrawn"
        assert "changed description" in after[horse]["events"][-2]["detail"]


def test_a_rerun_indexes_stored_items_the_index_lost_in_one_batch(
    repository: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run killed between saving and indexing leaves items stored but not findable: the
    re-run finds them unchanged and indexes them again, together, not one call per item."""
    assert repository.ingest().counts() == {"stored": 3}
    index = repository.services.index
    ids = [item_id(COLLECTION, row[1]) for row in ROWS]
    index.delete(ids)
    assert index.count() == 0
    calls: list[int] = []
    real_index = index.index
    monkeypatch.setattr(
        index, "index", lambda records: calls.append(len(records)) or real_index(records)
    )
    assert repository.ingest().counts() == {"unchanged": 3}
    assert calls == [3]
    assert index.count() == 3


def test_an_index_that_fails_is_reported_with_the_number_of_items_it_left_out(
    repository: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert repository.ingest().counts() == {"stored": 3}

    def refuse(records: list[Any]) -> int:
        raise OSError("disk full")

    monkeypatch.setattr(repository.services.index, "index", refuse)
    report = repository.ingest()
    assert report.counts() == {"unchanged": 3}  # the records stand; only the index is behind
    assert len(report.errors) == 1
    assert "could not be updated for 3 stored item(s)" in report.errors[0]
    assert "disk full" in report.errors[0] and "heritage reindex" in report.errors[0]
