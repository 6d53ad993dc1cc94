"""The one RDF mapping of an item record: Europeana Data Model plus schema.org, in one graph.

Why one graph for both vocabularies: aggregators (Europeana-style) read EDM, search engines and
web developers read schema.org; serving both from one mapping keeps them from drifting apart.
Every IRI minted from source data or configuration goes through `safe_iri`, so a licence URL
with a space or a Chinese path can never produce a graph that a parser rejects.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DC, DCMITYPE, DCTERMS, OWL, RDF, RDFS, SDO, SKOS, XSD

from api.present import authority_path
from schemas import category_by_code, eras
from schemas.loader import unesco_domains

EDM = Namespace("http://www.europeana.eu/schemas/edm/")
ORE = Namespace("http://www.openarchives.org/ore/terms/")
EBUCORE = Namespace("http://www.ebu.ch/metadata/ontologies/ebucore/ebucore#")
WGS84 = Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")
HER = Namespace("https://heritage.example.org/ns#")
"""Project terms with no standard home: a file's role, its sha256, a person's role and level."""
VOCAB = "https://heritage.example.org/vocab/"
"""Project vocabularies (the same host as the schemas' `$id`), shared by every installation so
concepts from different institutions merge in a harvester's graph."""
EDTF = URIRef("http://id.loc.gov/datatypes/edtf/EDTF")
WIKIDATA = "http://www.wikidata.org/entity/"

AuthorityLookup = Callable[[str], Mapping[str, Any] | None]
"""An authority record by id, None when there is none (`AuthorityStore.get`): where the labels of
an item's linked projects and bearers come from. Without one, only their URIs and types."""
InstitutionNames = Callable[[str], Mapping[str, str] | None]
"""An institution code's names by language, None when nobody named it
(`api.operations.authorities.institution_names`): one of them is written as `edm:dataProvider`
and `edm:provider`. Without them, or for an unnamed institution, the code (EDM requires a
provider)."""

PREFIXES: dict[str, Namespace] = {
    "edm": EDM,
    "ore": ORE,
    "dc": Namespace(str(DC)),
    "dcterms": Namespace(str(DCTERMS)),
    "skos": Namespace(str(SKOS)),
    "schema": Namespace(str(SDO)),
    "ebucore": EBUCORE,
    "wgs84": WGS84,
    "her": HER,
    "owl": Namespace(str(OWL)),
    "xsd": Namespace(str(XSD)),
}

FORMATS: dict[str, tuple[str, str]] = {
    "turtle": ("turtle", "text/turtle"),
    "jsonld": ("json-ld", "application/ld+json"),
    "rdfxml": ("xml", "application/rdf+xml"),
}
"""Our format name -> (rdflib serializer, media type)."""

EDM_TYPES = {
    "image": "IMAGE",
    "video": "VIDEO",
    "audio": "SOUND",
    "document": "TEXT",
    "text": "TEXT",
}
SCHEMA_TYPES = {"image": SDO.ImageObject, "video": SDO.VideoObject, "audio": SDO.AudioObject}
UNDETERMINED = "http://rightsstatements.org/vocab/UND/1.0/"

_CC = re.compile(r"^CC-(BY(?:-NC)?(?:-ND|-SA)?)-(\d\.\d)(?:-([A-Z]{2,3}))?$", re.IGNORECASE)
_CC_URI = re.compile(
    r"^https?://creativecommons\.org/(licenses|publicdomain)/([a-z-]+)/(\d\.\d)(/[a-z]{2,3})?/?$",
    re.IGNORECASE,
)
_RS_URI = re.compile(r"^https?://rightsstatements\.org/(?:vocab|page)/([A-Za-z-]+)/1\.0/?", re.I)
_RIGHTS_STATEMENTS = (
    "InC",
    "InC-OW-EU",
    "InC-EDU",
    "InC-NC",
    "InC-RUU",
    "NoC-CR",
    "NoC-NC",
    "NoC-OKLR",
    "NoC-US",
    "CNE",
    "UND",
    "NKC",
)
_URI_LIKE = re.compile(r"^(?:https?://|urn:)\S", re.IGNORECASE)
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_IRI_SAFE = ":/?#[]@!$&'()*+,;=~%-._"


def safe_iri(text: str) -> URIRef:
    """`text` as a URI every RDF syntax accepts: spaces, CJK and other unsafe characters are
    percent-encoded (UTF-8), existing %XX escapes kept, a stray '%' encoded as %25."""
    cleaned = _LONE_PERCENT.sub("%25", text.strip())
    return URIRef(quote(cleaned, safe=_IRI_SAFE))


def is_uri(text: str) -> bool:
    """Whether a licence field names a web URI or URN (rather than being free text)."""
    return bool(_URI_LIKE.match(text.strip()))


def standard_rights_uri(license_value: str | None) -> str | None:
    """A Creative Commons or RightsStatements.org URI for an SPDX id, a statement code or such a
    URI (normalised to http and a trailing slash, as EDM and IIIF list them); None otherwise."""
    if not license_value:
        return None
    value = license_value.strip()
    if value.upper() in ("CC0-1.0", "CC0"):
        return "http://creativecommons.org/publicdomain/zero/1.0/"
    if value.upper() in ("PDM", "PDM-1.0"):
        return "http://creativecommons.org/publicdomain/mark/1.0/"
    if match := _CC.match(value):
        kind, version, port = match.groups()
        tail = f"{port.lower()}/" if port else ""
        return f"http://creativecommons.org/licenses/{kind.lower()}/{version}/{tail}"
    if match := _CC_URI.match(value):
        group, kind, version, port = match.groups()
        return f"http://creativecommons.org/{group.lower()}/{kind.lower()}/{version}{port or ''}/"
    codes = {code.casefold(): code for code in _RIGHTS_STATEMENTS}
    code = codes.get(value.casefold())
    if code is None and (match := _RS_URI.match(value)):
        code = codes.get(match.group(1).casefold())
    return f"http://rightsstatements.org/vocab/{code}/1.0/" if code else None


def item_uri(base_url: str, item_id: str) -> URIRef:
    return safe_iri(f"{base_url.rstrip('/')}/items/{item_id}")


def file_uri(base_url: str, item_id: str, role: str, n: int = 1) -> URIRef:
    url = f"{base_url.rstrip('/')}/api/items/{item_id}/files/{role}"
    return safe_iri(url if n == 1 else f"{url}?n={n}")


def collection_uri(base_url: str, slug: str) -> URIRef:
    return safe_iri(f"{base_url.rstrip('/')}/collections/{slug}")


def category_uri(code: str) -> URIRef:
    return URIRef(f"{VOCAB}ich-categories/{code}")


def numbered_files(record: Mapping[str, Any]) -> list[tuple[dict[str, Any], int]]:
    """Each file with its number among the files of the same role (from 1), in record order."""
    seen: dict[str, int] = {}
    numbered = []
    for file in record.get("files", []):
        seen[file["role"]] = seen.get(file["role"], 0) + 1
        numbered.append((file, seen[file["role"]]))
    return numbered


def new_graph() -> Graph:
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True)
    return graph


