"""OAI-PMH 2.0 against a real uvicorn server: whole-repository harvests with two clients others
wrote (`sickle`, `oaipmh-scythe`), then lxml checks of each verb's required elements and of every
error code, as the protocol's text states them. Every response `request` reads is also valid
against the OAI's own schemas (`tests/fixtures/oai-schemas`), oai_dc records included."""

from __future__ import annotations

import re
import shutil
import time
import urllib.parse
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from lxml import etree
from oaipmh_scythe import Scythe
from oaipmh_scythe import exceptions as scythe_errors
from oaipmh_scythe.config import HTTPConfig
from rdflib import Graph, URIRef
from rdflib.namespace import DC
from sickle import Sickle
from sickle import oaiexceptions as sickle_errors

from api.protocols.oai.tokens import TokenSigner
from api.protocols.rdf import EDM
from tests.e2e.sharing_support import (
    COLLECTION,
    MEDIA_COLLECTION,
    SECRET,
    Corpus,
    LiveServer,
    ingest,
    live_server,
    make_settings,
    shared_corpus,
    write_sources,
)

NS = {
    "o": "http://www.openarchives.org/OAI/2.0/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
}
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
PAGE = 3
DATESTAMP = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    # a copy: one test here ingests more items while a harvest is under way
    return shared_corpus().copy(tmp_path_factory.mktemp("oai") / "data")


@pytest.fixture(scope="module")
def server(corpus: Corpus) -> Iterator[LiveServer]:
    with live_server(corpus.data_dir, oai_page_size=PAGE) as live:
        yield live


def oai_id(server: LiveServer, item_id: str) -> str:
    return f"oai:127.0.0.1:{item_id}"


def request(server: LiveServer, query: str | list[tuple[str, str]]) -> etree._Element:
    if not isinstance(query, str):
        query = urllib.parse.urlencode(query)
    status, headers, body = server.get(f"/oai?{query}")
    assert status == 200, body
    assert headers["content-type"].startswith("text/xml")
    root = etree.fromstring(body)
    check_envelope(root, server)
    check_schema(root)
    return root


SCHEMAS = Path(__file__).parents[1] / "fixtures" / "oai-schemas"


@cache
def oai_schema(*, strict: bool) -> etree.XMLSchema:
    """OAI-PMH.xsd with oai_dc.xsd and oai-identifier.xsd beside it. Not `strict`: what a
    record's <metadata> holds is left unchecked (EDM's schemas are not here)."""

    class Local(etree.Resolver):
        def resolve(self, url: str, pubid: str, context: object) -> object:
            if strict or not url.endswith("/OAI-PMH.xsd"):
                return None
            text = (SCHEMAS / "OAI-PMH.xsd").read_text("utf-8")
            return self.resolve_string(text.replace('"strict"', '"lax"'), context)

    parser = etree.XMLParser()
    parser.resolvers.add(Local())
    driver = "".join(
        f'<xs:import namespace="{namespace}" schemaLocation="{name}"/>'
        for namespace, name in (
            ("http://www.openarchives.org/OAI/2.0/", "OAI-PMH.xsd"),
            ("http://www.openarchives.org/OAI/2.0/oai_dc/", "oai_dc.xsd"),
            ("http://www.openarchives.org/OAI/2.0/oai-identifier", "oai-identifier.xsd"),
        )
    )
    schema = etree.XML(
        f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{driver}</xs:schema>',
        parser,
        base_url=f"{SCHEMAS}/driver.xsd",
    )
    return etree.XMLSchema(schema)


def check_schema(root: etree._Element) -> None:
    """Valid against the OAI's schemas: strictly when every record is oai_dc, else (EDM) with
    <metadata> holding one RDF element."""
    payloads = [child for m in root.iter(f"{{{NS['o']}}}metadata") for child in m]
    strict = all(etree.QName(p).namespace == NS["oai_dc"] for p in payloads)
    if not strict:
        assert {p.tag for p in payloads} == {f"{{{RDF_NS}}}RDF"}
    schema = oai_schema(strict=strict)
    assert schema.validate(root), [str(error) for error in schema.error_log][:3]


