"""One error shape for every failure: `{"error": {"code", "message", "details"}}`.

API paths get it as JSON; pages get the same content as an HTML page (and a sign-in redirect when
nobody is signed in). Library errors map to 4xx codes here, so no route catches them itself. No error
shows a server path: library messages name files by their full path (right on the command line), and
`without_paths` cuts each to its last part here.
"""

from __future__ import annotations

import logging
import os
import re
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from partnerscore.errors import ImportFailed, LimitExceeded, PartnerscoreError, StoreError

log = logging.getLogger("partnerscore.web")

CODES = {400: "bad_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
         422: "invalid_request", 503: "unavailable"}
#: An absolute path (POSIX, or Windows with a drive), not the tail of a URL or of another path.
ABSOLUTE_PATH = re.compile(r"(?<![\w.:/\\])(?:[A-Za-z]:\\|/)[\w.@+~-]+(?:[/\\][\w.@+~ -]*[\w.@+~-])*")
#: The app's own URL roots: a message may name these (`/login`, `/api/imports`) whatever the disk holds.
URL_ROOTS = ("api", "static", "partners", "ledger", "findings", "imports", "login", "logout", "healthz",
             "openapi.json", "api-docs")


def _cut(match: re.Match) -> str:
    path = match.group(0)
    first = re.split(r"[/\\]", path.lstrip("/\\"), maxsplit=1)[0]
    if path.startswith("/") and (first in URL_ROOTS or not os.path.isdir("/" + first)):
        return path  # not a folder of this machine: a URL path, or a date like /2026
    return re.split(r"[/\\]", path.rstrip("/\\"))[-1]


def without_paths(value):
    """`value` (a message, or details of lists and dicts) with every server path cut to its last part."""
    if isinstance(value, str):
        return ABSOLUTE_PATH.sub(_cut, value)
    if isinstance(value, list):
        return [without_paths(v) for v in value]
    if isinstance(value, dict):
        return {k: without_paths(v) for k, v in value.items()}
    return value


class ApiError(Exception):
    """An error a route raises on purpose: HTTP status, a short code, a message, optional details."""

    def __init__(self, status: int, message: str, *, code: str | None = None, details=None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or CODES.get(status, "error")
        self.message = message
        self.details = details


def body(code: str, message: str, details=None) -> dict:
    return {"error": {"code": code, "message": message, "details": details}}


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith(("/api/", "/healthz", "/openapi"))


def respond(request: Request, status: int, code: str, message: str, details=None) -> Response:
    """The error as JSON for the API, as a page (or sign-in redirect) for the browser."""
    message, details = without_paths(message), without_paths(details)
    if _wants_html(request):
        if status == 401:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)
        from partnerscore.web.pages import render_error
        return render_error(request, status, code, message, details)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body(code, message, details), status_code=status, headers=headers)


def bad_row(bad) -> dict:
    return {"file": bad.file, "row": bad.row, "column": bad.column, "reason": bad.reason, "message": str(bad)}


def install(app: FastAPI) -> None:
    """Register the handlers that turn every exception into the one error shape."""

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError):
        return respond(request, exc.status, exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        details = [{"loc": [str(p) for p in e["loc"]], "message": e["msg"]} for e in exc.errors()]
        message = "; ".join(f"{'.'.join(d['loc'])}: {d['message']}" for d in details)
        return respond(request, 422, "invalid_request", message, details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        message = exc.detail if isinstance(exc.detail, str) else CODES.get(exc.status_code, "error")
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such page or endpoint: {request.url.path}"
        return respond(request, exc.status_code, CODES.get(exc.status_code, "error"), message)

    @app.exception_handler(ImportFailed)
    async def import_failed(request: Request, exc: ImportFailed):
        noun = "problem" if len(exc.bad_rows) == 1 else "problems"
        return respond(request, 422, "import_failed",
                       f"import failed with {len(exc.bad_rows)} {noun}; nothing was imported",
                       {"import_id": exc.import_id, "bad_rows": [bad_row(b) for b in exc.bad_rows]})

    @app.exception_handler(LimitExceeded)
    async def limit_exceeded(request: Request, exc: LimitExceeded):
        return respond(request, 422, "invalid_request", str(exc), [{"loc": [exc.parameter], "message": str(exc)}])

    @app.exception_handler(StoreError)
    async def store_error(request: Request, exc: StoreError):
        return respond(request, 503, "unavailable", str(exc))

    @app.exception_handler(PartnerscoreError)
    async def library_error(request: Request, exc: PartnerscoreError):
        return respond(request, 400, "bad_request", str(exc))

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return respond(request, 500, "internal_error", "the server failed; the log has the details")
