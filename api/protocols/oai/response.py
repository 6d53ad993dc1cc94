"""Writing OAI-PMH responses: the envelope, errors, headers, sets and `oai_dc` metadata (lxml)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from lxml import etree

from api.protocols.oai.catalogue import utc_seconds
from api.protocols.oai.errors import BadArgument, BadVerb, OaiError
from schemas import category_by_code

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
OAI_ID_NS = "http://www.openarchives.org/OAI/2.0/oai-identifier"

_DC_TYPES = {
    "image": "Image",
    "video": "MovingImage",
    "audio": "Sound",
    "document": "Text",
    "text": "Text",
}


_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
"""A name with Han characters is tagged zh; a Latin-script name carries no language."""


def envelope(endpoint: str, now: datetime) -> tuple[etree._Element, etree._Element]:
    """The `<OAI-PMH>` root with its responseDate, and its `<request>` element."""
    namespaces = {None: OAI_NS, "xsi": XSI_NS}  # None: the default namespace
    root = etree.Element(f"{{{OAI_NS}}}OAI-PMH", nsmap=namespaces)  # type: ignore[arg-type]
    root.set(
        f"{{{XSI_NS}}}schemaLocation",
        f"{OAI_NS} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd",
    )
    sub(root, "responseDate", utc_seconds(now))
    return root, sub(root, "request", endpoint)


def add_error(root: etree._Element, request: etree._Element, error: OaiError) -> None:
    if isinstance(error, BadVerb | BadArgument):
        request.attrib.clear()  # the spec: no attributes echoed for these two
    sub(root, "error", error.message).set("code", error.code)


def oai_dc(
    record: Mapping[str, Any], base_url: str, publisher: Mapping[str, str] | None = None
) -> etree._Element:
    """Simple Dublin Core of a record, with xml:lang on language-specific values. `publisher`:
    the names of its institution by language; an institution nobody named is written as its
    code, which still tells a harvester whose record it is."""
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
        add(element, person["name"], "zh" if _HAN.search(person["name"]) else None)
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
    for lang, name in (publisher or {}).items():
        add("publisher", name, lang)
    if not publisher and record.get("institution"):
        add("publisher", record["institution"])
    for media_type in dict.fromkeys(f["media_type"] for f in record.get("files", [])):
        add("format", media_type)
    return dc


def sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{OAI_NS}}}{name}")
    if text is not None:
        element.text = text
    return element


def add_set(parent: etree._Element, spec: str, names: dict[str, str]) -> None:
    node = sub(parent, "set")
    sub(node, "setSpec", spec)
    sub(node, "setName", " / ".join(dict.fromkeys(names.values())))
    description = sub(node, "setDescription")
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