def check_envelope(root: etree._Element, server: LiveServer) -> None:
    """What every response must carry (OAI-PMH 2.0 §3.2)."""
    assert root.tag == "{http://www.openarchives.org/OAI/2.0/}OAI-PMH"
    children = list(root)
    assert [etree.QName(c).localname for c in children[:2]] == ["responseDate", "request"]
    assert re.match(DATESTAMP, children[0].text or "")
    assert children[1].text == f"{server.url}/oai"
    assert len(children) == 3


def error_codes(root: etree._Element) -> list[str]:
    return [e.get("code") for e in root.findall("o:error", NS)]


# --- real clients harvest everything -------------------------------------------------------


def test_sickle_harvests_the_whole_repository(server: LiveServer, corpus: Corpus) -> None:
    sickle = Sickle(f"{server.url}/oai")
    records = list(sickle.ListRecords(metadataPrefix="oai_dc", ignore_deleted=False))
    live = {r.header.identifier: r for r in records if not r.header.deleted}
    deleted = {r.header.identifier for r in records if r.header.deleted}
    assert set(live) == {oai_id(server, i) for i in corpus.visible}
    assert deleted == {oai_id(server, i) for i in corpus.withdrawn}
    assert len(records) == len(live) + len(deleted) > PAGE  # so resumption tokens were used
    p1 = live[oai_id(server, corpus.ids["P1"])]
    assert "蔚县剪纸《戏曲人物》" in p1.metadata["title"]
    assert "Yuxian paper cutting: opera figures" in p1.metadata["title"]
    assert "CC-BY-4.0" in p1.metadata["rights"]
    headers = list(sickle.ListIdentifiers(metadataPrefix="edm", ignore_deleted=True))
    assert {h.identifier for h in headers} == set(live)


def test_sickle_over_post_and_selective_by_set(server: LiveServer, corpus: Corpus) -> None:
    sickle = Sickle(f"{server.url}/oai", http_method="POST")
    media = {
        r.header.identifier
        for r in sickle.ListRecords(metadataPrefix="oai_dc", set=f"collection:{MEDIA_COLLECTION}")
    }
    assert media == {oai_id(server, corpus.ids["V1"]), oai_id(server, corpus.ids["A1"])}
    drama = {
        h.identifier
        for h in sickle.ListIdentifiers(metadataPrefix="oai_dc", set="category:traditional-drama")
    }
    assert drama == {oai_id(server, corpus.ids["O1"])}
    every_category = {
        h.identifier
        for h in sickle.ListIdentifiers(
            metadataPrefix="oai_dc", set="category", ignore_deleted=True
        )
    }
    assert every_category == {oai_id(server, i) for i in corpus.visible}
    sets = {s.setSpec for s in sickle.ListSets()}
    assert {
        f"collection:{COLLECTION}",
        f"collection:{MEDIA_COLLECTION}",
        "collection",
        "category",
        "category:traditional-art",
    } <= sets
    identify = sickle.Identify()
    assert identify.granularity == "YYYY-MM-DDThh:mm:ssZ"
    assert identify.deletedRecord == "transient"
    assert {f.metadataPrefix for f in sickle.ListMetadataFormats()} == {"oai_dc", "edm"}


def test_oaipmh_scythe_harvests_the_whole_repository(server: LiveServer, corpus: Corpus) -> None:
    with Scythe(f"{server.url}/oai") as scythe:
        records = list(scythe.list_records(metadata_prefix="edm"))
        identify = scythe.identify()
        got = scythe.get_record(
            identifier=oai_id(server, corpus.ids["V1"]), metadata_prefix="oai_dc"
        )
    assert identify.baseURL == f"{server.url}/oai"
    live = [r for r in records if not r.header.deleted]
    assert {r.header.identifier for r in live} == {oai_id(server, i) for i in corpus.visible}
    assert "东莞龙舟赛" in got.metadata["title"]
    # the edm format is RDF/XML of the EDM mapping: it parses, with one ProvidedCHO per record
    for record in live:
        rdf = record.xml.find(".//{http://www.w3.org/1999/02/22-rdf-syntax-ns#}RDF")
        graph = Graph().parse(data=etree.tostring(rdf), format="xml")
        item_id = record.header.identifier.rsplit(":", 1)[1]
        cho = URIRef(f"{server.url}/items/{item_id}")
        assert (cho, None, EDM.ProvidedCHO) in graph
        assert graph.value(cho, DC.title) is not None


