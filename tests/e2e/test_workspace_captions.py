"""Adding captions to a stored item from the workspace edit page: a good .srt is read, stored as
WebVTT, listed, served and searchable at its time; a broken one shows the page again naming the
file, line and cue (in the person's language around it) and changes nothing; the form needs its
CSRF token and a curator of the item's institution."""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from api.http.app import create_app
from api.settings import Settings
from repository import RecordStore, open_store
from repository.users import UserStore
from tests.e2e.sharing_support import make_settings
from tests.e2e.workspace_support import PASSWORD, csrf_of, signed_in
from tests.support.ingesting import ingest_folder
from tests.unit.support.samples import Samples

GOOD_SRT = "\ufeff1\r\n00:00:00,200 --> 00:00:00,900\r\n漫瀚调 gallimaufry\r\n"
BROKEN_SRT = "1\n00:00:00,000 --> 00:00:00,500\nfirst\n\n2\n00:00:00,900 --> 00:00:00,600\nx\n"


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, str, str]:
    """Settings, the id of a stored song (audio, no captions) and of a photo."""
    root = tmp_path_factory.mktemp("workspace-captions")
    (root / "samples").mkdir()
    samples = Samples(root / "samples")
    source = root / "source"
    source.mkdir()
    shutil.copy(samples["tone.wav"], source / "song.wav")
    shutil.copy(samples["tone.flac"], source / "other.flac")
    settings = make_settings(root / "data")
    report = ingest_folder(settings, source, None, "songs", institution="local")
    ids = {item.source: str(item.id) for item in report.items}
    users = UserStore(open_store(settings.store_config()))
    users.create("curator-local", "local", "curator", PASSWORD)
    users.create("archivist-local", "local", "archivist", PASSWORD)
    return settings, ids["song.wav"], ids["other.flac"]


def test_a_curator_adds_an_srt_and_it_is_searchable_at_its_time(
    stored: tuple[Settings, str, str],
) -> None:
    settings, song, _ = stored
    app = create_app(settings)
    client = signed_in(app, "curator-local", lang="en")
    page = client.get(f"/workspace/items/{song}")
    assert page.status_code == 200 and 'id="captions"' in page.text
    answer = client.post(
        f"/workspace/items/{song}/captions",
        data={"csrf_token": csrf_of(page.text), "language": "zh", "kind": "transcript"},
        files={"captions": ("歌词.srt", GOOD_SRT.encode(), "application/x-subrip")},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text[:500]
    assert answer.headers["location"] == f"/workspace/items/{song}?captions_added=1#captions"
    record = RecordStore(open_store(settings.store_config())).load(song)
    (captions,) = [f for f in record["files"] if f["role"] == "captions"]
    assert (captions["name"], captions["language"], captions["kind"]) == (
        "歌词.srt",
        "zh",
        "transcript",
    )
    assert record["cues"] == [
        {"file": captions["sha256"], "start": 0.2, "end": 0.9, "text": "漫瀚调 gallimaufry"}
    ]
    assert record["events"][-1]["detail"].startswith("captions added: 歌词.srt")
    again = client.get(answer.headers["location"])
    assert "歌词.srt" in again.text and "Captions added." in again.text
    served = client.get(f"/api/items/{song}/files/captions")
    assert served.headers["content-type"] == "text/vtt; charset=utf-8"
    assert served.text.startswith("WEBVTT\n\n00:00:00.200 --> 00:00:00.900\n漫瀚调 gallimaufry")
    (hit,) = client.get("/api/search?q=gallimaufry").json()["items"]
    assert hit["id"] == song and hit["highlights"]["t"] == "0.2"
    assert 'kind="captions" srclang="zh"' in client.get(f"/items/{song}").text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_broken_file_is_refused_by_name_and_changes_nothing(
    stored: tuple[Settings, str, str], lang: str
) -> None:
    settings, _, other = stored
    records = RecordStore(open_store(settings.store_config()))
    before = records.load(other)
    client = signed_in(create_app(settings), "curator-local", lang=lang)
    token = csrf_of(client.get(f"/workspace/items/{other}").text)

    def post(name: str, data: bytes, **form: str) -> Any:
        return client.post(
            f"/workspace/items/{other}/captions",
            data={"csrf_token": token, "language": "zh", "kind": "captions", **form},
            files={"captions": (name, data, "text/plain")},
        )

    broken = post("lyrics.srt", BROKEN_SRT.encode())
    assert broken.status_code == 422
    said = "lyrics.srt: line 6 (cue 2): end 00:00:00,600 before start 00:00:00,900"
    assert said in broken.text
    assert ("字幕未添加" if lang == "zh" else "The captions were not added") in broken.text
    assert "is not a language code" in post("a.vtt", b"WEBVTT\n", language="klingon!").text
    assert "choose a WebVTT (.vtt) or SRT (.srt)" in post("a.txt", b"WEBVTT\n").text
    assert records.load(other) == before


def test_the_form_needs_its_token_and_a_curator(stored: tuple[Settings, str, str]) -> None:
    settings, _, other = stored
    records = RecordStore(open_store(settings.store_config()))
    before = records.load(other)
    app = create_app(settings)
    curator = signed_in(app, "curator-local")
    url = f"/workspace/items/{other}/captions"
    files = {"captions": ("a.vtt", b"WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nx\n", "text/vtt")}
    forged = curator.post(url, data={"csrf_token": "forged"}, files=files)
    assert forged.status_code == 403
    archivist = signed_in(app, "archivist-local")
    token = csrf_of(archivist.get("/workspace/").text)
    refused = archivist.post(url, data={"csrf_token": token}, files=files)
    assert refused.status_code in (403, 404)
    assert records.load(other) == before
