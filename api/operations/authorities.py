"""Importing authority records (projects, bearers, institutions) from a file or the seed list.

A row is one authority, written flat (a CSV row, or a JSON object) or in the stored shape (JSON):
`kind`, `id`, `zh` (or `names.zh`), `en`, `alternative_names`, `pinyin`, `level`, `list_number`,
`batch_year`, `category`, `region` + `region_code`, `protecting_units`, `birth`, `death`,
`biography`, `description`, `projects`, `same_as`, `source_title`/`source_url`/`source_license`.
Lists in CSV cells are separated by ';' (or '；'). Values are read the way manifests read them:
levels as national … or 国家级 …, categories as codes or labels, dates through
`schemas.dates.parse_date`, a bearer's projects by id, list number (Ⅶ-16) or name.

An id not given is made from the row, so importing the same row again updates the same record:
a project on the national list is `project-<numeral>-<n>` (project-vii-16), anything else the
kind, its pinyin (given, else of its Chinese name) and, for a bearer, the birth year
(bearer-wang-guifang-1950, bearer-li-si-1956).
A made id already held by a record of another name is refused, never merged.

Rows are imported in order, projects first (so bearers in the same file can name them); a bad row
is reported as `RowProblem` naming the row and the field, and the others are still imported.
For the catalogue's `/projects/{id}` and `/bearers/{id}` pages, `bearers_of` lists a project's
bearers (their items come from the search index); `AuthorityNames` labels the search facets.
Free of HTTP and CLI: the `heritage authorities` commands and the web app share it.
"""

from __future__ import annotations

import csv
import io
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from api.labels import text_in
from api.operations.callers import Caller
from api.present import authority_path
from api.settings import Settings
from repository import make_event
from repository.audit import Actor, AuditLog
from repository.authorities import (
    AuthorityStore,
    DamagedAuthority,
    Match,
    fold_han,
    has_han,
    pinyin_words,
)
from repository.store import ObjectStore
from schemas import categories, ich_projects, resolve_category
from schemas.authority import (
    KINDS,
    Authority,
    category_numeral,
    check_id,
    list_number,
    project_id,
    slug,
)
from schemas.dates import record_date
from schemas.errors import Conflict, InvalidInput

LEVEL_WORDS: dict[str, tuple[str, ...]] = {
    "national": ("national", "国家级", "國家級"),
    "provincial": ("provincial", "省级", "省級", "自治区级", "直辖市级"),
    "city": ("city", "municipal", "市级", "市級", "地市级", "州级", "盟级"),
    "county": ("county", "县级", "縣級", "区级", "旗级"),
}
_LEVEL_OF = {word.casefold(): level for level, words in LEVEL_WORDS.items() for word in words}
_LIST_SPLIT = re.compile(r"\s*[;；]\s*")
_QID = re.compile(r"(?:^|/)(Q[1-9][0-9]*)$")
FIELDS = (
    "kind", "id", "zh", "en", "alternative_names", "pinyin", "level", "list_number",
    "batch_year", "category", "region", "region_code", "protecting_units", "birth", "death",
    "biography", "description", "projects", "same_as", "source_title", "source_url",
    "source_license", "names", "source", "schema_version", "created", "modified",
)  # fmt: skip
"""Every column or key a row may have; any other is refused, so a typo is never dropped."""
_LISTS = ("alternative_names", "protecting_units", "projects", "same_as")


class RowProblem(InvalidInput):
    """One row that cannot be imported; the message names the row and the field."""


@dataclass
class ImportSummary:
    stored: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return (
            f"{len(self.stored)} stored, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.problems)} refused"
        )


Row = tuple[str, Mapping[str, Any]]
"""(where, values): where names the row as the person sees it ('people.csv row 3')."""


def read_rows(path: Path) -> list[Row]:
    """The rows of a .json (a list, or an object with `authorities` or `projects`) or .csv
    (UTF-8, with or without BOM; the first line names the columns) file."""
    suffix = path.suffix.lower()
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path}: not UTF-8 text (byte {exc.start})") from None
    if suffix == ".json":
        return json_rows(text, path.name)
    if suffix == ".csv":
        return csv_rows(text, path.name)
    raise InvalidInput(f"{path}: an authority file is .json or .csv, not {suffix or 'nameless'}")


def json_rows(text: str, name: str) -> list[Row]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{name}: not valid JSON: {exc}") from None
    if isinstance(data, dict):
        data = data.get("authorities", data.get("projects"))
    if not isinstance(data, list):
        raise InvalidInput(f"{name}: a JSON list of authorities, or an object with 'authorities'")
    rows: list[Row] = []
    for n, entry in enumerate(data, start=1):
        if not isinstance(entry, dict):
            raise InvalidInput(f"{name} entry {n}: an object, not {type(entry).__name__}")
        rows.append((f"{name} entry {n}", entry))
    return rows


