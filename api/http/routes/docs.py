"""`GET /docs`: Swagger UI over `/openapi.json`, from assets the app serves itself.

FastAPI's own page loads Swagger UI from a CDN and ReDoc from another (with web fonts), so on a
network without one the page was blank. Swagger UI is vendored under
`static/vendor/swagger-ui` (see its VENDORED.json); ReDoc is not offered.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

SWAGGER_UI = "/static/vendor/swagger-ui"


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    app = request.app
    return get_swagger_ui_html(
        openapi_url=app.openapi_url,
        title=f"{app.title} API",
        swagger_js_url=f"{SWAGGER_UI}/swagger-ui-bundle.js",
        swagger_css_url=f"{SWAGGER_UI}/swagger-ui.css",
        swagger_favicon_url="/static/favicon.svg",
        # No badge from the online validator: it would send the schema's URL to another host.
        swagger_ui_parameters={"validatorUrl": None},
    )
