"""Authority records (projects, bearers, institutions) in a store, and finding them by name.

Stored like item records: `authorities/<id>.json`, validated on write and read, the record it
replaces kept first as `authorities/versions/<id>/<n>.json`. Saving what is already stored
(apart from `modified`) writes nothing, so importing the same list twice changes nothing.

`find_by_name` is how a manifest's 传承人 or 项目 cell becomes an id: it compares names after
folding away what does not tell two names apart — case, width, spaces and punctuation,
traditional vs simplified characters (OpenCC t2s, the converter the search analyser and the date
reader use), and for Latin text tone marks and tone numbers, so 剪紙, 剪纸, Jiǎnzhǐ and
"jian3 zhi3" are one key. A Chinese query is compared with the Chinese names only (never through
pinyin: homophones are different people); a Latin one with the pinyin of every Chinese name and
the recorded `pinyin` and English names. Every match is returned, so the caller sees ambiguity.
The name index is built on first use from every stored authority (one read each) and rebuilt
after a save.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal, cast

import opencc

from repository.keys import (
    AUTHORITIES_PREFIX,
    authority_key,
    authority_version_key,
    authority_versions_prefix,
)
from repository.records import now_iso
from repository.store import ObjectNotFound, ObjectStore, WriteConflict
from schemas import validate_authority
from schemas.authority import KINDS, Authority, check_id, list_number
from schemas.errors import InvalidInput, NotFound, Unavailable
from schemas.text import check_document

SCHEMA_VERSION = "1.0"
Saved = Literal["stored", "updated", "unchanged"]
_HAN = re.compile("[\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U000323af]")
_NOT_WORD = re.compile(r"[\W_]+")
_TONE_NUMBER = re.compile(r"(?<=[a-z])[1-5]")
_Found = list[tuple[str, str]]  # (authority id, the stored name a key came from)
_Index = dict[tuple[str, str], _Found]  # (script or "id"/"number", key) → what it finds
# `AuthorityStore.list` hides the builtin inside the class: its other lists are named here
_Authorities = list[Authority]
_Numbers = list[int]
_Matches = list["Match"]


class AuthorityNotFound(NotFound):
    def __str__(self) -> str:
        return f"no authority with id {self.args[0]!r}"


class DamagedAuthority(Unavailable):
    """A stored authority that cannot be read (cut short, not JSON, against the schema)."""

    def __init__(self, authority_id: str, key: str, problem: str):
        super().__init__(f"authority {key} is damaged: {problem}")
        self.authority_id = authority_id
        self.key = key
        self.problem = problem


@dataclass(frozen=True)
class Match:
    """One authority a name matched, and the name it matched by (as stored)."""

    id: str
    kind: str
    name: str  # its Chinese name
    matched: str  # the stored name or pinyin the query folded to


@cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def fold_han(text: str) -> str:
    """A Chinese name's key: NFKC, case folded, punctuation and spaces gone, simplified."""
    plain = _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).casefold())
    return str(_converter().convert(plain)) if _HAN.search(plain) else plain