def csv_rows(text: str, name: str) -> list[Row]:
    reader = csv.DictReader(io.StringIO(text))
    headers = [h.strip() for h in reader.fieldnames or []]
    unknown = [h for h in headers if h not in FIELDS]
    if unknown:
        raise InvalidInput(
            f"{name}: unknown column(s) {', '.join(map(repr, unknown))}; "
            f"columns are: {', '.join(f for f in FIELDS if f not in ('names', 'source'))}"
        )
    rows: list[Row] = []
    for n, raw in enumerate(reader, start=2):  # the header is line 1
        values = {k.strip(): v.strip() for k, v in raw.items() if k and v and v.strip()}
        if values:
            rows.append((f"{name} row {n}", values))
    return rows


def seed_rows() -> list[Row]:
    """The seed list's projects as rows, each naming the list's source."""
    data = ich_projects()
    source = {k: data["source"][k] for k in ("title", "url", "license")}
    return [
        (f"ich-projects.json {entry['list_number']}", {"kind": "project", "level": "national",
                                                       **entry, "source": source})
        for entry in data["projects"]
    ]  # fmt: skip


def import_rows(
    store: ObjectStore, rows: Iterable[Row], actor: Actor, *, what: str
) -> ImportSummary:
    """Save every row that reads as an authority (projects first); the others become problems.
    One audit entry says what was imported from `what`."""
    authorities = AuthorityStore(store)
    summary = ImportSummary()
    order: dict[str, int] = {kind: n for n, kind in enumerate(KINDS)}
    ordered = sorted(rows, key=lambda row: order.get(str(row[1].get("kind", "")), 0))
    for where, values in ordered:
        try:
            document = authority_from_row(values, where, authorities)
            outcome = authorities.save(document)
        except InvalidInput as exc:
            summary.problems.append(str(exc) if str(exc).startswith(where) else f"{where}: {exc}")
            continue
        getattr(summary, outcome).append(document["id"])
    if summary.stored or summary.updated:
        AuditLog(store).append(
            "authorities import", actor, summary=f"imported {what}: {summary.describe()}"
        )
    return summary


def authority_from_row(
    values: Mapping[str, Any], where: str, authorities: AuthorityStore
) -> dict[str, Any]:
    """The authority a row describes; `RowProblem` names the row and the field."""
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        raise RowProblem(f"{where}: unknown field(s) {', '.join(unknown)}")

    def bad(name: str, problem: str) -> RowProblem:
        return RowProblem(f"{where}, {name}: {problem}")

    names = dict(values.get("names") or {})
    for lang in ("zh", "en"):
        if values.get(lang):
            names[lang] = _text(values[lang])
    if not names.get("zh"):
        raise bad("zh", "a Chinese name is needed")
    document: dict[str, Any] = {"names": names}
    number = None
    if values.get("list_number"):
        try:
            number = list_number(_text(values["list_number"]))
        except InvalidInput as exc:
            raise bad("list_number", str(exc)) from None
        document["list_number"] = number
    kind = _text(values.get("kind") or ("project" if number else ""))
    if kind not in KINDS:
        raise bad("kind", f"{kind or 'nothing'!r} is not one of {', '.join(KINDS)}")
    document["kind"] = kind
    for name in _LISTS:
        if values.get(name):
            document[name] = _list(values[name])
    if values.get("pinyin"):
        document["pinyin"] = _text(values["pinyin"])
    if values.get("level"):
        level = _LEVEL_OF.get(_text(values["level"]).casefold())
        if level is None:
            raise bad("level", f"{values['level']!r} is not national, provincial, city or county")
        document["level"] = level
    if values.get("batch_year"):
        try:
            document["batch_year"] = int(str(values["batch_year"]).strip())
        except ValueError:
            raise bad("batch_year", f"{values['batch_year']!r} is not a year") from None
    category = _category(values, number, bad)
    if category:
        document["category"] = category
    region = _region(values, bad)
    if region:
        document["region"] = region
    for name in ("birth", "death"):
        if values.get(name):
            try:
                document[name] = record_date(values[name])
            except ValueError as exc:
                raise bad(name, str(exc)) from None
    for name in ("biography", "description"):
        if values.get(name):
            given = values[name]
            document[name] = dict(given) if isinstance(given, Mapping) else {"zh": _text(given)}
    if "same_as" in document:
        document["same_as"] = [_qid(v, bad) for v in document["same_as"]]
    if "projects" in document:
        document["projects"] = [_project_ref(v, authorities, bad) for v in document["projects"]]
    source = _source(values)
    if source:
        document["source"] = source
    document["id"] = _identifier(values, document, authorities, bad)
    for name in ("created", "schema_version"):
        if values.get(name):
            document[name] = values[name]
    return document


