"""The audit log's HTTP side: who wrote through which route, and a net for writes no route logged.

Routes that change something build a `WriteContext` from the request (`write_context`) and the
operation logs it (`api.operations.items.audit`); `AuditMiddleware` logs every other successful
write request (a route guarded by `api.http.auth.require_role` that answered below 400).
"""

from __future__ import annotations

import logging

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http.sessions import SAFE_METHODS
from api.http.state import shared
from api.operations.callers import Caller
from api.operations.items import ItemLocks, WriteContext, audit
from repository.audit import AuditLog

log = logging.getLogger("heritage.api")


def item_locks(request: Request) -> ItemLocks:
    """The app's per-item locks (`app.state.item_locks`), made on first use."""
    return shared(request, "item_locks", lambda _: ItemLocks())


def write_context(request: Request, caller: Caller) -> WriteContext:
    """Who writes through which route; marks the request as audited (the operation logs it)."""
    route = request.scope.get("route")
    request.state.audited = True
    return WriteContext(
        caller=caller,
        action=f"{request.method} {getattr(route, 'path', request.url.path)}",
        client=request.client.host if request.client else None,
        path=request.url.path,
    )


def audit_request(request: Request, caller: Caller, item_id: str | None, summary: str) -> None:
    """Log one write made by this request now (before answering)."""
    audit(request.app.state.services, write_context(request, caller), item_id, summary)


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
