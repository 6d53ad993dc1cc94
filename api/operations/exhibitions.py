"""Online exhibitions (线上展览): an institution's staff compose a story from items — sections of
text, each with items, details of an image (an IIIF region) or clips of a video or sound — and
publish it through review. Free of HTTP: the workspace pages, the public pages, IIIF and the
JSON listing all go through here.

Who does what (docs/exhibitions.md): any member of the institution creates one and edits it
while it is a draft; curators edit it in any status. An archivist submits it for review
(draft → review); a curator publishes it, sends it back to draft or withdraws it. Another
institution's exhibition is `NotFound` for staff (its existence does not leak); admins act for
every institution.

What the public sees: only a published exhibition, and in it only the entries whose item the
public may see (`is_visible`): a hidden, withdrawn or restricted item is skipped as if it had never
been put there — nothing of it (title, picture, position, count) is shown.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from api.operations.access import audience_of
from api.operations.callers import Caller
from api.operations.items import ItemLocks, WriteContext, audit
from api.services import Services
from repository import now_iso
from repository.exhibitions import ExhibitionStore
from repository.keys import is_valid_slug
from repository.store import WriteConflict
from schemas.errors import Conflict, Forbidden, InvalidInput, NotFound, PreconditionFailed
from schemas.text import XML_UNSAFE
from search.base import Audience, is_visible

Status = Literal["draft", "review", "published", "withdrawn"]
STATUSES: tuple[Status, ...] = ("draft", "review", "published", "withdrawn")
TRANSITIONS: dict[str, dict[str, str]] = {
    # from → {to: the role that may make the move}
    "draft": {"review": "archivist"},
    "review": {"published": "curator", "draft": "curator"},
    "published": {"withdrawn": "curator"},
    "withdrawn": {"draft": "archivist", "review": "archivist"},
}
LANGUAGES = ("zh", "en")
MAX_TITLE = 200
MAX_TEXT = 4000
MAX_SECTIONS = 50
MAX_ENTRIES = 50
MAX_SECONDS = 86_400.0
RESERVED_SLUGS = frozenset({"new"})

PROBLEMS = {
    "slug_missing": "a slug is required",
    "slug_invalid": "use 1-63 lower-case ASCII letters, digits and hyphens, not starting with "
    "a hyphen (e.g. spring-festival-papercuts)",
    "slug_reserved": "this word is reserved; choose another slug",
    "slug_taken": "an exhibition with this slug exists already",
    "title_missing": "give a title in Chinese or English (or both)",
    "too_long": "too long",
    "control": "holds a control character",
    "too_many": "too many (at most 50 sections, 50 entries in each)",
    "item_invalid": "not an item id (lower-case letters, digits and hyphens)",
    "item_unknown": "no item with this id that you may see",
    "region_invalid": "write x,y,w,h in pixels of the access image or pct:x,y,w,h (percent)",
    "region_no_image": "this item has no image to take a detail of",
    "region_outside": "the detail is empty or lies outside the image",
    "region_and_clip": "an entry is either an image detail or a clip, not both",
    "clip_invalid": "start and end are seconds (e.g. 12 or 12.5), both given, from 0",
    "clip_order": "the end must come after the start",
    "clip_no_media": "this item has no video or sound to take a clip of",
    "clip_beyond": "the clip starts after the recording ends",
}
"""Problem codes a page shows in its language (`exhibitions.problem.<code>`), English here."""


class ExhibitionInputError(InvalidInput):
    """The form's values cannot be saved: each problem as (field, code of PROBLEMS)."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(f"{name}: {PROBLEMS[code]}" for name, code in problems))
        self.problems = problems


_LINE_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_TEXT_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_ITEM_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,80}$")
_PX = r"([0-9]{1,9})"
_PCT = r"([0-9]{1,3}(?:\.[0-9]{1,4})?)"
_PX_REGION = re.compile(rf"{_PX},{_PX},{_PX},{_PX}")
_PCT_REGION = re.compile(rf"pct:{_PCT},{_PCT},{_PCT},{_PCT}")
_SECONDS = re.compile(r"[0-9]{1,6}(?:\.[0-9]{1,3})?")