def _text(value: Any) -> str:
    return str(value).strip()


def _list(value: Any) -> list[str]:
    items = value if isinstance(value, list) else _LIST_SPLIT.split(str(value))
    return list(dict.fromkeys(_text(v) for v in items if _text(v)))


def _category(values: Mapping[str, Any], number: str | None, bad: Any) -> str | None:
    code = None
    if values.get("category"):
        found = resolve_category(_text(values["category"]))
        if found is None:
            raise bad("category", f"unknown category {values['category']!r}")
        code = found.code
    if number is None:
        return code
    implied = categories()[category_numeral(number) - 1].code
    if code is not None and code != implied:
        raise bad("category", f"{code} does not agree with list number {number} ({implied})")
    return implied


def _region(values: Mapping[str, Any], bad: Any) -> dict[str, Any] | None:
    given = values.get("region")
    region = dict(given) if isinstance(given, Mapping) else {}
    if given and not isinstance(given, Mapping):
        region["name"] = _text(given)
    if values.get("region_code"):
        region["code"] = _text(values["region_code"])
    if not region:
        return None
    if not region.get("name"):
        raise bad("region", "a place name is needed with region_code")
    if "code" in region and not re.fullmatch(r"[0-9]{6}", str(region["code"])):
        raise bad("region_code", f"{region['code']!r} is not a six-digit GB/T 2260 code")
    return region


def _qid(value: str, bad: Any) -> str:
    match = _QID.search(value.strip())
    if not match:
        raise bad("same_as", f"{value!r} is not a Wikidata item such as Q1190930")
    return match.group(1)


def _project_ref(value: str, authorities: AuthorityStore, bad: Any) -> str:
    """A bearer's project by id, list number or name: exactly one project, else refused."""
    found = authorities.find_by_name(value, kind="project")
    if len(found) == 1:
        return found[0].id
    if not found:
        raise bad("projects", f"no project is named {value!r}; import or seed the project first")
    listed = "; ".join(f"{m.id} ({m.name})" for m in found[:10])
    raise bad("projects", f"{value!r} names {len(found)} projects: {listed}; give the id")


def _source(values: Mapping[str, Any]) -> dict[str, Any] | None:
    source = dict(values.get("source") or {})
    for name in ("title", "url", "license"):
        if values.get(f"source_{name}"):
            source[name] = _text(values[f"source_{name}"])
    return source or None


def _identifier(
    values: Mapping[str, Any], document: dict[str, Any], authorities: AuthorityStore, bad: Any
) -> str:
    kind = document["kind"]
    if values.get("id"):
        try:
            return check_id(_text(values["id"]), kind)
        except InvalidInput as exc:
            raise bad("id", str(exc)) from None
    if kind == "project" and "list_number" in document:  # a number on the national list
        made = project_id(document["list_number"])
    else:
        words = slug(document.get("pinyin") or " ".join(pinyin_words(document["names"]["zh"])))
        if not words:
            raise bad("id", "no id can be made from the name; give one")
        year = document.get("birth", {}).get("earliest") if kind == "bearer" else None
        made = f"{kind}-{words}" + (f"-{year}" if year else "")
        made = made[:90].rstrip("-")
    held = authorities.get(made)
    if held is not None and fold_han(held["names"]["zh"]) != fold_han(document["names"]["zh"]):
        raise bad(
            "id",
            f"{made} already belongs to {held['names']['zh']}; give this row its own id",
        )
    return made


# ---------------------------------------------------------------------------- pages


def bearers_of(authorities: AuthorityStore, project_id: str) -> list[Authority]:
    """The bearer authorities that carry `project_id` (one read per stored bearer)."""
    return [b for b in authorities.list("bearer") if project_id in b.get("projects", [])]


def authority_lookup(authorities: AuthorityStore) -> Callable[[str], Authority | None]:
    """`authorities.get`, remembering each answer, for one response, export or OAI record (the
    RDF and IIIF labels of linked authorities): a damaged authority is left unlabelled, its URI
    still linked, rather than failing a whole harvest."""
    seen: dict[str, Authority | None] = {}

    def lookup(authority_id: str) -> Authority | None:
        if authority_id not in seen:
            try:
                seen[authority_id] = authorities.get(authority_id)
            except DamagedAuthority:
                seen[authority_id] = None
        return seen[authority_id]

    return lookup


