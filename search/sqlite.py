"""`SqliteIndex`: the embedded search backend, SQLite FTS5 in one file.

Layout, per generation `g` of the index (a rebuild fills generation g+1, then one transaction
points `meta.generation` at it, so readers never see an empty or half-built index):

- `f_g`  contentless FTS5 table over the analysed token columns (`search.documents.TEXT_FIELDS`),
  `tokenize='ascii'`: tokens are already normalised by `search.analysis` and made of letters and
  digits, and the ascii tokenizer splits on nothing but ASCII punctuation and space.
- `c_g`  facet *combinations*: every distinct (collection, category, media type, region, access,
  published?, institution, embargo date, first/last decade, linked projects, linked bearers,
  map place)
  tuple gets a small integer code and
  a live-document count `n`; visibility (`search.base.is_visible`) is decided per combination.
  `cc_g` keeps them as columns of value ids (`_Columns`), written by a rebuild and refreshed by
  index() every COLUMNS_STALE new combinations, so a reader's first query reads a few arrays.
- `k_g`  one narrow row per document (id, years, sort keys; the index `k_g_keys` holds just
  the rowid and the year keys, for date-ordered pages of a text query with year conditions);
  `d_g` the summary and display JSON and the token strings, compressed (the tokens are needed
  to delete a row from a contentless FTS table, and give a tracked word's frequencies to
  `_frequent_scores`).
- `o_g`  the OAI-PMH view: (datestamp, id) of every document an OAI list shows
  (`search.base.oai_listed`), with its collection, category and embargo, clustered on
  (datestamp, id) and indexed per set, so a list page is one range read from its cursor;
  `oc_g` its row counts per (collection, category, embargo, withdrawn?), kept on every write,
  so a whole list's size (completeListSize) is a sum over a few rows, not a count of millions.
- `t_g`  for the frequent terms listed in `tt_g` (chosen by a rebuild, see FREQUENT_TERM_DOCS):
  documents per (term, combination), and those with the term in the title.

A document's rowid is `seq << 37 | year key << 21 | combo code`. So the FTS index alone, without
touching any other table, yields for a query a histogram {combo code: matching documents} and,
for a page in date order, each match's year (`_keys_of`); visibility
(audience, embargo date) and facet filters are then decided per combination, not per document,
and every facet's counts (each with the *other* filters applied, "drill sideways") come out of
that one pass, as numpy array operations over the combinations' columns. Hits are ranked by
`bm25()` with the shared field weights (for a one-word query of a tracked term, the same formula
in Python: `_frequent_scores`); see `_relevance_page`.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from search.analysis import AllOf, AnyOf, Node, Phrase, QueryPlan, analyze_query
from search.base import (
    FACET_FIELDS,
    RELATED_REASONS,
    Audience,
    FacetValue,
    Hit,
    OaiHeader,
    OaiSlice,
    RelatedItem,
    RelatedReason,
    RelatedTerms,
    SearchQuery,
    SearchResult,
    YearSpan,
    check_query,
    check_related_limit,
    is_visible,
    oai_listed,
    related_reason,
    related_terms,
    year_spans,
)
from search.documents import FIELD_BOOSTS, TEXT_FIELDS, to_document
from search.highlight import highlights_for
from search.understand import resolve_dates

SCHEMA = 7
"""Layout version. A file written with another layout is emptied on open (the index is derived
data: `heritage reindex` fills it again)."""
CODE_BITS = 21
CODE_MASK = (1 << CODE_BITS) - 1
# the year key between the code and the sequence number: date_sort + _YEAR_ZERO, undated the
# largest; a year past either edge is kept at the edge's key and read exactly from k_g
YEAR_BITS = 16
_SEQ_SHIFT = CODE_BITS + YEAR_BITS
_MAX_SEQ = (1 << (63 - _SEQ_SHIFT)) - 1
_YEAR_ZERO = 1 << (YEAR_BITS - 1)
_YEAR_UNDATED = (1 << YEAR_BITS) - 1
_YEAR_EDGES = (1, _YEAR_UNDATED - 1)
RANK_WINDOW = 500
"""A relevance tier of up to twice this many matches is ranked whole by bm25(). Of a larger
tier only this many (the most recently indexed) are ranked, the rest follow newest first, and
the result says so (`SearchResult.ranked_window`). Bounds the work of a query that matches a
large part of the collection: bm25() costs a few microseconds a row, so ranking all 40 000
matches of a common word would cost each page a hundred milliseconds or more."""
RELATED_WINDOW = 500
"""Related items by similar text are ranked among this many newest matches (bounded work)."""
MAX_RELATED_LINKS = 20
"""Of an item's bearers and of its projects, at most this many are looked for."""
FREQUENT_TERM_DOCS = 100_000
"""A rebuild keeps, for every term in at least this many documents, its {combination: count}
histogram (and how many of those hold it in the title), maintained on every write. A one-word
query for such a term then reads its facet counts from there instead of counting hundreds of
thousands of matches, and skips an empty title tier without scanning for it."""
_TIER_SCORE = 1000.0
_SEP = "\x1f"
_BATCH = 500
_UNDATED = 1 << 40
_YEAR_KEYS = {"date": "dsa", "-date": "dsd"}
"""The sorts by an integer key of k_g (undated: _UNDATED, last), with `_date_page`."""
_ORDER_BY = {
    "date": "k.dsa, k.id",
    "-date": "k.dsd, k.id",
    "title": "k.title_sort, k.id",
    "modified": "k.modified DESC, k.id",
}


# ---------------------------------------------------------------------------------- queries


def fts_match(node: Node) -> str:
    """A plan node as an FTS5 MATCH expression. Tokens are letters/digits only, always quoted."""
    if isinstance(node, Phrase):
        return '"' + " ".join(node.tokens) + '"'
    if isinstance(node, AllOf):
        return "(" + " AND ".join(fts_match(p) for p in node.parts) + ")"
    if isinstance(node, AnyOf):
        return "(" + " OR ".join(fts_match(o) for o in node.options) + ")"
    raise TypeError(f"not a query plan node: {node!r}")


def fts_relaxed(node: Node) -> str:
    """Like `fts_match`, but each phrase stands for itself by its first token alone.

    Used only to score documents already known to match. bm25() reads each phrase's whole
    doclist for its IDF: for a phrase of common bigrams that means checking positions in tens of
    thousands of rows, for each extra token another doclist. One token per phrase keeps bm25's
    weighting of fields, frequency and length at a fraction of that cost.
    """
    if isinstance(node, Phrase):
        return f'"{node.tokens[0]}"'
    if isinstance(node, AllOf):
        return "(" + " AND ".join(fts_relaxed(p) for p in node.parts) + ")"
    if isinstance(node, AnyOf):
        return "(" + " OR ".join(fts_relaxed(o) for o in node.options) + ")"
    raise TypeError(f"not a query plan node: {node!r}")


def _tier_matches(plan: QueryPlan) -> list[tuple[str, str]]:
    """The relevance tiers, best first, as FTS5 expressions: (tier, tier minus earlier tiers).

    The whole query in the title, with the boost phrase first; then the boost phrase anywhere;
    then every other match. Within a tier, bm25() with the field weights orders the rest
    (people and places, then subjects, description, full text).
    """
    must = fts_match(AllOf(plan.must))
    boost = f"{fts_match(plan.boost)} AND {must}" if plan.boost else None
    tiers = [f"{{t_title}} : ({boost})"] if boost else []
    tiers.append(f"{{t_title}} : {must}")
    if boost:
        tiers.append(boost)
    tiers.append(must)
    return [
        (tier, tier if i == 0 else f"({tier}) NOT ({' OR '.join(tiers[:i])})")
        for i, tier in enumerate(tiers)
    ]


_NO_DECADE = -(1 << 62)
_VISIBILITY = "(visibility)"
"""cc_g's row for the visibility column (the others are named by their facet field)."""
COLUMNS_STALE = 2048
"""An index() that leaves this many combinations past those kept in cc_g keeps them again."""


def _item(kind: tuple[Any, ...]) -> dict[str, Any]:
    """What `is_visible` reads, from a combination's (published, access, institution, embargo)."""
    published, access, institution, embargo = kind
    return {
        "status": "published" if published else "unpublished",
        "access": access,
        "institution": institution,
        "embargo_until": embargo,
    }


def _store_columns(conn: sqlite3.Connection, gen: int) -> None:
    """Keep every combination of the generation as columns in cc_g, so a reader's first query
    reads a few arrays instead of parsing tens of thousands of combinations."""
    (found,) = conn.execute(
        f"SELECT '[' || group_concat('[' || code || ',' || substr(key, 2)) || ']' FROM c_{gen}"
    ).fetchone()
    columns = _Columns.empty().grown(json.loads(found or "[]"))
    conn.execute(f"DELETE FROM cc_{gen}")
    conn.executemany(f"INSERT INTO cc_{gen} VALUES (?,?,?,?,?)", columns.rows())


