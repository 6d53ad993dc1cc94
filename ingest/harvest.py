"""Harvest another repository over OAI-PMH into a local collection: incremental and idempotent.

- Format: `edm` when the source offers it (then the files its WebResources point at are fetched
  too, hashed while copying and checked against the sha256 the source states), else `oai_dc`.
- Ids: `{collection}-{sha256(collection, source identifier)[:12]}`, so a re-harvest lands on the
  same records; a record whose mapped content did not change is not rewritten.
- Incremental: after a harvest with no failures, the source's responseDate at its start is kept
  in the store (`harvest/<hash of source and set>.json`) and sent as `from` next time.
- A deleted header withdraws the local copy (status `withdrawn`), which hides it everywhere.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import requests
from lxml import etree
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DC, DCTERMS, RDF, SKOS
from sickle import Sickle
from sickle.oaiexceptions import NoRecordsMatch

from ingest.record import same_content
from ingest.text import guess_language
from ingest.worker import item_id as local_id  # the id an ingest gives the same identifier
from repository import ObjectNotFound, ObjectStore, RecordStore, make_event, now_iso
from repository.rdf import EBUCORE, EDM, HER, VOCAB, WGS84
from repository.records import SCHEMA_VERSION
from schemas import SchemaError, categories, resolve_category, validate_record
from schemas.dates import parse_date
from search.base import SearchIndex

AGENT = "heritage-harvest"
OAI = "{http://www.openarchives.org/OAI/2.0/}"
DC_NS = "{http://purl.org/dc/elements/1.1/}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
RDF_NS = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
TIMEOUT = 60
DC_TYPES = {
    "image": "image",
    "stillimage": "image",
    "movingimage": "video",
    "sound": "audio",
    "text": "text",
}
EDM_TYPES = {"IMAGE": "image", "VIDEO": "video", "SOUND": "audio", "TEXT": "text"}
ROLES = ("original", "access", "thumbnail", "poster", "preview", "waveform", "page", "text")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
PERSON_ROLES = (
    "bearer",
    "creator",
    "performer",
    "recorder",
    "photographer",
    "informant",
    "contributor",
)


class HarvestError(RuntimeError):
    """The source cannot be harvested at all (unreachable, not OAI-PMH): nothing was changed."""


class RecordProblem(ValueError):
    """One source record cannot be taken; the message names it."""


@dataclass
class HarvestReport:
    source: str
    set_spec: str | None
    collection: str
    metadata_prefix: str = ""
    harvested_from: str | None = None
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    files_fetched: int = 0

    def summary(self) -> str:
        scope = f" set {self.set_spec}" if self.set_spec else ""
        since = f" since {self.harvested_from}" if self.harvested_from else ""
        return (
            f"Harvested {self.source}{scope} ({self.metadata_prefix}){since} into "
            f"{self.collection}: {len(self.added)} added, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.withdrawn)} withdrawn, "
            f"{len(self.failed)} failed, {self.files_fetched} files fetched"
        )


class HarvestState:
    """Where each source+set harvest got to, kept in the store beside the records."""

    def __init__(self, store: ObjectStore):
        self.store = store

    @staticmethod
    def key(base_url: str, set_spec: str | None, collection: str) -> str:
        digest = hashlib.sha256(f"{base_url}\n{set_spec or ''}\n{collection}".encode()).hexdigest()
        return f"harvest/{digest[:24]}.json"

    def last(self, base_url: str, set_spec: str | None, collection: str) -> str | None:
        try:
            data = json.loads(self.store.get_bytes(self.key(base_url, set_spec, collection)))
        except ObjectNotFound:
            return None
        return data.get("from")

    def remember(self, base_url: str, set_spec: str | None, collection: str, start: str) -> None:
        document = {
            "source": base_url,
            "set": set_spec,
            "collection": collection,
            "from": start,
            "saved": now_iso(),
        }
        self.store.put_bytes(
            self.key(base_url, set_spec, collection),
            json.dumps(document, ensure_ascii=False, indent=1).encode(),
        )


def harvest(
    base_url: str,
    *,
    set_spec: str | None,
    collection: str,
    store: ObjectStore,
    records: RecordStore,
    index: SearchIndex | None,
    state: HarvestState | None = None,
    session: requests.Session | None = None,
    metadata_prefix: str | None = None,
) -> HarvestReport:
    """Pull the source's records (new or changed since the last harvest) into `collection`.

    `metadata_prefix` forces `edm` or `oai_dc`; by default `edm` when the source offers it."""
    state = state or HarvestState(store)
    http = session or requests.Session()
    sickle = Sickle(base_url, timeout=TIMEOUT)
    report = HarvestReport(base_url, set_spec, collection)
    start, granularity = _identify(sickle, base_url)
    offered = _formats(sickle, base_url)
    if metadata_prefix is not None and metadata_prefix not in offered:
        raise HarvestError(f"{base_url} does not offer metadataPrefix {metadata_prefix!r}")
    report.metadata_prefix = metadata_prefix or ("edm" if "edm" in offered else "oai_dc")
    if report.metadata_prefix not in ("edm", "oai_dc"):
        raise HarvestError(f"cannot read metadataPrefix {report.metadata_prefix!r}")
    since = state.last(base_url, set_spec, collection)
    report.harvested_from = since
    arguments: dict[str, str] = {"metadataPrefix": report.metadata_prefix}
    if set_spec:
        arguments["set"] = set_spec
    if since:
        arguments["from"] = since[:10] if granularity == "YYYY-MM-DD" else since
    for source in _records(sickle, base_url, arguments):
        _take(source, report, store, records, index, http)
    if records.load_collection(collection) is None and (report.added or report.updated):
        records.save_collection(
            {
                "slug": collection,
                "title": {"en": collection},
                "harvested_from": base_url,
                "created": now_iso(),
            }
        )
    if not report.failed:
        state.remember(base_url, set_spec, collection, start)
    return report


def _identify(sickle: Sickle, base_url: str) -> tuple[str, str]:
    """(the source's responseDate now, its granularity)."""
    try:
        response = sickle.harvest(verb="Identify")
    except (requests.RequestException, etree.XMLSyntaxError) as exc:
        raise HarvestError(f"{base_url}: cannot reach an OAI-PMH repository there: {exc}") from exc
    except Exception as exc:  # sickle raises its own errors for OAI error responses
        raise HarvestError(f"{base_url}: Identify failed: {exc}") from exc
    start = response.xml.findtext(f"{OAI}responseDate")
    granularity = response.xml.findtext(f"{OAI}Identify/{OAI}granularity") or "YYYY-MM-DD"
    if not start:
        raise HarvestError(f"{base_url}: the Identify response has no responseDate")
    return start, granularity


def _formats(sickle: Sickle, base_url: str) -> set[str]:
    try:
        return {fmt.metadataPrefix for fmt in sickle.ListMetadataFormats()}
    except Exception as exc:
        raise HarvestError(f"{base_url}: ListMetadataFormats failed: {exc}") from exc


def _records(sickle: Sickle, base_url: str, arguments: dict[str, str]) -> Iterator[Any]:
    try:
        yield from sickle.ListRecords(ignore_deleted=False, **arguments)
    except NoRecordsMatch:
        return
    except requests.RequestException as exc:
        raise HarvestError(f"{base_url}: the harvest broke off: {exc}") from exc


def _take(
    source: Any,
    report: HarvestReport,
    store: ObjectStore,
    records: RecordStore,
    index: SearchIndex | None,
    http: requests.Session,
) -> None:
    identifier = source.header.identifier
    item_id = local_id(report.collection, identifier)
    existing = records.get(item_id)
    if source.header.deleted:
        if existing and existing["status"] != "withdrawn":
            record = {**existing, "status": "withdrawn", "modified": now_iso()}
            record["events"] = [
                *existing["events"],
                make_event(
                    "withdrawal",
                    AGENT,
                    detail=f"deleted at the source {report.source} "
                    f"({identifier}, {source.header.datestamp})",
                ),
            ]
            _save(record, records, index)
            report.withdrawn.append(item_id)
        return
    try:
        if report.metadata_prefix == "edm":
            fields, wanted_files = _from_edm(source)
        else:
            fields, wanted_files = _from_oai_dc(source), []
        files, fetched = _files(wanted_files, existing, store, http)
        record = _record(item_id, report.collection, identifier, fields, files, existing)
        if existing is not None and same_content(record, existing):
            report.unchanged.append(item_id)
            return
        record["events"] = _events(existing, report.source, identifier, fetched)
        validate_record(record)
    except (RecordProblem, SchemaError, requests.RequestException, OSError) as exc:
        report.failed.append(f"{identifier}: {exc}")
        return
    _save(record, records, index)
    report.files_fetched += fetched
    (report.updated if existing else report.added).append(item_id)


def _save(record: dict[str, Any], records: RecordStore, index: SearchIndex | None) -> None:
    records.save(record)
    if index is not None:
        index.index([record])


def _record(
    item_id: str,
    collection: str,
    identifier: str,
    fields: dict[str, Any],
    files: list[dict[str, Any]],
    existing: dict[str, Any] | None,
) -> dict[str, Any]:
    now = now_iso()
    record: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "id": item_id,
        "collection": collection,
        "identifier": identifier[:256],
        "access": "public",
        "status": "published",
        **fields,
        "files": files,
        "events": [],
        "created": existing["created"] if existing else now,
        "modified": now,
    }
    if existing and existing.get("status") == "withdrawn":
        record["status"] = "published"  # back at the source: public again
    return record


