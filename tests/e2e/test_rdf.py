"""RDF of items over real HTTP (content negotiation and ?format=) and the `heritage export`
command, every output parsed back with rdflib."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DC, RDF

from api.protocols.rdf import EDM, FORMATS, item_uri, record_graph
from tests.e2e.sharing_support import (
    COLLECTION,
    Corpus,
    LiveServer,
    make_settings,
    name_institution,
    run_heritage,
)

BASE_URL = "https://ich.example.org"
MEDIA_TYPES = {name: media_type for name, (_, media_type) in FORMATS.items()}


def stored(corpus: Corpus, key: str) -> dict:
    from api.services import Services

    services = Services.from_settings(corpus.settings())
    try:
        return services.records.load(corpus.ids[key])
    finally:
        services.close()


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_accept_header_selects_the_rdf_syntax(server: LiveServer, corpus: Corpus, fmt: str) -> None:
    item_id = corpus.ids["P1"]
    status, headers, body = server.get(
        f"/api/items/{item_id}", headers={"Accept": MEDIA_TYPES[fmt]}
    )
    assert status == 200
    assert headers["content-type"].startswith(MEDIA_TYPES[fmt])
    assert "Accept" in headers["vary"]
    graph = Graph().parse(data=body, format=FORMATS[fmt][0])
    cho = URIRef(f"{server.url}/items/{item_id}")
    assert (cho, RDF.type, EDM.ProvidedCHO) in graph
    assert Literal("蔚县剪纸《戏曲人物》", lang="zh") in set(graph.objects(cho, DC.title))
    # exactly the mapping of the stored record, nothing lost on the way
    assert isomorphic(graph, record_graph(stored(corpus, "P1"), server.url))


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_format_parameter_overrides_accept(server: LiveServer, corpus: Corpus, fmt: str) -> None:
    status, headers, body = server.get(
        f"/api/items/{corpus.ids['V1']}?format={fmt}", headers={"Accept": "application/json"}
    )
    assert status == 200 and headers["content-type"].startswith(MEDIA_TYPES[fmt])
    graph = Graph().parse(data=body, format=FORMATS[fmt][0])
    cho = URIRef(f"{server.url}/items/{corpus.ids['V1']}")
    assert graph.value(cho, EDM.type) == Literal("VIDEO")


@pytest.mark.parametrize(
    "accept", [None, "*/*", "application/json", "text/html,application/xhtml+xml,*/*;q=0.8"]
)
def test_json_stays_the_default(server: LiveServer, corpus: Corpus, accept: str | None) -> None:
    status, headers, body = server.get(
        f"/api/items/{corpus.ids['P1']}", headers={"Accept": accept} if accept else {}
    )
    assert status == 200 and headers["content-type"].startswith("application/json")
    assert b'"schema_version"' in body


@pytest.mark.parametrize("accept", ["image/png", "text/turtle;q=0", "application/xml"])
def test_unservable_accept_is_406(server: LiveServer, corpus: Corpus, accept: str) -> None:
    status, _, body = server.get(f"/api/items/{corpus.ids['P1']}", headers={"Accept": accept})
    assert status == 406
    assert b"text/turtle" in body  # the message lists what is on offer


def test_unknown_format_parameter_is_refused(server: LiveServer, corpus: Corpus) -> None:
    status, _, body = server.get(f"/api/items/{corpus.ids['P1']}?format=n3")
    assert status == 422 and b"format" in body


def test_hidden_items_have_no_rdf(server: LiveServer, corpus: Corpus) -> None:
    for item_id in corpus.hidden | corpus.withdrawn:
        status, _, _ = server.get(f"/api/items/{item_id}", headers={"Accept": "text/turtle"})
        assert status == 404


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_export_command_dumps_the_public_collection(
    corpus: Corpus, tmp_path: Path, fmt: str
) -> None:
    output = tmp_path / f"dump.{fmt}"
    result = run_heritage(
        corpus.data_dir,
        *("export", "--format", fmt, "--collection", COLLECTION, "--output", str(output)),
        base_url=BASE_URL,
    )
    assert result.returncode == 0, result.stderr
    graph = Graph().parse(output, format=FORMATS[fmt][0])
    chos = {str(s).rsplit("/", 1)[1] for s in graph.subjects(RDF.type, EDM.ProvidedCHO)}
    assert chos == {corpus.ids[k] for k in ("P1", "P2", "G1", "O1")}
    expected = Graph()
    for key in ("P1", "P2", "G1", "O1"):
        record_graph(stored(corpus, key), BASE_URL, expected)
    collection = URIRef(f"{BASE_URL}/collections/{COLLECTION}")
    assert graph.value(collection, URIRef("http://purl.org/dc/terms/title")) is not None
    assert all(triple in graph for triple in expected)


def test_the_provider_is_the_institutions_names_else_its_code(
    corpus: Corpus, tmp_path: Path
) -> None:
    """edm:dataProvider and edm:provider carry the name of the item's institution (the
    settings' for the default institution, else its authority record; one, the Chinese name
    first, as EDM allows one provider), language-tagged, over
    HTTP and in `heritage export`; an institution nobody named stays its code, since EDM
    requires a provider."""
    from fastapi.testclient import TestClient

    from api.http.app import create_app

    data = tmp_path / "data"
    shutil.copytree(corpus.data_dir, data)
    item_id = corpus.ids["P2"]  # the institution wx-centre's

    def providers(fmt: str, **changes: str) -> set[Literal]:
        settings = make_settings(data, **changes)
        with TestClient(create_app(settings)) as client:
            answer = client.get(f"/api/items/{item_id}", params={"format": fmt})
        assert answer.status_code == 200, answer.text
        graph = Graph().parse(data=answer.content, format=FORMATS[fmt][0])
        aggregation = URIRef(f"{item_uri(settings.base_url, item_id)}#aggregation")
        found = set(graph.objects(aggregation, EDM.dataProvider))
        assert set(graph.objects(aggregation, EDM.provider)) == found
        return found

    named = {
        "institution": "wx-centre",
        "institution_name": "蔚县文化馆",
        "institution_name_en": "Yuxian Culture Centre",
    }
    for fmt in ("turtle", "jsonld"):
        assert providers(fmt) == {Literal("wx-centre")}
        assert providers(fmt, **named) == {Literal("蔚县文化馆", lang="zh")}
    name_institution(data, "wx-centre", {"zh": "蔚县剪纸博物馆"})
    assert providers("jsonld") == {Literal("蔚县剪纸博物馆", lang="zh")}
    # `heritage export` names it the same way
    dump = run_heritage(
        data, "export", "--collection", COLLECTION, "--format", "turtle", base_url=BASE_URL
    )
    assert dump.returncode == 0, dump.stderr
    exported = Graph().parse(data=dump.stdout, format="turtle")
    aggregation = URIRef(f"{item_uri(BASE_URL, item_id)}#aggregation")
    assert set(exported.objects(aggregation, EDM.dataProvider)) == {
        Literal("蔚县剪纸博物馆", lang="zh")
    }


def test_export_command_errors(corpus: Corpus) -> None:
    missing = run_heritage(corpus.data_dir, "export", "--collection", "no-such-collection")
    assert missing.returncode == 2 and "no public records" in missing.stderr
    bad = run_heritage(corpus.data_dir, "export", "--collection", "Bad Slug!")
    assert bad.returncode == 2 and "not a valid slug" in bad.stderr
    to_stdout = run_heritage(
        corpus.data_dir, "export", "--collection", COLLECTION, "--format", "turtle"
    )
    assert to_stdout.returncode == 0
    assert len(Graph().parse(data=to_stdout.stdout, format="turtle")) > 50