_LISTS = frozenset(("decade", "project", "bearer"))
"""Facet fields a combination can hold several values of (one value or none: the others)."""


def _cell_values(name: str, cell: Any) -> tuple[str, ...]:
    """The facet values of one stored cell of c_g (decade: the (dlo, dhi) pair)."""
    if name == "decade":
        lo, hi = cell
        return () if lo is None or hi is None else tuple(str(d) for d in range(lo, hi + 10, 10))
    if not cell:
        return ()
    return tuple(cell.split(_SEP)) if name in _LISTS else (cell,)


@dataclass(frozen=True)
class _Columns:
    """The facet combinations of one generation as arrays indexed by code, so a query's facet
    counts are a few array operations whatever the number of combinations it meets.

    `values[field]`: [code, slot] -> value id (-1: none), one slot per value a combination
    holds; `names[field][id]` the value. `visibility[code]`: index in `items` of what
    `is_visible` reads (status, access, institution, embargo), so visibility is decided once
    per distinct item; -1: the code is not loaded. `first_decade[code]`: the first year of the
    first decade of its items (their date_sort lies in that decade), or _NO_DECADE (undated, or
    a range too wide for decades). Codes never change meaning within a generation, so a
    snapshot only ever gains codes (`grown` makes a new one).
    """

    values: dict[str, npt.NDArray[np.int32]]
    visibility: npt.NDArray[np.int32]
    first_decade: npt.NDArray[np.int64]
    items: list[dict[str, Any]]
    names: dict[str, list[str]]  # shared by every snapshot of a generation: append only
    ids: dict[str, dict[str, int]]
    item_ids: dict[tuple[Any, ...], int]

    @classmethod
    def empty(cls) -> _Columns:
        return cls(
            {name: np.full((1, 1), -1, np.int32) for name in FACET_FIELDS},
            np.full(1, -1, np.int32),
            np.full(1, _NO_DECADE, np.int64),
            [],
            {name: [] for name in FACET_FIELDS},
            {name: {} for name in FACET_FIELDS},
            {},
        )

    def missing(self, codes: Iterable[int]) -> list[int]:
        """Those of `codes` not loaded yet."""
        wanted = np.fromiter(codes, np.int64)
        size = len(self.visibility)
        beyond = wanted >= size
        unknown = self.visibility[np.where(beyond, 0, wanted)] < 0
        found: list[int] = wanted[beyond | unknown].tolist()
        return found

    def grown(self, rows: list[list[Any]]) -> _Columns:
        """A snapshot with these combinations ([code, *_combo_key]) added: column by column,
        each distinct cell turned into value ids once."""
        if not rows:
            return self
        codes, *columns = zip(*rows, strict=True)
        (collection, category, media, region, access, published, inst, emb, lo, hi) = columns[:10]
        projects, bearers, place = columns[10:]
        cells: dict[str, tuple[Any, ...]] = {
            "collection": collection,
            "category": category,
            "media_type": media,
            "region": region,
            "access": access,
            "decade": tuple(zip(lo, hi, strict=True)),
            "project": projects,
            "bearer": bearers,
            "place": place,
        }
        size = max(len(self.visibility), max(codes) + 1)
        at = np.fromiter(codes, np.int64, len(codes))
        values = {}
        for name, column in cells.items():
            rows_of = {cell: row for row, cell in enumerate(dict.fromkeys(column))}
            found = [self._ids(name, _cell_values(name, cell)) for cell in rows_of]
            old = self.values[name]
            width = max(old.shape[1], *map(len, found))
            distinct = np.full((len(found), width), -1, np.int32)
            for row, ids in enumerate(found):
                distinct[row, : len(ids)] = ids
            grown = np.full((size, width), -1, np.int32)
            grown[: old.shape[0], : old.shape[1]] = old
            grown[at] = distinct[np.fromiter(map(rows_of.__getitem__, column), np.int64)]
            values[name] = grown
        visibility = np.full(size, -1, np.int32)
        visibility[: len(self.visibility)] = self.visibility
        items = list(self.items)
        kinds = list(zip(published, access, inst, emb, strict=True))
        for kind in dict.fromkeys(kinds):
            if kind not in self.item_ids:
                self.item_ids[kind] = len(items)
                items.append(_item(kind))
        visibility[at] = np.fromiter(map(self.item_ids.__getitem__, kinds), np.int32)
        first_decade = np.full(size, _NO_DECADE, np.int64)
        first_decade[: len(self.first_decade)] = self.first_decade
        first_decade[at] = [_NO_DECADE if year is None else year for year in lo]
        return _Columns(
            values, visibility, first_decade, items, self.names, self.ids, self.item_ids
        )

    @classmethod
    def stored(cls, conn: sqlite3.Connection, gen: int) -> _Columns:
        """The snapshot `_store_columns` kept in cc_g (empty when there is none)."""
        rows = conn.execute(f"SELECT field, upto, names, width, ids FROM cc_{gen}").fetchall()
        if not rows:
            return cls.empty()
        kept = {
            field: (upto, json.loads(names), width, ids) for field, upto, names, width, ids in rows
        }
        size = kept[_VISIBILITY][0] + 1
        names = {name: kept[name][1] for name in FACET_FIELDS}
        values = {
            name: np.frombuffer(kept[name][3], np.int32).reshape(size, kept[name][2]).copy()
            for name in FACET_FIELDS
        }
        kinds = [tuple(kind) for kind in kept[_VISIBILITY][1]]
        decades = np.array([*map(int, names["decade"]), _NO_DECADE], np.int64)
        return cls(
            values,
            np.frombuffer(kept[_VISIBILITY][3], np.int32).copy(),
            decades[values["decade"][:, 0]],
            [_item(kind) for kind in kinds],
            names,
            {name: {value: i for i, value in enumerate(names[name])} for name in FACET_FIELDS},
            {kind: i for i, kind in enumerate(kinds)},
        )

    def rows(self) -> list[tuple[str, int, str, int, bytes]]:
        """The cc_g rows that keep this snapshot (see `stored`)."""
        upto = len(self.visibility) - 1
        kinds = sorted(self.item_ids, key=self.item_ids.__getitem__)
        return [
            *(
                (
                    name,
                    upto,
                    json.dumps(self.names[name], ensure_ascii=False),
                    self.values[name].shape[1],
                    self.values[name].tobytes(),
                )
                for name in FACET_FIELDS
            ),
            (
                _VISIBILITY,
                upto,
                json.dumps(kinds, ensure_ascii=False),
                1,
                self.visibility.tobytes(),
            ),
        ]

    def _ids(self, name: str, found: tuple[str, ...]) -> tuple[int, ...]:
        ids, names = self.ids[name], self.names[name]
        for value in found:
            if value not in ids:
                ids[value] = len(names)
                names.append(value)
        return tuple(ids[value] for value in found)

    def visible(self, audience: Audience, today: str) -> npt.NDArray[np.bool_]:
        """code -> may `audience` see the combination's documents? (Not loaded: False.)"""
        verdicts = [is_visible(item, audience, today) for item in self.items]
        return np.array([*verdicts, False], np.bool_)[self.visibility]

    def of(self, name: str, code: int) -> tuple[str, ...]:
        """The values of `name` combination `code` holds."""
        return tuple(self.names[name][i] for i in self.values[name][code] if i >= 0)


@dataclass
class _Counts:
    total: int
    facets: dict[str, dict[str, int]]
    allowed: set[int]


def _aggregate(
    histogram: dict[int, int],
    columns: _Columns,
    query: SearchQuery,
    filters: dict[str, frozenset[str]],
    today: str,
) -> _Counts:
    """Totals and facet counts from a histogram of combination codes, in array operations.

    A combination failing exactly one filter still counts in that filter's own facet: each
    facet shows what choosing another of its values would give ("drill sideways").
    """
    codes = np.fromiter(histogram.keys(), np.int64, len(histogram))
    counts = np.fromiter(histogram.values(), np.int64, len(histogram))
    seen = columns.visible(query.audience, today)[codes]
    codes, counts = codes[seen], counts[seen]
    passed: dict[str, npt.NDArray[np.bool_]] = {}
    for name, wanted in filters.items():
        known = columns.ids[name]
        ids = np.array([known[value] for value in wanted if value in known], np.int32)
        held = np.isin(columns.values[name][codes], ids)
        passed[name] = np.logical_or.reduce(held, axis=1)
    failures = np.zeros(len(codes), np.int32)
    for ok in passed.values():
        failures += ~ok
    allowed = failures == 0
    facets: dict[str, dict[str, int]] = {}
    for name in query.facets:
        counted = allowed | ((failures == 1) & ~passed[name]) if name in passed else allowed
        ids = columns.values[name][codes[counted]]
        held = ids >= 0
        weights = np.broadcast_to(counts[counted, None], ids.shape)[held]
        sums = np.bincount(ids[held], weights=weights)
        values = columns.names[name]
        facets[name] = {values[i]: int(sums[i]) for i in np.flatnonzero(sums).tolist()}
    return _Counts(int(counts[allowed].sum()), facets, set(codes[allowed].tolist()))