class AuthorityNames:
    """Names of authority ids, for the labels of the `project` and `bearer` search facets.

    A search page shows up to `facet_size` ids per facet: each is read from the store once and
    kept `ttl` seconds (a renamed authority shows its new name within that), at most `limit`
    ids (then the cache starts again), so a page of facets costs no reads when warm."""

    def __init__(
        self,
        store: ObjectStore,
        *,
        ttl: float = 300.0,
        limit: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._authorities = AuthorityStore(store)
        self._ttl, self._limit, self._clock = ttl, limit, clock
        self._known: dict[str, tuple[float, dict[str, str] | None]] = {}
        self._lock = threading.Lock()

    def names(self, authority_id: str) -> dict[str, str] | None:
        """{"zh": …, "en": …} of the authority, or None when there is none (or it is damaged)."""
        now = self._clock()
        with self._lock:
            kept = self._known.get(authority_id)
        if kept is not None and now - kept[0] < self._ttl:
            return kept[1]
        try:
            found = self._authorities.get(authority_id)
        except DamagedAuthority:
            found = None
        names = None if found is None else names_of(found)
        with self._lock:
            if len(self._known) >= self._limit:
                self._known.clear()
            self._known[authority_id] = (now, names)
        return names


def institution_names(
    code: str, settings: Settings, names: Callable[[str], Mapping[str, str] | None]
) -> dict[str, str] | None:
    """The names to show for an institution code (a record's or exhibition's `institution`):
    those of the authority record `institution-<code>` (`names`: `AuthorityNames.names`), else
    the settings' names of the default institution; None when neither names it, so a page shows
    no name rather than the code, which is governance, not a name."""
    if not code:
        return None
    found = names(f"institution-{code}")
    if found:
        return dict(found)
    if code == settings.institution:
        given = {"zh": settings.institution_name, "en": settings.institution_name_en}
        return {lang: name for lang, name in given.items() if name} or None
    return None


def names_of(authority: Mapping[str, Any]) -> dict[str, str]:
    """Its names by language ({"zh": …, "en": …}), for `api.labels.text_in`."""
    return {lang: str(name) for lang, name in authority["names"].items()}


MAX_AUTHORITY_CARDS = 6
"""Project and bearer cards shown above a search's results, at most."""
_QUERY_WORDS = 4  # besides the whole query, each of its first words is tried as a name
_QUERY_CHARS = 100  # a name is shorter than this; longer text is no name


class AuthorityFinder:
    """The projects and bearers a search box names, for the cards above the results.

    Names are matched by `AuthorityStore.find_by_name` — the same rule manifests are linked by
    (简繁, pinyin with or without tones, ids, list numbers) — not by the search index, which holds
    items only: so the cards are the same on every backend. The store's name index is built on
    first use (one read per authority) and rebuilt after `ttl` seconds, or at once after
    `forget()` (this process made an authority)."""

    def __init__(
        self,
        store: ObjectStore,
        *,
        ttl: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store, self._ttl, self._clock = store, ttl, clock
        self._authorities: AuthorityStore | None = None
        self._made = 0.0
        self._lock = threading.Lock()

    def _current(self) -> AuthorityStore:
        now = self._clock()
        with self._lock:
            if self._authorities is None or now - self._made >= self._ttl:
                self._authorities, self._made = AuthorityStore(self._store), now
            return self._authorities

    def forget(self) -> None:
        with self._lock:
            self._authorities = None

    def find(self, q: str) -> list[Authority]:
        """The project and bearer authorities `q` (or one of its first words) names, up to
        MAX_AUTHORITY_CARDS, those named by the whole query first."""
        text = q.strip()
        if not text or len(text) > _QUERY_CHARS:
            return []
        words = text.split()
        names = [text, *(words[:_QUERY_WORDS] if len(words) > 1 else [])]
        authorities = self._current()
        found: dict[str, Authority] = {}
        for name in names:
            for match in authorities.find_by_name(name):
                if match.kind not in LINKED_KINDS or match.id in found:
                    continue
                if len(found) >= MAX_AUTHORITY_CARDS:
                    return list(found.values())
                try:
                    authority = authorities.get(match.id)
                except DamagedAuthority:
                    continue
                if authority is not None:
                    found[match.id] = authority
        return list(found.values())


LINKED_KINDS = ("project", "bearer")
"""Authority kinds items link to that have pages (`/projects/{id}`, `/bearers/{id}`)."""


def authority_card(authority: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """What a card (and the search JSON's `authorities`) shows of an authority."""
    names = names_of(authority)
    name = text_in(names, lang) or authority["names"]["zh"]
    other = [value for value in names.values() if value != name]
    return {
        "id": authority["id"],
        "kind": authority["kind"],
        "name": name,
        "other_name": other[0] if other else None,
        "names": names,
        "level": authority.get("level"),
        "list_number": authority.get("list_number"),
        "region": (authority.get("region") or {}).get("name"),
        "url": authority_path(authority["kind"], authority["id"]),
    }


# ---------------------------------------------------------------------------- the workspace

NEW_FIELDS = ("kind", "zh", "en", "pinyin", "level", "birth", "region")
"""What the workspace's "new authority" form asks (the rest: `heritage authorities import`)."""
MAX_NAME = 200


class NewAuthorityError(InvalidInput):
    """The new-authority form's values cannot make one: `problems` are (field, code) pairs, a
    code the page says in the person's language (`authorities.problem.<code>`)."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(f"{name}: {code}" for name, code in problems))
        self.problems = problems


class AuthorityExists(Conflict):
    """The new authority's name names one of its kind already: link that one, not a duplicate."""

    def __init__(self, kind: str, name: str, matches: list[str]):
        super().__init__(
            f"a {kind} authority named {name!r} exists already: {', '.join(matches)}; "
            "link that one instead of making a duplicate"
        )
        self.kind, self.name, self.matches = kind, name, matches


def create_authority(
    store: ObjectStore, values: Mapping[str, str], actor: Actor, *, client: str | None = None
) -> dict[str, Any]:
    """A new project or bearer from the workspace form, made as an import row is (the same id
    rule, checks and audit), and never a second one of a name: `AuthorityExists` names the one
    the name (or its English name) already finds, in any script or pinyin."""
    given = {name: str(values.get(name) or "").strip() for name in NEW_FIELDS}
    problems: list[tuple[str, str]] = []
    if given["kind"] not in LINKED_KINDS:
        problems.append(("kind", "kind"))
    if not given["zh"]:
        problems.append(("zh", "name_missing"))
    elif not has_han(given["zh"]):
        problems.append(("zh", "name_not_chinese"))
    for name in NEW_FIELDS:
        if len(given[name]) > MAX_NAME:
            problems.append((name, "too_long"))
    if given["level"] and given["level"] not in LEVEL_WORDS:
        problems.append(("level", "level"))
    if problems:
        raise NewAuthorityError(problems)
    authorities = AuthorityStore(store)
    kind = given["kind"]
    born = None
    if kind == "bearer" and given["birth"]:
        try:
            born = record_date(given["birth"]).get("earliest")
        except ValueError:
            raise NewAuthorityError([("birth", "birth")]) from None
    for name in (given["zh"], given["en"]):
        found = same_name(authorities, kind, name, born) if name else []
        if found:
            raise AuthorityExists(kind, name, [f"{m.id} ({m.name})" for m in found])
    row = {name: value for name, value in given.items() if value}
    if kind != "bearer":
        row.pop("birth", None)
    document = authority_from_row(row, "the form", authorities)
    if authorities.save(document) != "stored":  # its made id is held under the same name
        raise AuthorityExists(kind, given["zh"], [document["id"]])
    AuditLog(store).append(
        "authorities create",
        actor,
        summary=f"created {kind} authority {document['id']} ({given['zh']})",
        client=client,
    )
    return document


def same_name(authorities: AuthorityStore, kind: str, name: str, born: int | None) -> list[Match]:
    """The authorities of `kind` that `name` names and a new one could be confused with: for a
    bearer born in `born`, only those of that birth year or none recorded (two people may share
    a name; their birth years tell them apart, as their ids do)."""
    found = authorities.find_by_name(name, kind=kind)
    if kind != "bearer" or born is None:
        return found
    clashing = []
    for match in found:
        try:
            held = authorities.get(match.id)
        except DamagedAuthority:
            held = None
        year = held["birth"].get("earliest") if held and "birth" in held else None
        if year is None or year == born:
            clashing.append(match)
    return clashing


def link_authority(
    record: dict[str, Any], kind: str, authority_id: str, caller: Caller
) -> str | None:
    """Add `{kind, id}` to the record's `authorities` (a `change_item` mutation, so audited and
    an event); None when it is linked already."""
    link = {"kind": kind, "id": authority_id}
    links = record.setdefault("authorities", [])
    if link in links:
        return None
    links.append(link)
    detail = f"linked {kind} authority {authority_id}"
    record["events"].append(make_event("metadata-modification", caller.agent, "success", detail))
    return f"linked {kind} authority {authority_id}"
