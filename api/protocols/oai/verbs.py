"""The six OAI-PMH verbs: argument checks, lists paged by cursor from the search index's ordered
OAI view (plus the store's tombstones), records from the record store in `oai_dc` and `edm`.

Paging is by cursor on (datestamp, id), carried in the resumption token, never by offset: an
ingest during a harvest only adds records after the cursor (their datestamp is newer), so no
record is skipped or repeated, whichever replica answers the next page. completeListSize is
counted once, on the first page, and carried in the token (OAI-PMH allows an estimate).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from api.operations.authorities import authority_lookup
from api.protocols.oai.catalogue import (
    Entry,
    TombstoneEntries,
    entry_of,
    header_entry,
    utc_seconds,
)
from api.protocols.oai.errors import (
    BadArgument,
    BadResumptionToken,
    BadVerb,
    CannotDisseminateFormat,
    IdDoesNotExist,
    NoRecordsMatch,
    OaiError,
)
from api.protocols.oai.response import (
    OAI_DC_NS,
    OAI_ID_NS,
    OAI_NS,
    XSI_NS,
    add_error,
    add_set,
    envelope,
    oai_dc,
    sub,
)
from api.protocols.oai.tokens import TokenSigner
from api.protocols.rdf import record_graph, serialize
from repository import DamagedRecord, RecordStore
from repository.authorities import AuthorityStore
from schemas import categories
from schemas.record import Record
from schemas.text import XML_UNSAFE
from search.base import OaiSlice, SearchIndex

METADATA_FORMATS: dict[str, tuple[str, str]] = {
    "oai_dc": ("http://www.openarchives.org/OAI/2.0/oai_dc.xsd", OAI_DC_NS),
    "edm": ("http://www.europeana.eu/schemas/edm/EDM.xsd", "http://www.europeana.eu/schemas/edm/"),
}
"""metadataPrefix -> (schema, metadataNamespace)."""

GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
PAGE_SIZE = 100
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
_DOMAIN = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]*(\.[a-zA-Z][a-zA-Z0-9-]*)+$")


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
    raise BadArgument(
        f"argument {name}={value!r} is not a valid date: use YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ",
    )


def list_slice(query: Mapping[str, Any], now: datetime) -> OaiSlice:
    """The index slice of a list's arguments; NoRecordsMatch for a set this repository lacks."""
    spec = query["set"]
    field: Any = None
    value = None
    if spec is not None:
        field, _, value = spec.partition(":")
        if field not in ("collection", "category"):
            raise NoRecordsMatch(f"no records are in the set {spec!r}; ListSets names the sets")
        value = value if ":" in spec else None
    return OaiSlice(query["from"], query["until"], field, value, now.date())