# ---------------------------------------------------------------------------------- the index


class SqliteIndex:
    """The `SearchIndex` protocol over one SQLite file (WAL: one writer, many readers, any
    number of processes). Thread-safe: each thread reads on its own connection."""

    backend = "sqlite"

    def __init__(
        self,
        path: str | Path,
        *,
        cache_size: int = 128,
        rank_window: int | None = None,
        frequent_docs: int | None = None,
    ) -> None:
        self.path = Path(path)
        self.rank_window = rank_window or RANK_WINDOW
        self.frequent_docs = frequent_docs or FREQUENT_TERM_DOCS
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._write_lock = threading.RLock()
        self._combos: dict[int, _Columns] = {}
        self._cache: OrderedDict[tuple[Any, ...], dict[int, int]] = OrderedDict()
        self._cache_size = cache_size
        self._writer: sqlite3.Connection | None = None
        if not self._laid_out():
            self._lay_out()

    def _laid_out(self) -> bool:
        """True when the file already holds this layout: opening it then writes nothing (a
        write would bump `meta.version` and so drop every other process's cached counts)."""
        conn = self._reader()
        try:
            meta = dict(conn.execute("SELECT key, value FROM meta"))
        except sqlite3.OperationalError:  # a new file: no meta table yet
            return False
        if meta.get("schema") != SCHEMA or "generation" not in meta:
            return False
        names = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
        return _layout_names(meta["generation"]) <= names

    def _lay_out(self) -> None:
        with self._write() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER)")
            conn.execute(
                "INSERT OR IGNORE INTO meta VALUES ('generation', 1), ('version', 0),"
                " ('schema', ?)",
                (SCHEMA,),
            )
            (schema,) = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if schema != SCHEMA:  # written by another version; derived data: start empty
                for gen in _generations(conn):
                    _drop_generation(conn, gen)
                conn.execute("UPDATE meta SET value = 1 WHERE key = 'generation'")
                conn.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (SCHEMA,))
            _create_generation(conn, _generation(conn), with_indexes=True)

    # ------------------------------------------------------------------ connections

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA cache_size=-131072")
        conn.execute("PRAGMA mmap_size=4294967296")
        conn.execute("PRAGMA temp_store=MEMORY")
        with self._lock:
            self._connections.append(conn)
        return conn

    def _reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    @contextmanager
    def _read(self) -> Iterator[tuple[sqlite3.Connection, int, int]]:
        """One read transaction: a consistent snapshot, whatever writers do meanwhile."""
        conn = self._reader()
        conn.execute("BEGIN")
        try:
            meta = dict(conn.execute("SELECT key, value FROM meta"))
            yield conn, meta["generation"], meta["version"]
        finally:
            conn.execute("COMMIT")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; bumps `meta.version` so readers drop cached counts.

        Rolled back only while one is open: a Ctrl-C lands between any two bytecodes, also
        just after BEGIN or COMMIT has run, and a ROLLBACK with no transaction would raise an
        error of its own in place of the KeyboardInterrupt (which the ingest then took for an
        indexing failure, and went on)."""
        with self._write_lock:
            conn = self._writer
            if conn is None:
                conn = self._writer = self._connect()
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'version'")
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()
        self._writer = None

    # ------------------------------------------------------------------ writing

    def index(self, records: Iterable[Mapping[str, Any]]) -> int:
        return self._load(records, None)

    def delete(self, item_ids: Iterable[str]) -> None:
        ids = iter(item_ids)
        while batch := list(islice(ids, _BATCH)):
            with self._write() as conn:
                gen = _generation(conn)
                tracked = _tracked_terms(conn, gen)
                for item_id in batch:
                    found = conn.execute(f"SELECT rowid FROM k_{gen} WHERE id = ?", (item_id,))
                    if row := found.fetchone():
                        _delete_row(conn, gen, row[0], tracked)

    def rebuild(self, records: Iterable[Mapping[str, Any]]) -> int:
        with self._write() as conn:
            old = _generation(conn)
            for stale in _generations(conn) - {old}:  # left by a rebuild that crashed
                _drop_generation(conn, stale)
            new = old + 1
            _create_generation(conn, new, with_indexes=False)
        count = self._load(records, new)
        with self._write() as conn:
            _track_frequent_terms(conn, new, self.frequent_docs)
            _store_columns(conn, new)
            _create_indexes(conn, new)
            conn.execute(f"INSERT INTO f_{new}(f_{new}) VALUES ('optimize')")
            conn.execute("UPDATE meta SET value = ? WHERE key = 'generation'", (new,))
        with self._write() as conn:  # readers still on the old snapshot keep it until they end
            _drop_generation(conn, old)
        with self._write_lock:
            # Move the whole new generation from the WAL into the file and empty the WAL:
            # while a WAL holds many frames, every page read searches its index first.
            if self._writer is not None:
                self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return count

    def _load(self, records: Iterable[Mapping[str, Any]], target: int | None) -> int:
        """Upsert in batches, one transaction each; documents are built outside the lock."""
        count = 0
        items = iter(records)
        while batch := list(islice(items, _BATCH)):
            docs = [to_document(record) for record in batch]
            with self._write() as conn:
                gen = target or _generation(conn)
                codes = dict(conn.execute(f"SELECT key, code FROM c_{gen}"))
                seq = (
                    conn.execute(f"SELECT max(rowid) FROM k_{gen}").fetchone()[0] or 0
                ) >> _SEQ_SHIFT
                tracked = _tracked_terms(conn, gen)
                for doc in docs:
                    seq += 1
                    _upsert(conn, gen, doc, codes, seq, tracked)
                if target is None:
                    (kept,) = conn.execute(f"SELECT max(upto) FROM cc_{gen}").fetchone()
                    if len(codes) - (kept or 0) >= COLUMNS_STALE:
                        _store_columns(conn, gen)
            count += len(docs)
        return count

    # ------------------------------------------------------------------ reading

    def count(self, audience: Audience | None = None) -> int:
        today = date.today().isoformat()
        with self._read() as (conn, gen, _):
            rows = conn.execute(f"SELECT code, n FROM c_{gen} WHERE n > 0").fetchall()
            if audience is None:
                return sum(n for _, n in rows)
            seen = self._columns(conn, gen, [code for code, _ in rows]).visible(audience, today)
        return sum(n for code, n in rows if seen[code])

    def health(self) -> dict[str, Any]:
        try:
            with self._read() as (conn, gen, version):
                documents = conn.execute(f"SELECT sum(n) FROM c_{gen}").fetchone()[0] or 0
            return {
                "ok": True,
                "backend": self.backend,
                "path": str(self.path),
                "documents": documents,
                "generation": gen,
                "version": version,
                "sqlite": sqlite3.sqlite_version,
            }
        except Exception as error:  # noqa: BLE001 - health reports, never raises
            return {
                "ok": False,
                "backend": self.backend,
                "path": str(self.path),
                "error": str(error),
            }

    def search(self, query: SearchQuery) -> SearchResult:
        query, understood = resolve_dates(query)
        filters = {name: frozenset(values) for name, values in check_query(query).items()}
        plan = analyze_query(query.q)
        today = (query.today or date.today()).isoformat()
        offset = (query.page - 1) * query.size
        with self._read() as (conn, gen, version):
            histogram = self._histogram(conn, gen, version, plan, query)
            columns = self._columns(conn, gen, histogram)
            counts = _aggregate(histogram, columns, query, filters, today)
            rows: list[tuple[int, float]] = []
            cut = False
            if offset < counts.total:
                # the shorter list: the combinations allowed, or those left out
                excluded = sorted(histogram.keys() - counts.allowed)
                exclude = len(excluded) <= len(counts.allowed)
                codes = excluded if exclude else sorted(counts.allowed)
                where = _Where(codes, exclude, year_spans(query))
                if plan.empty or query.sort != "relevance":
                    rows = _sorted_page(
                        conn,
                        gen,
                        plan,
                        where,
                        query.sort,
                        offset,
                        query.size,
                        (columns, counts, histogram),
                    )
                else:
                    no_title = _title_tier_empty(conn, gen, plan, where)
                    rows, cut = _relevance_page(
                        conn, gen, plan, where, offset, query.size, self.rank_window, no_title
                    )
            stored = _stored(conn, gen, [rowid for rowid, _ in rows])
        hits = []
        for rowid, score in rows:
            summary, display = stored[rowid]
            hits.append(Hit(summary["id"], score, summary, highlights_for(display, plan)))
        facets = {
            name: [
                FacetValue(value, n)
                for value, n in sorted(counter.items(), key=lambda vn: (-vn[1], vn[0]))[
                    : query.facet_size
                ]
            ]
            for name, counter in counts.facets.items()
        }
        window = self.rank_window if cut else None
        return SearchResult(
            counts.total, hits, facets, query.page, query.size, understood, ranked_window=window
        )

    def related(
        self, record: Mapping[str, Any], audience: Audience, limit: int = 8
    ) -> list[RelatedItem]:
        """See `SearchIndex.related`. The combinations hold the bearers, projects and place, so
        one pass over them in SQL finds the codes of the first three reasons, and visibility is
        decided per combination as in `search`; then one page query per reason (by id). The
        text tier: the newest RELATED_WINDOW documents with any of the words in a title or
        subject (FTS5 stops early), ranked by bm25() and id."""
        check_related_limit(limit)
        today = date.today().isoformat()
        with self._read() as (conn, gen, _):
            terms = related_terms(record, _tracked_terms(conn, gen))
            tiered = _related_codes(conn, gen, terms)
            columns = self._columns(conn, gen, tiered)
            seen = columns.visible(audience, today)

            def reason_of(code: int) -> RelatedReason | None:
                """The code's reason, None when the audience may not see its documents."""
                if not seen[code]:
                    return None
                region = columns.of("region", code)
                doc = {
                    "bearer": columns.of("bearer", code),
                    "project": columns.of("project", code),
                    "region": region[0] if region else None,
                }
                return related_reason(doc, terms)

            by_reason: dict[str, list[int]] = {}
            for code in tiered:
                reason = reason_of(code)
                if reason is not None:
                    by_reason.setdefault(reason, []).append(code)
            chosen: list[tuple[int, RelatedReason]] = []
            for tier in RELATED_REASONS[:-1]:
                codes = by_reason.get(tier)
                if codes and len(chosen) < limit:
                    rows = conn.execute(
                        f"SELECT rowid FROM k_{gen} WHERE (rowid & {CODE_MASK}) IN"
                        " (SELECT value FROM json_each(?)) AND id != ? ORDER BY id LIMIT ?",
                        (json.dumps(codes), terms.id, limit - len(chosen)),
                    )
                    chosen += [(rowid, tier) for (rowid,) in rows]
            if len(chosen) < limit and terms.words:
                words = " OR ".join(f'"{word}"' for word in terms.words)
                match = f"{{t_title t_subjects}} : ({words})"
                newest = [
                    rowid
                    for (rowid,) in conn.execute(
                        f"SELECT rowid FROM f_{gen} WHERE f_{gen} MATCH ?"
                        " ORDER BY rowid DESC LIMIT ?",
                        (match, RELATED_WINDOW),
                    )
                ]
                columns = self._columns(conn, gen, [r & CODE_MASK for r in newest])
                seen = columns.visible(audience, today)
                similar = [r for r in newest if reason_of(r & CODE_MASK) == "similar_text"]
                ranked = _related_ranked(conn, gen, match, similar, terms.id)
                chosen += [(rowid, "similar_text") for rowid in ranked[: limit - len(chosen)]]
            stored = _stored(conn, gen, [rowid for rowid, _ in chosen])
        return [RelatedItem(stored[r][0]["id"], reason, stored[r][0]) for r, reason in chosen]

    # ------------------------------------------------------------------ OAI-PMH

    def oai_headers(
        self, where: OaiSlice, after: tuple[str, str] | None, limit: int
    ) -> list[OaiHeader]:
        sql, args = _oai_where(where)
        if after is not None:
            sql += " AND (datestamp, id) > (?, ?)"
            args += list(after)
        with self._read() as (conn, gen, _):
            rows = conn.execute(
                f"SELECT datestamp, id, collection, category, deleted FROM o_{gen}"
                f" WHERE {sql} ORDER BY datestamp, id LIMIT ?",
                [*args, limit],
            ).fetchall()
        return [OaiHeader(ds, i, coll, cat, bool(gone)) for ds, i, coll, cat, gone in rows]

    def oai_count(self, where: OaiSlice) -> int:
        """Without datestamp bounds (a full harvest's first page) a sum over the counts table;
        with bounds, a count of the rows in the range."""
        bounded = where.start is not None or where.end is not None
        sql, args = _oai_where(where, counts=not bounded)
        table = "o" if bounded else "oc"
        total = "count(*)" if bounded else "coalesce(sum(n), 0)"
        with self._read() as (conn, gen, _):
            found = conn.execute(f"SELECT {total} FROM {table}_{gen} WHERE {sql}", args)
            return int(found.fetchone()[0])

    def oai_collections(self, today: date | None = None) -> list[str]:
        sql, args = _oai_where(OaiSlice(today=today))
        with self._read() as (conn, gen, _):
            rows = conn.execute(
                f"SELECT DISTINCT collection FROM o_{gen} WHERE {sql} ORDER BY collection", args
            )
            return [collection for (collection,) in rows]

    def _columns(self, conn: sqlite3.Connection, gen: int, codes: Iterable[int]) -> _Columns:
        """The generation's combinations, with at least `codes` loaded: those not met before
        are read in one statement (column by column into arrays) and kept. Codes never change
        meaning within a generation; loading only what queries meet keeps the first query
        after opening cheap, as an index holds tens of thousands of combinations."""
        with self._lock:
            for stale in [g for g in self._combos if g != gen]:
                del self._combos[stale]
            columns = self._combos.get(gen) or _Columns.stored(conn, gen)
            self._combos[gen] = columns
            missing = columns.missing(codes)
            if missing:
                # c_g.key is the JSON of the combination's _combo_key: one string to parse
                # costs half of fetching its columns row by row
                (found,) = conn.execute(
                    f"SELECT '[' || group_concat('[' || code || ',' || substr(key, 2)) || ']'"
                    f" FROM c_{gen} WHERE code IN (SELECT value FROM json_each(?))",
                    (json.dumps(missing),),
                ).fetchone()
                columns = self._combos[gen] = columns.grown(json.loads(found or "[]"))
            return columns

    def _histogram(
        self, conn: sqlite3.Connection, gen: int, version: int, plan: QueryPlan, query: SearchQuery
    ) -> dict[int, int]:
        """{combo code: documents} matching the text and year range, ignoring everything else."""
        match = None if plan.empty else fts_match(AllOf(plan.must))
        spans = year_spans(query)
        key = (gen, version, match, spans)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        years, args = _year_sql(spans)
        if match is None:
            sql = (
                f"SELECT k.rowid & {CODE_MASK}, count(*) FROM k_{gen} k WHERE {years} GROUP BY 1"
                if years
                else f"SELECT code, n FROM c_{gen} WHERE n > 0"
            )
            histogram = _pairs(conn, sql, args)
        else:
            token = None if years else _single_token(plan)
            kept = (
                _pairs(conn, f"SELECT code, n FROM t_{gen} WHERE term = ? AND n > 0", [token])
                if token
                else {}
            )
            histogram = kept or _code_counts(conn, gen, match, years, args)
        if self._cache_size:
            with self._lock:
                self._cache[key] = histogram
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return histogram


