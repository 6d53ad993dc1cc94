"""Harvesting real oai_dc records (DSpace, EPrints, the Rijksmuseum, Stanford; see
tests/fixtures/oai/README.md) served by a local HTTP server, and re-harvesting over a curator's
decisions."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from api.protocols.harvest import HarvestReport, HarvestState, harvest, language_tag, local_id
from repository import LocalStore, RecordStore, make_event, now_iso, record_key

FIXTURES = Path(__file__).parents[3] / "fixtures" / "oai"
OAI = "http://www.openarchives.org/OAI/2.0/"
ENVELOPE = (
    '<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="{oai}"><responseDate>{now}'
    '</responseDate><request verb="{verb}">{url}</request>{body}</OAI-PMH>'
)
IDENTIFY = (
    "<Identify><repositoryName>fixture</repositoryName><baseURL>{url}</baseURL>"
    "<protocolVersion>2.0</protocolVersion><adminEmail>a@example.org</adminEmail>"
    "<earliestDatestamp>2000-01-01T00:00:00Z</earliestDatestamp><deletedRecord>persistent"
    "</deletedRecord><granularity>YYYY-MM-DDThh:mm:ssZ</granularity></Identify>"
)
FORMATS = (
    "<ListMetadataFormats><metadataFormat><metadataPrefix>oai_dc</metadataPrefix>"
    "<schema>http://www.openarchives.org/OAI/2.0/oai_dc.xsd</schema><metadataNamespace>"
    "http://www.openarchives.org/OAI/2.0/oai_dc/</metadataNamespace></metadataFormat>"
    "</ListMetadataFormats>"
)
INSTITUTION = "harvesting-library"


@dataclass
class Feeds:
    """A local OAI-PMH server: `pages[name]` is the ListRecords answer at /{name}."""

    url: str
    pages: dict[str, bytes] = field(default_factory=dict)

    def base(self, name: str) -> str:
        return f"{self.url}/{name}"


@pytest.fixture
def feeds() -> Iterator[Feeds]:
    pages: dict[str, bytes] = {
        "dspace": (FIXTURES / "dspace-listrecords.xml").read_bytes(),
        "other": (FIXTURES / "other-listrecords.xml").read_bytes(),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            verb = parse_qs(parts.query).get("verb", [""])[0]
            name = parts.path.strip("/")
            url = f"{server_url}/{name}"
            now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            if verb == "ListRecords" and name in pages:
                body = pages[name]
            elif verb in ("Identify", "ListMetadataFormats"):
                inner = IDENTIFY.format(url=url) if verb == "Identify" else FORMATS
                body = ENVELOPE.format(oai=OAI, now=now, verb=verb, url=url, body=inner).encode()
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Feeds(server_url, pages)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@dataclass
class Local:
    root: Path
    records: RecordStore

    def run(self, feeds: Feeds, name: str, collection: str = "dc") -> HarvestReport:
        """A full harvest (no remembered datestamp) of one fixture feed."""
        state = HarvestState(LocalStore(self.root / f"state-{now_iso()}"))
        return harvest(
            feeds.base(name),
            set_spec=None,
            collection=collection,
            store=self.records.store,
            records=self.records,
            index=None,
            state=state,
            institution=INSTITUTION,
        )

    def record(self, identifier: str, collection: str = "dc") -> dict[str, Any]:
        return self.records.load(local_id(collection, identifier))


@pytest.fixture
def local(tmp_path: Path) -> Local:
    return Local(tmp_path, RecordStore(LocalStore(tmp_path / "data")))


KREX = "oai:krex.k-state.edu:2097/32592"
MASON = "oai:mars.gmu.edu:1920/4490"
NKU = "oai:dspace.nku.edu:11216/1280"
ECONSTOR = "oai:econstor.eu:10419/2639"
TXSTATE = "oai:digital.library.txstate.edu:10877/1606"
COGPRINTS = "oai:cogprints.org:1"
RIJKS = "oai:rijksmuseum.nl:SK-A-3580"
STANFORD = "oai:purl.stanford.edu:vs298kg2555"


@pytest.fixture
def harvested(feeds: Feeds, local: Local) -> Local:
    for name, count in (("dspace", 5), ("other", 3)):
        report = local.run(feeds, name)
        assert report.failed == [] and len(report.added) == count, report.summary()
    return local


def test_latin_and_cjk_creators_and_contributors_survive(harvested: Local) -> None:
    assert harvested.record(KREX)["people"] == [{"name": "Ruskamp, Parker", "role": "creator"}]
    assert harvested.record(MASON)["people"] == [
        {"name": "Miffitt, John C.", "role": "creator"},
        {"name": "Lewis, Sinclair, 1885-1951.", "role": "creator"},
        {"name": "Federal Theatre Project (U.S.), sponsor", "role": "contributor"},
    ]
    assert {"name": "Wößmann, Ludger", "role": "creator"} in harvested.record(ECONSTOR)["people"]
    txstate = harvested.record(TXSTATE)["people"]
    assert txstate[:2] == [  # one dc:creator "Polk, Lewis&lt;br&gt;Mosley, Richard"
        {"name": "Polk, Lewis", "role": "creator"},
        {"name": "Mosley, Richard", "role": "creator"},
    ]
    assert len(txstate) == 15  # and 13 contributors
    assert harvested.record(COGPRINTS)["people"] == [{"name": "Shizgal, Peter", "role": "creator"}]
    stanford = harvested.record(STANFORD)["people"]
    assert {"name": "Japan 陸軍. 参謀本部", "role": "contributor"} in stanford
    assert {"name": "Japan Rikugun. Sanbō Honbu.", "role": "contributor"} in stanford
    assert len(stanford) == 5


def test_the_date_is_the_issued_date_not_an_accession_timestamp(harvested: Local) -> None:
    dates = {
        KREX: "2016",  # accessioned, available, issued 2016, "May"
        NKU: "2007-09",
        MASON: "1936-09-18",  # "September 18, 1936" cannot be read; the issued date can
        ECONSTOR: "2001",
        TXSTATE: "1993",  # 1993, 1996, 1997, … then the repository's own stamps
        RIJKS: "1896",
        STANFORD: "1943/1944",
    }
    assert {key: harvested.record(key)["date"]["edtf"] for key in dates} == dates


def test_publisher_is_description_and_institution_is_the_harvesting_one(harvested: Local) -> None:
    krex = harvested.record(KREX)
    assert krex["institution"] == INSTITUTION
    assert {
        "value": "Kansas State University",
        "source": "given",
        "by": "oai-pmh",
        "scheme": "dc:publisher",
    } in krex["tags"]
    stanford = [t["value"] for t in harvested.record(STANFORD)["tags"]]
    assert stanford == ["Sanbō Honbu", "参謀本部,"]


@pytest.mark.parametrize(
    ("value", "tag"),
    [
        ("en_US", "en-US"),
        ("en-US", "en-US"),
        ("eng", "en"),
        ("zh_CN", "zh-CN"),
        ("chi", "zh"),
        ("zho", "zh"),
        ("dut", "nl"),
        ("English", "en"),
        ("other", None),
        ("", None),
    ],
)
def test_language_values_map_to_bcp47(value: str, tag: str | None) -> None:
    assert language_tag(value) == tag


def test_languages_are_mapped_not_dropped(harvested: Local) -> None:
    languages = {
        KREX: ["en-US"],
        NKU: ["en-US"],
        ECONSTOR: ["en"],
        RIJKS: ["nl"],
        STANFORD: ["ja"],
    }
    assert {key: harvested.record(key)["language"] for key in languages} == languages


def test_titles_and_descriptions_get_their_real_language(harvested: Local) -> None:
    rijks = harvested.record(RIJKS)
    assert rijks["title"] == {"nl": "De Singelbrug bij de Paleisstraat in Amsterdam"}
    assert list(rijks["description"]) == ["nl"]
    stanford = harvested.record(STANFORD)
    assert stanford["title"]["ja"] == "空中寫真測圖要圖西部パプア十万分一"
    # a romanized Japanese title is neither English nor a guess
    assert stanford["title"]["und"] == "Kūchū shashin sokuzu yōzu Seibu Papua jūmanbun no ichi"
    assert "en" not in stanford["title"]
    assert harvested.record(COGPRINTS)["title"] == {"en": "Neural Basis of Utility Estimation"}
    # a title wrapped over lines at the source reads as one line
    assert harvested.record(KREX)["title"] == {
        "en": "Your environment and you: investigating stress triggers and characteristics of "
        "the built environment"
    }


def test_every_description_is_kept(harvested: Local) -> None:
    text = harvested.record(KREX)["description"]["en"]
    assert text.startswith("Master of Landscape Architecture")
    assert "The physical environment influences mental health" in text


def test_rights_text_is_a_statement_and_a_uri_a_license(harvested: Local) -> None:
    assert harvested.record(RIJKS)["rights"] == {
        "license": "http://creativecommons.org/publicdomain/mark/1.0/"
    }
    rights = harvested.record(TXSTATE)["rights"]
    assert "license" not in rights
    (statement,) = rights["statement"].values()
    assert statement.startswith("Physical rights are retained by the institution.")
    assert statement.endswith("contact Southwestern Writers Collection")


def test_dc_type_words_map_to_a_media_type(harvested: Local) -> None:
    types = {KREX: "text", MASON: "text", STANFORD: "image", TXSTATE: "video", RIJKS: "mixed"}
    assert {key: harvested.record(key)["media_type"] for key in types} == types


def _edit(local: Local, identifier: str, agent: str, **changes: Any) -> None:
    record = local.record(identifier)
    record.update(changes)
    record["modified"] = now_iso()
    record["events"].append(make_event("metadata-modification", agent, detail="curator edit"))
    local.records.save(record)


def test_reharvest_keeps_curator_decisions_and_follows_the_rest(
    harvested: Local, feeds: Feeds
) -> None:
    _edit(
        harvested,
        KREX,
        "curator",
        status="review",
        access="restricted",
        embargo_until="2030-01-01",
        title={"en": "Stress and the built environment"},
        text="Transcript typed in here.",
    )
    _edit(harvested, MASON, "curator", status="withdrawn")
    feeds.pages["dspace"] = feeds.pages["dspace"].replace(
        b"<dc:description>Master of Landscape Architecture</dc:description>",
        b"<dc:description>Master of Landscape Architecture (2016)</dc:description>",
    )
    report = harvested.run(feeds, "dspace")
    assert report.failed == [] and report.added == []
    assert report.updated == [local_id("dc", KREX)]
    krex = harvested.record(KREX)
    assert (krex["status"], krex["access"], krex["embargo_until"]) == (
        "review",
        "restricted",
        "2030-01-01",
    )
    assert krex["title"] == {"en": "Stress and the built environment"}
    assert krex["text"] == "Transcript typed in here."
    assert krex["description"]["en"].startswith("Master of Landscape Architecture (2016)")
    assert harvested.record(MASON)["status"] == "withdrawn"


def test_a_record_deleted_and_back_at_the_source_returns_to_its_status(
    harvested: Local, feeds: Feeds
) -> None:
    _edit(harvested, NKU, "curator", status="review")
    original = feeds.pages["dspace"]
    nku = b"\n        <identifier>oai:dspace.nku.edu:11216/1280</identifier>"
    deleted = original.replace(b"<header>" + nku, b'<header status="deleted">' + nku)
    assert deleted != original
    feeds.pages["dspace"] = deleted
    assert harvested.run(feeds, "dspace").withdrawn == [local_id("dc", NKU)]
    assert harvested.record(NKU)["status"] == "withdrawn"
    feeds.pages["dspace"] = original
    harvested.run(feeds, "dspace")
    assert harvested.record(NKU)["status"] == "review"
    # withdrawn once for a deletion: a curator who shows it again is not overruled
    feeds.pages["dspace"] = deleted
    assert harvested.run(feeds, "dspace").withdrawn == [local_id("dc", NKU)]
    _edit(harvested, NKU, "curator", status="published")
    assert harvested.run(feeds, "dspace").withdrawn == []
    assert harvested.record(NKU)["status"] == "published"


def test_a_damaged_local_record_fails_alone_and_is_not_written_over(
    harvested: Local, feeds: Feeds
) -> None:
    key = record_key(local_id("dc", KREX))
    harvested.records.store.put_bytes(key, b'{"id": "cut sh')
    report = harvested.run(feeds, "dspace")
    assert report.failed == [
        f"{KREX}: record {key} is damaged: not valid JSON: Unterminated string starting at: "
        "line 1 column 8 (char 7); restore it, then harvest again"
    ]
    assert len(report.unchanged) == 4
    assert harvested.records.store.get_bytes(key) == b'{"id": "cut sh'
