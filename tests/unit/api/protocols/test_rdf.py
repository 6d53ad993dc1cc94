"""The EDM + schema.org mapping: every mapped field survives a round trip through each syntax."""

from __future__ import annotations

from typing import Any

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DC, DCTERMS, OWL, RDF, SDO, SKOS

from api.protocols.rdf import (
    EBUCORE,
    EDM,
    FORMATS,
    HER,
    ORE,
    WGS84,
    collection_graph,
    file_uri,
    item_uri,
    record_graph,
    safe_iri,
    serialize,
    standard_rights_uri,
)
from schemas import category_by_code, validate_record
from tests.unit.support.records import minimal_record

BASE = "https://heritage.example.net"
SHA = "ab" * 32


def _file(role: str, media_type: str, **extra: Any) -> dict[str, Any]:
    return {
        "role": role,
        "key": f"blobs/sha256/ab/ab/{SHA}",
        "media_type": media_type,
        "bytes": 4321,
        "sha256": SHA,
        **extra,
    }


def full_record(**changes: Any) -> dict[str, Any]:
    record = minimal_record(
        identifier="WX-001",
        institution="蔚县文化馆",
        description={"zh": "蔚县剪纸，戏曲人物。", "en": "Yuxian paper cutting of opera figures."},
        category="traditional-art",
        region={
            "name": "河北省蔚县",
            "name_en": "Yu County, Hebei",
            "code": "130726",
            "lat": 39.84,
            "lon": 114.57,
        },
        date={"edtf": "1985", "display": "1985年", "earliest": 1985, "latest": 1985},
        people=[
            {"name": "王老汉", "name_en": "Wang Laohan", "role": "bearer", "level": "national"},
            {"name": "李摄影", "role": "photographer"},
            {"name": "张创作", "role": "creator"},
        ],
        subjects=["剪纸", "戏曲人物"],
        language=["zh"],
        rights={
            "license": "CC-BY-NC-4.0",
            "statement": {"zh": "仅供研究", "en": "Research only"},
            "holder": "蔚县文化馆",
        },
        files=[
            _file("original", "image/tiff", name="蔚县 剪纸.tif", width=4000, height=3000),
            _file("access", "image/jpeg", width=2048, height=1536),
            _file("thumbnail", "image/jpeg", width=400, height=300),
            _file("original", "image/tiff", name="second.tif", width=4000, height=3000),
            _file("access", "image/jpeg", width=2048, height=1536),
        ],
    )
    record.update(changes)
    validate_record(record)
    return record