# ---------------------------------------------------------------------------------- reading SQL


@dataclass(frozen=True)
class _Where:
    """Conditions on a page query beyond the text match: combinations and years."""

    codes: list[int]  # the combinations allowed or, with `exclude`, those left out
    exclude: bool
    years: tuple[YearSpan, ...]

    def sql(self, rowid: str) -> tuple[str, list[Any]]:
        parts: list[str] = []
        args: list[Any] = []
        if self.codes or not self.exclude:
            test = "NOT IN" if self.exclude else "IN"
            parts.append(f"({rowid} & {CODE_MASK}) {test} (SELECT value FROM json_each(?))")
            args.append(json.dumps(self.codes))
        years, year_args = _year_sql(self.years)
        if years:
            parts.append(years)
            args.extend(year_args)
        return "".join(f" AND {p}" for p in parts), args


def _year_sql(spans: tuple[YearSpan, ...]) -> tuple[str, list[int]]:
    """SQL over k.ymin/k.ymax for the year conditions (see YearSpan for the era rule)."""
    parts: list[str] = []
    args: list[int] = []
    for span in spans:
        start, end = span.start, span.end
        if not span.era:
            if start is not None:
                parts.append("k.ymax >= ?")
                args.append(start)
            if end is not None:
                parts.append("k.ymin <= ?")
                args.append(end)
        elif start is not None and end is not None:
            parts.append("((k.ymin >= ? AND k.ymax <= ?) OR (k.ymin < ? AND k.ymax > ?))")
            args += [start, end, end, start]
        elif start is not None:
            parts.append("(k.ymin >= ? OR k.ymax > ?)")
            args += [start, start]
        elif end is not None:
            parts.append("(k.ymax <= ? OR k.ymin < ?)")
            args += [end, end]
    return " AND ".join(parts), args


