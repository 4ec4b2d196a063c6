"""The time limit of one web request: every engine call a request makes shares one deadline.

The limit is `create_app(request_seconds=…)` (`partnerscore serve --request-seconds`), else the
environment's PARTNERSCORE_REQUEST_SECONDS, else DEFAULT_REQUEST_SECONDS. A request whose engine work
(waiting for a free worker included) passes it gets a 503 `timeout`, and the computation is stopped.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from contextvars import ContextVar

from partnerscore.errors import PartnerscoreError

REQUEST_SECONDS_ENV = "PARTNERSCORE_REQUEST_SECONDS"
#: Long enough for the slowest cold request on the demo on a busy two-core machine (a 12-month
#: forecast); a runaway request is stopped after it.
DEFAULT_REQUEST_SECONDS = 120.0

_deadline: ContextVar[float | None] = ContextVar("partnerscore_request_deadline", default=None)


def request_seconds(value: float | str | None = None) -> float:
    """The time limit in seconds: `value`, else the environment's, else the default."""
    chosen = value if value is not None else os.environ.get(REQUEST_SECONDS_ENV) or DEFAULT_REQUEST_SECONDS
    try:
        seconds = float(chosen)
    except ValueError:
        seconds = math.nan
    if not seconds > 0 or math.isinf(seconds):
        raise PartnerscoreError(f"request time limit {chosen!r}: give a number of seconds above 0 "
                                f"(--request-seconds or {REQUEST_SECONDS_ENV}; default {DEFAULT_REQUEST_SECONDS:g})")
    return seconds


def remaining(limit: float) -> float:
    """Seconds left before the current request's deadline; outside a request, the whole `limit`."""
    deadline = _deadline.get()
    return limit if deadline is None else deadline - time.monotonic()


class RequestDeadline:
    """ASGI middleware: each HTTP request's deadline is `seconds()` after it arrives (threads the
    request runs code in see it too: they copy the request's context)."""

    def __init__(self, app, seconds: Callable[[], float]) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _deadline.set(time.monotonic() + self.seconds())
        try:
            await self.app(scope, receive, send)
        finally:
            _deadline.reset(token)