def parsed(record: dict[str, Any], fmt: str, base: str = BASE) -> tuple[Graph, Graph]:
    original = record_graph(record, base)
    back = Graph().parse(data=serialize(original, fmt), format=FORMATS[fmt][0])
    return original, back


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_round_trip_keeps_the_whole_graph(fmt: str) -> None:
    original, back = parsed(full_record(), fmt)
    assert len(back) == len(original) > 80
    assert isomorphic(original, back)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_mapped_field_is_readable_after_parsing(fmt: str) -> None:
    record = full_record()
    _, g = parsed(record, fmt)
    cho = URIRef(f"{BASE}/items/{record['id']}")
    agg = URIRef(f"{cho}#aggregation")
    assert (cho, RDF.type, EDM.ProvidedCHO) in g
    assert (cho, RDF.type, SDO.ImageObject) in g
    assert g.value(cho, EDM.type) == Literal("IMAGE")
    titles = set(g.objects(cho, DC.title))
    assert titles == {
        Literal(record["title"]["zh"], lang="zh"),
        Literal(record["title"]["en"], lang="en"),
    }
    assert set(g.objects(cho, SDO.name)) == titles
    assert Literal(record["description"]["en"], lang="en") in set(g.objects(cho, DC.description))
    assert {str(v) for v in g.objects(cho, DC.identifier)} == {record["id"], "WX-001"}
    assert {str(v) for v in g.objects(cho, DC.subject)} == set(record["subjects"])
    assert {str(v) for v in g.objects(cho, DC.language)} == {"zh"}
    # category: a SKOS concept with both labels
    concept = g.value(cho, DC.type)
    category = category_by_code("traditional-art")
    assert concept == URIRef("https://heritage.example.org/vocab/ich-categories/traditional-art")
    assert (concept, RDF.type, SKOS.Concept) in g
    assert set(g.objects(concept, SKOS.prefLabel)) == {
        Literal(category.zh, lang="zh"),
        Literal(category.en, lang="en"),
    }
    assert g.value(concept, SKOS.broader) is not None
    # place
    place = g.value(cho, DCTERMS.spatial)
    assert (place, RDF.type, EDM.Place) in g
    assert Literal("河北省蔚县", lang="zh") in set(g.objects(place, SKOS.prefLabel))
    assert Literal("Yu County, Hebei", lang="en") in set(g.objects(place, SKOS.prefLabel))
    assert float(g.value(place, WGS84.lat)) == pytest.approx(39.84)
    assert str(g.value(place, DCTERMS.identifier)) == "130726"
    # date
    assert str(g.value(cho, DCTERMS.created)) == "1985"
    assert str(g.value(cho, DC.date)) == "1985年"
    # people: creator vs contributors, with role and level
    creators = list(g.objects(cho, DC.creator))
    assert len(creators) == 1 and g.value(creators[0], SKOS.prefLabel) == Literal(
        "张创作", lang="zh"
    )
    contributors = {str(g.value(a, HER.role)): a for a in g.objects(cho, DC.contributor)}
    assert set(contributors) == {"bearer", "photographer"}
    bearer = contributors["bearer"]
    assert str(g.value(bearer, HER.level)) == "national"
    assert Literal("Wang Laohan", lang="en") in set(g.objects(bearer, SKOS.prefLabel))
    # aggregation and rights
    assert g.value(agg, EDM.aggregatedCHO) == cho
    assert g.value(agg, RDF.type) == ORE.Aggregation
    assert g.value(agg, EDM.rights) == URIRef("http://creativecommons.org/licenses/by-nc/4.0/")
    assert Literal("Research only", lang="en") in set(g.objects(agg, DC.rights))
    assert str(g.value(agg, DCTERMS.rightsHolder)) == "蔚县文化馆"
    assert str(g.value(agg, EDM.dataProvider)) == "蔚县文化馆"
    assert g.value(agg, EDM.isShownAt) == cho
    assert g.value(agg, EDM.isShownBy) == file_uri(BASE, record["id"], "access")
    assert g.value(agg, EDM.object) == file_uri(BASE, record["id"], "thumbnail")
    views = set(g.objects(agg, EDM.hasView))
    assert views == {
        file_uri(BASE, record["id"], "original"),
        file_uri(BASE, record["id"], "original", 2),
        file_uri(BASE, record["id"], "access", 2),
    }
    # one WebResource per file, with its technical facts
    resources = set(g.subjects(RDF.type, EDM.WebResource))
    assert len(resources) == len(record["files"])
    second = URIRef(f"{BASE}/api/items/{record['id']}/files/original?n=2")
    assert second in resources
    assert str(g.value(second, EBUCORE.hasMimeType)) == "image/tiff"
    assert int(g.value(second, EBUCORE.width)) == 4000
    assert int(g.value(second, EBUCORE.fileByteSize)) == 4321
    assert str(g.value(second, HER.sha256)) == SHA
    assert str(g.value(second, HER.role)) == "original"


@pytest.mark.parametrize(
    ("media_type", "mime", "edm_type", "schema_type"),
    [
        ("image", "image/jpeg", "IMAGE", SDO.ImageObject),
        ("video", "video/mp4", "VIDEO", SDO.VideoObject),
        ("audio", "audio/mp4", "SOUND", SDO.AudioObject),
        ("document", "application/pdf", "TEXT", SDO.CreativeWork),
        ("mixed", "video/mp4", "VIDEO", SDO.CreativeWork),
    ],
)
def test_types_follow_the_media_type(
    media_type: str, mime: str, edm_type: str, schema_type: URIRef
) -> None:
    record = minimal_record(media_type=media_type, files=[_file("original", mime, duration=12.5)])
    g = record_graph(record, BASE)
    cho = item_uri(BASE, record["id"])
    assert g.value(cho, EDM.type) == Literal(edm_type)
    assert (cho, RDF.type, schema_type) in g
    original = file_uri(BASE, record["id"], "original")
    assert float(g.value(original, EBUCORE.duration)) == 12.5
    assert str(g.value(original, SDO.duration)) == "PT12.5S"


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_spaces_and_chinese_in_iris_are_escaped_never_broken(fmt: str) -> None:
    record = minimal_record(rights={"license": "https://example.org/许可 协议/v1?x=a b"})
    base = "http://文化馆.example/heritage archive/"
    original, back = parsed(record, fmt, base)
    assert isomorphic(original, back)
    iris = {str(term) for triple in back for term in triple if isinstance(term, URIRef)}
    assert all(" " not in iri and iri.isascii() for iri in iris)
    cho = URIRef(
        "http://%E6%96%87%E5%8C%96%E9%A6%86.example/heritage%20archive/items/" + record["id"]
    )
    assert (cho, RDF.type, EDM.ProvidedCHO) in back
    licence = back.value(URIRef(f"{cho}#aggregation"), DCTERMS.license)
    assert str(licence) == "https://example.org/%E8%AE%B8%E5%8F%AF%20%E5%8D%8F%E8%AE%AE/v1?x=a%20b"
    # a licence that is no standard statement leaves edm:rights "undetermined", never empty
    assert back.value(URIRef(f"{cho}#aggregation"), EDM.rights) == URIRef(
        "http://rightsstatements.org/vocab/UND/1.0/"
    )


