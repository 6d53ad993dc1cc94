"""The HTTP interface: the FastAPI app, its routes, pages, templates and static files."""
