"""Every JSON document computed for a day says how the day was chosen and what its reader must know.

The `as_of` dependency keeps the request's `ScoringDay` on `request.state.as_of_day`. This middleware
opens each successful JSON object an API route returns for such a request, if it carries an `as_of`,
with `"as_of_source": …, "warnings": [...]` (the same words the command line prints), so no route,
present or future, can leave them out. (A diff carries its two days instead, `from_day` and `to_day`,
and gets no note.) It writes them in front of the serialised document rather than parsing it again:
the score documents are cached as bytes and can be large.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class DayNote:
    """ASGI middleware: add the day's `as_of_source` and `warnings` to the JSON objects of `/api/`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def send_noted(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            day = scope.get("state", {}).get("as_of_day")
            if (day is not None and start["status"] == 200 and body.startswith(b"{") and b'"as_of":' in body
                    and _is_json(start)):
                body = _noted(body, day.to_json())
                start["headers"] = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
                start["headers"].append((b"content-length", str(len(body)).encode()))
            await send(start)
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, send_noted)


def _is_json(start: Message) -> bool:
    return any(k.lower() == b"content-type" and v.startswith(b"application/json") for k, v in start["headers"])


def _noted(body: bytes, fields: dict) -> bytes:
    """The JSON object `body` with `fields` first.

    >>> _noted(b'{"as_of":"2026-10-31"}', {"warnings": []})
    b'{"warnings":[],"as_of":"2026-10-31"}'
    """
    head = json.dumps(fields, separators=(",", ":"))[1:-1].encode()
    return b"{" + head + (b"," if body != b"{}" else b"") + body[1:]
