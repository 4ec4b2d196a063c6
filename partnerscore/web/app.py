"""Build the FastAPI app over one database, and run it (`partnerscore serve`).

Example:
    partnerscore users add alice --role admin --partners '*' --users users.yaml
    partnerscore serve --db demo.duckdb --users users.yaml --as-of 2026-10-31
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware

from partnerscore.web import errors
from partnerscore.web.data import DataService
from partnerscore.web import deadline
from partnerscore.web.day_note import DayNote
from partnerscore.web.deps import AppState, days_in_range
from partnerscore.web.routes import (
    decision_pages, decisions, explain, findings, imports, ledger, pages, partners, scores, whatif,
)
from partnerscore.web.security import SecurityHeaders, UserStore

SECRET_ENV = "PARTNERSCORE_SECRET_KEY"
SESSION_HOURS = 12
#: Seconds `serve` waits, after SIGTERM has stopped the engine workers, for responses still being sent.
SHUTDOWN_GRACE_SECONDS = 5

DESCRIPTION = """\
Partner Capability Scores, their explanation, the association ledger and what-if scenarios.

Authenticate with `Authorization: Bearer <token>` (`partnerscore users add` prints a token), or sign in
at `/login` for a session cookie (then send the `X-CSRF-Token` header on POST). Every error has the
body `{"error": {"code", "message", "details"}}`.

A request without `as_of` scores the server's `--as-of`, else the last day of the latest month the
ledger holds usage for. Every JSON document computed for a day opens with `as_of_source` (`as_of`,
`server`, `last_usage` or `today`) and `warnings` (e.g. months after the ledger's last usage, which
count as zero). A day must lie from the first rule version to a year after today (422 otherwise).
"""


def create_app(db: Path | str, users: UserStore | Path | str | None = None, *, as_of: date | None = None,
               secret_key: str | None = None, https_only: bool = False,
               request_seconds: float | None = None) -> FastAPI:
    """The web app serving the database `db` to the users of `users` (a `UserStore` or a users file).

    Args:
        db: the partnerscore DuckDB file (it may not exist yet: an admin can import into it).
        users: who may sign in; default the file named by PARTNERSCORE_USERS.
        as_of: the day scored when a request names none (default: the last day of the latest month the
            ledger holds usage for).
        secret_key: signs session cookies; default PARTNERSCORE_SECRET_KEY, else random per process.
        https_only: mark the session cookie Secure and send Strict-Transport-Security.
        request_seconds: a request's time limit for engine work; default PARTNERSCORE_REQUEST_SECONDS,
            else 120 (`web/deadline.py`).
    """
    store = users if isinstance(users, UserStore) else UserStore.from_env(users)
    data = DataService(db, request_seconds)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(data.start)  # ready to score before the first request
        yield

    app = FastAPI(title="partnerscore", version=_version(), description=DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None,  # Swagger UI loads from a CDN: /api-docs renders the description here
                  dependencies=[Depends(days_in_range)])
    app.state.ps = AppState(data, store, as_of)
    errors.install(app)
    for module in (partners, scores, explain, ledger, findings, whatif, decisions, imports, pages, decision_pages):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")

    @app.get("/healthz", include_in_schema=False)
    async def healthz():
        return {"status": "ok"}

    key = secret_key or os.environ.get(SECRET_ENV) or secrets.token_urlsafe(32)
    app.add_middleware(SessionMiddleware, secret_key=key, session_cookie="partnerscore_session",
                       max_age=SESSION_HOURS * 3600, same_site="lax", https_only=https_only)
    app.add_middleware(SecurityHeaders, https=https_only)
    app.add_middleware(DayNote)
    app.add_middleware(deadline.RequestDeadline, seconds=lambda: data.limit)
    return app


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("partnerscore")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0"


#: What `serve` says when no secret key is set.
NO_SECRET_KEY = (f"warning: {SECRET_ENV} is not set: sessions are signed with a key made for this run, so every "
                 "restart signs every user out of the pages; set it to a long random value, e.g. "
                 "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`")


def serve(db: Path, *, host: str = "127.0.0.1", port: int = 8000, users: Path | None = None,
          demo_admin: bool = False, as_of: date | None = None, access_log: bool = True,
          request_seconds: float | None = None, announce: Callable[[str], None] = print,
          warn: Callable[[str], None] | None = None) -> None:
    """Run the app with uvicorn until interrupted; `announce` receives the lines to show the operator,
    `warn` the warnings (default: `announce`).

    SIGTERM (or Ctrl+C) kills the engine workers at once, so a computation in flight ends (its request
    gets a 503) and the server stops within seconds, leaving no process behind.
    """
    import uvicorn

    limit = deadline.request_seconds(request_seconds)  # a wrong limit is refused before anything else is said
    if not os.environ.get(SECRET_ENV):
        (warn or announce)(NO_SECRET_KEY)

    class Server(uvicorn.Server):
        def handle_exit(self, sig, frame) -> None:
            app.state.ps.data.stop_now()
            super().handle_exit(sig, frame)

    store = UserStore.from_env(users)
    if demo_admin:
        token = store.add_ephemeral("demo-admin", "admin")
        announce(f"demo admin for this run only: name demo-admin, token {token}")
    elif not store.users():
        announce("no users: add one with `partnerscore users add NAME --role admin`, or use --demo-admin")
    app = create_app(db, store, as_of=as_of, request_seconds=limit)
    announce(f"serving {db} on http://{host}:{port}/ (API: /api-docs and /openapi.json); "
             f"a request may compute for {limit:g} s")
    Server(uvicorn.Config(app, host=host, port=port, log_level="info", access_log=access_log, proxy_headers=False,
                          server_header=False, timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS)).run()
