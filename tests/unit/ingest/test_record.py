"""build_record: defaults, derived title and category, and what a re-run keeps."""

from __future__ import annotations

from typing import Any

from ingest.record import (
    Defaults,
    add_events,
    build_record,
    edited_fields,
    embedded_title,
    field_changes,
    keep_curated,
    media_type_of,
    same_content,
    title_from_name,
)
from ingest.report import FieldChange
from ingest.task import FileResult
from ingest.text import joined_text, joined_text_pages
from repository import make_event
from schemas import validate_record

SHA = "ab" * 32
DEFAULTS = Defaults(access="public", status="draft", institution="local", agent="test-agent")


def files(relpath: str = "剪纸/红_双喜.jpg") -> list[FileResult]:
    entry = {
        "role": "original",
        "name": relpath,
        "key": f"blobs/sha256/ab/ab/{SHA}",
        "sha256": SHA,
        "bytes": 10,
        "media_type": "image/jpeg",
    }
    technical = {"format": "JPEG", "width": 30, "height": 20}
    return [FileResult(relpath, "JPEG", "image", [entry], technical)]


def build(fields: dict[str, Any], existing: dict[str, Any] | None = None) -> dict[str, Any]:
    return build_record(
        item_id="c-0123456789ab",
        collection="c",
        fields=fields,
        files=files(),
        stored_files=None,
        existing=existing,
        defaults=DEFAULTS,
    )


def test_record_without_manifest_row_is_valid_and_derived() -> None:
    record = build({})
    add_events(record, existing=None, files=files(), reused_files=False, job_id="j", agent="a")
    validate_record(record)
    assert record["title"] == {"zh": "红 双喜"}
    assert (record["access"], record["status"], record["institution"]) == (
        "public",
        "draft",
        "local",
    )
    assert record["category"] == "traditional-art"  # from the folder name 剪纸
    assert [e["type"] for e in record["events"]] == [
        "ingestion",
        "identification",
        "normalization",
        "validation",
    ]


def test_rerun_keeps_values_an_editor_changed_unless_the_manifest_sets_them() -> None:
    first = build({})
    published = {**first, "status": "published", "access": "institution"}
    again = build({}, existing=published)
    assert (again["status"], again["access"]) == ("published", "institution")
    assert again["created"] == published["created"]
    assert same_content(again, published)
    assert build({"status": "review"}, existing=published)["status"] == "review"


def test_a_rerun_keeps_decisions_and_edits_and_names_what_it_did_not_apply() -> None:
    manifest = {"title": {"en": "Song"}, "description": {"en": "Sung"}, "status": "published"}
    existing = build({**manifest, "embargo_until": "2030-01-01"})
    add_events(existing, existing=None, files=files(), reused_files=False, job_id="j", agent="a")
    existing.pop("description")  # a curator's PATCH removed it and retitled the item,
    existing.update(title={"en": "Long song"}, status="withdrawn")  # then withdrew it
    detail = "changed description, title (JSON Merge Patch)"  # api.operations.items.apply_patch
    existing["events"].append(
        make_event("metadata-modification", "m/curator (key k)", "success", detail)
    )
    rerun = {**manifest, "subjects": ["music"]}  # and the embargo column left empty

    record = build(rerun, existing=existing)
    conflicts, replaced = keep_curated(record, existing, rerun, overwrite_edits=False)

    assert {c.field: (c.manifest, c.kept) for c in conflicts} == {
        "status": ("published", "withdrawn"),
        "description": ({"en": "Sung"}, None),
        "title": ({"en": "Song"}, {"en": "Long song"}),
    }
    assert replaced == [] and "description" not in record
    assert (record["status"], record["title"]) == ("withdrawn", {"en": "Long song"})
    assert record["embargo_until"] == "2030-01-01"  # the manifest is silent: kept, no conflict
    assert record["subjects"] == ["music"]  # nobody edited it: the manifest applies

    record = build(rerun, existing=existing)
    conflicts, replaced = keep_curated(record, existing, rerun, overwrite_edits=True)
    assert [c.field for c in conflicts] == ["status"] and replaced == ["description", "title"]
    assert record["description"] == {"en": "Sung"}
    add_events(
        record, existing=existing, files=files(), reused_files=True, job_id="j2", agent="a",
        replaced=replaced,
    )  # fmt: skip
    assert record["events"][-2]["detail"] == (
        "record updated from the manifest by ingest job j2: changed description, subjects, "
        "title; replaced edits of description, title (overwrite edits)"
    )
    assert edited_fields(record["events"]) == set()  # the manifest's again from now on