def _events(
    existing: dict[str, Any] | None, source: str, identifier: str, fetched: int
) -> list[dict[str, str]]:
    events = list(existing["events"]) if existing else []
    detail = f"harvested {identifier} from {source} (OAI-PMH); {fetched} file(s) fetched"
    events.append(
        make_event("metadata-modification" if existing else "ingestion", AGENT, detail=detail)
    )
    events.append(
        make_event(
            "validation", AGENT, detail=f"record valid against record.schema.json {SCHEMA_VERSION}"
        )
    )
    return events


# --- oai_dc --------------------------------------------------------------------------------------


def _texts(dc: etree._Element, name: str) -> list[tuple[str, str | None]]:
    return [
        ((e.text or "").strip(), e.get(XML_LANG))
        for e in dc.iter(f"{DC_NS}{name}")
        if (e.text or "").strip()
    ]


def _lang(tag: str | None, text: str) -> str:
    if tag:
        primary, _, rest = tag.partition("-")
        return primary.lower() + (f"-{rest}" if rest else "")
    return guess_language(text)


def _lang_map(values: list[tuple[str, str | None]]) -> dict[str, str]:
    result: dict[str, str] = {}
    for text, tag in values:
        result.setdefault(_lang(tag, text), text[:20000])
    return result


def _from_oai_dc(source: Any) -> dict[str, Any]:
    dc = source.xml.find(".//{http://www.openarchives.org/OAI/2.0/oai_dc/}dc")
    if dc is None:
        raise RecordProblem("the record has no oai_dc metadata")
    fields: dict[str, Any] = {"title": _lang_map(_texts(dc, "title"))}
    if not fields["title"]:
        raise RecordProblem("the record has no dc:title")
    if description := _lang_map(_texts(dc, "description")):
        fields["description"] = description
    subjects = []
    for text, _ in _texts(dc, "subject"):
        category = resolve_category(text)
        if category and "category" not in fields:
            fields["category"] = category.code
        elif not category:
            subjects.append(text[:200])
    if subjects:
        fields["subjects"] = list(dict.fromkeys(subjects))[:200]
    types = [DC_TYPES.get(t.casefold().replace(" ", "")) for t, _ in _texts(dc, "type")]
    fields["media_type"] = next((t for t in types if t), "mixed")
    if dates := _texts(dc, "date"):
        fields["date"] = _date(dates[0][0])
    if coverage := _lang_map(_texts(dc, "coverage")):
        region = {"name": coverage.get("zh") or next(iter(coverage.values()))}
        if "en" in coverage and coverage["en"] != region["name"]:
            region["name_en"] = coverage["en"]
        fields["region"] = region
    people = [
        {"name": t[:200], "role": "creator"}
        for t, tag in _texts(dc, "creator")
        if _lang(tag, t) != "en"
    ]
    people += [
        {"name": t[:200], "role": "contributor"}
        for t, tag in _texts(dc, "contributor")
        if _lang(tag, t) != "en"
    ]
    if people:
        fields["people"] = people
    if languages := [t for t, _ in _texts(dc, "language") if _valid_language(t)]:
        fields["language"] = list(dict.fromkeys(languages))
    if publisher := _texts(dc, "publisher"):
        fields["institution"] = publisher[0][0][:128]
    rights = _texts(dc, "rights")
    if rights:
        plain = [(t, tag) for t, tag in rights if tag is None]
        rights_field: dict[str, Any] = {}
        if plain:
            rights_field["license"] = plain[0][0][:200]
        if statement := _lang_map([(t, tag) for t, tag in rights if tag]):
            rights_field["statement"] = statement
        if rights_field:
            fields["rights"] = rights_field
    return fields