def test_safe_iri_keeps_escapes_and_encodes_a_stray_percent() -> None:
    assert str(safe_iri("http://x.org/a%20b/100% 好")) == "http://x.org/a%20b/100%25%20%E5%A5%BD"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("CC-BY-4.0", "http://creativecommons.org/licenses/by/4.0/"),
        ("cc-by-nc-sa-3.0", "http://creativecommons.org/licenses/by-nc-sa/3.0/"),
        ("CC-BY-3.0-CN", "http://creativecommons.org/licenses/by/3.0/cn/"),
        ("CC0-1.0", "http://creativecommons.org/publicdomain/zero/1.0/"),
        (
            "https://creativecommons.org/licenses/by-nd/4.0",
            "http://creativecommons.org/licenses/by-nd/4.0/",
        ),
        ("InC", "http://rightsstatements.org/vocab/InC/1.0/"),
        ("inc-edu", "http://rightsstatements.org/vocab/InC-EDU/1.0/"),
        (
            "https://rightsstatements.org/page/NoC-US/1.0/?language=en",
            "http://rightsstatements.org/vocab/NoC-US/1.0/",
        ),
        ("All rights reserved", None),
        ("https://example.org/licence", None),
        (None, None),
    ],
)
def test_standard_rights_uri(given: str | None, expected: str | None) -> None:
    assert standard_rights_uri(given) == expected


def test_free_text_licence_becomes_a_rights_literal() -> None:
    record = minimal_record(rights={"license": "版权所有，翻印必究"})
    g = record_graph(record, BASE)
    agg = URIRef(f"{item_uri(BASE, record['id'])}#aggregation")
    assert Literal("版权所有，翻印必究") in set(g.objects(agg, DC.rights))
    assert g.value(agg, DCTERMS.license) is None


def test_a_collection_with_nothing_to_show_is_not_described() -> None:
    description = {"slug": "test", "title": {"zh": "测试专题", "en": "Test collection"}}
    graph = collection_graph(iter([]), BASE, description)
    assert len(graph) == 0


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_collection_graph_holds_every_record_and_the_collection(fmt: str) -> None:
    first, second = full_record(), minimal_record(id="test-second-item")
    description = {"slug": "test", "title": {"zh": "测试专题", "en": "Test collection"}}
    graph = collection_graph([first, second], BASE, description)
    back = Graph().parse(data=serialize(graph, fmt), format=FORMATS[fmt][0])
    assert isomorphic(graph, back)
    assert set(back.subjects(RDF.type, EDM.ProvidedCHO)) == {
        item_uri(BASE, first["id"]),
        item_uri(BASE, second["id"]),
    }
    node = URIRef(f"{BASE}/collections/test")
    assert Literal("测试专题", lang="zh") in set(back.objects(node, DCTERMS.title))


# --- linked authorities ----------------------------------------------------------------------

PROJECT = {
    "id": "project-vii-16",
    "kind": "project",
    "names": {"zh": "剪纸", "en": "Paper cutting"},
    "alternative_names": ["蔚县剪纸"],
    "list_number": "Ⅶ-16",
    "level": "national",
}
BEARER = {
    "id": "bearer-wang-laohan-1930",
    "kind": "bearer",
    "names": {"zh": "王老汉", "en": "Wang Laohan"},
    "same_as": ["Q42"],
}
LINKS = [
    {"kind": "project", "id": "project-vii-16"},
    {"kind": "bearer", "id": "bearer-wang-laohan-1930"},
    {"kind": "institution", "id": "institution-yu-xian-wen-hua-guan"},
]


