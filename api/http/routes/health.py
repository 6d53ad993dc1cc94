"""`GET /api/health`: is the storage reachable, is the index answering, do they agree?

503 ("unavailable") when storage or index does not answer. 200 "degraded", with `problems` in
words, when both answer but something needs an operator: the index is empty or missing records
storage holds (`api.operations.census`), or records were found damaged. Degraded is not down:
everything else is still served, so a load balancer must keep sending traffic.
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.http.deps import ServicesDep
from api.operations.census import IndexCensus
from repository import LocalStore, ObjectStore

router = APIRouter(tags=["health"])

_PROBE_KEY = "health/probe"


def storage_health(store: ObjectStore) -> dict[str, Any]:
    """One bounded request that reaches the backend (a stat), never a write; never raises."""
    try:
        if isinstance(store, LocalStore) and not os.access(store.root, os.W_OK | os.X_OK):
            raise OSError(f"{store.root} is missing or not writable")
        store.stat(_PROBE_KEY)
    except Exception as exc:  # any failure means "down"; the message says which
        return {"ok": False, "backend": store.describe(), "error": str(exc)}
    return {"ok": True, "backend": store.describe()}


def index_census(request: Request) -> IndexCensus:
    """The app's census (`app.state.census`), made on first use so its cache lives with the app."""
    state = request.app.state
    if getattr(state, "census", None) is None:
        state.census = IndexCensus(state.services.records, state.services.index)
    census: IndexCensus = state.census
    return census


@router.get("/api/health", summary="Storage and index health, and whether they agree")
def health(request: Request, services: ServicesDep) -> JSONResponse:
    storage = storage_health(services.store)
    index = services.index.health()
    body: dict[str, Any] = {"storage": storage, "index": index}
    if not (storage["ok"] and index.get("ok")):
        return JSONResponse({"status": "unavailable", **body}, status_code=503)
    try:
        records = index_census(request).check(int(index.get("documents") or 0))
    except Exception as exc:  # a listing that fails is a storage failure
        storage.update(ok=False, error=f"listing the records failed: {exc}")
        return JSONResponse({"status": "unavailable", **body}, status_code=503)
    status = "degraded" if records["problems"] else "ok"
    return JSONResponse({"status": status, **body, "records": records})
