"""Captions end to end: a tiny video with a .zh.vtt beside it, a tone whose manifest row names a
broken .srt, a restricted video with captions and a caption file of nothing, through the real
ingest pipeline; then search hits that jump to the cue's time, the item page's track and
transcript, the IIIF manifest's supplementing annotations, and what the public may fetch."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from iiif_prezi3 import Manifest

from repository import RecordStore, open_store
from tests.e2e.corpus_support import Ingested, html, ingest_corpus, served
from tests.e2e.sharing_support import API_KEY, make_settings
from tests.support.ingesting import ingest_folder
from tests.unit.support.samples import Samples

COLLECTION = "captions-test"
ONLY_IN_A_CUE = "zygodactyl"  # no title or description holds it
FESTIVAL_VTT = f"""WEBVTT

00:00:00.000 --> 00:00:00.800
鄂尔多斯婚礼开始了

00:00:01.250 --> 00:00:01.900
<v 歌手>the {ONLY_IN_A_CUE} song</v>
"""
SECRET_VTT = "WEBVTT\n\n00:00:00.500 --> 00:00:01.000\nsecretword spoken here\n"
BROKEN_SRT = "1\n00:00:00,000 --> 00:00:00,500\nfirst\n\n2\n00:00:00,900 --> 00:00:00,600\nsecond\n"
MANIFEST = (
    "path,identifier,title_zh,title_en,status,access,字幕\n"
    "festival.mp4,CAP-1,婚礼,Wedding,published,public,\n"
    "tone.wav,CAP-2,歌,Song,published,public,words/song-words.srt\n"
    "secret.mov,CAP-3,秘密,Secret,published,restricted,\n"
)


def write_sources(folder: Path, samples: Samples) -> Path:
    (folder / "words").mkdir(parents=True)
    shutil.copy(samples["clip.mp4"], folder / "festival.mp4")
    shutil.copy(samples["clip.mov"], folder / "secret.mov")  # not a duplicate of festival.mp4
    shutil.copy(samples["tone.wav"], folder / "tone.wav")
    (folder / "festival.zh.vtt").write_text(FESTIVAL_VTT, encoding="utf-8")
    (folder / "secret.zh.vtt").write_text(SECRET_VTT, encoding="utf-8")
    (folder / "words" / "song-words.srt").write_text(BROKEN_SRT, encoding="utf-8")
    (folder / "lonely.vtt").write_text(SECRET_VTT, encoding="utf-8")
    (folder / "manifest.csv").write_text(MANIFEST, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    root = tmp_path_factory.mktemp("captions")
    (root / "samples").mkdir()
    source = write_sources(root / "source", Samples(root / "samples"))
    return ingest_corpus(
        root / "data", source, COLLECTION, expect_failures=True, ffmpeg_concurrency=1
    )


@pytest.fixture(scope="module")
def client(ingested: Ingested) -> Iterator[TestClient]:
    yield from served(ingested)


def test_captions_are_stored_beside_their_video(ingested: Ingested) -> None:
    outcomes = {item.source: item for item in ingested.report.items}
    assert outcomes["festival.mp4"].outcome == "stored"
    assert "festival.zh.vtt" not in outcomes  # a sidecar, not an item of its own
    record = ingested.record("CAP-1")
    (captions,) = [f for f in record["files"] if f["role"] == "captions"]
    assert captions["name"] == "festival.zh.vtt"
    assert (captions["language"], captions["kind"], captions["cues"]) == ("zh", "captions", 2)
    assert captions["media_type"] == "text/vtt"
    assert captions["key"].endswith(captions["sha256"])
    store = open_store(ingested.settings.store_config())
    assert store.get_bytes(captions["key"]) == FESTIVAL_VTT.encode()
    assert record["cues"] == [
        {"file": captions["sha256"], "start": 0.0, "end": 0.8, "text": "鄂尔多斯婚礼开始了"},
        {
            "file": captions["sha256"],
            "start": 1.25,
            "end": 1.9,
            "text": f"the {ONLY_IN_A_CUE} song",
        },
    ]


def test_a_broken_srt_is_dropped_and_the_report_names_file_and_cue(ingested: Ingested) -> None:
    outcomes = {item.source: item for item in ingested.report.items}
    song = outcomes["tone.wav"]
    assert song.outcome == "stored" and song.reason is not None
    assert (
        "words/song-words.srt: line 6 (cue 2): end 00:00:00,600 before start 00:00:00,900"
        in song.reason
    )
    assert "captions were dropped" in song.reason
    record = ingested.record("CAP-2")
    assert not [f for f in record["files"] if f["role"] == "captions"]
    assert "cues" not in record


def test_a_caption_file_of_nothing_fails_by_name(ingested: Ingested) -> None:
    outcomes = {item.source: item for item in ingested.report.items}
    lonely = outcomes["lonely.vtt"]
    assert lonely.outcome == "failed" and lonely.reason is not None
    assert lonely.reason.startswith("lonely.vtt: a caption file with no video or audio")


def test_a_word_in_a_cue_finds_the_item_at_its_time(ingested: Ingested, client: TestClient) -> None:
    item_id = ingested.record("CAP-1")["id"]
    (hit,) = client.get(f"/api/search?q={ONLY_IN_A_CUE}").json()["items"]
    assert hit["id"] == item_id
    assert hit["highlights"]["t"] == "1.25"
    assert f"<mark>{ONLY_IN_A_CUE}</mark>" in hit["highlights"]["text"]
    assert hit["hit_time_url"] == f"/items/{item_id}#t=1.25"
    results = html(client, f"/?q={ONLY_IN_A_CUE}")
    link = results.find("a", "card__time")
    assert link.text() == "at 0:01" and link.attrs["href"] == f"/items/{item_id}#t=1.25"
    chinese = client.get("/api/search?q=婚礼开始").json()["items"]
    assert [h["highlights"].get("t") for h in chinese if h["id"] == item_id] == ["0"]


def test_restricted_captions_are_not_found_by_the_public(
    ingested: Ingested, client: TestClient
) -> None:
    assert client.get("/api/search?q=secretword").json()["items"] == []
    staff = client.get("/api/search?q=secretword", headers={"X-API-Key": API_KEY}).json()
    assert [h["id"] for h in staff["items"]] == [ingested.record("CAP-3")["id"]]


def test_the_item_page_has_the_track_and_a_transcript(
    ingested: Ingested, client: TestClient
) -> None:
    item_id = ingested.record("CAP-1")["id"]
    page = html(client, f"/items/{item_id}")
    (track,) = page.find("video").find_all("track")
    assert track.attrs["kind"] == "captions" and track.attrs["srclang"] == "zh"
    assert track.attrs["label"] == "Chinese" and "default" in track.attrs
    assert track.attrs["src"] == f"/api/items/{item_id}/files/captions"
    cues = page.find("section", "transcript").find_all("a", "transcript__cue")
    assert [(a.attrs["href"], a.attrs["data-start"]) for a in cues] == [
        ("#t=0", "0"),
        ("#t=1.25", "1.25"),
    ]
    assert cues[1].text() == f"0:01 the {ONLY_IN_A_CUE} song"
    assert "中文" in html(client, f"/items/{item_id}", lang="zh").find("track").attrs["label"]
    served = client.get(track.attrs["src"])
    assert served.status_code == 200
    assert served.headers["content-type"] == "text/vtt; charset=utf-8"
    assert served.content == FESTIVAL_VTT.encode()


def test_an_item_without_captions_has_no_transcript(ingested: Ingested, client: TestClient) -> None:
    page = html(client, f"/items/{ingested.record('CAP-2')['id']}")
    assert not page.find_all("track") and not page.find_all("section", "transcript")


def test_the_iiif_manifest_carries_the_captions(ingested: Ingested, client: TestClient) -> None:
    item_id = ingested.record("CAP-1")["id"]
    document = client.get(f"/iiif/{item_id}/manifest").json()
    Manifest(**document)
    (canvas,) = document["items"]
    (page,) = canvas["annotations"]
    assert page["type"] == "AnnotationPage"
    (annotation,) = page["items"]
    assert annotation["motivation"] == "supplementing"
    assert annotation["target"] == canvas["id"]
    body = annotation["body"]
    assert (body["type"], body["format"], body["language"]) == ("Text", "text/vtt", "zh")
    assert body["id"].endswith(f"/api/items/{item_id}/files/captions")
    for fmt in ("turtle", "jsonld"):  # the other views of the record take a captions file too
        assert client.get(f"/api/items/{item_id}?format={fmt}").status_code == 200
    item = client.get(f"/api/items/{item_id}").json()
    assert [f["url"] for f in item["files"] if f["role"] == "captions"] == [
        f"/api/items/{item_id}/files/captions"
    ]


def test_restricted_captions_are_not_served_to_the_public(
    ingested: Ingested, client: TestClient
) -> None:
    item_id = ingested.record("CAP-3")["id"]
    url = f"/api/items/{item_id}/files/captions"
    assert client.get(url).status_code == 404
    staff = client.get(url, headers={"X-API-Key": API_KEY})
    assert staff.status_code == 200 and staff.content == SECRET_VTT.encode()


def test_a_rerun_adds_captions_given_later_and_then_changes_nothing(tmp_path: Path) -> None:
    (tmp_path / "samples").mkdir()
    source = tmp_path / "source"
    source.mkdir()
    shutil.copy(Samples(tmp_path / "samples")["clip.mp4"], source / "festival.mp4")
    settings = make_settings(tmp_path / "data")

    def run() -> tuple[str, dict]:
        report = ingest_folder(settings, source, None, COLLECTION, institution="local")
        (item,) = report.items
        record = RecordStore(open_store(settings.store_config())).load(str(item.id))
        return item.outcome, dict(record)

    outcome, record = run()
    assert outcome == "stored" and "cues" not in record
    (source / "festival.en.srt").write_text(
        "1\n00:00:00,100 --> 00:00:00,500\nhello\n", encoding="utf-8"
    )
    outcome, record = run()
    assert outcome == "updated"
    (captions,) = [f for f in record["files"] if f["role"] == "captions"]
    assert (captions["name"], captions["language"]) == ("festival.en.srt", "en")
    assert [c["text"] for c in record["cues"]] == ["hello"]
    outcome, again = run()
    assert outcome == "unchanged" and again["files"] == record["files"]


def test_a_long_transcript_lists_its_first_cues_and_links_the_file(
    ingested: Ingested, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("api.http.routes.pages.TRANSCRIPT_CUES", 1)
    item_id = ingested.record("CAP-1")["id"]
    section = html(client, f"/items/{item_id}").find("section", "transcript")
    assert len(section.find_all("a", "transcript__cue")) == 1
    more = section.find("p", "transcript__more")
    assert more.text().startswith("The first 1 of 2 cues.")
    assert more.find("a").attrs["href"] == f"/api/items/{item_id}/files/captions"
