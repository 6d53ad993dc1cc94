"""How an item changes over HTTP: one atomic read-check-write, a provenance event, an audit entry.

`change_item` holds a per-item lock while it re-reads the stored record, checks that the caller
may see and change it and that `If-Match` names the stored version (the ETag is a hash of the
stored record), applies the change, validates, writes, re-indexes and audits. Two requests racing
on one item in one process: exactly one wins, the other gets 412.

Limit: the lock is per process. With several API processes on one store, two writes can both
pass the check in the short window before either writes; run one API process per store for
writes (`heritage serve` does), or accept last-writer-wins across processes.

`AuditMiddleware` logs every successful write request another module did not log itself
(a route guarded by `api.http.auth.require_role` that answered below 400).
"""

from __future__ import annotations

import copy
import hashlib
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http.auth import Caller
from api.operations.access import audience_of, check_owner, is_visible
from api.services import Services
from repository import make_event, now_iso
from repository.audit import AuditLog
from repository.records import dump_record
from schemas import SchemaError, validate_record

log = logging.getLogger("heritage.api")

Mutation = Callable[[dict[str, Any]], str | None]
"""Changes the record in place (events included) and returns a one-line change summary, or None
when there is nothing to change (then nothing is written)."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def record_etag(record: dict[str, Any]) -> str:
    """A strong ETag: the sha256 of the record as stored (the stored bytes are this dump)."""
    return f'"{hashlib.sha256(dump_record(record)).hexdigest()[:32]}"'


class ItemLocks:
    """One lock per item id, made on demand and dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}

    @contextmanager
    def hold(self, item_id: str) -> Iterator[None]:
        with self._guard:
            lock, users = self._locks.get(item_id, (threading.Lock(), 0))
            self._locks[item_id] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._guard:
                lock, users = self._locks[item_id]
                if users == 1:
                    del self._locks[item_id]
                else:
                    self._locks[item_id] = (lock, users - 1)


def item_locks(request: Request) -> ItemLocks:
    state = request.app.state
    if getattr(state, "item_locks", None) is None:
        state.item_locks = ItemLocks()
    return state.item_locks


def check_if_match(if_match: str | None, etag: str, *, required: bool) -> None:
    """428 when a required If-Match is missing (or `*`), 412 when it names another version."""
    if not if_match or if_match.strip() == "*":
        if required:
            raise HTTPException(
                428,
                "send If-Match with the ETag from GET /api/items/{id}, so a change made by "
                "someone else since is not overwritten",
            )
        return
    if etag not in (tag.strip() for tag in if_match.split(",")):
        raise HTTPException(
            412,
            f"the item changed since you read it (If-Match {if_match.strip()}, now {etag}); "
            "GET it again and re-apply your change",
            headers={"ETag": etag},
        )


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def audit_write(request: Request, caller: Caller, item_id: str | None, summary: str) -> None:
    """Log one write now (before answering, so an unlogged write is never reported done)."""
    route = request.scope.get("route")
    AuditLog(request.app.state.services.store).append(
        f"{request.method} {getattr(route, 'path', request.url.path)}",
        caller.actor(),
        summary=summary,
        item=item_id,
        client=client_address(request),
        path=request.url.path,
    )
    request.state.audited = True


def owned_record(services: Services, item_id: str, caller: Caller) -> dict[str, Any]:
    """The stored record this caller may change: 404 when it cannot even see it (like an unknown
    id), 403 when it is another institution's."""
    record = services.records.get(item_id)
    if record is None or not is_visible(record, audience_of(caller)):
        raise HTTPException(404, f"no item with id {item_id!r}")
    check_owner(caller, record)
    return record


def change_item(
    request: Request,
    item_id: str,
    caller: Caller,
    if_match: str | None,
    mutate: Mutation,
    *,
    require_match: bool,
) -> dict[str, Any]:
    """Apply `mutate` to the stored item atomically (see the module docstring); the new record."""
    services: Services = request.app.state.services
    with item_locks(request).hold(item_id):
        record = owned_record(services, item_id, caller)
        check_if_match(if_match, record_etag(record), required=require_match)
        changed = copy.deepcopy(record)
        summary = mutate(changed)
        if summary is None:
            return record
        changed["modified"] = now_iso()
        try:
            validate_record(changed)
        except SchemaError as exc:
            raise HTTPException(422, f"the changed record is invalid at {exc.path}: {exc}") from exc
        services.records.save(changed)
        reindex(services, changed)
        audit_write(request, caller, item_id, summary)
    return changed


def reindex(services: Services, record: dict[str, Any]) -> None:
    """The stored record stands even if the index refuses it; `heritage reindex` repairs."""
    try:
        services.index.index([record])
    except Exception:
        log.exception("stored %s but could not re-index it; run `heritage reindex`", record["id"])


def add_event(record: dict[str, Any], event_type: str, caller: Caller, detail: str) -> None:
    record["events"].append(make_event(event_type, caller.agent, "success", detail))


class AuditMiddleware:
    """Logs successful writes (requests that passed `require_role`) no route logged itself."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, capture)
        caller = state.get("writer")
        if caller is None or state.get("audited") or status >= 400:
            return
        if scope["method"] in SAFE_METHODS:  # reads behind a role (the queue, the log)
            return
        route = scope.get("route")
        item_id = (scope.get("path_params") or {}).get("item_id")
        client = scope.get("client")
        try:
            await run_in_threadpool(
                AuditLog(scope["app"].state.services.store).append,
                f"{scope['method']} {getattr(route, 'path', scope['path'])}",
                caller.actor(),
                summary=f"{scope['method']} {scope['path']} answered {status}",
                item=item_id,
                client=client[0] if client else None,
                path=scope["path"],
            )
        except Exception:
            log.exception("no audit entry for %s %s", scope["method"], scope["path"])