def test_linked_authorities_are_uris_typed_and_labelled_from_the_lookup() -> None:
    record = full_record(authorities=LINKS)
    validate_record(record)
    known = {a["id"]: a for a in (PROJECT, BEARER)}
    asked: list[str] = []

    def lookup(authority_id: str) -> dict[str, Any] | None:
        asked.append(authority_id)
        return known.get(authority_id)

    for fmt in ("turtle", "jsonld"):
        g = Graph().parse(data=serialize(record_graph(record, BASE, authorities=lookup), fmt),
                          format=FORMATS[fmt][0])  # fmt: skip
        cho = item_uri(BASE, record["id"])
        project = URIRef(f"{BASE}/projects/project-vii-16")
        bearer = URIRef(f"{BASE}/bearers/bearer-wang-laohan-1930")
        institution = URIRef(f"{BASE}/authorities/institution-yu-xian-wen-hua-guan")
        assert (cho, SDO.about, project) in g and (cho, DC.subject, project) in g
        assert {SKOS.Concept, SDO.CreativeWork} <= set(g.objects(project, RDF.type))
        assert set(g.objects(project, SKOS.prefLabel)) == {
            Literal("剪纸", lang="zh"), Literal("Paper cutting", lang="en")
        }  # fmt: skip
        assert (project, SKOS.notation, Literal("Ⅶ-16")) in g
        assert (project, SKOS.altLabel, Literal("蔚县剪纸")) in g
        assert (cho, DC.contributor, bearer) in g and (cho, SDO.contributor, bearer) in g
        assert {EDM.Agent, SDO.Person} <= set(g.objects(bearer, RDF.type))
        assert (bearer, SDO.name, Literal("王老汉", lang="zh")) in g
        assert (bearer, HER.role, Literal("bearer")) in g
        assert (bearer, OWL.sameAs, URIRef("http://www.wikidata.org/entity/Q42")) in g
        # the item's own `people` entry for the bearer is the same person
        assert (URIRef(f"{cho}#agent-1"), OWL.sameAs, bearer) in g
        # an institution with no page (and no record here) is linked, typed, not labelled
        assert (cho, DC.relation, institution) in g
        assert (institution, RDF.type, SDO.Organization) in g
        assert not list(g.objects(institution, SKOS.prefLabel))
    assert set(asked) == {a["id"] for a in LINKS}


def test_without_a_lookup_linked_authorities_are_uris_only() -> None:
    record = full_record(authorities=LINKS[:2])
    g = record_graph(record, BASE)
    project = URIRef(f"{BASE}/projects/project-vii-16")
    assert (item_uri(BASE, record["id"]), SDO.about, project) in g
    assert (project, DCTERMS.identifier, Literal("project-vii-16")) in g
    assert not list(g.objects(project, SKOS.prefLabel))
    assert not list(g.subject_objects(OWL.sameAs))


def test_a_lookup_answering_another_kind_labels_nothing() -> None:
    """A link naming a project id that holds a bearer (a stale link) gets no borrowed names."""
    record = full_record(authorities=[{"kind": "project", "id": "project-vii-16"}])
    g = record_graph(record, BASE, authorities=lambda _: BEARER)
    assert not list(g.objects(URIRef(f"{BASE}/projects/project-vii-16"), SDO.name))


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_the_provider_is_the_institutions_names_in_their_languages(fmt: str) -> None:
    record = minimal_record(institution="wx-centre")
    names = {"wx-centre": {"zh": "蔚县文化馆", "en": "Yuxian Culture Centre"}}
    asked: list[str] = []

    def institutions(code: str) -> dict[str, str] | None:
        asked.append(code)
        return names.get(code)

    graph = record_graph(record, BASE, institutions=institutions)
    g = Graph().parse(data=serialize(graph, fmt), format=FORMATS[fmt][0])
    agg = URIRef(f"{item_uri(BASE, record['id'])}#aggregation")
    named = {Literal("蔚县文化馆", lang="zh")}  # one provider (EDM), the Chinese name first
    assert set(g.objects(agg, EDM.dataProvider)) == named
    assert set(g.objects(agg, EDM.provider)) == named
    assert asked == ["wx-centre"]
    english = record_graph(record, BASE, institutions=lambda _: {"en": "Yuxian Culture Centre"})
    assert set(english.objects(agg, EDM.dataProvider)) == {
        Literal("Yuxian Culture Centre", lang="en")
    }


def test_an_institution_nobody_named_stays_its_code_and_none_is_heritage() -> None:
    """EDM requires a provider: without a name, the code still says whose record it is."""
    for institution, expected in (("wx-centre", "wx-centre"), (None, "heritage")):
        record = minimal_record(**({"institution": institution} if institution else {}))
        g = record_graph(record, BASE, institutions=lambda _: None)
        agg = URIRef(f"{item_uri(BASE, record['id'])}#aggregation")
        assert set(g.objects(agg, EDM.dataProvider)) == {Literal(expected)}
        assert set(g.objects(agg, EDM.provider)) == {Literal(expected)}


def test_a_collection_graph_names_each_records_institution() -> None:
    first = minimal_record(institution="wx-centre")
    second = minimal_record(id="test-ba9876543210", institution="other")
    names = {"wx-centre": {"zh": "蔚县文化馆"}}
    g = collection_graph([first, second], BASE, institutions=names.get)
    providers = {
        record["id"]: set(
            g.objects(URIRef(f"{item_uri(BASE, record['id'])}#aggregation"), EDM.dataProvider)
        )
        for record in (first, second)
    }
    assert providers == {
        first["id"]: {Literal("蔚县文化馆", lang="zh")},
        second["id"]: {Literal("other")},
    }
