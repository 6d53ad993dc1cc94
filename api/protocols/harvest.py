"""Harvest another repository over OAI-PMH into a local collection: incremental and idempotent.

- Format: `edm` when the source offers it (then the files its WebResources point at are fetched
  too, hashed while copying and checked against the sha256 the source states), else `oai_dc`.
- Ids: `{collection}-{sha256(collection, source identifier)[:12]}`, so a re-harvest lands on the
  same records; a record whose mapped content did not change is not rewritten.
- Incremental: after a harvest with no failures, the source's responseDate at its start is kept
  in the store (`harvest/<hash of source and set>.json`) and sent as `from` next time.
- A deleted header withdraws the local copy (status `withdrawn`), which hides it everywhere, once:
  a curator may publish it again. When the record comes back at the source, a copy the harvest
  withdrew gets the status it had before.
- A curator's decisions stand: a re-harvest changes only the fields a harvest writes (HARVESTED),
  never `status`, `access`, `embargo_until` or anything added here, and a harvested field edited
  here since the last harvest keeps its local value. What the source said last time is kept in
  the store (`harvest/items/<id>.json`), so a field is "edited" when the local value differs from
  it; the rest follows the source.
- `institution` (governance: who may edit and see non-public copies) is the harvesting
  institution, never the source's dc:publisher or edm:dataProvider; those become `tags`
  (`by: oai-pmh`, `scheme: dc:publisher`).
- oai_dc, as real repositories write it (DSpace, EPrints, museums): every dc:creator and
  dc:contributor is a person ("Name (photographer)" gives the role when the schema has it); of
  repeated dc:date the first plain date that reads as a date wins, not DSpace's accession
  timestamps (a date with a time of day is taken only when it is the record's only dc:date);
  dc:language values (`en_US`, `eng`, `chi`, `English`) become BCP 47 tags; a title or
  description without xml:lang is tagged by its script (CJK, kana, hangul, Tibetan, Mongolian),
  else by a language detector when the text is long enough and the answer fits the record, else
  by the record's one dc:language, else `und`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from xml.sax import SAXException

import langcodes
import requests
from langdetect import DetectorFactory, LangDetectException, detect_langs
from lxml import etree
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DC, DCTERMS, RDF, SKOS
from sickle import Sickle
from sickle.oaiexceptions import NoRecordsMatch

from api.protocols.rdf import EBUCORE, EDM, HER, VOCAB, WGS84
from ingest.record import same_content
from ingest.task import item_id as local_id  # the id an ingest gives the same identifier
from ingest.text import guess_language
from repository import (
    DamagedRecord,
    ObjectNotFound,
    ObjectStore,
    RecordStore,
    make_event,
    now_iso,
)
from repository.records import SCHEMA_VERSION
from schemas import categories, resolve_category, validate_record
from schemas.dates import parse_date
from schemas.errors import InvalidInput, Unavailable
from schemas.text import check_document
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
TYPE_WORDS = {  # words of free-text dc:type values (DSpace "Working Paper", "Produced Video", ...)
    "image": "image",
    "photograph": "image",
    "map": "image",
    "video": "video",
    "film": "video",
    "audio": "audio",
    "sound": "audio",
    "text": "text",
    "article": "text",
    "book": "text",
    "thesis": "text",
    "dissertation": "text",
    "report": "text",
    "paper": "text",
    "preprint": "text",
    "journal": "text",
    "newsletter": "text",
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
ROLE_WORDS = {  # "Name (Photographer)": the role in brackets, when the record schema has it
    **{role: role for role in PERSON_ROLES},
    "传承人": "bearer",
    "author": "creator",
    "singer": "performer",
    "musician": "performer",
    "dancer": "performer",
    "collector": "recorder",
    "interviewer": "recorder",
    "interviewee": "informant",
}
_ROLE_SUFFIX = re.compile(r"^(?P<name>.*\S)\s*\((?P<role>[^()]+)\)$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff]")
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_WORD = re.compile(r"\w+")
_LINE_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)  # names joined in one field: "A<br>B"
DETECT_MIN_WORDS = 4  # below this a detector's answer is a guess (langdetect: "De Nachtwacht" → de)
DETECT_MIN_PROBABILITY = 0.95
TAG_BY = "oai-pmh"  # `tags[].by` of the values a harvest writes (publisher, data provider)
HARVESTED = (
    "institution",
    "title",
    "description",
    "category",
    "media_type",
    "region",
    "date",
    "people",
    "subjects",
    "language",
    "rights",
    "tags",
    "files",
)
"""The fields a harvest writes; each follows the source unless edited here since."""


class HarvestError(Unavailable):
    """The source cannot be harvested at all (unreachable, not OAI-PMH): nothing was changed."""


class RecordProblem(InvalidInput):
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
    deleted_here: list[str] = field(default_factory=list)  # deleted for good here: not taken
    files_fetched: int = 0

    def summary(self) -> str:
        scope = f" set {self.set_spec}" if self.set_spec else ""
        since = f" since {self.harvested_from}" if self.harvested_from else ""
        return (
            f"Harvested {self.source}{scope} ({self.metadata_prefix}){since} into "
            f"{self.collection}: {len(self.added)} added, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.withdrawn)} withdrawn, "
            f"{len(self.failed)} failed, {self.files_fetched} files fetched"
            + (
                f", {len(self.deleted_here)} deleted here for good (not taken again)"
                if self.deleted_here
                else ""
            )
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
        since = data.get("from")
        return str(since) if since else None

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


class ItemMemory:
    """What the source said of each harvested item last time (its mapped fields), and the status a
    copy had when a deletion at the source withdrew it: `harvest/items/<id>.json` in the store.

    Beside the records, not in HarvestState: a full re-harvest with a fresh state still sees it."""

    def __init__(self, store: ObjectStore):
        self.store = store

    @staticmethod
    def key(item_id: str) -> str:
        return f"harvest/items/{item_id}.json"

    def get(self, item_id: str) -> dict[str, Any]:
        try:
            return dict(json.loads(self.store.get_bytes(self.key(item_id))))
        except ObjectNotFound:
            return {}

    def put(self, item_id: str, memory: dict[str, Any]) -> None:
        if memory != self.get(item_id):
            data = json.dumps(memory, ensure_ascii=False, sort_keys=True, indent=1).encode()
            self.store.put_bytes(self.key(item_id), data)


def harvest(
    base_url: str,
    *,
    set_spec: str | None,
    collection: str,
    store: ObjectStore,
    records: RecordStore,
    index: SearchIndex | None,
    institution: str,
    state: HarvestState | None = None,
    session: requests.Session | None = None,
    metadata_prefix: str | None = None,
) -> HarvestReport:
    """Pull the source's records (new or changed since the last harvest) into `collection`.

    `metadata_prefix` forces `edm` or `oai_dc`; by default `edm` when the source offers it.
    `institution` is the harvesting institution, the copies' governance `institution`."""
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
        _take(source, report, Target(store, records, index, ItemMemory(store), institution), http)
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


