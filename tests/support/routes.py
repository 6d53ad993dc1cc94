"""Every route of the app, however FastAPI nests its routers."""

from __future__ import annotations

from collections.abc import Iterator

from starlette.routing import BaseRoute


def every_route(routes: list[BaseRoute]) -> Iterator[tuple[str, set[str]]]:
    """(path, methods) of every route, routers included (newer FastAPI nests them)."""
    for route in routes:
        nested = getattr(route, "effective_route_contexts", None)
        if nested is not None:
            yield from ((c.path, set(c.methods or ())) for c in nested())
        elif hasattr(route, "methods"):
            yield route.path, set(route.methods or ())  # type: ignore[attr-defined]
        else:  # a mount (static files): any path below it
            yield route.path + "/{path:path}", {"GET"}  # type: ignore[attr-defined]
