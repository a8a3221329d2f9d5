"""Request body size limit, enforced before any body is parsed.

A request announcing a ``Content-Length`` over the limit is refused with 413 before its
body is read at all. A body sent without a length (chunked) is counted as it streams in,
and reading stops with 413 as soon as the count passes the limit, so no handler ever holds
more than ``max_bytes`` of it.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import BodyTooLarge, MalformedBody, response_for
from topo.errors import Problem

__all__ = ["BodySizeLimit"]


def _too_large(max_bytes: int, got: int | None = None) -> BodyTooLarge:
    said = f"{got:,} bytes" if got is not None else "more"
    return BodyTooLarge(
        Problem("body", f"request body of {said} is over the limit of {max_bytes:,} bytes", got)
    )


class BodySizeLimit:
    """ASGI middleware refusing request bodies larger than ``max_bytes`` with 413.

    Example:
        >>> from fastapi import FastAPI
        >>> app = FastAPI()
        >>> app.add_middleware(BodySizeLimit, max_bytes=1_000_000)
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _content_length(scope)
        if isinstance(length, MalformedBody):
            await response_for(length)(scope, receive, send)
            return
        if length is not None and length > self.max_bytes:
            await response_for(_too_large(self.max_bytes, length))(scope, receive, send)
            return

        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _too_large(self.max_bytes)
            return message

        await self.app(scope, counted, send)


def _content_length(scope: Scope) -> int | MalformedBody | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                n = int(value)
            except ValueError:
                n = -1
            if n < 0:
                text = value.decode("latin-1")
                return MalformedBody(
                    Problem("content-length", f"invalid Content-Length {text!r}", text)
                )
            return n
    return None
