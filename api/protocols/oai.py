"""OAI-PMH 2.0 data provider: the six verbs, `oai_dc` and `edm`, sets, signed resumption tokens.

List source: the record store, not the search index. Deleted records (withdrawn items that were
public) must be listed, and the index only holds what an audience may see; storage is the source
of truth. The price is a scan per page: `RecordCatalogue` lists the record keys and stats each
one (O(N) cheap calls; a record is re-read only when its etag changed), then sorts the headers.
That is fine for a county centre's tens of thousands of records; past a few hundred thousand
records, or on S3 where a stat is an HTTP request, a datestamp-ordered table kept beside the
index should replace it.

Paging is by cursor on (datestamp, id), carried in the resumption token, never by offset: an
ingest during a harvest only adds records after the cursor (their datestamp is newer), so no
record is skipped or repeated. Tokens are signed (itsdangerous, HMAC) and expire.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from lxml import etree

from api.operations.access import is_visible
from api.operations.record_cache import RecordCache
from api.protocols.rdf import record_graph, serialize
from repository import RecordStore
from schemas import categories, category_by_code
from search.base import Audience

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
OAI_ID_NS = "http://www.openarchives.org/OAI/2.0/oai-identifier"

METADATA_FORMATS: dict[str, tuple[str, str]] = {
    "oai_dc": ("http://www.openarchives.org/OAI/2.0/oai_dc.xsd", OAI_DC_NS),
    "edm": ("http://www.europeana.eu/schemas/edm/EDM.xsd", "http://www.europeana.eu/schemas/edm/"),
}
"""metadataPrefix -> (schema, metadataNamespace)."""

GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
PAGE_SIZE = 100
TOKEN_LIFETIME = timedelta(hours=24)
_LIST_ARGS = frozenset({"metadataPrefix", "from", "until", "set"})
VERBS: dict[str, tuple[frozenset[str], frozenset[str], bool]] = {
    "Identify": (frozenset(), frozenset(), False),
    "ListMetadataFormats": (frozenset(), frozenset({"identifier"}), False),
    "ListSets": (frozenset(), frozenset(), True),
    "GetRecord": (frozenset({"identifier", "metadataPrefix"}), frozenset(), False),
    "ListIdentifiers": (frozenset({"metadataPrefix"}), _LIST_ARGS, True),
    "ListRecords": (frozenset({"metadataPrefix"}), _LIST_ARGS, True),
}
"""verb -> (required arguments, optional arguments, takes a resumptionToken)."""
_DC_TYPES = {
    "image": "Image",
    "video": "MovingImage",
    "audio": "Sound",
    "document": "Text",
    "text": "Text",
}
_PUBLIC = Audience.public()
_DOMAIN = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]*(\.[a-zA-Z][a-zA-Z0-9-]*)+$")


class OaiError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Entry:
    """One record's header: what listing, filtering and paging need."""

    datestamp: str
    id: str
    sets: tuple[str, ...]
    deleted: bool

    @property
    def key(self) -> tuple[str, str]:
        return (self.datestamp, self.id)

    def in_set(self, spec: str | None) -> bool:
        return spec is None or any(s == spec or s.startswith(spec + ":") for s in self.sets)


