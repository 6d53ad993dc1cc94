"""`GET /api/health`: is the storage reachable, is the index answering? 503 when either is not."""

from __future__ import annotations

import os
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.http.deps import ServicesDep
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


@router.get("/api/health", summary="Storage and index health")
def health(services: ServicesDep) -> JSONResponse:
    storage = storage_health(services.store)
    index = services.index.health()
    ok = bool(storage["ok"] and index.get("ok"))
    body = {"status": "ok" if ok else "unavailable", "storage": storage, "index": index}
    return JSONResponse(body, status_code=200 if ok else 503)