def _valid_language(code: str) -> bool:
    return bool(_LANGUAGE.match(code))


def _date(text: str) -> dict[str, Any]:
    try:
        return parse_date(text)
    except ValueError as exc:
        raise RecordProblem(f"dc:date {text!r}: {exc}") from None


# --- EDM -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WantedFile:
    url: str
    role: str
    entry: dict[str, Any]  # the record's file fields the source states (no key yet)


def _literals(graph: Graph, subject: Any, predicate: URIRef) -> list[Literal]:
    return [o for o in graph.objects(subject, predicate) if isinstance(o, Literal)]


def _lang_literals(graph: Graph, subject: Any, predicate: URIRef) -> dict[str, str]:
    return _lang_map(
        [
            (str(o).strip(), o.language)
            for o in _literals(graph, subject, predicate)
            if str(o).strip()
        ]
    )


def _from_edm(source: Any) -> tuple[dict[str, Any], list[WantedFile]]:
    rdf = source.xml.find(f".//{RDF_NS}RDF")
    if rdf is None:
        raise RecordProblem("the record has no EDM (rdf:RDF) metadata")
    graph = Graph().parse(data=etree.tostring(rdf), format="xml")
    chos = list(graph.subjects(RDF.type, EDM.ProvidedCHO))
    if len(chos) != 1:
        raise RecordProblem(f"the EDM holds {len(chos)} edm:ProvidedCHO, not one")
    cho = chos[0]
    fields: dict[str, Any] = {"title": _lang_literals(graph, cho, DC.title)}
    if not fields["title"]:
        raise RecordProblem("the edm:ProvidedCHO has no dc:title")
    if description := _lang_literals(graph, cho, DC.description):
        fields["description"] = description
    edm_type = str(graph.value(cho, EDM.type) or "")
    declared = str(graph.value(cho, DCTERMS.type) or "")
    fields["media_type"] = (
        declared
        if declared in ("image", "video", "audio", "document", "text", "mixed")
        else EDM_TYPES.get(edm_type, "mixed")
    )
    codes = {c.code for c in categories()}
    for concept in graph.objects(cho, DC.type):
        code = str(concept).removeprefix(f"{VOCAB}ich-categories/")
        notation = str(graph.value(concept, SKOS.notation) or "")
        if code in codes or notation in codes:
            fields["category"] = code if code in codes else notation
            break
    if subjects := [str(s)[:200] for s in _literals(graph, cho, DC.subject)]:
        fields["subjects"] = sorted(set(subjects))
    if languages := sorted(
        {str(s) for s in _literals(graph, cho, DC.language) if _valid_language(str(s))}
    ):
        fields["language"] = languages
    if region := _place(graph, graph.value(cho, DCTERMS.spatial)):
        fields["region"] = region
    if created := graph.value(cho, DCTERMS.created):
        date = _date(str(created))
        if display := graph.value(cho, DC.date):
            date["display"] = str(display)[:100]
        fields["date"] = date
    if people := _people(graph, cho):
        fields["people"] = people
    aggregation = graph.value(None, EDM.aggregatedCHO, cho)
    if aggregation is not None:
        if provider := graph.value(aggregation, EDM.dataProvider):
            fields["institution"] = str(provider)[:128]
        if rights := _rights(graph, aggregation):
            fields["rights"] = rights
    return fields, _web_resources(graph, cho, aggregation)


