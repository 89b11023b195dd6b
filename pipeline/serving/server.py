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
import json
import selectors
import socket
import sys
import threading

from .api import Api, Request
from .errors import ServingError
from .request_head import HeadError, parse_head

MAX_BODY_BYTES = 32 * 1024 * 1024
BACKLOG = 128
_REASONS = {100: "Continue", 200: "OK", 400: "Bad Request", 404: "Not Found",
            411: "Length Required", 413: "Payload Too Large", 431: "Request Header Fields Too "
            "Large", 500: "Internal Server Error", 501: "Not Implemented",
            503: "Service Unavailable", 505: "HTTP Version Not Supported"}
READ, READ_WRITE = selectors.EVENT_READ, selectors.EVENT_READ | selectors.EVENT_WRITE


class _Connection:
    __slots__ = ("sock", "address", "inbox", "outbox", "closing", "continued")

    def __init__(self, sock: socket.socket, address):
        self.sock, self.address = sock, address
        self.inbox, self.outbox = bytearray(), bytearray()
        self.closing = self.continued = False


class PredictionServer:
    """The listening socket (bound before the model loads) and the loop that serves it."""

    def __init__(self, sock: socket.socket, served, metrics):
        self.socket, self.server_address = sock, sock.getsockname()
        self.served, self.api = served, Api(served, metrics)
        self._selector = selectors.DefaultSelector()
        self._wake, self._waker = socket.socketpair()
        self._stopping = threading.Event()
        self._serving = threading.Lock()  # held while serve_forever runs
        self._connections: set[_Connection] = set()

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
                    self._close(connection)

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
                    self._flush(key.data)
                if mask & selectors.EVENT_READ and self._read(key.data):
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
            connection = _Connection(sock, address)
            self._connections.add(connection)
            self._selector.register(sock, READ, connection)

    def _read(self, connection: _Connection) -> bool:
        try:
            chunk = connection.sock.recv(1 << 16)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            chunk = b""
        if not chunk or connection.closing:
            if not chunk:
                self._close(connection)
            return False
        connection.inbox += chunk
        return True

    def _answer(self, readable: list[_Connection]) -> None:
        requests, owners = [], []
        for connection in readable:
            for head, body in self._requests(connection):
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
                self._respond(connection, head, 500, b'{"error": "internal error"}', True)
            else:
                self._respond(connection, head, answer.status, answer.body,
                              not head.keep_alive, answer.content_type)

    def _requests(self, connection: _Connection):
        """The complete requests at the front of the connection's input, in order."""
        while not connection.closing:
            try:
                head = parse_head(connection.inbox)
            except HeadError as exc:
                self._refuse(connection, None, exc.status, str(exc))
                return
            if head is None:
                return
            length = self._body_length(connection, head)
            if length is None:
                return
            end = head.size + length
            if len(connection.inbox) < end:
                if head.header("expect").lower() == "100-continue" and not connection.continued:
                    connection.continued = True
                    self._write(connection, b"HTTP/1.1 100 Continue\r\n\r\n")
                return
            body = bytes(connection.inbox[head.size:end])
            del connection.inbox[:end]
            connection.continued = False
            yield head, body

    def _body_length(self, connection: _Connection, head) -> int | None:
        """Content-Length of the request, or None after refusing it (the connection closes:
        a body the server cannot frame would be read as the next request)."""
        if head.method not in ("GET", "POST"):
            return self._refuse(connection, head, 501, f"Unsupported method ({head.method!r})")
        if head.header("transfer-encoding"):
            return self._refuse(connection, head, 501, "chunked request bodies are not "
                                "supported: send a Content-Length")
        raw = head.header("content-length", "0" if head.method == "GET" else "")
        if not raw:
            return self._refuse(connection, head, 411, "a Content-Length header is required")
        if not raw.isdigit():
            return self._refuse(connection, head, 400, f"bad Content-Length {raw[:40]!r}")
        if int(raw) > MAX_BODY_BYTES:
            return self._refuse(connection, head, 413,
                                f"request body of {raw} bytes exceeds {MAX_BODY_BYTES}")
        return int(raw)

    def _refuse(self, connection: _Connection, head, status: int, message: str) -> None:
        body = json.dumps({"error": message}).encode("utf-8")
        self._respond(connection, head, status, body, True)

    def _respond(self, connection: _Connection, head, status: int, body: bytes, close: bool,
                 content_type: str = "application/json") -> None:
        """Status line, headers and body in one write (two writes cost a delayed ACK)."""
        keep = "Connection: keep-alive\r\n" if head and head.version == "HTTP/1.0" else ""
        head_text = (f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
                     f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                     f"{'Connection: close' + chr(13) + chr(10) if close else keep}\r\n")
        self._write(connection, head_text.encode("latin-1") + body)
        if close:
            connection.closing = True
            if not connection.outbox:
                self._close(connection)
        if status >= 400 and status != 503:  # 503: still loading, which start-up already says
            line = f"{head.method} {head.target} {head.version}" if head else "-"
            sys.stderr.write(f"{connection.address[0]} \"{line}\" {status} {len(body)}\n")

    # -- writing ----------------------------------------------------------------------------
    def _write(self, connection: _Connection, data: bytes) -> None:
        if connection.outbox:
            connection.outbox += data
            return
        try:
            sent = connection.sock.send(data)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            self._close(connection)
            return
        if sent < len(data):
            connection.outbox += data[sent:]
            self._selector.modify(connection.sock, READ_WRITE, connection)

    def _flush(self, connection: _Connection) -> None:
        try:
            sent = connection.sock.send(connection.outbox)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._close(connection)
            return
        del connection.outbox[:sent]
        if not connection.outbox:
            if connection.closing:
                self._close(connection)
            else:
                self._selector.modify(connection.sock, READ, connection)

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
                self._flush(key.data)
            waiting = {c.sock: c for c in self._connections if c.outbox}

    def _close(self, connection: _Connection) -> None:
        if connection not in self._connections:
            return
        self._connections.discard(connection)
        try:
            self._selector.unregister(connection.sock)
        except (KeyError, ValueError):
            pass
        connection.sock.close()


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