def test_oaipmh_scythe_over_post_reports_errors(server: LiveServer) -> None:
    config = HTTPConfig(http_method="POST")
    with Scythe(f"{server.url}/oai", http_config=config) as scythe:
        with pytest.raises(scythe_errors.CannotDisseminateFormat):
            list(scythe.list_records(metadata_prefix="marc21"))
        with pytest.raises(scythe_errors.IdDoesNotExist):
            scythe.get_record(identifier="oai:127.0.0.1:nothing-here", metadata_prefix="oai_dc")
        with pytest.raises(scythe_errors.BadResumptionToken):
            list(scythe.list_records(resumption_token="forged"))


def test_hidden_items_exist_nowhere(server: LiveServer, corpus: Corpus) -> None:
    sickle = Sickle(f"{server.url}/oai")
    everything = list(sickle.ListIdentifiers(metadataPrefix="oai_dc", ignore_deleted=False))
    seen = {h.identifier for h in everything}
    for item_id in corpus.hidden:
        assert oai_id(server, item_id) not in seen
        with pytest.raises(sickle_errors.IdDoesNotExist):
            sickle.GetRecord(identifier=oai_id(server, item_id), metadataPrefix="oai_dc")
        with pytest.raises(sickle_errors.IdDoesNotExist):
            list(sickle.ListMetadataFormats(identifier=oai_id(server, item_id)))


# --- each verb's required elements ----------------------------------------------------------


def test_identify_elements(server: LiveServer) -> None:
    root = request(server, "verb=Identify")
    identify = root.find("o:Identify", NS)
    names = [etree.QName(c).localname for c in identify]
    assert names[:7] == [
        "repositoryName",
        "baseURL",
        "protocolVersion",
        "adminEmail",
        "earliestDatestamp",
        "deletedRecord",
        "granularity",
    ]
    assert identify.findtext("o:protocolVersion", namespaces=NS) == "2.0"
    assert identify.findtext("o:baseURL", namespaces=NS) == f"{server.url}/oai"
    assert root.find("o:request", NS).get("verb") == "Identify"


def test_get_record_oai_dc_and_deleted(server: LiveServer, corpus: Corpus) -> None:
    identifier = oai_id(server, corpus.ids["P1"])
    root = request(
        server, [("verb", "GetRecord"), ("identifier", identifier), ("metadataPrefix", "oai_dc")]
    )
    assert root.find("o:request", NS).attrib == {
        "verb": "GetRecord",
        "identifier": identifier,
        "metadataPrefix": "oai_dc",
    }
    record = root.find("o:GetRecord/o:record", NS)
    assert record.findtext("o:header/o:identifier", namespaces=NS) == identifier
    assert record.find("o:header/o:datestamp", NS) is not None
    assert [s.text for s in record.findall("o:header/o:setSpec", NS)] == [
        f"collection:{COLLECTION}",
        "category:traditional-art",
    ]
    dc = record.find("o:metadata/oai_dc:dc", NS)
    titles = {
        t.get("{http://www.w3.org/XML/1998/namespace}lang"): t.text
        for t in dc.findall("dc:title", NS)
    }
    assert titles == {"zh": "蔚县剪纸《戏曲人物》", "en": "Yuxian paper cutting: opera figures"}
    assert dc.findtext("dc:type", namespaces=NS) == "Image"
    assert f"{server.url}/items/{corpus.ids['P1']}" in [
        e.text for e in dc.findall("dc:identifier", NS)
    ]

    gone = oai_id(server, corpus.ids["W1"])
    root = request(server, f"verb=GetRecord&identifier={gone}&metadataPrefix=oai_dc")
    header = root.find("o:GetRecord/o:record/o:header", NS)
    assert header.get("status") == "deleted"
    assert root.find("o:GetRecord/o:record/o:metadata", NS) is None


