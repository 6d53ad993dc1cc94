"""The curators' demand map: `/insights` (charts), `/insights/export.csv`, `/api/insights`, and the
public `POST /api/insights/searches` that the catalogue's live search calls once a search settles.

Reading needs a curator or admin (`api.http.auth`). Scripts send a key as
`Authorization: Bearer KEY` or `X-API-Key: KEY`; a browser is signed in either as a curator user
(`/workspace/login`) or once through the key form at `/insights`, which starts the one session
(`api.http.sessions`) naming the key's id and hash (never the key itself); it is re-checked
against the key store on every request, so revoking a key ends its sessions. Keys never travel in
URLs.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from api.http.auth import keyring
from api.http.deps import ServicesDep
from api.http.i18n import choose_language, render
from api.http.routes.pages import catalogue_query
from api.http.sessions import (
    check_csrf,
    end_session,
    form_session,
    read_session,
    session_caller,
    set_session,
    start_session,
)
from api.labels import label_for, text_in
from api.operations.callers import Caller
from api.operations.feedback import MIN_RATINGS, most_corrected, most_valued
from api.operations.insights import FEW_RESULTS, Period, SearchLog, record_search, recorder_for
from api.operations.searching import run_search
from api.protocols.exports import csv_cell
from api.services import Services
from repository.apikeys import Role, hash_token
from search.base import Audience

router = APIRouter(tags=["insights"])

READER_ROLE: Role = "curator"
PERIODS = (7, 30, 90, 365)
TABLES = ("top", "poor", "trend", "category", "region", "searches")
MAX_BEACON_QUERY = 4000
# --- who may read ------------------------------------------------------------------------------


def _presented_key(request: Request) -> str | None:
    authorization = request.headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.headers.get("x-api-key") or None


def _reader(request: Request, key: str) -> Caller | None:
    """The caller behind a key if it may read the demand map (curator or admin), else None."""
    caller = keyring(request).resolve(key)
    return caller if caller is not None and caller.has_role(READER_ROLE) else None


def _session_is_valid(request: Request) -> bool:
    """The session's user or key must still be valid and hold the role (`session_caller`)."""
    caller = session_caller(request)
    return caller is not None and caller.has_role(READER_ROLE)


def is_reader(request: Request) -> bool:
    key = _presented_key(request)
    return _reader(request, key) is not None if key else _session_is_valid(request)


def require_reader(request: Request) -> None:
    """401 without a valid key or session; 403 for a valid key below the curator role."""
    key = _presented_key(request)
    caller = keyring(request).resolve(key) if key else None
    if caller is not None and not caller.has_role(READER_ROLE):
        raise HTTPException(403, f"the demand map needs a {READER_ROLE} key or above")
    if caller is None and (key is not None or not _session_is_valid(request)):
        raise HTTPException(
            401,
            "a curator key is required: send 'Authorization: Bearer KEY' or 'X-API-Key: KEY', "
            "or sign in at /insights",
            headers={"WWW-Authenticate": "Bearer"},
        )


ReaderDep = Annotated[None, Depends(require_reader)]


# --- the report --------------------------------------------------------------------------------


def _search_log(request: Request) -> SearchLog:
    recorder = recorder_for(request.app.state)
    recorder.flush()
    return recorder.log


def _period(days: int) -> Period:
    return Period(days if days in PERIODS else 30, datetime.now(UTC).date())


DaysQuery = Annotated[int, Query(description=f"Days to look back: one of {PERIODS}")]


def report(search_log: SearchLog, period: Period, lang: str) -> dict[str, Any]:
    """Everything the dashboard shows, as plain data (also served as JSON)."""
    category = search_log.demand("category", period)
    for row in category:
        row["label"] = label_for("category", row["value"], lang)
    region = search_log.demand("region", period)
    for row in region:
        row["label"] = row["value"]
    return {
        "days": period.days,
        "since": period.since,
        "few_results": FEW_RESULTS,
        "totals": search_log.totals(period),
        "top_queries": search_log.top_queries(period),
        "poor_queries": search_log.poor_queries(period),
        "trend": search_log.trend(period),
        "by_category": category,
        "by_region": region,
    }