def _place(graph: Graph, place: Any) -> dict[str, Any] | None:
    if place is None:
        return None
    names = _lang_literals(graph, place, SKOS.prefLabel)
    if not names:
        return None
    region: dict[str, Any] = {"name": names.get("zh") or next(iter(names.values()))}
    if "en" in names:
        region["name_en"] = names["en"]
    code = str(graph.value(place, DCTERMS.identifier) or "")
    if len(code) == 6 and code.isdigit():
        region["code"] = code
    lat, lon = graph.value(place, WGS84.lat), graph.value(place, WGS84.long)
    if lat is not None and lon is not None:
        region["lat"], region["lon"] = float(lat), float(lon)
    return region


def _people(graph: Graph, cho: Any) -> list[dict[str, Any]]:
    people = []
    agents = [(a, "creator") for a in graph.objects(cho, DC.creator)]
    agents += [(a, "contributor") for a in graph.objects(cho, DC.contributor)]
    for agent, default_role in sorted(agents, key=lambda pair: str(pair[0])):
        if isinstance(agent, Literal):
            people.append({"name": str(agent)[:200], "role": default_role})
            continue
        names = _lang_literals(graph, agent, SKOS.prefLabel)
        if not names:
            continue
        role = str(graph.value(agent, HER.role) or default_role)
        person: dict[str, Any] = {
            "name": names.get("zh") or next(iter(names.values())),
            "role": role if role in PERSON_ROLES else default_role,
        }
        if "en" in names and names["en"] != person["name"]:
            person["name_en"] = names["en"]
        if level := graph.value(agent, HER.level):
            person["level"] = str(level)[:50]
        people.append(person)
    return people