# --- what an item offers an entry --------------------------------------------------------------


def first_image(record: Mapping[str, Any]) -> dict[str, Any] | None:
    """The item's first access image with its size (what a detail is a region of)."""
    for file in record.get("files", []):
        if (
            file["role"] == "access"
            and file["media_type"].startswith("image/")
            and "width" in file
            and "height" in file
        ):
            return dict(file)
    return None


def first_timed(record: Mapping[str, Any]) -> tuple[dict[str, Any], int] | None:
    """The item's first access video or sound and its number among the access files (a clip is
    taken of it)."""
    n = 0
    for file in record.get("files", []):
        if file["role"] != "access":
            continue
        n += 1
        if file["media_type"].split("/")[0] in ("video", "audio"):
            return dict(file), n
    return None


def region_box(region: str, width: int, height: int) -> tuple[int, int, int, int] | None:
    """The pixels (x, y, w, h) of a region of a width × height image, clipped to it; None when
    the region is not written as x,y,w,h or pct:x,y,w,h, or is empty or outside the image."""
    if match := _PX_REGION.fullmatch(region):
        x, y, w, h = (int(v) for v in match.groups())
    elif match := _PCT_REGION.fullmatch(region):
        px, py, pw, ph = (float(v) for v in match.groups())
        if max(px, py, pw, ph) > 100:
            return None
        x, y = round(px * width / 100), round(py * height / 100)
        w, h = round(pw * width / 100), round(ph * height / 100)
    else:
        return None
    if w <= 0 or h <= 0 or x >= width or y >= height:
        return None
    return x, y, min(w, width - x), min(h, height - y)


# --- who may see and change one ------------------------------------------------------------------


def _acts_for(caller: Caller, exhibition: Mapping[str, Any]) -> bool:
    return caller.role == "admin" or exhibition.get("institution") == caller.institution


def readable_exhibition(
    store: ExhibitionStore, slug: str, caller: Caller
) -> tuple[dict[str, Any], str]:
    """The exhibition and its version for a member of its institution or an admin; `NotFound`
    for a missing one and, alike, for another institution's."""
    found = store.load_versioned(slug) if is_valid_slug(slug) else None
    if found is None or not _acts_for(caller, found[0]):
        raise NotFound(f"no exhibition {slug!r}")
    return found


def staff_exhibitions(store: ExhibitionStore, caller: Caller) -> list[dict[str, Any]]:
    """The caller's institution's exhibitions (an admin's: all), by slug."""
    return [e for e in store.all() if _acts_for(caller, e)]


def may_edit(caller: Caller, exhibition: Mapping[str, Any]) -> bool:
    """Any member edits a draft; a submitted, published or withdrawn one only a curator."""
    return _acts_for(caller, exhibition) and (
        exhibition.get("status") == "draft" or caller.has_role("curator")
    )


def moves_for(caller: Caller, exhibition: Mapping[str, Any]) -> list[str]:
    """The statuses the caller may move this exhibition to now."""
    if not _acts_for(caller, exhibition):
        return []
    allowed = TRANSITIONS.get(str(exhibition.get("status")), {})
    return [to for to, role in allowed.items() if caller.has_role(role)]  # type: ignore[arg-type]


# --- the form's values -----------------------------------------------------------------------


@dataclass
class EntryInput:
    """One entry as typed: the item id, a region, a clip's start and end, a caption."""

    item: str = ""
    region: str = ""
    start: str = ""
    end: str = ""
    caption: dict[str, str] = field(default_factory=dict)


@dataclass
class SectionInput:
    heading: dict[str, str] = field(default_factory=dict)
    text: dict[str, str] = field(default_factory=dict)
    entries: list[EntryInput] = field(default_factory=list)


@dataclass
class Composition:
    """An exhibition's content as the form gives it (before checking)."""

    title: dict[str, str] = field(default_factory=dict)
    introduction: dict[str, str] = field(default_factory=dict)
    sections: list[SectionInput] = field(default_factory=list)