def test_resumption_tokens_carry_cursor_and_size(server: LiveServer, corpus: Corpus) -> None:
    total = len(corpus.visible | corpus.withdrawn)
    root = request(server, "verb=ListIdentifiers&metadataPrefix=oai_dc")
    seen: list[str] = []
    cursors = []
    while True:
        node = root.find("o:ListIdentifiers", NS)
        seen += [h.text for h in node.findall("o:header/o:identifier", NS)]
        token = node.find("o:resumptionToken", NS)
        assert token is not None
        assert token.get("completeListSize") == str(total)
        cursors.append(int(token.get("cursor")))
        if not token.text:
            break
        assert token.get("expirationDate")
        root = request(server, [("verb", "ListIdentifiers"), ("resumptionToken", token.text)])
    assert cursors == list(range(0, total, PAGE))
    assert len(seen) == len(set(seen)) == total


def test_ingest_during_a_harvest_loses_and_repeats_nothing(
    server: LiveServer, corpus: Corpus, tmp_path: Path
) -> None:
    first = request(server, "verb=ListIdentifiers&metadataPrefix=oai_dc")
    node = first.find("o:ListIdentifiers", NS)
    seen = [h.text for h in node.findall("o:header/o:identifier", NS)]
    token = node.findtext("o:resumptionToken", namespaces=NS)
    time.sleep(1.1)  # the new items get a later datestamp (seconds granularity), as in real life
    rows = [
        [
            f"new/item{n}.jpg",
            f"N{n}",
            f"新增条目{n}",
            f"New item {n}",
            "",
            "traditional-art",
            "北京市",
            "",
            "2024",
            "",
            "",
            "",
            "published",
            "public",
            "",
        ]
        for n in range(2)
    ]
    source = tmp_path / "more"
    manifest = write_sources(source, rows)
    added = ingest(make_settings(corpus.data_dir), source, manifest, COLLECTION, rows)
    while token:
        root = request(server, [("verb", "ListIdentifiers"), ("resumptionToken", token)])
        node = root.find("o:ListIdentifiers", NS)
        seen += [h.text for h in node.findall("o:header/o:identifier", NS)]
        token = node.findtext("o:resumptionToken", namespaces=NS)
    expected = corpus.visible | corpus.withdrawn | set(added.values())
    assert sorted(seen) == sorted(oai_id(server, i) for i in expected)


def test_from_and_until_in_both_granularities(server: LiveServer, corpus: Corpus) -> None:
    root = request(server, "verb=ListIdentifiers&metadataPrefix=oai_dc")
    stamps = sorted(d.text for d in root.iter("{http://www.openarchives.org/OAI/2.0/}datestamp"))
    day = stamps[0][:10]
    everything = request(
        server, f"verb=ListIdentifiers&metadataPrefix=oai_dc&from={day}&until={day}"
    )
    assert error_codes(everything) == []
    future = request(server, "verb=ListIdentifiers&metadataPrefix=oai_dc&from=2999-01-01")
    assert error_codes(future) == ["noRecordsMatch"]
    past = request(server, "verb=ListRecords&metadataPrefix=oai_dc&until=2000-01-01T00:00:00Z")
    assert error_codes(past) == ["noRecordsMatch"]
    last = stamps[-1]
    exact = request(server, f"verb=ListIdentifiers&metadataPrefix=oai_dc&from={last}")
    got = [d.text for d in exact.iter("{http://www.openarchives.org/OAI/2.0/}datestamp")]
    assert got and all(d >= last for d in got)


