"""Rendering pages: the Jinja environment, the context every page shares, and the error page."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from partnerscore.engine.as_of import ScoringDay, scoring_day
from partnerscore.engine.units import amount
from partnerscore.rules.schema import AREAS
from partnerscore.web.security import csrf_token

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def _json_script(value) -> Markup:
    """JSON for a `<script type="application/json">` block, safe against `</script>` in the data."""
    text = json.dumps(value, default=str).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def _number(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}" if isinstance(value, (int, float)) else str(value)


def _query(**params) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


templates.env.filters["json_script"] = _json_script
templates.env.filters["num"] = _number
templates.env.filters["amount"] = amount
templates.env.globals["query"] = _query
templates.env.globals["AREAS"] = AREAS


def page_day(request: Request, shown: date | None) -> ScoringDay | None:
    """The day a page shows and how it was chosen: the request's (`deps.as_of`), or `shown` when the
    page shows another day than its query's (a plan form's own day). None for a page about no day."""
    chosen = getattr(request.state, "as_of_day", None)
    if shown is None or (chosen is not None and shown == chosen.day):
        return chosen
    return ScoringDay(shown, "as_of", None) if chosen is None else scoring_day(chosen.last_usage, shown)


def render(request: Request, name: str, context: dict, status: int = 200):
    """A page, with the signed-in user, the CSRF token, and the day scored: the header says how it was
    chosen (`day_note`) and the page shows its warnings (`day_warnings`)."""
    day = page_day(request, context.get("as_of"))
    base = {"user": getattr(request.state, "user", None), "csrf": csrf_token(request.session),
            "as_of": day and day.day, "day_note": day and day.describe("chosen"),
            "day_warnings": day.warnings if day else (), "json_url": None}
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status)


def render_error(request: Request, status: int, code: str, message: str, details=None):
    return render(request, "error.html", {"status": status, "code": code, "message": message,
                                          "details": details}, status)