def _position(fields: Mapping[str, str], name: str, default: int) -> int:
    """The position typed (a number input); blank or not a number: where it stands now."""
    text = fields.get(name, "").strip()
    return int(text) if re.fullmatch(r"-?[0-9]{1,6}", text) else default


def _langs(fields: Mapping[str, str], prefix: str) -> dict[str, str]:
    return {lang: fields.get(f"{prefix}_{lang}", "") for lang in LANGUAGES}


def composition_from_form(fields: Mapping[str, str]) -> Composition:
    """Read the edit form: `title_zh`…, `intro_zh`…, sections `s{i}_heading_zh`, `s{i}_text_zh`,
    `s{i}_pos`, `s{i}_remove`; their entries `s{i}_e{j}_item`, `_region`, `_start`, `_end`,
    `_caption_zh`, `_caption_en`, `_pos`, `_remove`. A section or entry is kept in the order of
    its position (ties: as on the form); removed or blank ones are dropped."""
    composition = Composition(_langs(fields, "title"), _langs(fields, "intro"))
    section_numbers = sorted(
        {int(m.group(1)) for name in fields if (m := re.fullmatch(r"s([0-9]{1,4})_.*", name))}
    )
    placed: list[tuple[int, int, SectionInput]] = []
    for i in section_numbers:
        if fields.get(f"s{i}_remove"):
            continue
        section = SectionInput(_langs(fields, f"s{i}_heading"), _langs(fields, f"s{i}_text"))
        entry_numbers = sorted(
            {
                int(m.group(1))
                for name in fields
                if (m := re.fullmatch(rf"s{i}_e([0-9]{{1,4}})_.*", name))
            }
        )
        entries: list[tuple[int, int, EntryInput]] = []
        for j in entry_numbers:
            prefix = f"s{i}_e{j}"
            if fields.get(f"{prefix}_remove"):
                continue
            entry = EntryInput(
                fields.get(f"{prefix}_item", "").strip(),
                fields.get(f"{prefix}_region", "").strip(),
                fields.get(f"{prefix}_start", "").strip(),
                fields.get(f"{prefix}_end", "").strip(),
                _langs(fields, f"{prefix}_caption"),
            )
            if not (entry.item or entry.region or entry.start or entry.end) and not any(
                entry.caption.values()
            ):
                continue  # the blank row for a new entry
            entries.append((_position(fields, f"{prefix}_pos", j), j, entry))
        section.entries = [entry for _, _, entry in sorted(entries, key=lambda t: t[:2])]
        if not (any(section.heading.values()) or any(section.text.values()) or section.entries):
            continue  # the blank section for a new one
        placed.append((_position(fields, f"s{i}_pos", i), i, section))
    composition.sections = [section for _, _, section in sorted(placed, key=lambda t: t[:2])]
    return composition