@dataclass(frozen=True)
class Target:
    """Where harvested records go, and as whose."""

    store: ObjectStore
    records: RecordStore
    index: SearchIndex | None
    memory: ItemMemory
    institution: str


def _take(source: Any, report: HarvestReport, target: Target, http: requests.Session) -> None:
    identifier = source.header.identifier
    item_id = local_id(report.collection, identifier)
    if target.records.tombstone(item_id) is not None:
        report.deleted_here.append(item_id)  # an admin deleted our copy for good: keep it so
        return
    try:
        existing = target.records.get(item_id)
    except DamagedRecord as exc:  # never written over: it may hold local edits and history
        report.failed.append(f"{identifier}: {exc}; restore it, then harvest again")
        return
    memory = target.memory.get(item_id)
    if source.header.deleted:
        if existing and existing["status"] != "withdrawn" and "withdrawn_from" not in memory:
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
            _save(record, target)
            target.memory.put(item_id, {**memory, "withdrawn_from": existing["status"]})
            report.withdrawn.append(item_id)
        return
    try:
        if report.metadata_prefix == "edm":
            fields, wanted_files = _from_edm(source)
        else:
            fields, wanted_files = _from_oai_dc(source), []
        fields["institution"] = target.institution
        files, fetched = _files(wanted_files, existing, target.store, http)
        fields["files"] = files
        record = _record(item_id, report.collection, identifier, fields)
        if existing is not None:
            record = _merge(record, existing, memory)
            if same_content(record, existing):
                target.memory.put(item_id, {"fields": fields})
                report.unchanged.append(item_id)
                return
        record["events"] = _events(existing, report.source, identifier, fetched)
        validate_record(record)
        check_document(record, what="the record")  # text XML and UTF-8 can carry
    # ValueError: our refusals (RecordProblem, SchemaError, InvalidInput) and a source's values
    # that are not what they claim (a width "wide"); SAXException: RDF/XML that does not parse
    except (ValueError, SAXException, requests.RequestException, OSError) as exc:
        report.failed.append(f"{identifier}: {exc}")
        return
    _save(record, target)
    target.memory.put(item_id, {"fields": fields})
    report.files_fetched += fetched
    (report.updated if existing else report.added).append(item_id)


