"""The demand map's log: every catalogue search of the public (made without a key), appended to
a SQLite file in the data dir.

This is operational data, not the archive: it lives beside the search index
(`<data dir>/search-log.sqlite3`), is never copied into the object store, and can be deleted
without losing anything archival. It holds no personal data — no IP address, cookie, user agent
or session: only the normalised query, the filters, the result count, the category and province
the results mostly fall in, the channel (page or live) and the time (UTC, to the second).

A search never waits for the log: `SearchRecorder.record` puts the entry on a bounded queue and
returns; one writer thread appends in batches. If the queue is full the entry is dropped and
counted, so a flood of searches costs memory bounded by `MAX_PENDING`. The table is append-only
(triggers refuse UPDATE and DELETE).
"""

from __future__ import annotations

import atexit
import json
import logging
import queue
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing
from dataclasses import astuple, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from api.operations.searching import SearchParams
from schemas.errors import InvalidInput
from search.analysis import fold
from search.base import Audience

log = logging.getLogger("heritage.insights")

LOG_FILE = "search-log.sqlite3"
MAX_QUERY_CHARS = 200
MAX_PENDING = 10_000
BATCH = 500
FEW_RESULTS = 2
"""A search with at most this many results counts as "few": the collection may be missing it."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS search_log (
    seq      INTEGER PRIMARY KEY,
    at       TEXT NOT NULL,
    query    TEXT NOT NULL,
    filters  TEXT NOT NULL,
    results  INTEGER NOT NULL,
    category TEXT,
    region   TEXT,
    channel  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS search_log_at ON search_log(at);
CREATE TRIGGER IF NOT EXISTS search_log_no_update BEFORE UPDATE ON search_log
BEGIN SELECT RAISE(ABORT, 'search_log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS search_log_no_delete BEFORE DELETE ON search_log
BEGIN SELECT RAISE(ABORT, 'search_log is append-only'); END;
"""

_PROVINCE = re.compile(r"^(.+?(?:特别行政区|自治区|省)|北京市|天津市|上海市|重庆市)")


@dataclass(frozen=True)
class SearchEntry:
    at: str
    query: str
    filters: str
    results: int
    category: str | None
    region: str | None
    channel: str


def normalise_query(q: str) -> str:
    """The form searches are counted under: folded like the index folds (case, width,
    traditional → simplified), spaces collapsed, at most `MAX_QUERY_CHARS` characters."""
    return " ".join(fold(q).split())[:MAX_QUERY_CHARS]


def province(region: str | None) -> str | None:
    """The first-level division of a Chinese region name (内蒙古自治区 of …东乌珠穆沁旗)."""
    if not region:
        return None
    match = _PROVINCE.match(region)
    return match.group(1) if match else region


def _dominant(name: str, params: SearchParams, result: dict[str, Any]) -> str | None:
    """What a search is about: the one chosen value, else the value most results have."""
    chosen = params.filters.get(name, ())
    if len(chosen) == 1:
        return chosen[0]
    values = result.get("facets", {}).get(name) or []
    return max(values, key=lambda v: v["count"])["value"] if values else None


def entry_for(
    params: SearchParams, result: dict[str, Any], channel: str, now: datetime | None = None
) -> SearchEntry:
    filters: dict[str, Any] = {k: sorted(v) for k, v in sorted(params.filters.items())}
    if params.year_from is not None:
        filters["year_from"] = params.year_from
    if params.year_to is not None:
        filters["year_to"] = params.year_to
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return SearchEntry(
        at=moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        query=normalise_query(params.q),
        filters=json.dumps(filters, ensure_ascii=False, sort_keys=True),
        results=int(result["total"]),
        category=_dominant("category", params, result),
        region=province(_dominant("region", params, result)),
        channel=channel,
    )


@dataclass(frozen=True)
class Period:
    """Whole UTC days ending today: the window every report and export is about."""

    days: int
    today: date

    @property
    def first_day(self) -> date:
        return self.today - timedelta(days=self.days - 1)

    @property
    def since(self) -> str:
        return f"{self.first_day.isoformat()}T00:00:00Z"

    def day_list(self) -> list[str]:
        return [(self.first_day + timedelta(days=i)).isoformat() for i in range(self.days)]


