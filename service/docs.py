"""The interactive API docs, /docs (Swagger UI) and /redoc (ReDoc), served whole by the service:
they work without network access and under the service's Content-Security-Policy (no inline
script, nothing from other origins; service/guard.py lists the little more the viewers need).

The viewers' bundles are the fastapi-offline package's (not copied into this repository), served
under /static/docs/. FastAPI's own pages would load them from a CDN and start Swagger UI with an
inline script, both of which the policy blocks; ours start it from a file (static/swagger-init.js).
"""

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

PAGES = Path(__file__).resolve().parent / "static"
ASSETS = "/static/docs"


def install(app: FastAPI) -> None:
    """Adds the docs pages and their assets; before the /static mount, which would shadow them."""
    app.mount(ASSETS, StaticFiles(packages=[("fastapi_offline", "static")]), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> FileResponse:
        return FileResponse(PAGES / "swagger.html")

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> FileResponse:
        return FileResponse(PAGES / "redoc.html")