# --- charts (server-rendered SVG geometry) -----------------------------------------------------


def _short(text: str, limit: int = 8) -> str:
    """Labels that fit the chart; wide (CJK) characters count double."""
    width, kept = 0, list[str]()
    for char in text:
        width += 2 if ord(char) > 0x2E80 else 1
        if width > limit * 2:
            return "".join(kept) + "…"
        kept.append(char)
    return text


def bar_chart(rows: list[dict[str, Any]], value: str, label: str) -> dict[str, Any]:
    """Horizontal bars: one row per item, scaled to the largest value."""
    row_height, left, span = 30, 135, 230
    top = max((r[value] for r in rows), default=0) or 1
    bars = [
        {
            "y": i * row_height,
            "label": _short(str(r[label])),
            "full": str(r[label]),
            "value": r[value],
            "width": max(2, round(span * r[value] / top)),
        }
        for i, r in enumerate(rows)
    ]
    height = max(row_height, len(bars) * row_height)
    return {"bars": bars, "left": left, "width": left + span + 55, "height": height}


def trend_chart(trend: list[dict[str, Any]]) -> dict[str, Any]:
    """Two lines over the period: all searches and zero-result searches per day."""
    width, height, pad_left, pad_bottom = 900, 220, 44, 26
    top = max((d["searches"] for d in trend), default=0) or 1
    step = (width - pad_left - 10) / max(1, len(trend) - 1)

    plot = height - pad_bottom - 10

    def points(key: str) -> str:
        return " ".join(
            f"{pad_left + i * step:.1f},{height - pad_bottom - plot * d[key] / top:.1f}"
            for i, d in enumerate(trend)
        )

    ticks = sorted({0, len(trend) // 2, len(trend) - 1}) if trend else []
    return {
        "width": width,
        "height": height,
        "left": pad_left,
        "bottom": height - pad_bottom,
        "top_value": top,
        "all": points("searches"),
        "zero": points("zero"),
        "x_ticks": [
            {
                "x": pad_left + i * step,
                "label": trend[i]["day"][5:],
                "anchor": "start" if i == 0 else "end" if i == len(trend) - 1 else "middle",
            }
            for i in ticks
        ],
    }


def feedback_tables(services: Services, lang: str) -> dict[str, Any]:
    """The visitors' verdicts: the best-rated items and the most corrected ones. Only what the
    public sees, as the rest of the map: every institution's curators read it."""
    public = Audience.public()
    return {
        "valued": [
            {
                "id": r["id"],
                "title": text_in(r["title"], lang) or r["id"],
                "n": n,
                "avg": f"{a:.1f}",
            }
            for r, n, a in most_valued(services, public)
        ],
        "corrected": [
            {"id": r["id"], "title": text_in(r["title"], lang) or r["id"], "n": n}
            for r, n in most_corrected(services, public)
        ],
        "min_ratings": MIN_RATINGS,
    }


# --- routes ------------------------------------------------------------------------------------


@router.get("/insights", include_in_schema=False)
def insights_page(request: Request, days: DaysQuery = 30) -> Response:
    lang = choose_language(request)
    if not is_reader(request):
        return _login_form(request, failed=False)
    period = _period(days)
    data = report(_search_log(request), period, lang)
    context = {
        "report": data,
        "periods": PERIODS,
        "tables": TABLES,
        "trend_chart": trend_chart(data["trend"]),
        "category_chart": bar_chart(data["by_category"], "searches", "label"),
        "region_chart": bar_chart(data["by_region"], "searches", "label"),
        "top_chart": bar_chart(data["top_queries"][:10], "searches", "query"),
        "dropped": recorder_for(request.app.state).dropped,
        "csrf_token": session.csrf if (session := read_session(request)) else "",
        **feedback_tables(request.app.state.services, lang),
    }
    response = render(request, "insights.html", context)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _login_form(request: Request, failed: bool) -> Response:
    """The key form, carrying the CSRF token of the (anonymous) session it is shown in."""
    session = form_session(request)
    context = {"failed": failed, "csrf_token": session.csrf}
    response = render(request, "insights_login.html", context, status_code=401 if failed else 200)
    if read_session(request) != session:
        set_session(request, response, session)
    return response


@router.post("/insights/login", include_in_schema=False)
async def insights_login(
    request: Request, key: Annotated[str, Form(max_length=512)] = ""
) -> Response:
    await check_csrf(request)
    caller = _reader(request, key.strip()) if key.strip() else None
    if caller is None:
        return _login_form(request, failed=True)
    response = RedirectResponse("/insights", status_code=303)
    start_session(request, response, key_id=caller.key_id, key_sha256=hash_token(key.strip()))
    return response


@router.post("/insights/logout", include_in_schema=False)
async def insights_logout(request: Request) -> Response:
    await check_csrf(request)
    response = RedirectResponse("/", status_code=303)
    end_session(request, response)
    return response


@router.get("/api/insights", summary="The search demand report (curator key required)")
def insights_json(request: Request, _: ReaderDep, days: DaysQuery = 30) -> dict[str, Any]:
    return report(_search_log(request), _period(days), choose_language(request))


def _csv(header: list[str], rows: Iterable[Iterable[Any]]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([csv_cell(v) for v in row])  # a query never becomes a formula
        yield buffer.getvalue().encode("utf-8")


def _table(
    search_log: SearchLog, table: str, period: Period, lang: str
) -> tuple[list[str], Iterable[Iterable[Any]]]:
    if table == "searches":
        header = ["time_utc", "query", "filters", "results", "category", "region", "channel"]
        return header, search_log.entries(period)
    data = report(search_log, period, lang)
    if table == "top":
        rows = data["top_queries"]
        return ["query", "searches", "avg_results", "last_utc"], (
            (r["query"], r["searches"], r["avg_results"], r["last"]) for r in rows
        )
    if table == "poor":
        rows = data["poor_queries"]
        return ["query", "searches", "max_results", "last_utc"], (
            (r["query"], r["searches"], r["max_results"], r["last"]) for r in rows
        )
    if table == "trend":
        return ["day_utc", "searches", "zero_results"], (
            (d["day"], d["searches"], d["zero"]) for d in data["trend"]
        )
    rows = data["by_category"] if table == "category" else data["by_region"]
    return [table, "label", "searches", "few_results"], (
        (r["value"], r["label"], r["searches"], r["few"]) for r in rows
    )


@router.get("/insights/export.csv", summary="One insights table as CSV (UTF-8 with BOM)")
def insights_csv(
    request: Request,
    _: ReaderDep,
    table: Annotated[str, Query(description=f"One of {', '.join(TABLES)}")] = "searches",
    days: DaysQuery = 30,
) -> Response:
    if table not in TABLES:
        raise HTTPException(
            422, f"query parameter 'table': {table!r} is not one of {', '.join(TABLES)}"
        )
    period = _period(days)
    header, rows = _table(_search_log(request), table, period, choose_language(request))
    name = f"heritage-{table}-{period.days}d-{period.today.isoformat()}.csv"
    return StreamingResponse(
        _csv(header, rows),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
        },
    )


class SettledSearch(BaseModel):
    query: str = Field(
        max_length=MAX_BEACON_QUERY, description="The catalogue URL's query string (q=…&…)"
    )


@router.post(
    "/api/insights/searches",
    status_code=202,
    summary="Log a search the catalogue page settled on (the page calls this; no personal data)",
)
def log_settled_search(
    body: SettledSearch, request: Request, services: ServicesDep
) -> dict[str, bool]:
    """The live search fetches `/api/search` on every pause in typing; only the search the
    visitor settles on is logged, with its result count computed here for the public, not taken
    on trust. Staff searches (a key or a session) are not the public's demand: not logged, and
    answered without asking who they are (the page's beacon carries no CSRF token)."""
    staff = read_session(request) is not None or any(
        request.headers.get(name) for name in ("authorization", "x-api-key")
    )
    query = catalogue_query(parse_qsl(body.query.lstrip("?"), keep_blank_values=False))
    if staff or not query.is_search or query.params.page != 1:
        return {"logged": False}
    params = query.params
    counted = replace(params, size=1, facets=("category", "region"))
    public = Audience.public()
    result = run_search(services.index, counted, public, "zh")
    return {"logged": record_search(request.app.state, params, result, public, channel="live")}