def utc_seconds(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_FACTS = (
    "id",
    "status",
    "access",
    "institution",
    "embargo_until",
    "modified",
    "collection",
    "category",
)
"""The only fields of a record that listing needs (what the catalogue keeps per record)."""


def entry_of(record: dict[str, Any]) -> Entry | None:
    """The header of a record the public may see, a deleted header for a withdrawn item that was
    public, and None for anything else: restricted or unpublished items do not exist here.

    An embargoed item's datestamp is the day its embargo ends (if later than its last change):
    that is when it appears, so incremental harvesters (`from` = their last harvest) get it."""
    if is_visible(record, _PUBLIC):
        deleted = False
    elif record.get("status") == "withdrawn" and is_visible(
        {**record, "status": "published"}, _PUBLIC
    ):
        deleted = True
    else:
        return None
    stamp = utc_seconds(datetime.fromisoformat(record["modified"].replace("Z", "+00:00")))
    if embargo := record.get("embargo_until"):
        stamp = max(stamp, f"{embargo}T00:00:00Z")
    sets = [f"collection:{record['collection']}"]
    if record.get("category"):
        sets.append(f"category:{record['category']}")
    return Entry(stamp, record["id"], tuple(sets), deleted)


class RecordCatalogue:
    """Headers of every stored record, kept current by one stat per record per listing.

    What is cached is the record's facts, not its header: visibility depends on today's date
    (embargoes end), so headers are worked out afresh on every listing."""

    def __init__(self, records: RecordStore):
        self.records = records
        self._facts = RecordCache(records, lambda r: {k: r[k] for k in _FACTS if k in r})

    def entries(self) -> list[Entry]:
        """Visible and deleted headers, ordered by (datestamp, id)."""
        entries = (entry_of(facts) for facts in self._facts.values())
        return sorted((e for e in entries if e is not None), key=lambda e: e.key)


class TokenSigner:
    """Resumption tokens: the list's arguments plus the (datestamp, id) cursor, HMAC-signed with
    a timestamp, so a forged, altered or expired token is refused as badResumptionToken."""

    SALT = "heritage.oai.resumption"

    def __init__(self, secret: str, lifetime: timedelta = TOKEN_LIFETIME):
        self.serializer = URLSafeTimedSerializer(secret, salt=self.SALT)
        self.lifetime = lifetime

    def dumps(self, payload: dict[str, Any]) -> str:
        return str(self.serializer.dumps(payload))

    def loads(self, token: str) -> dict[str, Any]:
        try:
            payload = self.serializer.loads(token, max_age=self.lifetime.total_seconds())
        except SignatureExpired:
            raise OaiError(
                "badResumptionToken",
                "the resumptionToken has expired; start the list again without a token",
            ) from None
        except BadSignature:
            raise OaiError(
                "badResumptionToken",
                "the resumptionToken is not one this repository issued (or it was altered)",
            ) from None
        if not isinstance(payload, dict):
            raise OaiError("badResumptionToken", "the resumptionToken is malformed")
        return payload


def parse_datestamp(name: str, value: str) -> tuple[str, str]:
    """(normalised seconds datestamp, granularity) for a from/until argument."""
    for fmt, granularity in (("%Y-%m-%d", "day"), ("%Y-%m-%dT%H:%M:%SZ", "seconds")):
        try:
            moment = datetime.strptime(value, fmt)
        except ValueError:
            continue
        if granularity == "day" and name == "until":
            moment = moment.replace(hour=23, minute=59, second=59)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ"), granularity
    raise OaiError(
        "badArgument",
        f"argument {name}={value!r} is not a valid date: use YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ",
    )


class OaiRepository:
    """Answers OAI-PMH requests. `handle` takes the request's (name, value) pairs."""

    def __init__(
        self,
        records: RecordStore,
        *,
        base_url: str,
        secret: str,
        name: str = "Heritage",
        admin_email: str | None = None,
        page_size: int = PAGE_SIZE,
    ):
        self.records = records
        self.catalogue = RecordCatalogue(records)
        self.base_url = base_url.rstrip("/")
        self.endpoint = f"{self.base_url}/oai"
        self.host = urlsplit(self.base_url).hostname or "localhost"
        self.name = name
        self.admin_email = admin_email or f"admin@{self.host}"
        self.page_size = page_size
        # Without a configured secret, a per-process key still protects tokens' integrity;
        # tokens then just do not survive a restart (the harvester starts the list again).
        self.tokens = TokenSigner(secret or secrets.token_hex(32))

    # --- identifiers -----------------------------------------------------------------------

    def identifier(self, item_id: str) -> str:
        return f"oai:{self.host}:{item_id}"

    def item_id(self, identifier: str) -> str:
        prefix = f"oai:{self.host}:"
        if not identifier.startswith(prefix):
            raise OaiError(
                "idDoesNotExist",
                f"{identifier!r} is not an identifier of this "
                f"repository (they look like {prefix}ITEM-ID)",
            )
        return identifier[len(prefix) :]

    def _entry_for(self, identifier: str) -> tuple[Entry, dict[str, Any]]:
        item_id = self.item_id(identifier)
        record = self.records.get(item_id)
        entry = entry_of(record) if record else None
        if entry is None or record is None:
            raise OaiError("idDoesNotExist", f"no record has the identifier {identifier!r}")
        return entry, record

    # --- request handling --------------------------------------------------------------------

    def handle(self, pairs: Sequence[tuple[str, str]], now: datetime | None = None) -> bytes:
        """The complete XML response for one request (errors included, as OAI-PMH asks)."""
        now = now or datetime.now(UTC)
        root = etree.Element(f"{{{OAI_NS}}}OAI-PMH", nsmap={None: OAI_NS, "xsi": XSI_NS})
        root.set(
            f"{{{XSI_NS}}}schemaLocation",
            f"{OAI_NS} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd",
        )
        _sub(root, "responseDate", utc_seconds(now))
        request = _sub(root, "request", self.endpoint)
        try:
            verb, args = self._check_arguments(pairs)
            for name, value in [("verb", verb), *sorted(args.items())]:
                request.set(name, value)
            getattr(self, f"_{verb}")(root, args, now)
        except OaiError as error:
            if error.code in ("badVerb", "badArgument"):
                request.attrib.clear()  # the spec: no attributes echoed for these two
            _sub(root, "error", error.message).set("code", error.code)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    def _check_arguments(self, pairs: Sequence[tuple[str, str]]) -> tuple[str, dict[str, str]]:
        names = [name for name, _ in pairs]
        verbs = [value for name, value in pairs if name == "verb"]
        if len(verbs) != 1:
            message = "the verb argument is missing" if not verbs else "the verb is repeated"
            raise OaiError("badVerb", message)
        verb = verbs[0]
        if verb not in VERBS:
            raise OaiError(
                "badVerb", f"{verb!r} is not an OAI-PMH verb; use one of " + ", ".join(VERBS)
            )
        required, optional, resumable = VERBS[verb]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise OaiError("badArgument", f"argument {repeated[0]!r} is repeated")
        args = {name: value for name, value in pairs if name != "verb"}
        allowed = required | optional | ({"resumptionToken"} if resumable else set())
        unknown = sorted(set(args) - allowed)
        if unknown:
            raise OaiError("badArgument", f"{verb} does not take the argument {unknown[0]!r}")
        if "resumptionToken" in args:
            if len(args) > 1:
                raise OaiError(
                    "badArgument",
                    "resumptionToken is an exclusive argument: send it alone with the verb",
                )
            return verb, args
        missing = sorted(required - set(args))
        if missing:
            raise OaiError("badArgument", f"{verb} requires the argument {missing[0]!r}")
        return verb, args

    # --- the verbs ---------------------------------------------------------------------------

    def _Identify(self, root: etree._Element, args: dict[str, str], now: datetime) -> None:
        entries = self.catalogue.entries()
        earliest = min((e.datestamp for e in entries), default=utc_seconds(now))
        node = _sub(root, "Identify")
        for name, value in (
            ("repositoryName", self.name),
            ("baseURL", self.endpoint),
            ("protocolVersion", "2.0"),
            ("adminEmail", self.admin_email),
            ("earliestDatestamp", earliest),
            ("deletedRecord", "transient"),
            ("granularity", GRANULARITY),
        ):
            _sub(node, name, value)
        if not _DOMAIN.match(self.host):
            return  # oai-identifier needs a domain name; 127.0.0.1 or localhost has none
        description = _sub(node, "description")
        ident = etree.SubElement(
            description, f"{{{OAI_ID_NS}}}oai-identifier", nsmap={None: OAI_ID_NS}
        )
        ident.set(
            f"{{{XSI_NS}}}schemaLocation",
            f"{OAI_ID_NS} http://www.openarchives.org/OAI/2.0/oai-identifier.xsd",
        )
        for name, value in (
            ("scheme", "oai"),
            ("repositoryIdentifier", self.host),
            ("delimiter", ":"),
            ("sampleIdentifier", self.identifier("collection-0123456789ab")),
        ):
            etree.SubElement(ident, f"{{{OAI_ID_NS}}}{name}").text = value

    def _ListMetadataFormats(self, root: etree._Element, args: dict[str, str], _: datetime) -> None:
        if "identifier" in args:
            self._entry_for(args["identifier"])
        node = _sub(root, "ListMetadataFormats")
        for prefix, (schema, namespace) in METADATA_FORMATS.items():
            fmt = _sub(node, "metadataFormat")
            _sub(fmt, "metadataPrefix", prefix)
            _sub(fmt, "schema", schema)
            _sub(fmt, "metadataNamespace", namespace)

    def _ListSets(self, root: etree._Element, args: dict[str, str], _: datetime) -> None:
        if "resumptionToken" in args:
            raise OaiError(
                "badResumptionToken",
                "ListSets is answered in one response; "
                "this repository issued no resumptionToken for it",
            )
        slugs = sorted(
            {
                s.split(":", 1)[1]
                for e in self.catalogue.entries()
                for s in e.sets
                if s.startswith("collection:")
            }
        )
        described = {c.get("slug"): c for c in self.records.collections()}
        node = _sub(root, "ListSets")
        _set(node, "collection", {"zh": "专题藏品", "en": "Collections"})
        for slug in slugs:
            title = (described.get(slug) or {}).get("title") or {"en": slug}
            _set(node, f"collection:{slug}", title)
        _set(node, "category", {"zh": "非遗类别", "en": "ICH categories"})
        for category in categories():
            _set(node, f"category:{category.code}", {"zh": category.zh, "en": category.en})

    def _GetRecord(self, root: etree._Element, args: dict[str, str], _: datetime) -> None:
        prefix = self._format(args["metadataPrefix"])
        entry, record = self._entry_for(args["identifier"])
        self._record(_sub(root, "GetRecord"), entry, record, prefix)

    def _ListIdentifiers(self, root: etree._Element, args: dict[str, str], now: datetime) -> None:
        self._list(root, "ListIdentifiers", args, now)

    def _ListRecords(self, root: etree._Element, args: dict[str, str], now: datetime) -> None:
        self._list(root, "ListRecords", args, now)

    # --- lists -------------------------------------------------------------------------------

    def _format(self, prefix: str) -> str:
        if prefix not in METADATA_FORMATS:
            raise OaiError(
                "cannotDisseminateFormat",
                f"metadataPrefix {prefix!r} is not offered; "
                "use one of " + ", ".join(METADATA_FORMATS),
            )
        return prefix

    def _list_query(self, verb: str, args: dict[str, str]) -> dict[str, Any]:
        if "resumptionToken" in args:
            query = self.tokens.loads(args["resumptionToken"])
            if query.get("verb") != verb:
                raise OaiError(
                    "badResumptionToken",
                    f"this resumptionToken belongs to {query.get('verb')}, not {verb}",
                )
            return query
        prefix = self._format(args["metadataPrefix"])
        bounds = {n: parse_datestamp(n, args[n]) for n in ("from", "until") if n in args}
        if len({granularity for _, granularity in bounds.values()}) > 1:
            raise OaiError("badArgument", "from and until must have the same granularity")
        if "from" in bounds and "until" in bounds and bounds["from"][0] > bounds["until"][0]:
            raise OaiError(
                "badArgument", f"from ({args['from']}) is later than until ({args['until']})"
            )
        return {
            "verb": verb,
            "prefix": prefix,
            "from": bounds.get("from", (None,))[0],
            "until": bounds.get("until", (None,))[0],
            "set": args.get("set"),
            "after": None,
            "cursor": 0,
        }

    def _list(self, root: etree._Element, verb: str, args: dict[str, str], now: datetime) -> None:
        query = self._list_query(verb, args)
        after = tuple(query["after"]) if query["after"] else None
        matching = [
            e
            for e in self.catalogue.entries()
            if e.in_set(query["set"])
            and (query["from"] is None or e.datestamp >= query["from"])
            and (query["until"] is None or e.datestamp <= query["until"])
        ]
        remaining = [e for e in matching if after is None or e.key > after]
        page = remaining[: self.page_size]
        node = etree.Element(f"{{{OAI_NS}}}{verb}")
        for entry in page:
            if verb == "ListIdentifiers":
                self._header(node, entry)
                continue
            record = None if entry.deleted else self.records.get(entry.id)
            fresh = entry_of(record) if record else entry
            if fresh is not None:
                self._record(node, fresh, record, query["prefix"])
        if not len(node):
            raise OaiError("noRecordsMatch", "no records match these arguments")
        root.append(node)
        cursor = query["cursor"]
        if after is None and len(remaining) <= len(page):
            return  # the whole list fits in one response: no token at all
        token = etree.SubElement(node, f"{{{OAI_NS}}}resumptionToken")
        token.set("completeListSize", str(cursor + len(remaining)))
        token.set("cursor", str(cursor))
        if len(remaining) > len(page):
            last = page[-1]
            token.text = self.tokens.dumps(
                {**query, "after": list(last.key), "cursor": cursor + len(page)}
            )
            token.set("expirationDate", utc_seconds(now + self.tokens.lifetime))

    # --- records -----------------------------------------------------------------------------

    def _header(self, parent: etree._Element, entry: Entry) -> None:
        header = _sub(parent, "header")
        if entry.deleted:
            header.set("status", "deleted")
        _sub(header, "identifier", self.identifier(entry.id))
        _sub(header, "datestamp", entry.datestamp)
        for spec in entry.sets:
            _sub(header, "setSpec", spec)

    def _record(
        self, parent: etree._Element, entry: Entry, record: dict[str, Any] | None, prefix: str
    ) -> None:
        node = _sub(parent, "record")
        self._header(node, entry)
        if entry.deleted or record is None:
            return
        metadata = _sub(node, "metadata")
        if prefix == "edm":
            graph = record_graph(record, self.base_url)
            metadata.append(etree.fromstring(serialize(graph, "rdfxml")))
        else:
            metadata.append(oai_dc(record, self.base_url))


def oai_dc(record: dict[str, Any], base_url: str) -> etree._Element:
    """Simple Dublin Core of a record, with xml:lang on language-specific values."""
    dc = etree.Element(
        f"{{{OAI_DC_NS}}}dc", nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS, "xsi": XSI_NS}
    )
    dc.set(
        f"{{{XSI_NS}}}schemaLocation", f"{OAI_DC_NS} http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
    )

    def add(name: str, value: str, lang: str | None = None) -> None:
        element = etree.SubElement(dc, f"{{{DC_NS}}}{name}")
        element.text = value
        if lang:
            element.set(XML_LANG, lang)

    for lang, text in record["title"].items():
        add("title", text, lang)
    for lang, text in (record.get("description") or {}).items():
        add("description", text, lang)
    for person in record.get("people", []):
        element = "creator" if person["role"] == "creator" else "contributor"
        add(element, person["name"], "zh")
        if person.get("name_en"):
            add(element, person["name_en"], "en")
    if record.get("category"):
        category = category_by_code(record["category"])
        add("subject", category.zh, "zh")
        add("subject", category.en, "en")
    for subject in record.get("subjects", []):
        add("subject", subject)
    if dc_type := _DC_TYPES.get(record["media_type"]):
        add("type", dc_type)
    if date := record.get("date"):
        add("date", date["edtf"])
    if region := record.get("region"):
        add("coverage", region["name"], "zh")
        if region.get("name_en"):
            add("coverage", region["name_en"], "en")
    for language in record.get("language", []):
        add("language", language)
    add("identifier", f"{base_url.rstrip('/')}/items/{record['id']}")
    if record.get("identifier"):
        add("identifier", record["identifier"])
    rights = record.get("rights") or {}
    if rights.get("license"):
        add("rights", rights["license"])
    for lang, text in (rights.get("statement") or {}).items():
        add("rights", text, lang)
    if record.get("institution"):
        add("publisher", record["institution"])
    for media_type in dict.fromkeys(f["media_type"] for f in record.get("files", [])):
        add("format", media_type)
    return dc


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{OAI_NS}}}{name}")
    if text is not None:
        element.text = text
    return element


def _set(parent: etree._Element, spec: str, names: dict[str, str]) -> None:
    node = _sub(parent, "set")
    _sub(node, "setSpec", spec)
    _sub(node, "setName", " / ".join(dict.fromkeys(names.values())))
    description = _sub(node, "setDescription")
    dc = etree.SubElement(
        description, f"{{{OAI_DC_NS}}}dc", nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS}
    )
    dc.set(
        f"{{{XSI_NS}}}schemaLocation", f"{OAI_DC_NS} http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
    )
    for lang, text in names.items():
        title = etree.SubElement(dc, f"{{{DC_NS}}}title")
        title.text = text
        title.set(XML_LANG, lang)


def form_pairs(items: Iterable[tuple[str, Any]]) -> list[tuple[str, str]]:
    """Request arguments as (name, text) pairs; uploads (never valid here) become empty text."""
    return [(name, value if isinstance(value, str) else "") for name, value in items]