def _sorted_page(
    conn: sqlite3.Connection,
    gen: int,
    plan: QueryPlan,
    where: _Where,
    sort: str,
    offset: int,
    size: int,
    known: tuple[_Columns, _Counts, dict[int, int]],
) -> list[tuple[int, float]]:
    """A page in a field order. With no text, a walk along the field's index; for a text in
    date order, `_date_page`; otherwise SQLite sorts the matches. `known`: the combinations,
    what the query counted of them, and its histogram."""
    sort = "date" if sort == "relevance" else sort
    order = _ORDER_BY[sort]
    if plan.empty:
        conditions, args = where.sql("k.rowid")
        sql = f"SELECT k.rowid FROM k_{gen} k WHERE 1{conditions} ORDER BY {order} LIMIT ? OFFSET ?"
    elif sort in _YEAR_KEYS:
        return _date_page(conn, gen, plan, where, _YEAR_KEYS[sort], offset, size, known)
    else:
        conditions, args = where.sql("f.rowid")
        sql = (
            f"SELECT f.rowid FROM f_{gen} f JOIN k_{gen} k ON k.rowid = f.rowid"
            f" WHERE f_{gen} MATCH ?{conditions} ORDER BY {order} LIMIT ? OFFSET ?"
        )
        args = [fts_match(AllOf(plan.must)), *args]
    return [(rowid, 0.0) for (rowid,) in conn.execute(sql, [*args, size, offset])]


def _date_page(
    conn: sqlite3.Connection,
    gen: int,
    plan: QueryPlan,
    where: _Where,
    column: str,
    offset: int,
    size: int,
    known: tuple[_Columns, _Counts, dict[int, int]],
) -> list[tuple[int, float]]:
    """[offset, offset + size) of the matches in (`column`, id) order, `column` an integer
    year key of k_g (date_sort, or its negative; undated last).

    SQLite would look up the key of every match and sort them all with their ids: for a
    deep page of a common word, tens of thousands of rows. Here (`_date_keys`) the keys are
    read (from the rowids' year bits) only for the matches that can be on the page, numpy finds
    the keys at the page's two ends, and only the matches between them (a year or two of items)
    are ordered by id.
    """
    rowids, keys, skipped = _date_keys(conn, gen, plan, where, column, offset, size, known)
    start, end = offset - skipped, min(offset - skipped + size, len(keys))
    if start >= end:
        return []
    ends = np.partition(keys, (start, end - 1))
    low, high = ends[start], ends[end - 1]
    before = int(np.count_nonzero(keys < low))
    between = (keys >= low) & (keys <= high)
    candidates = dict(zip(rowids[between].tolist(), keys[between].tolist(), strict=True))
    ids = dict(
        conn.execute(
            f"SELECT rowid, id FROM k_{gen} WHERE rowid IN (SELECT value FROM json_each(?))",
            (json.dumps(list(candidates)),),
        )
    )
    ordered = sorted(candidates, key=lambda rowid: (candidates[rowid], ids[rowid]))
    return [(rowid, 0.0) for rowid in ordered[start - before : end - before]]


def _date_keys(
    conn: sqlite3.Connection,
    gen: int,
    plan: QueryPlan,
    where: _Where,
    column: str,
    offset: int,
    size: int,
    known: tuple[_Columns, _Counts, dict[int, int]],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], int]:
    """The rowids and `column` keys of the matches that can be on the page, and how many
    matches sort before all of them.

    A combination's first decade bounds the keys of its items, so the matches fall into
    decade buckets the histogram counts without reading them; only the buckets the page
    overlaps, and the matches of combinations without a decade (undated, or a wide range: their
    keys can be anywhere), are read, by `_keys_of`. With year conditions every match is looked
    up in k_g (the years are checked on the same rows, and the histogram counted only those in
    range).
    """
    match = fts_match(AllOf(plan.must))
    if where.years:
        conditions, args = where.sql("f.rowid")
        found, keyed = conn.execute(
            f"SELECT group_concat(f.rowid), group_concat(k.{column}) FROM f_{gen} f"
            f" JOIN k_{gen} k INDEXED BY k_{gen}_keys ON k.rowid = f.rowid"
            f" WHERE f_{gen} MATCH ?{conditions}",
            [match, *args],
        ).fetchone()
        return _ints(found), _ints(keyed), 0
    columns, counts, histogram = known
    codes = np.fromiter(counts.allowed, np.int64, len(counts.allowed))
    matches = np.fromiter(map(histogram.__getitem__, counts.allowed), np.int64)
    decades = columns.first_decade[codes]
    undecided = decades == _NO_DECADE
    loose_rowids, loose_keys = _keys_of(conn, gen, column, match, codes[undecided])
    firsts, bucket = np.unique(decades[~undecided], return_inverse=True)
    sizes = np.bincount(bucket, weights=matches[~undecided]).astype(np.int64)
    # each bucket's key range, buckets in key order (for -date: the latest decade first)
    lows, highs = (firsts, firsts + 9) if column == "dsa" else (-firsts - 9, -firsts)
    order = np.argsort(lows)
    firsts, sizes, lows, highs = firsts[order], sizes[order], lows[order], highs[order]
    loose = np.sort(loose_keys)
    loose_before = np.searchsorted(loose, lows, "left")
    starts = np.cumsum(sizes) - sizes + loose_before
    stops = starts + sizes + np.searchsorted(loose, highs, "right") - loose_before
    on_page = (starts < offset + size) & (stops > offset)
    picked = codes[~undecided][np.isin(decades[~undecided], firsts[on_page])]
    picked_rowids, picked_keys = _keys_of(conn, gen, column, match, picked)
    skipped = int(sizes[stops <= offset].sum())
    return (
        np.concatenate([loose_rowids, picked_rowids]),
        np.concatenate([loose_keys, picked_keys]),
        skipped,
    )


