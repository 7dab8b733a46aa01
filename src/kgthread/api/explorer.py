"""``/explore``: the graph explorer, HTML pages with small JSON endpoints behind them.

``/explore`` searches by serial, lot, part, work order or equipment identifier (or label);
``/explore/resource?iri=...`` shows one resource: types, literal properties with units,
links grouped by predicate with counts and pages of ``PAGE``, their source batches, and a
cytoscape view of the neighbourhood that expands on click. ``/explore/timeline?iri=...``
shows a unit's history (the ``unit-history`` named query, oldest first) with a plot of its
sensor summaries; ``/explore/sparql`` is a yasgui editor on ``/sparql`` with the named
queries as examples. The pages are static HTML and JavaScript (``api/static/explorer``);
cytoscape and yasgui are served from ``node_modules`` (npm, pinned in package-lock.json),
never from a CDN.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pyoxigraph import NamedNode

from kgthread import assets, lineage
from kgthread.api import explorer_data, explorer_examples
from kgthread.api.auth import ReadServicesDep, require_role
from kgthread.api.deps import ServicesDep
from kgthread.api.worker import on_worker
from kgthread.errors import BadRequest, NotFound
from kgthread.reasoning.conformance_reports import stored_report

STATIC = Path(__file__).with_name("static") / "explorer"
router = APIRouter(prefix="/explore", tags=["explorer"], include_in_schema=False)

Iri = Annotated[str, Query(description="The resource IRI.", min_length=1)]
VENDOR = {"cytoscape": "cytoscape/dist", "yasgui": "@zazuko/yasgui/build"}
"""npm packages served to the pages, from ``node_modules`` (pinned in package-lock.json)."""
OPTIONAL_APIS = {"explain": "/api/explain", "conformance": "/api/conformance"}


def install(app: FastAPI) -> None:
    """Mount the explorer routes, its static files and the npm builds (``VENDOR``)."""
    app.include_router(router, dependencies=[Depends(require_role("read"))])
    app.mount("/explore/static", StaticFiles(directory=STATIC), name="explorer-static")
    for name, folder in VENDOR.items():
        app.mount(
            f"/explore/vendor/{name}",
            StaticFiles(directory=assets.root() / "node_modules" / folder, check_dir=False),
            name=f"explorer-{name}",
        )


@router.get("", name="explore_search_page")
async def search_page() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html")


@router.get("/resource", name="explore_resource")
async def resource_page(iri: Iri) -> FileResponse:
    return FileResponse(STATIC / "resource.html", media_type="text/html")


@router.get("/timeline", name="explore_timeline")
async def timeline_page(iri: Iri) -> FileResponse:
    return FileResponse(STATIC / "timeline.html", media_type="text/html")


@router.get("/sparql", name="explore_sparql")
async def sparql_page() -> FileResponse:
    return FileResponse(STATIC / "sparql.html", media_type="text/html")


@router.get("/api/examples")
async def examples(services: ReadServicesDep) -> JSONResponse:
    found = await _read(services, lambda: explorer_examples.examples(services.store))
    return JSONResponse({"prefixes": explorer_examples.prefixes(), "examples": found})


@router.get("/search")
async def search(
    services: ReadServicesDep, q: Annotated[str, Query(max_length=200)] = ""
) -> JSONResponse:
    hits = await _read(services, lambda: explorer_data.search(services.store, q))
    return JSONResponse({"q": q, "results": hits})


@router.get("/api/summary")
async def summary(services: ReadServicesDep, iri: Iri) -> JSONResponse:
    def work() -> dict[str, Any]:
        _require(services, iri)
        return explorer_data.summary(services.store, iri)

    return JSONResponse(await _read(services, work))


@router.get("/api/links")
async def links(
    services: ReadServicesDep,
    iri: Iri,
    predicate: Iri,
    direction: Literal["in", "out"] = "out",
    cursor: Annotated[str | None, Query(max_length=4000)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = explorer_data.PAGE,
) -> JSONResponse:
    def work() -> dict[str, Any]:
        _require(services, iri)
        return explorer_data.links(services.store, iri, direction, predicate, cursor, limit)

    return JSONResponse(await _read(services, work))


@router.get("/api/features")
async def features(request: Request) -> JSONResponse:
    """Which optional APIs the pages may call: a page asks before fetching, so a server
    without them shows no broken controls (and a browser logs no failed request)."""
    paths = request.app.openapi().get("paths", {})  # built once, then cached by FastAPI
    return JSONResponse({name: path in paths for name, path in OPTIONAL_APIS.items()})


@router.get("/api/conformance")
async def conformance(services: ReadServicesDep, iri: Iri) -> JSONResponse:
    """A unit's stored design-conformance report, or ``null`` when there is none: the page
    asks for every unit it shows, and a missing report is normal, not an error (with the
    reasoner off there are none), so it must not show up as a failed request."""

    def work() -> dict[str, Any] | None:
        _require(services, iri)
        report = stored_report(services.store, NamedNode(iri))
        return None if report is None else report.to_json()

    return JSONResponse({"report": await _read(services, work)})


@router.get("/api/neighbours")
async def neighbours(services: ReadServicesDep, iri: Iri) -> JSONResponse:
    def work() -> dict[str, Any]:
        _require(services, iri)
        return explorer_data.neighbours(services.store, iri)

    return JSONResponse(await _read(services, work))


def _require(services: ServicesDep, iri: str) -> None:
    if ":" not in iri or any(ch in iri for ch in '<>"{}|^`\\ \n\t'):
        raise BadRequest("iri must be an absolute IRI", parameter="iri")
    if not lineage.known(services.store, NamedNode(iri)):
        raise NotFound(f"nothing is known about {iri}", iri=iri)


async def _read(services: ServicesDep, work: Any) -> Any:
    return await anyio.to_thread.run_sync(on_worker(work), limiter=services.readers)
