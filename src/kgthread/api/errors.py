"""The one boundary where errors become HTTP answers: RFC 9457 problem+json."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from kgthread.errors import KgthreadError

PROBLEM_JSON = "application/problem+json"


def problem_response(error: KgthreadError) -> JSONResponse:
    return JSONResponse(
        error.to_problem(),
        status_code=error.status,
        media_type=PROBLEM_JSON,
        headers=error.response_headers() or None,
    )


def install(app: FastAPI) -> None:
    """Register handlers so every error, ours or the framework's, has the same body shape."""

    async def on_kgthread_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, KgthreadError)
        return problem_response(exc)

    async def on_http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        body = {
            "type": "about:blank",
            "title": str(exc.detail),
            "status": exc.status_code,
            "detail": str(exc.detail),
        }
        return JSONResponse(
            body, status_code=exc.status_code, media_type=PROBLEM_JSON, headers=exc.headers
        )

    async def on_request_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {"field": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        body = {
            "type": "https://w3id.org/kgthread/problems/bad-request",
            "title": "Bad request",
            "status": 400,
            "detail": "; ".join(f"{e['field']}: {e['message']}" for e in errors),
            "code": "bad-request",
            "errors": errors,
        }
        return JSONResponse(body, status_code=400, media_type=PROBLEM_JSON)

    app.add_exception_handler(KgthreadError, on_kgthread_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_request_validation)