def _keys_of(
    conn: sqlite3.Connection, gen: int, column: str, match: str, codes: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(rowids, `column` keys) of the matches of `match` in the combinations `codes`, from the
    FTS pass alone: the year is in the rowid. Only a year past the key's edges (a rare
    prehistoric or mistyped date) is read from k_g."""
    if not len(codes):
        return codes, codes
    (found,) = conn.execute(
        f"SELECT group_concat(f.rowid) FROM f_{gen} f WHERE f_{gen} MATCH ?"
        f" AND (f.rowid & {CODE_MASK}) IN (SELECT value FROM json_each(?))",
        (match, json.dumps(np.unique(codes).tolist())),
    ).fetchone()
    rowids = _ints(found)
    keys = (rowids >> CODE_BITS) & _YEAR_UNDATED
    edges = np.flatnonzero(np.isin(keys, _YEAR_EDGES))
    years = keys - _YEAR_ZERO
    keys = np.where(keys == _YEAR_UNDATED, _UNDATED, years if column == "dsa" else -years)
    if len(edges):
        exact = dict(
            conn.execute(
                f"SELECT rowid, {column} FROM k_{gen}"
                " WHERE rowid IN (SELECT value FROM json_each(?))",
                (json.dumps(rowids[edges].tolist()),),
            )
        )
        keys[edges] = [exact[rowid] for rowid in rowids[edges].tolist()]
    return rowids, keys


def _ints(joined: str | None) -> npt.NDArray[np.int64]:
    """The integers of a group_concat."""
    return np.fromstring(joined or "", np.int64, sep=",")


def _relevance_page(
    conn: sqlite3.Connection,
    gen: int,
    plan: QueryPlan,
    where: _Where,
    offset: int,
    size: int,
    window: int,
    no_title: bool = False,
) -> tuple[list[tuple[int, float]], bool]:
    """One page in relevance order: tier by tier, bm25() within a tier, then id; and whether
    a tier was too large to rank whole.

    Tiers (see `_tier_matches`) are read newest first with `ORDER BY rowid DESC`, which FTS5
    serves from its index and stops early, without scoring. Then one statement scores what the
    page needs with bm25() (`fts_relaxed`: bm25 reads whole doclists for its IDF once per
    statement, so scoring tier by tier would repeat that). A tier of up to 2 × `window` rows is
    scored whole, so it is in relevance order on every page; of a larger one the newest `window`
    rows are scored and the rest follows newest first (the caller says so on the page).
    `no_title`: the first tier (the query in the title) is known to be empty; not scanned.
    """
    conditions, args = where.sql("f.rowid")
    join = f" JOIN k_{gen} k ON k.rowid = f.rowid" if where.years else ""
    base = f"FROM f_{gen} f{join} WHERE f_{gen} MATCH ?{conditions}"
    tiers = _tier_matches(plan)
    end = offset + size
    parts: list[tuple[int, int, list[int], bool]] = []  # tier, first rank, rowids, scored?
    position = 0  # rank of the first document of the current tier
    seen: set[int] | None = set()  # every row of the tiers so far, while each was read whole
    cut = False
    for number, (tier, exclusive) in enumerate(tiers):
        if position >= end:
            break
        if number == 0 and no_title:
            continue
        # While earlier tiers were small, leave them out here in Python: FTS5 evaluates NOT
        # by reading the excluded doclists in full, an early stop cannot save that.
        limit = 2 * window + 1 + (len(seen) if seen is not None else 0)
        newest = conn.execute(
            f"SELECT f.rowid {base} ORDER BY f.rowid DESC LIMIT ?",
            [exclusive if seen is None else tier, *args, limit],
        ).fetchall()
        fresh = [rowid for (rowid,) in newest if seen is None or rowid not in seen]
        if len(fresh) <= 2 * window:  # ranked whole
            if offset < position + len(fresh):
                parts.append((number, position, fresh, True))
            if seen is not None:
                seen.update(fresh)
            position += len(fresh)
            continue
        if offset < position + window:
            parts.append((number, position, fresh[:window], True))
        cut, seen = True, None
        start = max(offset - position, window)
        wanted = end - position - start
        if wanted <= 0:
            break
        rest = conn.execute(
            f"SELECT f.rowid {base} ORDER BY f.rowid DESC LIMIT ? OFFSET ?",
            [exclusive, *args, wanted, start],
        ).fetchall()
        parts.append((number, position + start, [rowid for (rowid,) in rest], False))
        if len(rest) == wanted:
            break
        position += conn.execute(f"SELECT count(*) {base}", [exclusive, *args]).fetchone()[0]
    scores = _scores(
        conn, gen, plan, [r for _, _, rowids, scoring in parts if scoring for r in rowids]
    )
    page: list[tuple[int, float]] = []
    for number, first, rowids, scoring in parts:
        bonus = _TIER_SCORE * (len(tiers) - number)  # keeps Hit.score falling down the list
        start, stop = max(offset - first, 0), min(end - first, len(rowids))
        if scoring:
            ordered = _ranked_slice(conn, gen, rowids, scores, start, stop)
            page.extend((rowid, bonus - scores[rowid]) for rowid in ordered)
        else:
            page.extend((rowid, bonus) for rowid in rowids[start:stop])
    return page, cut


def _ranked_slice(
    conn: sqlite3.Connection,
    gen: int,
    rowids: list[int],
    scores: dict[int, float],
    start: int,
    stop: int,
) -> list[int]:
    """Ranks [start, stop) of `rowids` in (bm25, id) order.

    Ids decide only between equal scores, so they are read only for the rows whose score falls
    within the slice's: a page of a 1 000-row tier reads a few dozen, not 1 000.
    """
    if start >= stop:
        return []
    by_score = sorted(rowids, key=scores.__getitem__)
    low, high = scores[by_score[start]], scores[by_score[stop - 1]]
    group = [rowid for rowid in by_score if low <= scores[rowid] <= high]
    better = sum(1 for rowid in by_score if scores[rowid] < low)
    ids = dict(
        conn.execute(
            f"SELECT rowid, id FROM k_{gen} WHERE rowid IN (SELECT value FROM json_each(?))",
            (json.dumps(group),),
        )
    )
    group.sort(key=lambda rowid: (scores[rowid], ids[rowid]))
    return group[start - better : stop - better]


def _scores(
    conn: sqlite3.Connection, gen: int, plan: QueryPlan, rowids: list[int]
) -> dict[int, float]:
    """rowid -> bm25 of the whole query with the field weights (lower is better).

    bm25() first reads the whole doclist of each phrase to count the documents that hold it
    (its IDF): for a frequent term, hundreds of thousands of entries, more than the scoring.
    A one-word query for a tracked term is scored by `_frequent_scores` instead."""
    if not rowids:
        return {}
    token = _single_token(plan)
    if token is not None:
        (docs,) = conn.execute(f"SELECT sum(n) FROM t_{gen} WHERE term = ?", (token,)).fetchone()
        if docs is not None:
            return _frequent_scores(conn, gen, token, docs, rowids)
    weights = ", ".join(str(FIELD_BOOSTS[name]) for name in TEXT_FIELDS)
    rows = conn.execute(
        f"SELECT f.rowid, bm25(f_{gen}, {weights}) FROM f_{gen} f"
        f" WHERE f_{gen} MATCH ? AND f.rowid BETWEEN ? AND ?"
        " AND +f.rowid IN (SELECT value FROM json_each(?))",  # +: scan, do not look up one by one
        (fts_relaxed(AllOf(plan.must)), min(rowids), max(rowids), json.dumps(rowids)),
    )
    return dict(rows)


_WEIGHTS = tuple(float(FIELD_BOOSTS[name]) for name in TEXT_FIELDS)


def _frequent_scores(
    conn: sqlite3.Connection, gen: int, token: str, docs: int, rowids: list[int]
) -> dict[int, float]:
    """What bm25(f_g, <field weights>) gives `rowids` for the one-token query `token`, found
    in `docs` documents (its t_g counts), without reading the token's doclist.

    FTS5's formula step by step, in its order of operations, so the numbers are the same to
    the last bit (ties are broken by id): the row count and total length from the table's
    averages record, each row's length from its docsize record, the token's occurrences per
    column from the row's stored tokens (each adds that column's weight), k1 = 1.2, b = 0.75.
    """
    (totals,) = conn.execute(f"SELECT block FROM f_{gen}_data WHERE id = 1").fetchone()
    rows, *lengths = _varints(totals)
    average = float(sum(lengths)) / float(rows)
    idf = math.log((rows - docs + 0.5) / (docs + 0.5))
    if idf <= 0.0:
        idf = 1e-6
    listed = json.dumps(rowids)
    sizes = {
        rowid: sum(_varints(blob))
        for rowid, blob in conn.execute(
            f"SELECT id, sz FROM f_{gen}_docsize WHERE id IN (SELECT value FROM json_each(?))",
            (listed,),
        )
    }
    word = token.encode()
    needle = b" " + word + b" "
    scores = {}
    for rowid, blob in conn.execute(
        f"SELECT rowid, tokens FROM d_{gen} WHERE rowid IN (SELECT value FROM json_each(?))",
        (listed,),
    ):
        frequency = 0.0
        for weight, text in zip(_WEIGHTS, zlib.decompress(blob).split(b"\n"), strict=True):
            if word not in text:
                continue
            # tokens are split by single spaces: doubled, each occurrence has its own two
            for _ in range((b" " + text + b" ").replace(b" ", b"  ").count(needle)):
                frequency += weight
        length = float(sizes[rowid])
        score = 0.0 + idf * (
            (frequency * (1.2 + 1.0)) / (frequency + 1.2 * (1 - 0.75 + 0.75 * length / average))
        )
        scores[rowid] = -1.0 * score
    return scores


def _varints(blob: bytes) -> list[int]:
    """The SQLite varints (big-endian, 7 bits a byte, the ninth byte whole) FTS5 stores
    lengths as."""
    values = []
    at = 0
    while at < len(blob):
        value = 0
        for step in range(9):
            byte = blob[at]
            at += 1
            if step == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        values.append(value)
    return values


def _related_codes(conn: sqlite3.Connection, gen: int, terms: RelatedTerms) -> list[int]:
    """Codes of the live combinations sharing a bearer, a project or the place with `terms`:
    one scan of the combinations table in SQL (ids are stored joined by _SEP, so each id is
    looked for with its separators around it)."""
    tests = ["region = ?"]
    args: list[Any] = [terms.place]
    for column, ids in (("bearer", terms.bearers), ("project", terms.projects)):
        for authority_id in ids[:MAX_RELATED_LINKS]:
            tests.append(f"instr(char(31) || {column} || char(31), ?) > 0")
            args.append(f"{_SEP}{authority_id}{_SEP}")
    rows = conn.execute(f"SELECT code FROM c_{gen} WHERE n > 0 AND ({' OR '.join(tests)})", args)
    return [code for (code,) in rows]


def _related_ranked(
    conn: sqlite3.Connection, gen: int, match: str, rowids: list[int], item_id: str
) -> list[int]:
    """`rowids` (matching `match`) but the item itself, by bm25() with the field weights, then
    id: one statement scores them all."""
    if not rowids:
        return []
    weights = ", ".join(str(FIELD_BOOSTS[name]) for name in TEXT_FIELDS)
    scores = dict(
        conn.execute(
            f"SELECT f.rowid, bm25(f_{gen}, {weights}) FROM f_{gen} f"
            f" WHERE f_{gen} MATCH ? AND f.rowid BETWEEN ? AND ?"
            " AND +f.rowid IN (SELECT value FROM json_each(?))",
            (match, min(rowids), max(rowids), json.dumps(rowids)),
        )
    )
    ids = dict(
        conn.execute(
            f"SELECT rowid, id FROM k_{gen} WHERE rowid IN (SELECT value FROM json_each(?))",
            (json.dumps(rowids),),
        )
    )
    kept = [rowid for rowid in rowids if ids.get(rowid) != item_id and rowid in scores]
    return sorted(kept, key=lambda rowid: (scores[rowid], ids[rowid]))


def _stored(
    conn: sqlite3.Connection, gen: int, rowids: list[int]
) -> dict[int, tuple[dict[str, Any], dict[str, Any]]]:
    if not rowids:
        return {}
    rows = conn.execute(
        f"SELECT rowid, shown FROM d_{gen} WHERE rowid IN (SELECT value FROM json_each(?))",
        (json.dumps(rowids),),
    )
    return {rowid: tuple(json.loads(zlib.decompress(shown))) for rowid, shown in rows}


def _oai_where(where: OaiSlice, *, counts: bool = False) -> tuple[str, list[Any]]:
    """The WHERE clause (and its arguments) of an OAI slice over o_g, or over the counts table
    oc_g (`counts`: there a missing embargo or category is '', not NULL, so rows can be keyed)."""
    today = (where.today or date.today()).isoformat()
    missing = "= ''" if counts else "IS NULL"
    sql = f"(embargo {missing} OR embargo <= ?)"
    args: list[Any] = [today]
    if where.start is not None:
        sql += " AND datestamp >= ?"
        args.append(where.start)
    if where.end is not None:
        sql += " AND datestamp <= ?"
        args.append(where.end)
    if where.set_field is not None:  # a fixed column name, never user text
        if where.set_value is None:
            has = "!= ''" if counts else "IS NOT NULL"
            sql += f" AND {where.set_field} {has}"
        else:
            sql += f" AND {where.set_field} = ?"
            args.append(where.set_value)
    return sql, args


# ---------------------------------------------------------------------------------- writing SQL


def _combo_key(doc: dict[str, Any]) -> tuple[Any, ...]:
    decades = doc["decade"]
    return (
        doc["collection"],
        doc["category"],
        doc["media_type"],
        doc["region"],
        doc["access"],
        doc["status"] == "published",
        doc["institution"],
        doc["embargo_until"],
        decades[0] if decades else None,
        decades[-1] if decades else None,
        _SEP.join(doc["project"]) or None,
        _SEP.join(doc["bearer"]) or None,
        doc["place"],
    )


def _combo_code(
    conn: sqlite3.Connection, gen: int, doc: dict[str, Any], codes: dict[str, int]
) -> int:
    values = _combo_key(doc)
    key = json.dumps(values, ensure_ascii=False)
    code = codes.get(key)
    if code is None:
        code = len(codes) + 1
        if code > CODE_MASK:
            raise RuntimeError(
                f"{code} distinct facet combinations exceed the SQLite index's {CODE_MASK}"
            )
        conn.execute(
            f"INSERT INTO c_{gen} (code, key, collection, category, media_type, region, access,"
            f" published, institution, embargo, dlo, dhi, project, bearer, place, n)"
            f" VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0)",
            (code, key, *values),
        )
        codes[key] = code
    return code


def _year_key(year: int | None) -> int:
    """The year's bits in a rowid: date order is their order (undated last); a year past
    either edge gets the edge's key (`_keys_of` then reads it from k_g)."""
    if year is None:
        return _YEAR_UNDATED
    return min(max(year + _YEAR_ZERO, _YEAR_EDGES[0]), _YEAR_EDGES[1])