def _rights(graph: Graph, aggregation: Any) -> dict[str, Any]:
    rights: dict[str, Any] = {}
    licence = graph.value(aggregation, DCTERMS.license) or graph.value(aggregation, EDM.rights)
    plain = [str(o) for o in _literals(graph, aggregation, DC.rights) if o.language is None]
    if licence is not None and not str(licence).endswith("/UND/1.0/"):
        rights["license"] = str(licence)[:200]
    elif plain:
        rights["license"] = plain[0][:200]
    if statement := _lang_map(
        [(str(o), o.language) for o in _literals(graph, aggregation, DC.rights) if o.language]
    ):
        rights["statement"] = statement
    if holder := graph.value(aggregation, DCTERMS.rightsHolder):
        rights["holder"] = str(holder)[:200]
    return rights


def _web_resources(graph: Graph, cho: Any, aggregation: Any) -> list[WantedFile]:
    shown = graph.value(aggregation, EDM.isShownBy) if aggregation is not None else None
    preview = graph.value(aggregation, EDM.object) if aggregation is not None else None
    resources = set(graph.subjects(RDF.type, EDM.WebResource))
    if aggregation is not None:
        resources |= {
            r
            for p in (EDM.isShownBy, EDM.hasView, EDM.object)
            for r in graph.objects(aggregation, p)
        }
    wanted = []
    for resource in sorted(resources, key=str):
        role = str(graph.value(resource, HER.role) or "")
        if role not in ROLES:
            role = (
                "access"
                if resource == shown
                else "thumbnail"
                if resource == preview
                else ("original")
            )
        entry: dict[str, Any] = {"role": role}
        mime = graph.value(resource, EBUCORE.hasMimeType) or graph.value(resource, DC["format"])
        if mime:
            entry["media_type"] = str(mime)
        if sha := graph.value(resource, HER.sha256):
            entry["sha256"] = str(sha)
        if name := graph.value(resource, URIRef("http://www.w3.org/2000/01/rdf-schema#label")):
            entry["name"] = str(name)
        for key, predicate in (("width", EBUCORE.width), ("height", EBUCORE.height)):
            if (value := graph.value(resource, predicate)) is not None and int(value) > 0:
                entry[key] = int(value)
        if (duration := graph.value(resource, EBUCORE.duration)) is not None:
            entry["duration"] = float(duration)
        wanted.append(WantedFile(str(resource), role, entry))
    return _in_role_order(wanted)


def _in_role_order(wanted: list[WantedFile]) -> list[WantedFile]:
    """Files of one role in the order the source numbers them (…/files/access, then ?n=2 …)."""

    def number(url: str) -> int:
        _, _, query = url.partition("?n=")
        return int(query) if query.isdigit() else 1

    return sorted(wanted, key=lambda w: (ROLES.index(w.role), number(w.url), w.url))


def _files(
    wanted: list[WantedFile],
    existing: dict[str, Any] | None,
    store: ObjectStore,
    http: requests.Session,
) -> tuple[list[dict[str, Any]], int]:
    """The record's file entries; a file the local copy already holds (same sha256) is not
    fetched again. Returns (entries, how many were fetched)."""
    have = {f["sha256"]: f for f in (existing or {}).get("files", [])}
    entries, fetched = [], 0
    for file in wanted:
        known = have.get(file.entry.get("sha256", ""))
        if known is not None and store.stat(known["key"]) is not None:
            entry = {**file.entry, "key": known["key"], "bytes": known["bytes"]}
        else:
            entry = {**file.entry, **_fetch(file, store, http)}
            fetched += 1
        entry.setdefault("media_type", "application/octet-stream")
        entries.append(entry)
    return entries, fetched


def _fetch(file: WantedFile, store: ObjectStore, http: requests.Session) -> dict[str, Any]:
    with http.get(file.url, stream=True, timeout=TIMEOUT) as response:
        if response.status_code != 200:
            raise RecordProblem(
                f"fetching {file.role} {file.url} answered HTTP {response.status_code}"
            )
        response.raw.decode_content = True
        blob = store.put_blob(response.raw)
        media_type = response.headers.get("content-type", "").split(";")[0].strip()
    expected = file.entry.get("sha256")
    if expected and blob.sha256 != expected:
        raise RecordProblem(
            f"{file.url}: the fetched file's sha256 {blob.sha256} is not the "
            f"{expected} the source states"
        )
    result: dict[str, Any] = {"key": blob.key, "sha256": blob.sha256, "bytes": blob.size}
    if "media_type" not in file.entry and media_type:
        result["media_type"] = media_type
    return result