def edited_and_withdrawn(manifest: dict[str, Any]) -> dict[str, Any]:
    """An item ingested from `manifest`, then retitled by a person and withdrawn by a curator."""
    existing = build(manifest)
    add_events(existing, existing=None, files=files(), reused_files=False, job_id="j", agent="a")
    existing.update(title={"en": "Long song"}, status="withdrawn")
    existing["events"].append(
        make_event(
            "metadata-modification", "m/curator", "success", "changed title (JSON Merge Patch)"
        )
    )
    return existing


def test_field_changes_name_each_field_the_row_would_change_and_what_happens_to_it() -> None:
    manifest = {"title": {"en": "Song"}, "description": {"en": "Sung"}, "status": "published"}
    existing = edited_and_withdrawn(manifest)
    rerun = {**manifest, "description": {"en": "Sung at dusk"}}

    record = build(rerun, existing=existing)
    conflicts, replaced = keep_curated(record, existing, rerun, overwrite_edits=False)
    assert field_changes(record, existing, conflicts, replaced) == [
        FieldChange("description", {"en": "Sung"}, {"en": "Sung at dusk"}, "update"),
        FieldChange("status", "withdrawn", "published", "kept-decision"),
        FieldChange("title", {"en": "Long song"}, {"en": "Song"}, "kept-edited"),
    ]

    record = build(rerun, existing=existing)
    conflicts, replaced = keep_curated(record, existing, rerun, overwrite_edits=True)
    assert [(c.field, c.action) for c in field_changes(record, existing, conflicts, replaced)] == [
        ("description", "update"),
        ("status", "kept-decision"),
        ("title", "overwrite-edit"),
    ]


def test_the_same_row_again_changes_nothing_and_a_removed_value_is_a_change_to_none() -> None:
    manifest = {"title": {"en": "Song"}, "description": {"en": "Sung"}}
    existing = build(manifest)
    record = build(manifest, existing=existing)
    assert field_changes(record, existing, [], []) == []  # timestamps and events do not count

    record = build({"title": {"en": "Song"}}, existing=existing)
    assert field_changes(record, existing, [], []) == [
        FieldChange("description", {"en": "Sung"}, None, "update")
    ]


def test_changed_files_and_long_text_are_summarised() -> None:
    existing = build({"title": {"en": "Song"}})
    existing["text"] = "歌" * 5000
    record = build({"title": {"en": "Song"}}, existing=existing)
    record["files"] = [{**record["files"][0], "name": "剪纸/new.jpg"}]
    record["text"] = "词" * 5000
    changes = {c.field: c for c in field_changes(record, existing, [], [])}
    assert changes["files"].old == ["original: 剪纸/红_双喜.jpg"]
    assert changes["files"].new == ["original: 剪纸/new.jpg"]
    assert changes["text"].new.endswith("… (5000 characters)") and len(changes["text"].new) < 400
    line = changes["text"].describe()
    assert "\n" not in line and len(line) < 160 and line.startswith("text (update): ")


def test_title_from_name() -> None:
    assert title_from_name("a/long_song-1.tif") == {"en": "long song-1"}
    assert title_from_name("长调.jpg") == {"zh": "长调"}


