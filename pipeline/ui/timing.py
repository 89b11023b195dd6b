"""Server-Timing on every response: the app's own time, from request to response start, and
the CPU time its thread spent on it (what a busy machine does not inflate)."""

from __future__ import annotations

import time


class ServerTiming:
    """ASGI middleware adding `Server-Timing: app;dur=<ms>, cpu;dur=<ms>` (the benchmark reads
    both; handlers run on the event loop's thread, one request at a time, so its CPU time is
    the request's)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started, cpu = time.perf_counter(), time.thread_time()

        async def timed_send(message):
            if message["type"] == "http.response.start":
                took = (time.perf_counter() - started) * 1e3
                cpu_ms = (time.thread_time() - cpu) * 1e3
                headers = list(message.get("headers", []))
                headers.append((b"server-timing",
                                f"app;dur={took:.1f}, cpu;dur={cpu_ms:.1f}".encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, timed_send)
