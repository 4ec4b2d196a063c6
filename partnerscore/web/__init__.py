"""The web dashboard and REST API: FastAPI routes and Jinja pages over the library's functions.

Needs the `web` extra (`pip install 'partnerscore[web]'`). `create_app(db, users)` builds the app;
`serve(...)` runs it with uvicorn (the `partnerscore serve` command). Both are imported on first use,
so that the engine workers (`web/worker.py`), which live in this package, do not load FastAPI.
"""

__all__ = ["create_app", "serve"]


def __getattr__(name: str):
    if name in __all__:
        from partnerscore.web import app

        return getattr(app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
