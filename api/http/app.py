"""The FastAPI application: JSON API under /api, the public catalogue at /, OpenAPI at /docs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.http.audit import AuditMiddleware
from api.http.errors import install_error_handlers
from api.http.routes import (
    account,
    authorities,
    collections,
    contribute,
    dates,
    docs,
    edit,
    events,
    exhibitions,
    feedback,
    files,
    health,
    history,
    iiif,
    insights,
    items,
    jobs,
    maps,
    oai,
    pages,
    resumable,
    review,
    search,
    share,
    workspace_admin,
    workspace_authorities,
    workspace_collections,
    workspace_exhibitions,
    workspace_history,
    workspace_items,
    workspace_upload,
)
from api.http.templating import STATIC_DIR
from api.services import Services
from api.settings import Settings
from search.analysis import warm as warm_analyser


def create_app(settings: Settings | None = None) -> FastAPI:
    """Wire settings to services once; routes reach them through `app.state.services`."""
    services = Services.from_settings(settings or Settings())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        warm_analyser()  # at start, not in the first search
        yield
        services.close()

    app = FastAPI(
        title="Heritage",
        summary="Intangible-cultural-heritage digital assets: search, records and media.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # `api.http.routes.docs` serves it without a CDN
        redoc_url=None,
    )
    app.state.services = services
    for module in (search, items, files, collections, health, oai, iiif, share, insights, pages):
        app.include_router(module.router)
    app.include_router(dates.router)  # how a written date is read (the edit form asks as you type)
    app.include_router(feedback.router)  # visitors' comments and ratings, and their moderation
    app.include_router(contribute.router)  # public contributions, and the curators' answer
    app.include_router(exhibitions.router)  # online exhibitions: story pages, IIIF, JSON
    app.include_router(maps.router)  # /map and /api/map: items by place (docs/map.md)
    workspace = (
        account,
        workspace_items,
        workspace_history,
        workspace_upload,
        workspace_collections,
        workspace_exhibitions,
        workspace_authorities,
    )
    app.include_router(authorities.router)  # /projects/{id}, /bearers/{id}
    for module in workspace:  # the staff workspace
        app.include_router(module.router)
    for module in (edit, review, events, jobs, history):  # governance: writes and provenance
        app.include_router(module.router)
    app.include_router(workspace_admin.router)  # the admins' workspace: people and keys
    app.include_router(resumable.tus_router(services.settings))  # tus: /api/uploads/
    app.include_router(contribute.tus_router(services.settings))  # visitors' tus
    app.include_router(docs.router)
    app.add_middleware(AuditMiddleware)
    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