class OaiRepository:
    """Answers OAI-PMH requests. `handle` takes the request's (name, value) pairs."""

    def __init__(
        self,
        records: RecordStore,
        index: SearchIndex,
        *,
        base_url: str,
        secret: str,
        name: str = "Heritage",
        admin_email: str | None = None,
        page_size: int = PAGE_SIZE,
        authorities: AuthorityStore | None = None,
        publishers: Callable[[str], Mapping[str, str] | None] | None = None,
    ):
        self.records = records
        # an institution code's names by language, for dc:publisher and edm:dataProvider
        # (`api.operations.authorities.institution_names`); without them, the code
        self.publishers = publishers
        self.index = index
        self.authorities = authorities  # labels the projects and bearers an `edm` record links
        self.tombstones = TombstoneEntries(records)
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
            raise IdDoesNotExist(
                f"{identifier!r} is not an identifier of this "
                f"repository (they look like {prefix}ITEM-ID)",
            )
        return identifier[len(prefix) :]

    def _entry_for(self, identifier: str) -> tuple[Entry, Record | None]:
        item_id = self.item_id(identifier)
        record = self.records.get(item_id)
        entry = entry_of(record) if record else self.tombstones.entry(item_id)
        if entry is None:
            raise IdDoesNotExist(f"no record has the identifier {identifier!r}")
        return entry, record

    # --- request handling --------------------------------------------------------------------

    def handle(self, pairs: Sequence[tuple[str, str]], now: datetime | None = None) -> bytes:
        """The complete XML response for one request (errors included, as OAI-PMH asks)."""
        now = now or datetime.now(UTC)
        root, request = envelope(self.endpoint, now)
        try:
            verb, args = self._check_arguments(pairs)
            for name, value in [("verb", verb), *sorted(args.items())]:
                request.set(name, value)
            getattr(self, f"_{verb}")(root, args, now)
        except OaiError as error:
            add_error(root, request, error)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    def _check_arguments(self, pairs: Sequence[tuple[str, str]]) -> tuple[str, dict[str, str]]:
        names = [name for name, _ in pairs]
        verbs = [value for name, value in pairs if name == "verb"]
        if len(verbs) != 1:
            message = "the verb argument is missing" if not verbs else "the verb is repeated"
            raise BadVerb(message)
        verb = verbs[0]
        if verb not in VERBS:
            raise BadVerb(f"{verb!r} is not an OAI-PMH verb; use one of " + ", ".join(VERBS))
        required, optional, resumable = VERBS[verb]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise BadArgument(f"argument {repeated[0]!r} is repeated")
        args = {name: value for name, value in pairs if name != "verb"}
        for name, value in args.items():  # echoed in <request>, which lxml would refuse
            if bad := XML_UNSAFE.search(value):
                raise BadArgument(
                    f"argument {name!r} holds the character {bad.group()!r}, which XML cannot carry"
                )
        allowed = required | optional | ({"resumptionToken"} if resumable else set())
        unknown = sorted(set(args) - allowed)
        if unknown:
            raise BadArgument(f"{verb} does not take the argument {unknown[0]!r}")
        if "resumptionToken" in args:
            if len(args) > 1:
                raise BadArgument(
                    "resumptionToken is an exclusive argument: send it alone with the verb",
                )
            return verb, args
        missing = sorted(required - set(args))
        if missing:
            raise BadArgument(f"{verb} requires the argument {missing[0]!r}")
        return verb, args

    # --- the verbs ---------------------------------------------------------------------------

    def _Identify(self, root: etree._Element, args: dict[str, str], now: datetime) -> None:
        first = self.index.oai_headers(OaiSlice(today=now.date()), None, 1)
        stamps = [h.datestamp for h in first] + [e.datestamp for e in self.tombstones.entries()]
        earliest = min(stamps, default=utc_seconds(now))
        node = sub(root, "Identify")
        for name, value in (
            ("repositoryName", self.name),
            ("baseURL", self.endpoint),
            ("protocolVersion", "2.0"),
            ("adminEmail", self.admin_email),
            ("earliestDatestamp", earliest),
            ("deletedRecord", "transient"),
            ("granularity", GRANULARITY),
        ):
            sub(node, name, value)
        if not _DOMAIN.match(self.host):
            return  # oai-identifier needs a domain name; 127.0.0.1 or localhost has none
        description = sub(node, "description")
        ident = etree.SubElement(
            description,
            f"{{{OAI_ID_NS}}}oai-identifier",
            nsmap={None: OAI_ID_NS},  # type: ignore[dict-item]  # lxml takes None
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
        node = sub(root, "ListMetadataFormats")
        for prefix, (schema, namespace) in METADATA_FORMATS.items():
            fmt = sub(node, "metadataFormat")
            sub(fmt, "metadataPrefix", prefix)
            sub(fmt, "schema", schema)
            sub(fmt, "metadataNamespace", namespace)

    def _ListSets(self, root: etree._Element, args: dict[str, str], now: datetime) -> None:
        if "resumptionToken" in args:
            raise BadResumptionToken(
                "ListSets is answered in one response; "
                "this repository issued no resumptionToken for it",
            )
        gone = {s for e in self.tombstones.entries() for s in e.sets}
        slugs = sorted(
            {*self.index.oai_collections(now.date())}
            | {s.split(":", 1)[1] for s in gone if s.startswith("collection:")}
        )
        described = {c.get("slug"): c for c in self.records.collections()}
        node = sub(root, "ListSets")
        add_set(node, "collection", {"zh": "专题藏品", "en": "Collections"})
        for slug in slugs:
            title = (described.get(slug) or {}).get("title") or {"en": slug}
            add_set(node, f"collection:{slug}", title)
        add_set(node, "category", {"zh": "非遗类别", "en": "ICH categories"})
        for category in categories():
            add_set(node, f"category:{category.code}", {"zh": category.zh, "en": category.en})

    def _GetRecord(self, root: etree._Element, args: dict[str, str], _: datetime) -> None:
        prefix = self._format(args["metadataPrefix"])
        entry, record = self._entry_for(args["identifier"])
        self._record(sub(root, "GetRecord"), entry, record, prefix)

    def _ListIdentifiers(self, root: etree._Element, args: dict[str, str], now: datetime) -> None:
        self._list(root, "ListIdentifiers", args, now)

    def _ListRecords(self, root: etree._Element, args: dict[str, str], now: datetime) -> None:
        self._list(root, "ListRecords", args, now)

    # --- lists -------------------------------------------------------------------------------

    def _format(self, prefix: str) -> str:
        if prefix not in METADATA_FORMATS:
            raise CannotDisseminateFormat(
                f"metadataPrefix {prefix!r} is not offered; "
                "use one of " + ", ".join(METADATA_FORMATS),
            )
        return prefix

    def _list_query(self, verb: str, args: dict[str, str]) -> dict[str, Any]:
        if "resumptionToken" in args:
            query = self.tokens.loads(args["resumptionToken"])
            if query.get("verb") != verb:
                raise BadResumptionToken(
                    f"this resumptionToken belongs to {query.get('verb')}, not {verb}",
                )
            return query
        prefix = self._format(args["metadataPrefix"])
        bounds = {n: parse_datestamp(n, args[n]) for n in ("from", "until") if n in args}
        if len({granularity for _, granularity in bounds.values()}) > 1:
            raise BadArgument("from and until must have the same granularity")
        if "from" in bounds and "until" in bounds and bounds["from"][0] > bounds["until"][0]:
            raise BadArgument(f"from ({args['from']}) is later than until ({args['until']})")
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
        where = list_slice(query, now)

        def wanted(entry: Entry) -> bool:
            return (
                entry.in_set(query["set"])
                and (query["from"] is None or entry.datestamp >= query["from"])
                and (query["until"] is None or entry.datestamp <= query["until"])
            )

        gone = [e for e in self.tombstones.entries() if wanted(e)]
        listed = [header_entry(h) for h in self.index.oai_headers(where, after, self.page_size + 1)]
        merged = sorted(
            listed + [e for e in gone if after is None or e.key > after], key=lambda e: e.key
        )
        page, more = merged[: self.page_size], len(merged) > self.page_size
        size = query.get("size")
        if size is None:
            size = self.index.oai_count(where) + len(gone)
        node = etree.Element(f"{{{OAI_NS}}}{verb}")
        for entry in page:
            if verb == "ListIdentifiers":
                self._header(node, entry)
                continue
            try:
                record = None if entry.deleted else self.records.get(entry.id)
            except DamagedRecord:  # damaged since it was listed: left out like in the listing
                continue
            fresh = entry_of(record) if record else entry
            if fresh is not None:
                self._record(node, fresh, record, query["prefix"])
        if not len(node):
            raise NoRecordsMatch("no records match these arguments")
        root.append(node)
        cursor = query["cursor"]
        if after is None and not more:
            return  # the whole list fits in one response: no token at all
        token = etree.SubElement(node, f"{{{OAI_NS}}}resumptionToken")
        token.set("completeListSize", str(max(size, cursor + len(page))))
        token.set("cursor", str(cursor))
        if more:
            last = page[-1]
            token.text = self.tokens.dumps(
                {**query, "after": list(last.key), "cursor": cursor + len(page), "size": size}
            )
            token.set("expirationDate", utc_seconds(now + self.tokens.lifetime))

    # --- records -----------------------------------------------------------------------------

    def _header(self, parent: etree._Element, entry: Entry) -> None:
        header = sub(parent, "header")
        if entry.deleted:
            header.set("status", "deleted")
        sub(header, "identifier", self.identifier(entry.id))
        sub(header, "datestamp", entry.datestamp)
        for spec in entry.sets:
            sub(header, "setSpec", spec)

    def _record(
        self, parent: etree._Element, entry: Entry, record: Mapping[str, Any] | None, prefix: str
    ) -> None:
        node = sub(parent, "record")
        self._header(node, entry)
        if entry.deleted or record is None:
            return
        metadata = sub(node, "metadata")
        if prefix == "edm":
            lookup = authority_lookup(self.authorities) if self.authorities else None
            graph = record_graph(
                record, self.base_url, authorities=lookup, institutions=self.publishers
            )
            metadata.append(etree.fromstring(serialize(graph, "rdfxml")))
        else:
            code = record.get("institution")
            publisher = self.publishers(code) if self.publishers and code else None
            metadata.append(oai_dc(record, self.base_url, publisher))