class SearchLog:
    """The append-only table and the questions curators ask of it."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        db.execute("PRAGMA busy_timeout=10000")
        return db

    def append(self, entries: list[SearchEntry]) -> None:
        with closing(self._connect()) as db:
            db.execute("BEGIN")
            db.executemany(
                "INSERT INTO search_log (at, query, filters, results, category, region, channel)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [astuple(e) for e in entries],
            )
            db.execute("COMMIT")

    def _rows(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with closing(self._connect()) as db:
            return db.execute(sql, args).fetchall()

    def totals(self, period: Period) -> dict[str, int]:
        searches, zero, few, distinct = self._rows(
            "SELECT count(*), coalesce(sum(results = 0), 0), coalesce(sum(results <= ?), 0),"
            " count(DISTINCT nullif(query, '')) FROM search_log WHERE at >= ?",
            FEW_RESULTS,
            period.since,
        )[0]
        return {"searches": searches, "zero": zero, "few": few, "distinct_queries": distinct}

    def top_queries(self, period: Period, limit: int = 20) -> list[dict[str, Any]]:
        rows = self._rows(
            "SELECT query, count(*) AS n, round(avg(results), 1), max(at) FROM search_log"
            " WHERE at >= ? AND query != '' GROUP BY query ORDER BY n DESC, query LIMIT ?",
            period.since,
            limit,
        )
        return [{"query": q, "searches": n, "avg_results": a, "last": t} for q, n, a, t in rows]

    def poor_queries(self, period: Period, limit: int = 20) -> list[dict[str, Any]]:
        """Queries that found at most `FEW_RESULTS` items: what people want and do not find."""
        rows = self._rows(
            "SELECT query, count(*) AS n, max(results), max(at) FROM search_log"
            " WHERE at >= ? AND query != '' AND results <= ?"
            " GROUP BY query ORDER BY n DESC, query LIMIT ?",
            period.since,
            FEW_RESULTS,
            limit,
        )
        return [{"query": q, "searches": n, "max_results": m, "last": t} for q, n, m, t in rows]

    def trend(self, period: Period) -> list[dict[str, Any]]:
        """Searches per UTC day (every day of the period, zeros included)."""
        rows = self._rows(
            "SELECT substr(at, 1, 10) AS day, count(*), sum(results = 0) FROM search_log"
            " WHERE at >= ? GROUP BY day",
            period.since,
        )
        by_day = {day: (n, zero) for day, n, zero in rows}
        return [
            {"day": day, "searches": by_day.get(day, (0, 0))[0], "zero": by_day.get(day, (0, 0))[1]}
            for day in period.day_list()
        ]

    def demand(self, column: str, period: Period, limit: int = 15) -> list[dict[str, Any]]:
        """Searches per category or province (the chosen one, else where most results fall)."""
        if column not in ("category", "region"):
            raise InvalidInput(f"no demand by {column!r}; use category or region")
        rows = self._rows(
            f"SELECT {column}, count(*) AS n, sum(results <= ?) FROM search_log"
            f" WHERE at >= ? AND {column} IS NOT NULL GROUP BY {column}"
            f" ORDER BY n DESC, {column} LIMIT ?",
            FEW_RESULTS,
            period.since,
            limit,
        )
        return [{"value": v, "searches": n, "few": few} for v, n, few in rows]

    def entries(self, period: Period) -> Iterator[tuple[Any, ...]]:
        """Every logged search of the period, oldest first, streamed (for the CSV export)."""
        with closing(self._connect()) as db:
            yield from db.execute(
                "SELECT at, query, filters, results, category, region, channel FROM search_log"
                " WHERE at >= ? ORDER BY seq",
                (period.since,),
            )


class SearchRecorder:
    """One writer thread appending queued entries in batches; `record` never blocks."""

    def __init__(self, search_log: SearchLog, max_pending: int = MAX_PENDING):
        self.log = search_log
        self.dropped = 0
        self._queue: queue.Queue[SearchEntry | None] = queue.Queue(max_pending)
        self._thread = threading.Thread(target=self._run, name="search-log", daemon=True)
        self._thread.start()

    def record(self, entry: SearchEntry) -> bool:
        try:
            self._queue.put_nowait(entry)
            return True
        except queue.Full:
            self.dropped += 1
            return False

    def flush(self) -> None:
        """Wait until everything recorded so far is written (reports call this first)."""
        self._queue.join()

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            batch = [first]
            while first is not None and len(batch) < BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            entries = [e for e in batch if e is not None]
            try:
                if entries:
                    self.log.append(entries)
            except Exception:  # the writer must outlive any failure, or flush() would wait forever
                log.exception("could not append %d searches to %s", len(entries), self.log.path)
            finally:
                for _ in batch:
                    self._queue.task_done()
            if None in batch:
                return


_create_lock = threading.Lock()


def recorder_for(state: Any) -> SearchRecorder:
    """The recorder kept on `state` (the web app's state), made on first use; it writes into the
    data dir of `state.services`."""
    recorder: SearchRecorder | None = getattr(state, "search_recorder", None)
    if recorder is None:
        with _create_lock:
            recorder = getattr(state, "search_recorder", None)
            if recorder is None:
                data_dir = state.services.settings.data_dir
                recorder = SearchRecorder(SearchLog(Path(data_dir) / LOG_FILE))
                atexit.register(recorder.close)
                state.search_recorder = recorder
    return recorder


def record_search(
    state: Any, params: SearchParams, result: dict[str, Any], audience: Audience, channel: str
) -> bool:
    """Log one search of the public; a logging failure is logged, never shown to the searcher.

    A search made with a key is not logged: its count, category and region were computed from
    what that key may see (another institution's restricted items among them), and every
    institution's curators read the log. The demand map is the public's demand, from the
    public's view."""
    if audience != Audience.public():
        return False
    try:
        return recorder_for(state).record(entry_for(params, result, channel))
    except (OSError, sqlite3.Error):
        log.exception("search log unavailable")
        return False