def result(relpath: str, media_type: str, **extra: Any) -> FileResult:
    (base,) = files(relpath)
    base.media_type = media_type
    for name, value in extra.items():
        setattr(base, name, value)
    return base


def test_media_type_is_the_common_kind_or_mixed() -> None:
    assert media_type_of([result("a.mp4", "video")]) == "video"
    assert media_type_of([result("a.jpg", "image"), result("b.jpg", "image")]) == "image"
    assert media_type_of([result("a.jpg", "image"), result("b.mp4", "video")]) == "mixed"


def test_texts_of_several_files_are_joined_naming_each() -> None:
    assert joined_text([result("a.jpg", "image")]) is None
    assert joined_text([result("a.txt", "text", text="唱词")]) == "唱词"
    both = [result("a.txt", "text", text="一"), result("b.pdf", "document", text="two")]
    assert joined_text(both) == "[a.txt]\n一\n\n[b.pdf]\ntwo"


def test_page_starts_follow_the_paged_document_into_the_joined_text() -> None:
    pdf = result("b.pdf", "document", text="one\n\ntwo\n\nthree", text_pages=[0, 5, 10])
    alone = joined_text([pdf])
    assert alone is not None and joined_text_pages([pdf], alone) == [0, 5, 10]
    both = [result("a.txt", "text", text="唱词"), pdf]
    joined = joined_text(both)
    starts = joined_text_pages(both, joined)
    assert joined is not None and starts is not None
    assert [joined[start:].split("\n\n")[0] for start in starts] == ["one", "two", "three"]
    other = result("c.pdf", "document", text="x", text_pages=[0])
    assert joined_text_pages([pdf, other], joined_text([pdf, other])) is None  # two numberings
    assert joined_text_pages([result("a.txt", "text", text="唱词")], "唱词") is None
    scan = result("d.tif", "document")
    scan.entries.append({"role": "page", "page": 1})
    assert joined_text_pages([pdf, scan], joined_text([pdf, scan])) is None  # pages of two


def test_a_documents_own_title_is_used_when_the_manifest_has_none() -> None:
    booklet = result("docs/booklet.pdf", "document", technical={"title": "漫瀚调唱本"})
    record = build_record(
        item_id="c-0123456789ab",
        collection="c",
        fields={},
        files=[booklet],
        stored_files=None,
        existing=None,
        defaults=DEFAULTS,
    )
    assert record["title"] == {"zh": "漫瀚调唱本"} and record["media_type"] == "document"
    assert embedded_title({"title": "  "}) is None


def test_recovered_problems_make_warning_events_that_say_what_happened() -> None:
    clip = result(
        "v/clip.mp4",
        "video",
        misnamed="v/clip.mp4: its name (.mp4) says video, but …",
        warnings=["v/clip.mp4: 3 decoding problems skipped"],
        notes=["poster frame taken at 0.05 s"],
    )
    clip.entries.append(
        {
            "role": "access",
            "media_type": "video/mp4",
            "format": "H.264/AAC MP4",
            "width": 320,
            "height": 240,
            "duration": 2,
        }
    )
    record = build({})
    add_events(
        record,
        existing=None,
        files=[clip],
        reused_files=False,
        job_id="j",
        agent="a",
        package="BagIt bag b (validated)",
    )
    events = {e["type"]: e for e in record["events"]}
    assert "(BagIt bag b (validated)) by ingest job j" in events["ingestion"]["detail"]
    assert events["identification"]["outcome"] == "warning"
    assert events["identification"]["detail"].startswith("v/clip.mp4: its name (.mp4)")
    assert events["normalization"]["outcome"] == "warning"
    assert events["normalization"]["detail"] == (
        "v/clip.mp4: 3 decoding problems skipped; v/clip.mp4: access H.264/AAC MP4 320×240 2.0 s "
        "(poster frame taken at 0.05 s)"
    )
    assert events["validation"]["outcome"] == "success"
