"""TF Serving's REST API over HTTP/1.1 keep-alive: one event loop for every connection.

One thread reads every connection (selectors, as an asyncio loop would, without its cost per
event) and answers the requests that are complete at once together (pipeline.serving.api):
predictions from concurrent clients share model calls, and no request waits for a thread
to be handed the GIL. Each response leaves in one write with TCP_NODELAY set, so a keep-alive
client never waits on Nagle's algorithm and a delayed ACK (40 ms a request). A request that
takes long (thousands of rows) holds the others back while it runs, as one model would.
"""

from __future__ import annotations

import errno
import selectors
import socket
import sys
import threading

from .api import Api, Request
from .connection import READ, Connection
from .errors import ServingError

BACKLOG = 128


class PredictionServer:
    """The listening socket (bound before the model loads) and the loop that serves it."""

    def __init__(self, sock: socket.socket, served, metrics):
        self.socket, self.server_address = sock, sock.getsockname()
        self.api = Api(served, metrics)
        self._selector = selectors.DefaultSelector()
        self._wake, self._waker = socket.socketpair()
        self._stopping = threading.Event()
        self._serving = threading.Lock()  # held while serve_forever runs
        self._connections: set[Connection] = set()

    def serve_forever(self) -> None:
        with self._serving:
            self._selector.register(self.socket, READ, None)
            self._selector.register(self._wake, READ, self._wake)
            try:
                while not self._stopping.is_set():
                    try:
                        self._round(self._selector.select())
                    except Exception as exc:  # noqa: BLE001 - one bad round must not stop serving
                        sys.stderr.write(f"serving loop: {type(exc).__name__}: {exc}\n")
                self._finish_writes(seconds=1.0)
            finally:
                for connection in list(self._connections):
                    connection.close()

    def shutdown(self) -> None:
        """Stop taking requests; returns once the requests being answered are answered."""
        self._stopping.set()
        self._waker.send(b"x")
        with self._serving:
            pass

    def server_close(self) -> None:
        self.socket.close()
        self._selector.close()
        self._wake.close()
        self._waker.close()

    # -- the loop ---------------------------------------------------------------------------
    def _round(self, events) -> None:
        """Accept, read and write what is ready; answer every request now complete."""
        readable = []
        for key, mask in events:
            if key.data is None:
                self._accept()
            elif key.data is self._wake:
                self._wake.recv(64)
            else:
                if mask & selectors.EVENT_WRITE:
                    key.data.flush()
                if mask & selectors.EVENT_READ and key.data.receive():
                    readable.append(key.data)
        if readable:
            self._answer(readable)

    def _accept(self) -> None:
        while True:
            try:
                sock, address = self.socket.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # out of file descriptors: the rest wait in the backlog
                sys.stderr.write(f"accept failed: {exc}\n")
                return
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._connections.add(Connection(sock, address, self._selector,
                                             self._connections.discard))

    def _answer(self, readable: list[Connection]) -> None:
        requests, owners = [], []
        for connection in readable:
            for head, body in connection.requests():
                requests.append(Request(head.method, head.target, body))
                owners.append((connection, head))
        if not requests:
            return
        try:
            answers = self.api.answer_all(requests)
        except Exception as exc:  # noqa: BLE001 - the loop must outlive any one request
            sys.stderr.write(f"requests failed: {type(exc).__name__}: {exc}\n")
            answers = [None] * len(requests)
        for (connection, head), answer in zip(owners, answers, strict=True):
            if answer is None:
                connection.respond(head, 500, b'{"error": "internal error"}', True)
            else:
                connection.respond(head, answer.status, answer.body, not head.keep_alive,
                                   answer.content_type)

    def _finish_writes(self, seconds: float) -> None:
        """At shutdown: give answers still being sent up to `seconds` to leave."""
        waiting = {c.sock: c for c in self._connections if c.outbox}
        while waiting:
            ready = selectors.DefaultSelector()
            for sock, connection in waiting.items():
                ready.register(sock, selectors.EVENT_WRITE, connection)
            events = ready.select(seconds)
            ready.close()
            if not events:
                return
            for key, _ in events:
                key.data.flush()
            waiting = {c.sock: c for c in self._connections if c.outbox}


def bind(served, metrics, host: str = "127.0.0.1", port: int = 8501) -> PredictionServer:
    """Bind and listen (port 0 picks a free port); a busy port is a ServingError naming it."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # restart over TIME_WAIT
        sock.bind((host, port))
        sock.listen(BACKLOG)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ServingError(
                f"port {port} on {host} is already in use: stop the process listening there "
                "or pass another --port (0 picks a free one)") from None
        raise ServingError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return PredictionServer(sock, served, metrics)