def fold_latin(text: str) -> str:
    """A Latin name's key: case, tone marks and tone numbers, spaces and punctuation gone;
    ü (also written u: or v) is v, as pypinyin writes it."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("u:", "v")
    text = unicodedata.normalize("NFD", text).replace("u\u0308", "v")
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _NOT_WORD.sub("", _TONE_NUMBER.sub("", text))


def pinyin_words(text: str) -> list[str]:
    """Toneless pinyin syllables of the Chinese characters in `text` (王桂芳 -> wang gui fang).
    pypinyin is imported at the first name looked up: loading it costs ~0.3 s."""
    from pypinyin import Style, lazy_pinyin

    syllables = lazy_pinyin(fold_han(text), style=Style.NORMAL, errors="ignore")
    return [s for s in (fold_latin(syllable) for syllable in syllables) if s]


def pinyin_of(text: str) -> str:
    """Toneless pinyin of the Chinese characters in `text`, joined (剪纸 -> jianzhi)."""
    return "".join(pinyin_words(text))


def has_han(text: str) -> bool:
    return bool(_HAN.search(text))


def name_keys(authority: Mapping[str, Any]) -> set[tuple[str, str]]:
    """(script, key) pairs an authority is found by: 'han' keys of its Chinese names, 'latin'
    keys of their pinyin, of its recorded pinyin and of its Latin names."""
    names = [authority["names"]["zh"], *authority.get("alternative_names", [])]
    if "en" in authority["names"]:
        names.append(authority["names"]["en"])
    keys: set[tuple[str, str]] = set()
    for name in names:
        if has_han(name):
            keys.add(("han", fold_han(name)))
            keys.add(("latin", pinyin_of(name)))
        elif folded := fold_latin(name):
            keys.add(("latin", folded))
    if authority.get("pinyin"):
        keys.add(("latin", fold_latin(authority["pinyin"])))
    keys.discard(("latin", ""))
    keys.discard(("han", ""))
    return keys


def dump_authority(authority: Mapping[str, Any]) -> bytes:
    return json.dumps(authority, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")


class AuthorityStore:
    """Reads, writes and finds authority records in an ObjectStore."""

    def __init__(self, store: ObjectStore):
        self.store = store
        self._names: _Index | None = None
        self._zh: dict[str, str] = {}  # id → Chinese name, filled with the index
        self.damaged: dict[str, str] = {}
        """Key → problem of each authority found unreadable (skipped by `list`)."""

    # -------------------------------------------------------------------- reading

    def load(self, authority_id: str) -> Authority:
        """The stored authority; `AuthorityNotFound`, or `DamagedAuthority` naming the problem."""
        return self.load_versioned(authority_id)[0]

    def load_versioned(self, authority_id: str) -> tuple[Authority, str]:
        """The stored authority and its store ETag, for a later `save(..., if_match=)`."""
        try:
            key = authority_key(authority_id)
        except ValueError:
            raise AuthorityNotFound(authority_id) from None
        try:
            data, etag = self.store.get_versioned(key)
        except ObjectNotFound:
            raise AuthorityNotFound(authority_id) from None
        try:
            found = json.loads(data)
            if not isinstance(found, dict):
                raise InvalidInput(f"a JSON {type(found).__name__}, not an object")
            validate_authority(found)
            if found["id"] != authority_id:
                raise InvalidInput(f"it holds the authority {found['id']!r}")
        except ValueError as exc:  # bad UTF-8 or JSON, SchemaError
            self.damaged[key] = str(exc)
            raise DamagedAuthority(authority_id, key, str(exc)) from exc
        self.damaged.pop(key, None)
        return cast(Authority, found), etag  # it passed the schema

    def get(self, authority_id: str) -> Authority | None:
        try:
            return self.load(authority_id)
        except AuthorityNotFound:
            return None

    def ids(self) -> Iterator[str]:
        for key in self.store.list(AUTHORITIES_PREFIX):
            name = key[len(AUTHORITIES_PREFIX) :]
            if "/" not in name and name.endswith(".json"):
                yield name[: -len(".json")]

    def list(self, kind: str | None = None) -> _Authorities:
        """Every readable authority (of `kind`), by id; a damaged one is skipped and remembered."""
        if kind is not None and kind not in KINDS:
            raise InvalidInput(f"kind {kind!r} is not one of {', '.join(KINDS)}")
        found = []
        for authority_id in self.ids():
            if kind is not None and not authority_id.startswith(f"{kind}-"):
                continue
            try:
                authority = self.get(authority_id)
            except DamagedAuthority:
                continue
            if authority is not None:
                found.append(authority)
        return found

    def version_numbers(self, authority_id: str) -> _Numbers:
        prefix = authority_versions_prefix(authority_id)
        names = (key[len(prefix) : -len(".json")] for key in self.store.list(prefix))
        return sorted(int(name) for name in names if name.isdigit())

    # -------------------------------------------------------------------- writing

    def save(self, authority: Mapping[str, Any], *, if_match: str | None = None) -> Saved:
        """Validate and write `authority`; the stored one is kept as a version first. `created`
        is the first save's, `modified` now; nothing is written when only `modified` would
        change. `SchemaError` (an `InvalidInput`) names the bad field. `if_match`: the ETag the
        caller read it at (`load_versioned`); `WriteConflict` if it changed since."""
        document = dict(authority)
        document.setdefault("schema_version", SCHEMA_VERSION)
        check_id(str(document.get("id", "")), document.get("kind"))
        key = authority_key(document["id"])
        etag: str | None
        try:
            previous_bytes, etag = self.store.get_versioned(key)
        except ObjectNotFound:
            previous_bytes, etag = None, None
        if if_match is not None and etag != if_match:
            raise WriteConflict(f"authority {document['id']} has changed since it was read")
        previous = _readable(previous_bytes)
        now = now_iso()
        document["created"] = (previous or {}).get("created") or document.get("created") or now
        document["modified"] = (previous or {}).get("modified", now)
        if previous is not None and document == previous:
            return "unchanged"
        document["modified"] = now
        validate_authority(document)
        check_document(document, what=f"authority {document['id']}")
        # Conditional, as records are (`repository.records`): of two processes saving one
        # authority at once, one wins and the other gets `WriteConflict`; no version is lost.
        if previous_bytes is not None:
            numbers = self.version_numbers(document["id"])
            n = numbers[-1] + 1 if numbers else 1
            version = authority_version_key(document["id"], n)
            self.store.put_bytes(version, previous_bytes, if_none_match=True)
        data = dump_authority(document)
        if etag is None:
            self.store.put_bytes(key, data, if_none_match=True)
        else:
            self.store.put_bytes(key, data, if_match=etag)
        self._names = None
        return "updated" if previous_bytes is not None else "stored"

    # -------------------------------------------------------------------- finding

    def find_by_name(self, name: str, kind: str | None = None) -> _Matches:
        """Every authority (of `kind`) that `name` names: by id, by list number (Ⅶ-16, VII-16),
        by a Chinese name in either script, or by pinyin; [] when none does."""
        wanted = name.strip()
        if not wanted:
            return []
        index = self._index()
        ids: _Found = []
        ids += index.get(("id", wanted.lower()), [])
        with suppress(InvalidInput):  # not a list number
            ids += index.get(("number", list_number(wanted)), [])
        script = "han" if has_han(wanted) else "latin"
        folded = fold_han(wanted) if script == "han" else fold_latin(wanted)
        ids += index.get((script, folded), [])
        matches: dict[str, Match] = {}
        for authority_id, matched in ids:
            if kind is not None and not authority_id.startswith(f"{kind}-"):
                continue
            if authority_id not in matches:
                zh = self._zh[authority_id]
                matches[authority_id] = Match(authority_id, authority_id.split("-")[0], zh, matched)
        return sorted(matches.values(), key=lambda m: m.id)

    def _index(self) -> _Index:
        if self._names is not None:
            return self._names
        names: _Index = {}
        self._zh = {}
        for authority in self.list():
            authority_id = authority["id"]
            self._zh[authority_id] = authority["names"]["zh"]
            names[("id", authority_id)] = [(authority_id, authority_id)]
            if "list_number" in authority:
                number = authority["list_number"]
                names.setdefault(("number", number), []).append((authority_id, number))
            shown = _shown_names(authority)
            for key in name_keys(authority):
                names.setdefault(key, []).append((authority_id, shown.get(key, key[1])))
        self._names = names
        return names


def _shown_names(authority: Mapping[str, Any]) -> dict[tuple[str, str], str]:
    """Each name key → the stored name it came from, for messages ('matched 剪紙')."""
    shown: dict[tuple[str, str], str] = {}
    if authority.get("pinyin"):
        shown[("latin", fold_latin(authority["pinyin"]))] = authority["pinyin"]
    for name in [authority["names"]["zh"], *authority.get("alternative_names", [])]:
        if has_han(name):
            shown.setdefault(("han", fold_han(name)), name)
            shown.setdefault(("latin", pinyin_of(name)), name)
        else:
            shown.setdefault(("latin", fold_latin(name)), name)
    if "en" in authority["names"]:
        shown.setdefault(("latin", fold_latin(authority["names"]["en"])), authority["names"]["en"])
    return shown


def _readable(data: bytes | None) -> dict[str, Any] | None:
    """The stored document, or None when there is none or it cannot be read (then replaced)."""
    if data is None:
        return None
    try:
        found = json.loads(data)
    except ValueError:
        return None
    return found if isinstance(found, dict) else None