# --- every error code -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("", "badVerb"),
        ("verb=Frobnicate", "badVerb"),
        ("verb=Identify&verb=Identify", "badVerb"),
        ("verb=Identify&metadataPrefix=oai_dc", "badArgument"),
        ("verb=ListRecords", "badArgument"),
        ("verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=edm", "badArgument"),
        ("verb=ListRecords&metadataPrefix=oai_dc&colour=red", "badArgument"),
        ("verb=ListRecords&metadataPrefix=oai_dc&from=2020-13-45", "badArgument"),
        ("verb=ListRecords&metadataPrefix=oai_dc&from=2020-01-01T00:00:00", "badArgument"),
        ("verb=ListRecords&metadataPrefix=oai_dc&from=2021-01-01&until=2020-01-01", "badArgument"),
        (
            "verb=ListRecords&metadataPrefix=oai_dc&from=2020-01-01&until=2021-01-01T00:00:00Z",
            "badArgument",
        ),
        ("verb=ListIdentifiers&metadataPrefix=oai_dc&resumptionToken=x", "badArgument"),
        ("verb=GetRecord&identifier=oai:127.0.0.1:x", "badArgument"),
        ("verb=ListRecords&metadataPrefix=mods", "cannotDisseminateFormat"),
        (
            "verb=GetRecord&identifier=oai:127.0.0.1:no-such-item&metadataPrefix=oai_dc",
            "idDoesNotExist",
        ),
        ("verb=GetRecord&identifier=oai:elsewhere.org:x&metadataPrefix=oai_dc", "idDoesNotExist"),
        ("verb=ListMetadataFormats&identifier=oai:127.0.0.1:no-such-item", "idDoesNotExist"),
        ("verb=ListRecords&metadataPrefix=oai_dc&set=collection:nothing", "noRecordsMatch"),
        ("verb=ListRecords&resumptionToken=forged.token.value", "badResumptionToken"),
        ("verb=ListSets&resumptionToken=anything", "badResumptionToken"),
    ],
)
def test_error_codes(server: LiveServer, query: str, code: str) -> None:
    root = request(server, query)
    assert error_codes(root) == [code]
    request_element = root.find("o:request", NS)
    if code in ("badVerb", "badArgument"):
        assert request_element.attrib == {}  # the spec: no attributes echoed for these


def test_tampered_expired_and_misused_tokens(server: LiveServer) -> None:
    first = request(server, "verb=ListRecords&metadataPrefix=oai_dc")
    token = first.findtext("o:ListRecords/o:resumptionToken", namespaces=NS)
    assert token
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert error_codes(
        request(server, [("verb", "ListRecords"), ("resumptionToken", tampered)])
    ) == ["badResumptionToken"]
    other_verb = request(server, [("verb", "ListIdentifiers"), ("resumptionToken", token)])
    assert error_codes(other_verb) == ["badResumptionToken"]
    payload = TokenSigner(SECRET).loads(token)

    class Yesterday(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 2 * 24 * 3600

    signer = TokenSigner(SECRET)
    signer.serializer = URLSafeTimedSerializer(SECRET, salt=TokenSigner.SALT, signer=Yesterday)
    expired = signer.dumps(payload)
    root = request(server, [("verb", "ListRecords"), ("resumptionToken", expired)])
    assert error_codes(root) == ["badResumptionToken"]
    assert "expired" in root.findtext("o:error", namespaces=NS)
    forged = TokenSigner("not-the-server-secret").dumps(payload)
    assert error_codes(request(server, [("verb", "ListRecords"), ("resumptionToken", forged)])) == [
        "badResumptionToken"
    ]


def test_tokens_survive_a_restart_with_the_same_secret(corpus: Corpus, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(corpus.data_dir, data)
    with live_server(data, oai_page_size=PAGE) as first:
        root = request(first, "verb=ListIdentifiers&metadataPrefix=oai_dc")
        token = root.findtext("o:ListIdentifiers/o:resumptionToken", namespaces=NS)
    with live_server(data, oai_page_size=PAGE) as second:
        status, _, body = second.get(
            "/oai?" + urllib.parse.urlencode({"verb": "ListIdentifiers", "resumptionToken": token})
        )
    root = etree.fromstring(body)
    assert status == 200 and error_codes(root) == []
    assert root.findall("o:ListIdentifiers/o:header", NS)


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("identifier", "\x00"),
        ("identifier", "\uffff"),
        ("metadataPrefix", "\x01"),
        ("set", "a\x1fb"),
    ],
)
def test_arguments_xml_cannot_carry_are_bad_arguments(
    server: LiveServer, method: str, name: str, value: str
) -> None:
    """An argument is echoed in <request>: one holding a character XML cannot carry must be a
    badArgument naming it, over GET and POST alike, not a failed response."""
    verb = "GetRecord" if name == "identifier" else "ListIdentifiers"
    args = {"verb": verb, "metadataPrefix": "oai_dc", name: value}
    if verb == "GetRecord":
        args.setdefault("identifier", "oai:127.0.0.1:x")
    encoded = urllib.parse.urlencode(args)
    if method == "GET":
        status, headers, body = server.get(f"/oai?{encoded}")
    else:
        status, headers, body = server.post(
            "/oai", encoded.encode(), {"Content-Type": "application/x-www-form-urlencoded"}
        )
    assert status == 200, body
    root = etree.fromstring(body)
    check_envelope(root, server)
    assert error_codes(root) == ["badArgument"]
    assert f"'{name}'" in root.findtext("o:error", namespaces=NS)
    assert root.find("o:request", NS).attrib == {}