def _save(record: Mapping[str, Any], target: Target) -> None:
    target.records.save(record)
    if target.index is not None:
        target.index.index([record])


def _record(
    item_id: str,
    collection: str,
    identifier: str,
    fields: dict[str, Any],
) -> dict[str, Any]:
    """A new local copy: public and published, as the source published it."""
    now = now_iso()
    return {
        "schema_version": SCHEMA_VERSION,
        "id": item_id,
        "collection": collection,
        "identifier": identifier[:256],
        "access": "public",
        "status": "published",
        **fields,
        "events": [],
        "created": now,
        "modified": now,
    }


def _merge(
    record: Mapping[str, Any], existing: Mapping[str, Any], memory: dict[str, Any]
) -> dict[str, Any]:
    """The new copy over the stored one: only harvested fields change, and of them only those not
    edited here since the last harvest."""
    merged = {**existing, "schema_version": record["schema_version"], "modified": now_iso()}
    if existing["status"] == "withdrawn" and _withdrawn_by_harvest(existing, memory):
        merged["status"] = memory.get("withdrawn_from", "published")  # back at the source
    last = memory.get("fields")
    if last is None and all(e["agent"] == AGENT for e in existing["events"]):
        last = existing  # harvested before memories were kept, and never edited since
    for name in HARVESTED:
        source = _owned(record, name)
        here = _owned(existing, name)
        edited = last is None or here != _owned(last, name)
        value = here if edited and (here is not None or last is not None) else source
        if name == "tags":
            value = [t for t in existing.get("tags", []) if t.get("by") != TAG_BY] + (value or [])
        if value or name == "files":
            merged[name] = value or []
        else:
            merged.pop(name, None)
    return merged


def _owned(record: Mapping[str, Any], name: str) -> Any:
    """The part of a field a harvest writes (of `tags`, only its own)."""
    value = record.get(name)
    if name == "tags" and value is not None:
        value = [t for t in value if t.get("by") == TAG_BY] or None
    return value


def _withdrawn_by_harvest(existing: Mapping[str, Any], memory: dict[str, Any]) -> bool:
    if "withdrawn_from" in memory:
        return True
    decisions = [e for e in existing["events"] if e["type"] in ("withdrawal", "publication")]
    return bool(decisions) and (decisions[-1]["type"], decisions[-1]["agent"]) == (
        "withdrawal",
        AGENT,
    )


