"""Server-Timing on every response: the app's own time, from request to response start."""

from __future__ import annotations

import time


class ServerTiming:
    """ASGI middleware adding `Server-Timing: app;dur=<ms>` (what the benchmark reads)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()

        async def timed_send(message):
            if message["type"] == "http.response.start":
                took = (time.perf_counter() - started) * 1e3
                headers = list(message.get("headers", []))
                headers.append((b"server-timing", f"app;dur={took:.1f}".encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, timed_send)
