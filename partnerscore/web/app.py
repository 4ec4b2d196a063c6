"""Build the FastAPI app over one database, and run it (`partnerscore serve`).

Example:
    partnerscore users add alice --role admin --partners '*' --users users.yaml
    partnerscore serve --db demo.duckdb --users users.yaml --as-of 2026-10-31
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from datetime import date
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from partnerscore.web import errors
from partnerscore.web.data import DataService
from partnerscore.web.day_note import DayNote
from partnerscore.web.deps import AppState, days_in_range
from partnerscore.web.routes import (
    decision_pages, decisions, explain, findings, imports, ledger, pages, partners, scores, whatif,
)
from partnerscore.web.security import SecurityHeaders, UserStore

SECRET_ENV = "PARTNERSCORE_SECRET_KEY"
SESSION_HOURS = 12

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
               secret_key: str | None = None, https_only: bool = False) -> FastAPI:
    """The web app serving the database `db` to the users of `users` (a `UserStore` or a users file).

    Args:
        db: the partnerscore DuckDB file (it may not exist yet: an admin can import into it).
        users: who may sign in; default the file named by PARTNERSCORE_USERS.
        as_of: the day scored when a request names none (default: the last day of the latest month the
            ledger holds usage for).
        secret_key: signs session cookies; default PARTNERSCORE_SECRET_KEY, else random per process.
        https_only: mark the session cookie Secure and send Strict-Transport-Security.
    """
    store = users if isinstance(users, UserStore) else UserStore.from_env(users)
    app = FastAPI(title="partnerscore", version=_version(), description=DESCRIPTION, docs_url=None, redoc_url=None,
                  dependencies=[Depends(days_in_range)])  # Swagger UI loads from a CDN: /api-docs renders the description here
    app.state.ps = AppState(DataService(db), store, as_of)
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
          announce: Callable[[str], None] = print, warn: Callable[[str], None] | None = None) -> None:
    """Run the app with uvicorn until interrupted; `announce` receives the lines to show the operator,
    `warn` the warnings (default: `announce`)."""
    import uvicorn

    if not os.environ.get(SECRET_ENV):
        (warn or announce)(NO_SECRET_KEY)
    store = UserStore.from_env(users)
    if demo_admin:
        token = store.add_ephemeral("demo-admin", "admin")
        announce(f"demo admin for this run only: name demo-admin, token {token}")
    elif not store.users():
        announce("no users: add one with `partnerscore users add NAME --role admin`, or use --demo-admin")
    app = create_app(db, store, as_of=as_of)
    announce(f"serving {db} on http://{host}:{port}/ (API: /api-docs and /openapi.json)")
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=access_log, proxy_headers=False,
                server_header=False)