def _events(
    existing: Mapping[str, Any] | None, source: str, identifier: str, fetched: int
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


def _one_line(text: str) -> str:
    """A value wrapped over lines at the source (titles, names) as one line."""
    return " ".join(text.split())


def language_tag(value: str) -> str | None:
    """A dc:language or xml:lang value as a BCP 47 tag (en_US → en-US, eng → en, chi → zh,
    English → en); None when it names no language."""
    value = value.strip()
    if not value:
        return None
    try:
        tag = langcodes.standardize_tag(value)
    except langcodes.tag_parser.LanguageTagError:
        try:
            tag = langcodes.find(value).to_tag()
        except LookupError:
            return None
    return tag if _LANGUAGE.match(tag) else None


def _primary(tag: str) -> str:
    return tag.split("-")[0]


def _stated(dc: etree._Element) -> list[str]:
    """The record's dc:language values as BCP 47 tags, in order, once each."""
    tags = (language_tag(text) for text, _ in _texts(dc, "language"))
    return list(dict.fromkeys(tag for tag in tags if tag))


def _text_language(text: str, stated: list[str]) -> str:
    """The language of a title or description the source did not tag (see the module doc)."""
    if _KANA.search(text):
        return "ja"
    if _HANGUL.search(text):
        return "ko"
    by_script = guess_language(text)  # zh, bo, mn; "en" means only "no such script"
    if by_script == "zh":
        return next((_primary(s) for s in stated if _primary(s) in ("ja", "ko")), "zh")
    if by_script != "en":
        return by_script
    primaries = {_primary(s) for s in stated}
    detected = _detect(text)
    if detected and (not primaries or primaries == {"en"} or detected in primaries | {"en"}):
        return detected
    if len(primaries) == 1 and langcodes.Language.get(stated[0]).maximize().script == "Latn":
        return primaries.pop()
    return "und"


def _detect(text: str) -> str | None:
    """The language a detector finds in a text long enough to tell, when it is sure."""
    if len(_WORD.findall(text)) < DETECT_MIN_WORDS:
        return None
    DetectorFactory.seed = 0  # the same answer every time
    try:
        best = detect_langs(text)[0]
    except LangDetectException:
        return None
    return _primary(best.lang) if best.prob >= DETECT_MIN_PROBABILITY else None


def _lang(tag: str | None, text: str, stated: list[str]) -> str:
    return (tag and language_tag(tag)) or _text_language(text, stated)


def _lang_map(
    values: list[tuple[str, str | None]], stated: list[str], *, join: str | None = None
) -> dict[str, str]:
    """Texts by language: the first of each language, or all of them joined with `join`."""
    grouped: dict[str, list[str]] = {}
    for text, tag in values:
        grouped.setdefault(_lang(tag, text, stated), []).append(text)
    return {
        lang: (join.join(texts) if join else texts[0])[:20000] for lang, texts in grouped.items()
    }


def _from_oai_dc(source: Any) -> dict[str, Any]:
    dc = source.xml.find(".//{http://www.openarchives.org/OAI/2.0/oai_dc/}dc")
    if dc is None:
        raise RecordProblem("the record has no oai_dc metadata")
    stated = _stated(dc)
    titles = [(_one_line(t), tag) for t, tag in _texts(dc, "title")]
    fields: dict[str, Any] = {"title": _lang_map(titles, stated)}
    if not fields["title"]:
        raise RecordProblem("the record has no dc:title")
    if description := _lang_map(_texts(dc, "description"), stated, join="\n\n"):
        fields["description"] = description
    subjects = []
    for text, _ in _texts(dc, "subject"):
        for part in filter(None, (_one_line(p) for p in text.split(";"))):
            category = resolve_category(part)
            if category and "category" not in fields:
                fields["category"] = category.code
            elif not category:
                subjects.append(part[:200])
    if subjects:
        fields["subjects"] = list(dict.fromkeys(subjects))[:200]
    fields["media_type"] = next(
        (t for t in (_media_type(text) for text, _ in _texts(dc, "type")) if t), "mixed"
    )
    if date := _pick_date([_one_line(t) for t, _ in _texts(dc, "date")]):
        fields["date"] = date
    places = [(_one_line(t), tag) for t, tag in _texts(dc, "coverage") if _is_place(t)]
    if coverage := _lang_map(places, stated):
        region = {"name": coverage.get("zh") or next(iter(coverage.values()))}
        if "en" in coverage and coverage["en"] != region["name"]:
            region["name_en"] = coverage["en"]
        fields["region"] = region
    if people := _dc_people(dc):
        fields["people"] = people
    if stated:
        fields["language"] = stated
    publishers = dict.fromkeys(_one_line(t)[:200] for t, _ in _texts(dc, "publisher"))
    if publishers:
        fields["tags"] = [_tag(name, "dc:publisher") for name in publishers]
    if rights := _dc_rights(_texts(dc, "rights"), stated):
        fields["rights"] = rights
    return fields


def _tag(value: str, scheme: str) -> dict[str, str]:
    return {"value": value[:200], "source": "given", "by": TAG_BY, "scheme": scheme}


def _media_type(dc_type: str) -> str | None:
    """image/video/audio/text from a DCMI type or a repository's genre word ("Working Paper",
    "info:eu-repo/semantics/article", "Produced Video"); None when it names none of them."""
    value = dc_type.casefold().rsplit("/", 1)[-1].removeprefix("doc-type:")
    if exact := DC_TYPES.get(value.replace(" ", "")):
        return exact
    return next((TYPE_WORDS[w] for w in _WORD.findall(value) if w in TYPE_WORDS), None)


def _pick_date(values: list[str]) -> dict[str, Any] | None:
    """Of repeated dc:date, the first plain date that reads as one. DSpace writes its accession
    and availability timestamps (2013-06-13T16:16:24Z) as dc:date too, before or after the date
    issued, so a date with a time of day is taken only when it is the only dc:date."""
    plain = [v for v in values if not _TIMESTAMP.match(v)]
    for value in plain:
        try:
            return parse_date(value)
        except ValueError:
            continue
    if len(values) == 1 and not plain:
        return _date(values[0])
    if plain:
        raise RecordProblem(f"dc:date: none of {plain!r} is a date this repository can read")
    return None


def _is_place(coverage: str) -> bool:
    """dc:coverage holds places, but also map scales and periods; only places make a region."""
    text = _one_line(coverage)
    if text.casefold().startswith("scale"):
        return False
    try:
        parse_date(text)
    except ValueError:
        return True
    return False


def _dc_people(dc: etree._Element) -> list[dict[str, Any]]:
    """Every dc:creator and dc:contributor, in any script. An xml:lang="en" name right after a
    name tagged in another language is that person's English name (this repository's own feed
    writes people so)."""
    people: list[dict[str, Any]] = []
    for element in ("creator", "contributor"):
        previous: tuple[dict[str, Any], str | None] | None = None
        for text, tag in _texts(dc, element):
            names = list(filter(None, (_one_line(n) for n in _LINE_BREAK.split(text))))
            lang = _primary(language_tag(tag) or "") if tag else None
            if lang == "en" and previous and previous[1] not in (None, "en") and len(names) == 1:
                previous[0].setdefault("name_en", names[0][:200])
                previous = None
                continue
            for name in names:
                person = _person(name, element)
                if person not in people:
                    people.append(person)
                previous = (person, lang)
    return people[:200]


def _person(name: str, default_role: str) -> dict[str, Any]:
    """'Name (Photographer)' -> the role when the record schema has one; else the name as it is."""
    match = _ROLE_SUFFIX.match(name)
    role = ROLE_WORDS.get(match["role"].strip().casefold()) if match else None
    if match and role:
        return {"name": match["name"][:200], "role": role}
    return {"name": name[:200], "role": default_role}


def _dc_rights(values: list[tuple[str, str | None]], stated: list[str]) -> dict[str, Any]:
    """A one-token value (a URI, an SPDX id) is the license; free text is a statement."""
    rights: dict[str, Any] = {}
    statements = []
    for text, tag in values:
        line = _one_line(text)
        if " " not in line and "license" not in rights:
            rights["license"] = line[:200]
        else:
            statements.append((line, tag))
    if statement := _lang_map(statements, stated, join="\n"):
        rights["statement"] = statement
    return rights


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


def _lang_literals(
    graph: Graph, subject: Any, predicate: URIRef, stated: list[str] | None = None
) -> dict[str, str]:
    return _lang_map(
        [
            (str(o).strip(), o.language)
            for o in _literals(graph, subject, predicate)
            if str(o).strip()
        ],
        stated or [],
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
    tags = (language_tag(str(s)) for s in _literals(graph, cho, DC.language))
    stated = sorted({tag for tag in tags if tag})
    fields: dict[str, Any] = {"title": _lang_literals(graph, cho, DC.title, stated)}
    if not fields["title"]:
        raise RecordProblem("the edm:ProvidedCHO has no dc:title")
    if description := _lang_literals(graph, cho, DC.description, stated):
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
    if stated:
        fields["language"] = stated
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
        # one per language when the source names its institution in several (as ours does)
        providers = sorted({str(p).strip() for p in graph.objects(aggregation, EDM.dataProvider)})
        if providers := [name for name in providers if name]:
            fields["tags"] = [_tag(name, "edm:dataProvider") for name in providers]
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
        [(str(o), o.language) for o in _literals(graph, aggregation, DC.rights) if o.language], []
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
            if (value := graph.value(resource, predicate)) is not None and int(str(value)) > 0:
                entry[key] = int(str(value))
        if (duration := graph.value(resource, EBUCORE.duration)) is not None:
            entry["duration"] = float(str(duration))
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
    existing: Mapping[str, Any] | None,
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