def _upsert(
    conn: sqlite3.Connection,
    gen: int,
    doc: dict[str, Any],
    codes: dict[str, int],
    seq: int,
    tracked: frozenset[str],
) -> None:
    old = conn.execute(f"SELECT rowid FROM k_{gen} WHERE id = ?", (doc["id"],)).fetchone()
    if old:
        _delete_row(conn, gen, old[0], tracked)
    code = _combo_code(conn, gen, doc, codes)
    if seq > _MAX_SEQ:
        raise RuntimeError(
            f"the SQLite index has used its {_MAX_SEQ} row numbers: rebuild it (heritage reindex)"
        )
    rowid = seq << _SEQ_SHIFT | _year_key(doc["date_sort"]) << CODE_BITS | code
    texts = [doc[name] for name in TEXT_FIELDS]
    columns = ", ".join(TEXT_FIELDS)
    conn.execute(
        f"INSERT INTO f_{gen} (rowid, {columns}) VALUES (?{', ?' * len(texts)})", (rowid, *texts)
    )
    low = doc["date_sort"]
    conn.execute(
        f"INSERT INTO k_{gen} (rowid, id, ymin, ymax, dsa, dsd, title_sort, modified)"
        " VALUES (?,?,?,?,?,?,?,?)",
        (
            rowid,
            doc["id"],
            doc["year_min"],
            doc["year_max"],
            _UNDATED if low is None else low,
            _UNDATED if low is None else -low,
            doc["title_sort"],
            doc["modified"],
        ),
    )
    conn.execute(
        f"INSERT INTO d_{gen} (rowid, shown, tokens) VALUES (?,?,?)",
        (
            rowid,
            # compressed: the summary repeats the display text, and zlib folds that away
            zlib.compress(json.dumps([doc["summary"], doc["display"]]).encode()),
            zlib.compress("\n".join(texts).encode(), 1),
        ),
    )
    conn.execute(f"UPDATE c_{gen} SET n = n + 1 WHERE code = ?", (code,))
    _count_terms(conn, gen, texts, code, tracked, 1)
    # the embargo is checked when listing (it ends some day); here only access and status
    if oai_listed(doc, today="9999-12-31"):
        kind = (
            doc["collection"],
            doc["category"],
            doc["embargo_until"],
            doc["status"] == "withdrawn",
        )
        conn.execute(
            f"INSERT INTO o_{gen} (datestamp, id, collection, category, embargo, deleted)"
            " VALUES (?,?,?,?,?,?)",
            (doc["datestamp"], doc["id"], *kind),
        )
        _count_oai(conn, gen, kind, 1)


def _count_oai(conn: sqlite3.Connection, gen: int, kind: tuple[Any, ...], step: int) -> None:
    """Add `step` to the OAI view's count of (collection, category, embargo, withdrawn?)."""
    collection, category, embargo, withdrawn = kind
    conn.execute(
        f"INSERT INTO oc_{gen} (collection, category, embargo, deleted, n) VALUES (?,?,?,?,?)"
        " ON CONFLICT (collection, category, embargo, deleted) DO UPDATE SET n = n + excluded.n",
        (collection, category or "", embargo or "", int(bool(withdrawn)), step),
    )


def _delete_row(conn: sqlite3.Connection, gen: int, rowid: int, tracked: frozenset[str]) -> None:
    """Contentless FTS5 forgets a row only when told its exact tokens: we kept them for this."""
    (blob,) = conn.execute(f"SELECT tokens FROM d_{gen} WHERE rowid = ?", (rowid,)).fetchone()
    texts = zlib.decompress(blob).decode().split("\n")
    columns = ", ".join(TEXT_FIELDS)
    conn.execute(
        f"INSERT INTO f_{gen} (f_{gen}, rowid, {columns}) VALUES ('delete', ?{', ?' * len(texts)})",
        (rowid, *texts),
    )
    listed = conn.execute(
        f"SELECT collection, category, embargo, deleted FROM o_{gen}"
        f" WHERE id = (SELECT id FROM k_{gen} WHERE rowid = ?)",
        (rowid,),
    ).fetchone()
    if listed is not None:
        conn.execute(
            f"DELETE FROM o_{gen} WHERE id = (SELECT id FROM k_{gen} WHERE rowid = ?)", (rowid,)
        )
        _count_oai(conn, gen, listed, -1)
    conn.execute(f"DELETE FROM k_{gen} WHERE rowid = ?", (rowid,))
    conn.execute(f"DELETE FROM d_{gen} WHERE rowid = ?", (rowid,))
    conn.execute(f"UPDATE c_{gen} SET n = n - 1 WHERE code = ?", (rowid & CODE_MASK,))
    _count_terms(conn, gen, texts, rowid & CODE_MASK, tracked, -1)


# ---------------------------------------------------------------------------------- frequent terms


