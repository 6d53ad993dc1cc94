"""The sensitive-terms screen: the algorithm flags, a person decides.

A word list (Chinese and English; the default ships as `schemas/vocabularies/sensitive-terms.json`,
`HERITAGE_SENSITIVE_TERMS_FILE` replaces it) is matched with the search analyser's normalisation:
traditional → simplified, case and width folding, light English stemming. A term matches as a
phrase of the analyser's tokens (a one-character Chinese term as that character), so what search
would find as the phrase, the screen finds too.

`screen_record` flags an item: a derived tag `needs-review:<code>` per kind of term, one `review`
event naming each term and field, and a `published` item is held back in `review`. It runs on
ingest and on every edit; given the previous version it only flags what is new, so a re-run or an
edit elsewhere does not flag again what a curator already saw. Flags survive until a curator
publishes the item (the review route clears them).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from schemas.errors import InvalidInput
from search.analysis import analyze, fold

SCREENING_AGENT = "heritage-screening"
TAG_PREFIX = "needs-review:"
_ONE_HAN = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]$")


class ScreenConfigError(InvalidInput):
    """The word list is unusable; the message names the file and the entry."""


@dataclass(frozen=True)
class Term:
    text: str
    code: str
    tokens: tuple[str, ...]
    char: str | None  # a one-character Chinese term, matched as that character


@dataclass(frozen=True)
class Match:
    term: str
    code: str
    field: str  # JSON path, e.g. title.zh, subjects[2]


@dataclass
class Finding:
    """What one screening found and did; `event` is None when nothing new was found."""

    matches: list[Match] = field(default_factory=list)
    held_back: bool = False
    event: dict[str, str] | None = None


class Screen:
    def __init__(self, terms: list[Term], source: str):
        self.terms = terms
        self.source = source

    @classmethod
    def parse(cls, data: Any, source: str) -> Screen:
        concepts = data.get("concepts") if isinstance(data, dict) else None
        if not isinstance(concepts, list):
            raise ScreenConfigError(f"{source}: expected an object with a 'concepts' list")
        terms = []
        for n, concept in enumerate(concepts):
            where = f"{source}: concepts[{n}]"
            code = concept.get("code") if isinstance(concept, dict) else None
            words = concept.get("terms") if isinstance(concept, dict) else None
            if not isinstance(code, str) or not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,60}", code):
                raise ScreenConfigError(f"{where}: 'code' must be a short lower-case slug")
            if not isinstance(words, list) or not words:
                raise ScreenConfigError(f"{where}: 'terms' must be a non-empty list of strings")
            for m, word in enumerate(words):
                terms.append(_term(word, code, f"{where}.terms[{m}]"))
        return cls(terms, source)

    def scan(self, text: str) -> list[Term]:
        """The terms found in `text`, each once."""
        tokens = analyze(text)
        positions: dict[str, list[int]] = {}
        for i, token in enumerate(tokens):
            positions.setdefault(token, []).append(i)
        folded: str | None = None
        found = []
        for term in self.terms:
            if term.char is not None:
                folded = fold(text) if folded is None else folded
                hit = term.char in folded
            else:
                hit = any(
                    tokens[start : start + len(term.tokens)] == list(term.tokens)
                    for start in positions.get(term.tokens[0], ())
                )
            if hit:
                found.append(term)
        return found


def _term(word: Any, code: str, where: str) -> Term:
    if not isinstance(word, str) or not word.strip():
        raise ScreenConfigError(f"{where}: a term must be a non-empty string")
    folded = fold(word.strip())
    if _ONE_HAN.match(folded):
        return Term(word, code, (folded,), folded)
    tokens = tuple(analyze(word))
    if not tokens:
        raise ScreenConfigError(f"{where}: {word!r} has nothing to match (only stop words?)")
    return Term(word, code, tokens, None)


@cache
def load_screen(path: str | None = None) -> Screen:
    """The word list at `path`, or the shipped default; read once per path."""
    if path:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ScreenConfigError(f"{path}: cannot read the sensitive-terms list: {exc}") from exc
        return Screen.parse(data, path)
    shipped = resources.files("schemas").joinpath("vocabularies/sensitive-terms.json")
    return Screen.parse(json.loads(shipped.read_text(encoding="utf-8")), "sensitive-terms.json")


def screen_for(path: Path | None) -> Screen:
    """The configured screen: the list at `path` (`HERITAGE_SENSITIVE_TERMS_FILE`, passed down
    from the settings) or, when None, the shipped list."""
    return load_screen(str(path) if path else None)


def _texts(record: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(JSON path, text) of every descriptive text an item shows or is found by. Rights
    statements are left out: their boilerplate ("未经授权不得转载") would flag everything."""
    for name in ("title", "description"):
        for lang, text in (record.get(name) or {}).items():
            yield f"{name}.{lang}", text
    for n, subject in enumerate(record.get("subjects") or []):
        yield f"subjects[{n}]", subject
    for n, person in enumerate(record.get("people") or []):
        for key in ("name", "name_en"):
            if person.get(key):
                yield f"people[{n}].{key}", person[key]
    for n, tag in enumerate(record.get("tags") or []):
        if tag.get("source") == "given":
            yield f"tags[{n}]", tag["value"]
    if region := record.get("region"):
        yield "region.name", region.get("name", "")
    if record.get("text"):
        yield "text", record["text"]


def scan_record(
    screen: Screen, record: Mapping[str, Any], previous: Mapping[str, Any] | None = None
) -> list[Match]:
    """Terms in the record's texts; with `previous`, only those a changed text newly holds."""
    before = dict(_texts(previous)) if previous is not None else {}
    matches = []
    for path, text in _texts(record):
        old = before.get(path)
        if old == text:
            continue
        known = {t.text for t in screen.scan(old)} if old else set()
        matches += [Match(t.text, t.code, path) for t in screen.scan(text) if t.text not in known]
    return matches


def flags_of(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [t for t in record.get("tags") or [] if str(t.get("value", "")).startswith(TAG_PREFIX)]


def screen_record(
    record: dict[str, Any],
    screen: Screen,
    *,
    previous: Mapping[str, Any] | None = None,
    agent: str = SCREENING_AGENT,
) -> Finding:
    """Flag what is new in `record` (changed in place: tags, status); the caller appends
    `finding.event` to the record's events, after its own events."""
    kept = flags_of(previous or {})  # a flag stays until a curator publishes the item
    finding = Finding(scan_record(screen, record, previous))
    new = [
        {"value": f"{TAG_PREFIX}{code}", "source": "derived", "by": "screening"}
        for code in dict.fromkeys(m.code for m in finding.matches)
    ]
    for flag in kept + new:
        tags = record.setdefault("tags", [])
        if flag not in tags:
            tags.append(flag)
    if (finding.matches or kept) and record.get("status") == "published":
        record["status"] = "review"  # only the review route, a person, publishes a flagged item
        finding.held_back = True
    if finding.matches:
        found = "; ".join(f"{m.term} [{m.code}] in {m.field}" for m in finding.matches)
        detail = f"sensitive terms for a person to review ({screen.source}): {found}"
    elif finding.held_back:
        detail = "unresolved screening flags: " + ", ".join(f["value"] for f in kept)
    else:
        return finding
    if finding.held_back:
        detail += "; held back from publication: status published → review"
    finding.event = {
        "type": "review",
        "time": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "agent": agent,
        "outcome": "warning",
        "detail": detail[:4000],
    }
    return finding