def _check_texts(
    texts: Mapping[str, str], name: str, limit: int, *, line: bool
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    problems: list[tuple[str, str]] = []
    kept = {}
    controls = _LINE_CONTROLS if line else _TEXT_CONTROLS
    for lang in LANGUAGES:
        text = texts.get(lang, "")
        if len(text) > limit:
            problems.append((f"{name}_{lang}", "too_long"))
        elif controls.search(text) or XML_UNSAFE.search(text):
            problems.append((f"{name}_{lang}", "control"))
        elif text:
            kept[lang] = text
    return kept, problems


def _seconds(text: str) -> float | None:
    return float(text) if _SECONDS.fullmatch(text) and float(text) <= MAX_SECONDS else None


def _check_entry(
    entry: EntryInput, name: str, services: Services, audience: Audience
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """One entry as stored, and its problems. The item must be one the composer may see."""
    problems: list[tuple[str, str]] = []
    stored: dict[str, Any] = {"item": entry.item}
    record = None
    if not _ITEM_ID.fullmatch(entry.item):
        problems.append((f"{name}_item", "item_invalid"))
    else:
        record = services.records.get(entry.item)
        if record is None or not is_visible(record, audience):
            problems.append((f"{name}_item", "item_unknown"))
            record = None
    clip = bool(entry.start or entry.end)
    region = entry.region.replace(" ", "")  # "10, 20, 30, 40" as people type it
    if region and clip:
        problems.append((f"{name}_region", "region_and_clip"))
    elif region:
        image = first_image(record) if record is not None else None
        percent = _PCT_REGION.fullmatch(region)
        if not (_PX_REGION.fullmatch(region) or percent) or (
            percent and max(float(v) for v in percent.groups()) > 100
        ):
            problems.append((f"{name}_region", "region_invalid"))
        elif record is not None and image is None:
            problems.append((f"{name}_region", "region_no_image"))
        elif image is not None and region_box(region, image["width"], image["height"]) is None:
            problems.append((f"{name}_region", "region_outside"))
        stored["region"] = region
    elif clip:
        start, end = _seconds(entry.start), _seconds(entry.end)
        timed = first_timed(record) if record is not None else None
        if start is None:
            problems.append((f"{name}_start", "clip_invalid"))
        elif end is None:
            problems.append((f"{name}_end", "clip_invalid"))
        elif end <= start:
            problems.append((f"{name}_end", "clip_order"))
        elif record is not None and timed is None:
            problems.append((f"{name}_start", "clip_no_media"))
        elif timed is not None and "duration" in timed[0] and start >= float(timed[0]["duration"]):
            problems.append((f"{name}_start", "clip_beyond"))
        else:
            stored |= {"start": start, "end": end}
    caption, said = _check_texts(entry.caption, f"{name}_caption", MAX_TEXT, line=False)
    problems += said
    if caption:
        stored["caption"] = caption
    return stored, problems


def check_composition(
    composition: Composition, services: Services, caller: Caller
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The exhibition's content as stored (title, introduction, sections) and every problem,
    field by field in the form's names (`s{i}_…` numbered as the sections now stand, from 1)."""
    audience = audience_of(caller)
    problems: list[tuple[str, str]] = []
    title, said = _check_texts(composition.title, "title", MAX_TITLE, line=True)
    problems += said
    if not title and not said:
        problems.append(("title_zh", "title_missing"))
    introduction, said = _check_texts(composition.introduction, "intro", MAX_TEXT, line=False)
    problems += said
    if len(composition.sections) > MAX_SECTIONS:
        problems.append(("sections", "too_many"))
    sections = []
    for i, section in enumerate(composition.sections[:MAX_SECTIONS], start=1):
        heading, said = _check_texts(section.heading, f"s{i}_heading", MAX_TITLE, line=True)
        problems += said
        text, said = _check_texts(section.text, f"s{i}_text", MAX_TEXT, line=False)
        problems += said
        if len(section.entries) > MAX_ENTRIES:
            problems.append((f"s{i}", "too_many"))
        entries = []
        for j, entry in enumerate(section.entries[:MAX_ENTRIES], start=1):
            stored, said = _check_entry(entry, f"s{i}_e{j}", services, audience)
            problems += said
            entries.append(stored)
        shown: dict[str, Any] = {"entries": entries}
        if heading:
            shown["heading"] = heading
        if text:
            shown["text"] = text
        sections.append(shown)
    content: dict[str, Any] = {"title": title, "sections": sections}
    if introduction:
        content["introduction"] = introduction
    return content, problems


def composition_of(exhibition: Mapping[str, Any]) -> Composition:
    """A stored exhibition's content as the form shows it."""
    return Composition(
        dict(exhibition.get("title") or {}),
        dict(exhibition.get("introduction") or {}),
        [
            SectionInput(
                dict(section.get("heading") or {}),
                dict(section.get("text") or {}),
                [
                    EntryInput(
                        entry["item"],
                        entry.get("region", ""),
                        _written(entry.get("start")),
                        _written(entry.get("end")),
                        dict(entry.get("caption") or {}),
                    )
                    for entry in section.get("entries") or []
                ],
            )
            for section in exhibition.get("sections") or []
        ],
    )


def form_fields(composition: Composition) -> dict[str, str]:
    """The edit form's fields (what `composition_from_form` reads), sections and entries
    numbered from 1 as they now stand: the names problems are reported under."""
    fields: dict[str, str] = {}
    for lang in LANGUAGES:
        fields[f"title_{lang}"] = composition.title.get(lang, "")
        fields[f"intro_{lang}"] = composition.introduction.get(lang, "")
    for i, section in enumerate(composition.sections, start=1):
        fields[f"s{i}_pos"] = str(i)
        for lang in LANGUAGES:
            fields[f"s{i}_heading_{lang}"] = section.heading.get(lang, "")
            fields[f"s{i}_text_{lang}"] = section.text.get(lang, "")
        for j, entry in enumerate(section.entries, start=1):
            prefix = f"s{i}_e{j}"
            fields[f"{prefix}_pos"] = str(j)
            fields[f"{prefix}_item"] = entry.item
            fields[f"{prefix}_region"] = entry.region
            fields[f"{prefix}_start"] = entry.start
            fields[f"{prefix}_end"] = entry.end
            for lang in LANGUAGES:
                fields[f"{prefix}_caption_{lang}"] = entry.caption.get(lang, "")
    return fields


def _written(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return str(int(seconds)) if float(seconds).is_integer() else str(seconds)


# --- writes ----------------------------------------------------------------------------------


def create_exhibition(
    services: Services,
    locks: ItemLocks,
    context: WriteContext,
    slug: str,
    title: Mapping[str, str],
    institution: str | None = None,
) -> dict[str, Any]:
    """A new draft exhibition of the caller's institution (an admin may name another)."""
    caller = context.caller
    problems: list[tuple[str, str]] = []
    if not slug:
        problems.append(("slug", "slug_missing"))
    elif not is_valid_slug(slug):
        problems.append(("slug", "slug_invalid"))
    elif slug in RESERVED_SLUGS:
        problems.append(("slug", "slug_reserved"))
    kept, said = _check_texts(title, "title", MAX_TITLE, line=True)
    problems += said
    if not kept and not said:
        problems.append(("title_zh", "title_missing"))
    store = ExhibitionStore(services.store)
    if not problems and store.exists(slug):
        problems.append(("slug", "slug_taken"))
    if problems:
        raise ExhibitionInputError(problems)
    now = now_iso()
    exhibition: dict[str, Any] = {
        "slug": slug,
        "institution": institution
        if caller.role == "admin" and institution
        else caller.institution,
        "title": kept,
        "status": "draft",
        "sections": [],
        "created": now,
        "modified": now,
        "modified_by": caller.agent,
    }
    with locks.hold(f"exhibition:{slug}"):
        try:
            store.save(exhibition, create=True)
        except WriteConflict:
            raise ExhibitionInputError([("slug", "slug_taken")]) from None
        audit(services, context, None, f"exhibition {slug} created")
    return exhibition


def _conflict(slug: str) -> PreconditionFailed:
    return PreconditionFailed(
        f"exhibition {slug} was changed by someone else since you opened it; "
        "read it again and repeat the change"
    )


def save_composition(
    services: Services,
    locks: ItemLocks,
    context: WriteContext,
    slug: str,
    composition: Composition,
    if_match: str,
) -> tuple[dict[str, Any], str]:
    """Change an exhibition's title, introduction and sections, with If-Match = the version the
    form showed, as one read-check-write under the slug's lock; checked (every entry's item, region
    and clip), validated, stored conditionally and audited. The stored exhibition and version."""
    caller = context.caller
    store = ExhibitionStore(services.store)
    with locks.hold(f"exhibition:{slug}"):
        current, etag = readable_exhibition(store, slug, caller)
        if not may_edit(caller, current):
            raise Forbidden(
                f"exhibition {slug} is {current['status']}: changing it needs the curator role; "
                f"you are {caller.role}"
            )
        content, problems = check_composition(composition, services, caller)
        if problems:
            raise ExhibitionInputError(problems)
        if if_match != etag:
            raise _conflict(slug)
        changed = copy.deepcopy(current)
        changed.pop("introduction", None)
        changed.update(content)
        if changed == current:
            return current, etag
        changed["modified"], changed["modified_by"] = now_iso(), caller.agent
        try:
            new_etag = store.save(changed, if_match=etag)
        except WriteConflict:
            raise _conflict(slug) from None
        entries = sum(len(s["entries"]) for s in changed["sections"])
        audit(
            services,
            context,
            None,
            f"exhibition {slug} changed: {len(changed['sections'])} sections, {entries} entries",
        )
    return changed, new_etag


def move_exhibition(
    services: Services,
    locks: ItemLocks,
    context: WriteContext,
    slug: str,
    status: str,
    if_match: str | None = None,
) -> dict[str, Any]:
    """One review decision: submit (→ review, any member), publish, return to draft or withdraw
    (curators). `Conflict` naming the allowed moves; `Forbidden` for a move above the role."""
    caller = context.caller
    store = ExhibitionStore(services.store)
    with locks.hold(f"exhibition:{slug}"):
        current, etag = readable_exhibition(store, slug, caller)
        now_status = str(current["status"])
        allowed = TRANSITIONS.get(now_status, {})
        if status not in allowed:
            raise Conflict(
                f"exhibition {slug} is {now_status}: it cannot move to {status}; allowed from "
                f"{now_status}: {', '.join(allowed) or 'nothing'}"
            )
        if not caller.has_role(allowed[status]):  # type: ignore[arg-type]
            raise Forbidden(
                f"moving an exhibition to {status} needs the {allowed[status]} role; "
                f"you are {caller.role}"
            )
        if if_match and if_match != etag:
            raise _conflict(slug)
        changed = {**current, "status": status, "modified": now_iso(), "modified_by": caller.agent}
        if status == "published":
            changed["published"] = changed["modified"]
        try:
            store.save(changed, if_match=etag)
        except WriteConflict:
            raise _conflict(slug) from None
        audit(services, context, None, f"exhibition {slug} {now_status} → {status}")
    return changed


# --- what the public sees --------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """One entry the audience may see, with its item's record."""

    entry: Mapping[str, Any]
    record: Mapping[str, Any]
    position: int  # among the entries shown, from 1 over the whole exhibition


@dataclass(frozen=True)
class ShownSection:
    section: Mapping[str, Any]
    entries: Sequence[Shown]


def published_exhibitions(store: ExhibitionStore) -> list[dict[str, Any]]:
    """The exhibitions the public may see, newest publication first."""
    shown = [e for e in store.all() if e.get("status") == "published"]
    return sorted(
        shown, key=lambda e: str(e.get("published") or e.get("modified") or ""), reverse=True
    )


def public_exhibition(store: ExhibitionStore, slug: str) -> dict[str, Any]:
    """A published exhibition; `NotFound` for any other (a draft is as missing as no exhibition)."""
    found = store.load(slug) if is_valid_slug(slug) else None
    if found is None or found.get("status") != "published":
        raise NotFound(f"no exhibition {slug!r}")
    return found


def shown_sections(
    services: Services, exhibition: Mapping[str, Any], audience: Audience
) -> list[ShownSection]:
    """The sections with only the entries whose item `audience` may see, in order; numbered
    over what is shown, so a skipped entry leaves no gap."""
    cache: dict[str, Mapping[str, Any] | None] = {}
    position = 0
    sections = []
    for section in exhibition.get("sections") or []:
        entries = []
        for entry in section.get("entries") or []:
            item_id = entry["item"]
            if item_id not in cache:
                loaded = services.records.get(item_id)
                cache[item_id] = (
                    loaded if loaded is not None and is_visible(loaded, audience) else None
                )
            seen = cache[item_id]
            if seen is None:
                continue
            position += 1
            entries.append(Shown(entry, seen, position))
        sections.append(ShownSection(section, entries))
    return sections
