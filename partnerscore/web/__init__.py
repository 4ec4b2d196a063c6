"""The web dashboard and REST API: FastAPI routes and Jinja pages over the library's functions.

Needs the `web` extra (`pip install 'partnerscore[web]'`). `create_app(db, users)` builds the app;
`serve(...)` runs it with uvicorn (the `partnerscore serve` command).
"""

from partnerscore.web.app import create_app, serve

__all__ = ["create_app", "serve"]