def authority_uri(base_url: str, kind: str, authority_id: str) -> URIRef:
    """The page of a project or bearer (`/projects/{id}`, `/bearers/{id}`), which is also its
    URI; an institution, with no page yet, is `/authorities/{id}`."""
    return safe_iri(base_url.rstrip("/") + authority_path(kind, authority_id))


def record_graph(
    record: Mapping[str, Any],
    base_url: str,
    graph: Graph | None = None,
    authorities: AuthorityLookup | None = None,
    institutions: InstitutionNames | None = None,
) -> Graph:
    """The EDM + schema.org description of one record (added to `graph` when given); its linked
    authorities are labelled from `authorities`, its institution named from `institutions`."""
    g = graph if graph is not None else new_graph()
    _Mapper(g, record, base_url, authorities, institutions).map()
    return g


def collection_graph(
    records: Iterable[Mapping[str, Any]],
    base_url: str,
    description: dict[str, Any] | None = None,
    authorities: AuthorityLookup | None = None,
    institutions: InstitutionNames | None = None,
) -> Graph:
    """Every record of a collection in one graph, plus the collection itself when described and
    `records` (those the reader may see) holds one: without, its title is as hidden as they are."""
    g = new_graph()
    mapped = False
    for record in records:
        record_graph(record, base_url, g, authorities, institutions)
        mapped = True
    if description and mapped:
        node = collection_uri(base_url, description["slug"])
        g.add((node, RDF.type, DCMITYPE.Collection))
        for lang, text in (description.get("title") or {}).items():
            g.add((node, DCTERMS.title, Literal(text, lang=lang)))
    return g


def serialize(graph: Graph, fmt: str) -> bytes:
    """Bytes in one of FORMATS (turtle, jsonld, rdfxml)."""
    rdflib_format, _ = FORMATS[fmt]
    if fmt == "jsonld":
        context = {prefix: str(ns) for prefix, ns in PREFIXES.items()}
        return graph.serialize(format=rdflib_format, context=context, encoding="utf-8")
    return graph.serialize(format=rdflib_format, encoding="utf-8")