def _code_counts(
    conn: sqlite3.Connection, gen: int, match: str, years: str = "", args: list[Any] | None = None
) -> dict[int, int]:
    """{combo code: documents} for an FTS expression (and year conditions on `k`).

    One pass over the FTS doclists. Concatenating the codes and counting them with numpy beats
    GROUP BY, whose sorter costs more than the whole FTS scan.
    """
    join = f" JOIN k_{gen} k ON k.rowid = f.rowid" if years else ""
    (codes,) = conn.execute(
        f"SELECT group_concat(f.rowid & {CODE_MASK}) FROM f_{gen} f{join}"
        f" WHERE f_{gen} MATCH ?{' AND ' + years if years else ''}",
        [match, *(args or [])],
    ).fetchone()
    if not codes:
        return {}
    counted = np.bincount(np.fromstring(codes, np.int64, sep=","))
    found = np.flatnonzero(counted)
    return dict(zip(found.tolist(), counted[found].tolist(), strict=True))


def _pairs(conn: sqlite3.Connection, sql: str, args: list[Any]) -> dict[int, int]:
    """{a: b} for the integer pairs (a, b) `sql` selects, read as two strings: tens of
    thousands of rows cost a fraction of fetching them one by one."""
    (keys, values) = conn.execute(
        f"WITH pairs(a, b) AS ({sql}) SELECT group_concat(a), group_concat(b) FROM pairs", args
    ).fetchone()
    if not keys:
        return {}
    return dict(
        zip(
            np.fromstring(keys, np.int64, sep=",").tolist(),
            np.fromstring(values, np.int64, sep=",").tolist(),
            strict=True,
        )
    )


def _single_token(plan: QueryPlan) -> str | None:
    """The token of a one-word query (what a frequent-term histogram can answer), else None."""
    if len(plan.must) == 1 and plan.boost is None:
        (node,) = plan.must
        if isinstance(node, Phrase) and len(node.tokens) == 1:
            return node.tokens[0]
    return None


def _tracked_terms(conn: sqlite3.Connection, gen: int) -> frozenset[str]:
    return frozenset(term for (term,) in conn.execute(f"SELECT term FROM tt_{gen}"))


def _track_frequent_terms(conn: sqlite3.Connection, gen: int, min_docs: int) -> None:
    """Fill t_g for every term in at least `min_docs` documents (once the generation is loaded)."""
    conn.execute(f"CREATE VIRTUAL TABLE temp.vocab_{gen} USING fts5vocab(main, f_{gen}, row)")
    try:
        terms = [
            term
            for (term,) in conn.execute(
                f"SELECT term FROM temp.vocab_{gen} WHERE doc >= ?", (min_docs,)
            )
        ]
    finally:
        conn.execute(f"DROP TABLE temp.vocab_{gen}")
    for term in terms:
        counts = _code_counts(conn, gen, f'"{term}"')
        titles = _code_counts(conn, gen, f'{{t_title}} : "{term}"')
        conn.executemany(
            f"INSERT INTO t_{gen} (term, code, n, n_title) VALUES (?, ?, ?, ?)",
            [(term, code, n, titles.get(code, 0)) for code, n in counts.items()],
        )
        conn.execute(f"INSERT INTO tt_{gen} (term) VALUES (?)", (term,))


def _count_terms(
    conn: sqlite3.Connection,
    gen: int,
    texts: list[str],
    code: int,
    tracked: frozenset[str],
    step: int,
) -> None:
    """Add `step` (1: indexed, -1: removed) to the histograms of the tracked terms of a document."""
    if not tracked:
        return
    in_title = tracked.intersection(texts[TEXT_FIELDS.index("t_title")].split())
    anywhere = tracked.intersection(" ".join(texts).split())
    conn.executemany(
        f"INSERT INTO t_{gen} (term, code, n, n_title) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (term, code) DO UPDATE SET n = n + excluded.n,"
        " n_title = n_title + excluded.n_title",
        [(term, code, step, step if term in in_title else 0) for term in anywhere],
    )


def _title_tier_empty(conn: sqlite3.Connection, gen: int, plan: QueryPlan, where: _Where) -> bool:
    """True when a one-word query's term is tracked and no allowed document has it in the
    title: the title tier is empty, and finding that out by scanning would read every match."""
    token = _single_token(plan)
    if token is None or where.years:  # a year condition: the title counts do not apply
        return False
    if conn.execute(f"SELECT 1 FROM tt_{gen} WHERE term = ?", (token,)).fetchone() is None:
        return False
    titled = {
        code
        for (code,) in conn.execute(
            f"SELECT code FROM t_{gen} WHERE term = ? AND n_title > 0", (token,)
        )
    }
    listed = set(where.codes)
    return titled <= listed if where.exclude else titled.isdisjoint(listed)


# ---------------------------------------------------------------------------------- schema


def _generation(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0])


def _generations(conn: sqlite3.Connection) -> set[int]:
    names = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 'k_*'")
    return {int(name[2:]) for (name,) in names if name[2:].isdigit()}


def _create_generation(conn: sqlite3.Connection, gen: int, *, with_indexes: bool) -> None:
    columns = ", ".join(TEXT_FIELDS)
    conn.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS f_{gen} USING fts5({columns},"
        " content='', tokenize='ascii')"
    )
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS k_{gen} (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL,"
        " ymin INTEGER, ymax INTEGER, dsa INTEGER, dsd INTEGER, title_sort TEXT, modified TEXT)"
    )
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS d_{gen} (rowid INTEGER PRIMARY KEY, shown BLOB, tokens BLOB)"
    )
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS c_{gen} (code INTEGER PRIMARY KEY, key TEXT UNIQUE NOT NULL,"
        " collection TEXT, category TEXT, media_type TEXT, region TEXT, access TEXT,"
        " published INTEGER, institution TEXT, embargo TEXT, dlo INTEGER, dhi INTEGER,"
        " project TEXT, bearer TEXT, place TEXT, n INTEGER NOT NULL)"
    )
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS t_{gen} (term TEXT NOT NULL, code INTEGER NOT NULL,"
        " n INTEGER NOT NULL, n_title INTEGER NOT NULL, PRIMARY KEY (term, code)) WITHOUT ROWID"
    )
    conn.execute(f"CREATE TABLE IF NOT EXISTS tt_{gen} (term TEXT PRIMARY KEY) WITHOUT ROWID")
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS cc_{gen} (field TEXT PRIMARY KEY, upto INTEGER NOT NULL,"
        " names TEXT NOT NULL, width INTEGER NOT NULL, ids BLOB NOT NULL) WITHOUT ROWID"
    )
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS o_{gen} (datestamp TEXT NOT NULL, id TEXT NOT NULL,"
        " collection TEXT NOT NULL, category TEXT, embargo TEXT, deleted INTEGER NOT NULL,"
        " PRIMARY KEY (datestamp, id)) WITHOUT ROWID"
    )
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS oc_{gen} (collection TEXT NOT NULL, category TEXT NOT NULL,"
        " embargo TEXT NOT NULL, deleted INTEGER NOT NULL, n INTEGER NOT NULL,"
        " PRIMARY KEY (collection, category, embargo, deleted)) WITHOUT ROWID"
    )
    conn.execute(f"CREATE UNIQUE INDEX IF NOT EXISTS k_{gen}_id ON k_{gen} (id)")
    # the OAI view's indexes are needed while loading too: a replaced row is found by id
    for name, columns in _OAI_INDEXES:
        conn.execute(f"CREATE INDEX IF NOT EXISTS o_{gen}_{name} ON o_{gen} {columns}")
    if with_indexes:
        _create_indexes(conn, gen)


_SORT_INDEXES = (
    ("dsa", "dsa, id"),
    ("dsd", "dsd, id"),
    ("title", "title_sort, id"),
    ("modified", "modified DESC, id"),
    ("years", "ymin, ymax"),
    ("keys", "rowid, dsa, dsd, ymin, ymax"),  # _date_keys under year conditions: a narrow index
)


_OAI_INDEXES = (
    ("id", "(id)"),
    ("collection", "(collection, datestamp, id)"),
    ("category", "(category, datestamp, id)"),
)
_TABLES = ("f", "k", "d", "c", "t", "tt", "cc", "o", "oc")


def _layout_names(gen: int) -> set[str]:
    """The tables and indexes a ready generation has."""
    tables = {f"{prefix}_{gen}" for prefix in _TABLES}
    oai = {f"o_{gen}_{name}" for name, _ in _OAI_INDEXES}
    return tables | oai | {f"k_{gen}_id"} | {f"k_{gen}_{name}" for name, _ in _SORT_INDEXES}


def _create_indexes(conn: sqlite3.Connection, gen: int) -> None:
    for name, columns in _SORT_INDEXES:
        conn.execute(f"CREATE INDEX IF NOT EXISTS k_{gen}_{name} ON k_{gen} ({columns})")


def _drop_generation(conn: sqlite3.Connection, gen: int) -> None:
    for prefix in _TABLES:
        conn.execute(f"DROP TABLE IF EXISTS {prefix}_{gen}")