def test_publisher_and_repository_name_are_the_institutions_names(
    corpus: Corpus, tmp_path: Path
) -> None:
    """dc:publisher and the edm format's edm:dataProvider carry the institution's names
    (settings, or its authority record) in their languages; an institution nobody named is
    written as its code."""
    from fastapi.testclient import TestClient

    from api.http.app import create_app

    data = tmp_path / "data"
    shutil.copytree(corpus.data_dir, data)
    query = {"verb": "GetRecord", "metadataPrefix": "oai_dc"}
    names = {  # the corpus's items are the institution wx-centre's
        "institution": "wx-centre",
        "institution_name": "蔚县文化馆",
        "institution_name_en": "Yuxian Culture Centre",
    }
    for given, publishers, title in (
        (names, [("蔚县文化馆", "zh"), ("Yuxian Culture Centre", "en")], "Heritage (蔚县文化馆)"),
        ({"institution": "wx-centre"}, [("wx-centre", None)], "Heritage (wx-centre)"),
    ):
        with TestClient(create_app(make_settings(data, **given))) as client:
            identifier = client.get("/oai", params={"verb": "Identify"})
            found = etree.fromstring(identifier.content).findtext(
                "o:Identify/o:repositoryName", namespaces=NS
            )
            assert found == title
            host = urllib.parse.urlsplit(client.app.state.services.settings.base_url).hostname
            item = f"oai:{host}:{corpus.ids['P1']}"
            root = etree.fromstring(
                client.get("/oai", params={**query, "identifier": item}).content
            )
            dc = root.find("o:GetRecord/o:record/o:metadata/oai_dc:dc", NS)
            assert dc is not None, etree.tostring(root)
            shown = [
                (e.text, e.get("{http://www.w3.org/XML/1998/namespace}lang"))
                for e in dc.findall("dc:publisher", NS)
            ]
            assert shown == publishers
            edm = client.get("/oai", params={**query, "identifier": item, "metadataPrefix": "edm"})
            rdf = etree.fromstring(edm.content).find(f".//{{{RDF_NS}}}RDF")
            assert rdf is not None, edm.text
            graph = Graph().parse(data=etree.tostring(rdf), format="xml")
            aggregation = next(graph.subjects(EDM.aggregatedCHO, None))
            providers = {(str(p), p.language) for p in graph.objects(aggregation, EDM.dataProvider)}
            assert providers == set(publishers[:1])  # EDM allows one provider