def _duration(seconds: float) -> str:
    return f"PT{seconds:g}S"


class _Mapper:
    def __init__(
        self,
        graph: Graph,
        record: Mapping[str, Any],
        base_url: str,
        authorities: AuthorityLookup | None = None,
        institutions: InstitutionNames | None = None,
    ):
        self.g = graph
        self.lookup = authorities
        self.institutions = institutions
        self.record = record
        self.base = base_url.rstrip("/")
        self.cho = item_uri(base_url, record["id"])
        self.agg = URIRef(f"{self.cho}#aggregation")

    def add(self, subject: Any, predicate: URIRef, value: Any) -> None:
        self.g.add((subject, predicate, value))

    def lang_texts(self, subject: Any, predicates: Iterable[URIRef], texts: Any) -> None:
        for lang, text in (texts or {}).items():
            for predicate in predicates:
                self.add(subject, predicate, Literal(text, lang=lang))

    def map(self) -> None:
        r, cho = self.record, self.cho
        media = r["media_type"]
        self.add(cho, RDF.type, EDM.ProvidedCHO)
        self.add(cho, RDF.type, SCHEMA_TYPES.get(media, SDO.CreativeWork))
        self.add(cho, EDM.type, Literal(EDM_TYPES.get(media) or self._mixed_type()))
        self.add(cho, DCTERMS.type, Literal(media))
        self.lang_texts(cho, (DC.title, SDO.name), r["title"])
        self.lang_texts(cho, (DC.description, SDO.description), r.get("description"))
        self.add(cho, DC.identifier, Literal(r["id"]))
        self.add(cho, SDO.identifier, Literal(r["id"]))
        if r.get("identifier"):
            self.add(cho, DC.identifier, Literal(r["identifier"]))
        collection = collection_uri(self.base, r["collection"])
        self.add(cho, DCTERMS.isPartOf, collection)
        self.add(cho, SDO.isPartOf, collection)
        self.add(collection, DCTERMS.identifier, Literal(r["collection"]))
        self.add(cho, SDO.url, cho)
        for subject in r.get("subjects", []):
            self.add(cho, DC.subject, Literal(subject))
            self.add(cho, SDO.keywords, Literal(subject))
        for language in r.get("language", []):
            self.add(cho, DC.language, Literal(language))
            self.add(cho, SDO.inLanguage, Literal(language))
        self._category()
        self._region()
        self._date()
        self._people()
        self._authorities()
        self._aggregation()
        self._files()

    def _mixed_type(self) -> str:
        for file in self.record.get("files", []):
            kind = file["media_type"].split("/")[0]
            if file["role"] in ("access", "original") and kind in ("image", "video", "audio"):
                return EDM_TYPES[kind]
        return "TEXT"

    def _category(self) -> None:
        code = self.record.get("category")
        if not code:
            return
        concept = category_uri(code)
        category = category_by_code(code)
        scheme = URIRef(f"{VOCAB}ich-categories")
        self.add(self.cho, DC.type, concept)
        self.add(self.cho, SDO.about, concept)
        self.add(concept, RDF.type, SKOS.Concept)
        self.add(concept, SKOS.inScheme, scheme)
        self.add(concept, SKOS.notation, Literal(code))
        self.add(concept, SKOS.prefLabel, Literal(category.zh, lang="zh"))
        self.add(concept, SKOS.prefLabel, Literal(category.en, lang="en"))
        domain = URIRef(f"{VOCAB}unesco-domains/{category.unesco}")
        self.add(concept, SKOS.broader, domain)
        self.add(domain, RDF.type, SKOS.Concept)
        self.lang_texts(domain, (SKOS.prefLabel,), unesco_domains().get(category.unesco))

    def _region(self) -> None:
        region = self.record.get("region")
        if not region:
            return
        place = URIRef(f"{self.cho}#place")
        self.add(self.cho, DCTERMS.spatial, place)
        self.add(self.cho, SDO.spatialCoverage, place)
        self.add(place, RDF.type, EDM.Place)
        self.add(place, RDF.type, SDO.Place)
        names = {"zh": region["name"], **({"en": region["name_en"]} if "name_en" in region else {})}
        self.lang_texts(place, (SKOS.prefLabel, SDO.name), names)
        if "code" in region:
            self.add(place, DCTERMS.identifier, Literal(region["code"]))
        for key, predicate, schema_predicate in (
            ("lat", WGS84.lat, SDO.latitude),
            ("lon", WGS84.long, SDO.longitude),
        ):
            if key in region and region.get("sensitive") is not True:  # docs/map.md
                self.add(place, predicate, Literal(float(region[key]), datatype=XSD.double))
                self.add(place, schema_predicate, Literal(float(region[key]), datatype=XSD.double))

    def _date(self) -> None:
        date = self.record.get("date")
        if not date:
            return
        self.add(self.cho, DCTERMS.created, Literal(date["edtf"], datatype=EDTF))
        self.add(self.cho, SDO.temporalCoverage, Literal(date["edtf"]))
        if date.get("display"):
            self.add(self.cho, DC.date, Literal(date["display"]))
        if era := date.get("era"):
            known = {e.code: e for e in eras()}.get(era)
            concept = URIRef(f"{VOCAB}eras/{era}")
            self.add(self.cho, DCTERMS.temporal, concept)
            self.add(concept, RDF.type, SKOS.Concept)
            self.add(concept, SKOS.notation, Literal(era))
            if known:
                self.add(concept, SKOS.prefLabel, Literal(known.zh, lang="zh"))
                self.add(concept, SKOS.prefLabel, Literal(known.en, lang="en"))

    def _people(self) -> None:
        for n, person in enumerate(self.record.get("people", []), start=1):
            agent = URIRef(f"{self.cho}#agent-{n}")
            creator = person["role"] == "creator"
            self.add(self.cho, DC.creator if creator else DC.contributor, agent)
            self.add(self.cho, SDO.creator if creator else SDO.contributor, agent)
            self.add(agent, RDF.type, EDM.Agent)
            self.add(agent, RDF.type, SDO.Person)
            names = {"zh": person["name"]}
            if person.get("name_en"):
                names["en"] = person["name_en"]
            self.lang_texts(agent, (SKOS.prefLabel, SDO.name), names)
            self.add(agent, HER.role, Literal(person["role"]))
            if person.get("level"):
                self.add(agent, HER.level, Literal(person["level"]))

    def _authorities(self) -> None:
        """Linked projects as subjects (skos:Concept, schema:CreativeWork the item is about),
        bearers as contributors (edm:Agent, schema:Person), institutions as related agents;
        each by the URI of its page, so items of several repositories meet on one node."""
        for link in self.record.get("authorities") or []:
            kind, authority_id = link["kind"], link["id"]
            node = authority_uri(self.base, kind, authority_id)
            if kind == "project":
                links, types = (DC.subject, SDO.about), (SKOS.Concept, SDO.CreativeWork)
            elif kind == "bearer":
                links, types = (DC.contributor, SDO.contributor), (EDM.Agent, SDO.Person)
                self.add(node, HER.role, Literal("bearer"))
            else:
                links, types = (DC.relation, SDO.mentions), (EDM.Agent, SDO.Organization)
            for predicate in links:
                self.add(self.cho, predicate, node)
            for rdf_type in types:
                self.add(node, RDF.type, rdf_type)
            self.add(node, DCTERMS.identifier, Literal(authority_id))
            found = self.lookup(authority_id) if self.lookup is not None else None
            if found is not None and found.get("kind") == kind:
                self._describe_authority(node, found)

    def _describe_authority(self, node: URIRef, authority: Mapping[str, Any]) -> None:
        names = authority["names"]
        self.lang_texts(node, (SKOS.prefLabel, SDO.name), names)
        for other in authority.get("alternative_names", []):
            self.add(node, SKOS.altLabel, Literal(other))
        if authority.get("list_number"):
            self.add(node, SKOS.notation, Literal(authority["list_number"]))
        if authority.get("level"):
            self.add(node, HER.level, Literal(authority["level"]))
        for qid in authority.get("same_as", []):
            self.add(node, OWL.sameAs, URIRef(f"{WIKIDATA}{qid}"))
            self.add(node, SDO.sameAs, URIRef(f"{WIKIDATA}{qid}"))
        if authority["kind"] != "bearer":
            return
        for n, person in enumerate(self.record.get("people", []), start=1):
            same_name = person["name"] == names["zh"] or (
                bool(person.get("name_en")) and person.get("name_en") == names.get("en")
            )
            if person["role"] == "bearer" and same_name:  # the item's own entry for the bearer
                self.add(URIRef(f"{self.cho}#agent-{n}"), OWL.sameAs, node)

    def _rights(self) -> tuple[URIRef, URIRef | None]:
        """(edm:rights value, the licence as given when it is some other URI)."""
        rights = self.record.get("rights") or {}
        given = rights.get("license")
        standard = standard_rights_uri(given)
        other = safe_iri(given) if given and not standard and is_uri(given) else None
        return URIRef(standard or UNDETERMINED), other

    def _aggregation(self) -> None:
        r, agg = self.record, self.agg
        self.add(agg, RDF.type, ORE.Aggregation)
        self.add(agg, EDM.aggregatedCHO, self.cho)
        self.add(agg, EDM.isShownAt, self.cho)
        provider = self._provider()
        self.add(agg, EDM.dataProvider, provider)
        self.add(agg, EDM.provider, provider)
        edm_rights, other = self._rights()
        self.add(agg, EDM.rights, edm_rights)
        self.add(self.cho, SDO.license, other or edm_rights)
        rights = r.get("rights") or {}
        if other is not None:
            self.add(agg, DCTERMS.license, other)
        elif rights.get("license") and not is_uri(rights["license"]):
            self.add(agg, DC.rights, Literal(rights["license"]))
        self.lang_texts(agg, (DC.rights,), rights.get("statement"))
        if rights.get("holder"):
            self.add(agg, DCTERMS.rightsHolder, Literal(rights["holder"]))
            self.add(self.cho, SDO.copyrightHolder, Literal(rights["holder"]))
        self.add(agg, DCTERMS.created, Literal(r["created"], datatype=XSD.dateTime))
        self.add(agg, DCTERMS.modified, Literal(r["modified"], datatype=XSD.dateTime))
        self.add(self.cho, SDO.dateModified, Literal(r["modified"], datatype=XSD.dateTime))

    def _provider(self) -> Literal:
        """The institution's name, language-tagged: one, as EDM allows one provider
        (Europeana's schema: maxOccurs 1), the Chinese name first, else the English, else any;
        its code (or "heritage") when nobody named it, since EDM requires a provider and the
        code still says whose it is."""
        code = self.record.get("institution") or ""
        names = self.institutions(code) if self.institutions is not None and code else None
        if names:
            lang = next((lang for lang in ("zh", "en") if names.get(lang)), next(iter(names)))
            return Literal(names[lang], lang=lang)
        return Literal(code or "heritage")

    def _files(self) -> None:
        numbered = numbered_files(self.record)
        shown = self._first(numbered, "access") or self._first(numbered, "original")
        preview = self._first(numbered, "thumbnail", "poster") or shown
        edm_rights, _ = self._rights()
        for file, n in numbered:
            uri = file_uri(self.base, self.record["id"], file["role"], n)
            self._web_resource(uri, file, edm_rights)
            self.add(self.cho, SDO.associatedMedia, uri)
            if uri == shown:
                self.add(self.agg, EDM.isShownBy, uri)
            elif uri != preview:
                self.add(self.agg, EDM.hasView, uri)
            if uri == preview:
                self.add(self.agg, EDM.object, uri)
                self.add(self.cho, SDO.thumbnailUrl, uri)

    def _first(self, numbered: list[tuple[dict[str, Any], int]], *roles: str) -> URIRef | None:
        for role in roles:
            for file, n in numbered:
                if file["role"] == role:
                    return file_uri(self.base, self.record["id"], role, n)
        return None

    def _web_resource(self, uri: URIRef, file: dict[str, Any], rights: URIRef) -> None:
        kind = file["media_type"].split("/")[0]
        self.add(uri, RDF.type, EDM.WebResource)
        self.add(uri, RDF.type, SCHEMA_TYPES.get(kind, SDO.MediaObject))
        self.add(uri, EDM.rights, rights)
        self.add(uri, HER.role, Literal(file["role"]))
        self.add(uri, HER.sha256, Literal(file["sha256"]))
        self.add(uri, DC["format"], Literal(file["media_type"]))
        self.add(uri, EBUCORE.hasMimeType, Literal(file["media_type"]))
        self.add(uri, SDO.encodingFormat, Literal(file["media_type"]))
        self.add(uri, SDO.contentUrl, uri)
        self.add(uri, EBUCORE.fileByteSize, Literal(file["bytes"], datatype=XSD.long))
        self.add(uri, SDO.contentSize, Literal(str(file["bytes"])))
        if file.get("name"):
            self.add(uri, RDFS.label, Literal(file["name"]))
        for key, ebucore, schema in (
            ("width", EBUCORE.width, SDO.width),
            ("height", EBUCORE.height, SDO.height),
        ):
            if key in file:
                self.add(uri, ebucore, Literal(file[key], datatype=XSD.integer))
                self.add(uri, schema, Literal(file[key], datatype=XSD.integer))
        if "duration" in file:
            self.add(uri, EBUCORE.duration, Literal(float(file["duration"]), datatype=XSD.double))
            self.add(uri, SDO.duration, Literal(_duration(file["duration"]), datatype=XSD.duration))
        if "pages" in file:
            self.add(uri, SDO.numberOfPages, Literal(file["pages"], datatype=XSD.integer))
