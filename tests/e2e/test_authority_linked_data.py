"""Linked data for authorities: an item linked to a project and a bearer names them by the URI of
their pages in its RDF (Turtle and JSON-LD), in its OAI-PMH `edm` record and, with links, in its
IIIF manifest; a hidden item still shows nothing anywhere."""

from __future__ import annotations

import html
from pathlib import Path

from fastapi.testclient import TestClient
from iiif_prezi3 import Manifest
from lxml import etree
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DC, OWL, RDF, SDO, SKOS

from api.http.app import create_app
from api.protocols.rdf import EDM
from api.settings import Settings
from tests.e2e.authority_support import authority_catalogue, heritage

BASE = "https://heritage.test"
MANIFEST = (
    "文件,标题,项目,传承人,状态,访问权限\n"
    "a.jpg,窗花《喜鹊登梅》,剪纸,黄丽华,published,public\n"
    "b.jpg,未审草稿,剪纸,黄丽华,draft,public\n"
)
PROJECT = URIRef(f"{BASE}/projects/project-vii-16")
BEARER = URIRef(f"{BASE}/bearers/bearer-huang-lihua-1950")


def _repository(tmp_path: Path) -> tuple[Settings, dict[str, str]]:
    data, items = authority_catalogue(tmp_path, MANIFEST)
    settings = Settings(
        data_dir=data, storage="local", search="sqlite", base_url=BASE, _env_file=None
    )
    return settings, items


def _check_graph(g: Graph, item_id: str, base: str = BASE) -> None:
    cho = URIRef(f"{base}/items/{item_id}")
    project = URIRef(f"{base}/projects/project-vii-16")
    bearer = URIRef(f"{base}/bearers/bearer-huang-lihua-1950")
    assert (cho, SDO.about, project) in g and (cho, DC.subject, project) in g
    assert {SKOS.Concept, SDO.CreativeWork} <= set(g.objects(project, RDF.type))
    assert (project, SKOS.prefLabel, Literal("剪纸", lang="zh")) in g
    assert (project, SKOS.notation, Literal("Ⅶ-16")) in g
    assert (cho, DC.contributor, bearer) in g and (cho, SDO.contributor, bearer) in g
    assert {EDM.Agent, SDO.Person} <= set(g.objects(bearer, RDF.type))
    assert set(g.objects(bearer, SDO.name)) == {
        Literal("黄丽华", lang="zh"), Literal("Huang Lihua", lang="en")
    }  # fmt: skip
    assert (bearer, OWL.sameAs, URIRef("http://www.wikidata.org/entity/Q42")) in g


def test_project_and_bearer_in_rdf_oai_and_iiif(tmp_path: Path) -> None:
    settings, items = _repository(tmp_path)
    shown, draft = items["窗花《喜鹊登梅》"], items["未审草稿"]
    with TestClient(create_app(settings)) as client:
        for fmt, syntax in (("turtle", "turtle"), ("jsonld", "json-ld"), ("rdfxml", "xml")):
            answer = client.get(f"/api/items/{shown}?format={fmt}")
            assert answer.status_code == 200, answer.text
            _check_graph(Graph().parse(data=answer.content, format=syntax), shown)

        query = {"verb": "GetRecord", "metadataPrefix": "edm"}
        oai = client.get("/oai", params=query | {"identifier": f"oai:heritage.test:{shown}"})
        assert oai.status_code == 200
        root = etree.fromstring(oai.content)
        (rdf,) = root.iter("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}RDF")
        _check_graph(Graph().parse(data=etree.tostring(rdf), format="xml"), shown)

        document = client.get(f"/iiif/{shown}/manifest").json()
        Manifest(**document)
        metadata = {entry["label"]["en"][0]: entry for entry in document["metadata"]}
        assert metadata["Project"]["label"]["zh"] == ["项目"]
        link = f'<a href="{PROJECT}">剪纸</a>'  # the seed list has no English names
        assert metadata["Project"]["value"] == {"zh": [link], "en": [link]}
        assert metadata["Bearer"]["label"]["zh"] == ["传承人"]
        assert metadata["Bearer"]["value"] == {
            "zh": [f'<a href="{BEARER}">黄丽华</a>'],
            "en": [f'<a href="{BEARER}">Huang Lihua</a>'],
        }
        for entry in metadata["Bearer"]["value"]["zh"]:  # the link is what the page serves
            page = client.get(html.unescape(entry.split('"')[1]).removeprefix(BASE))
            assert page.status_code == 200 and "黄丽华" in page.text

        # the draft links the same authorities and still exists nowhere
        assert client.get(f"/api/items/{draft}?format=turtle").status_code == 404
        assert client.get(f"/iiif/{draft}/manifest").status_code == 404
        hidden = client.get("/oai", params=query | {"identifier": f"oai:heritage.test:{draft}"})
        assert b"idDoesNotExist" in hidden.content and "未审草稿" not in hidden.text


def test_exported_collection_names_project_and_bearer(tmp_path: Path) -> None:
    settings, items = _repository(tmp_path)
    out = tmp_path / "papercuts.ttl"
    ran = heritage(settings.data_dir, "export", "-c", "papercuts", "-o", str(out))
    assert ran.exit_code == 0, ran.output
    g = Graph().parse(out, format="turtle")
    base = Settings.model_fields["base_url"].default  # `heritage` runs without HERITAGE_BASE_URL
    _check_graph(g, items["窗花《喜鹊登梅》"], base)
    assert URIRef(f"{base}/items/{items['未审草稿']}") not in set(g.subjects())
