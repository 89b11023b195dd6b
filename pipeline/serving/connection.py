"""One client's HTTP/1.x connection on the serving loop: requests framed in, responses out."""

from __future__ import annotations

import json
import selectors
import socket
import sys

from .request_head import HeadError, parse_head

MAX_BODY_BYTES = 32 * 1024 * 1024
READ, READ_WRITE = selectors.EVENT_READ, selectors.EVENT_READ | selectors.EVENT_WRITE
_REASONS = {100: "Continue", 200: "OK", 400: "Bad Request", 404: "Not Found",
            411: "Length Required", 413: "Payload Too Large", 431: "Request Header Fields Too "
            "Large", 500: "Internal Server Error", 501: "Not Implemented",
            503: "Service Unavailable", 505: "HTTP Version Not Supported"}


class Connection:
    """A non-blocking socket registered with the loop's selector. Bytes received wait in
    `inbox` until they frame a request; a response the socket cannot take at once waits in
    `outbox`, and the selector then also reports the socket writable."""

    def __init__(self, sock: socket.socket, address, selector: selectors.BaseSelector,
                 on_close=None):
        self.sock, self.address, self.selector = sock, address, selector
        self._on_close = on_close  # the server forgets the connection
        self.inbox, self.outbox = bytearray(), bytearray()
        self.closing = self.closed = self.continued = False
        selector.register(sock, READ, self)

    def receive(self) -> bool:
        """Read what has arrived; False when nothing new is to be parsed (closed, closing)."""
        try:
            chunk = self.sock.recv(1 << 16)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            chunk = b""
        if not chunk:
            self.close()
            return False
        if self.closing:
            return False
        self.inbox += chunk
        return True

    def requests(self):
        """(head, body) of each complete request at the front of the input, in order."""
        while not self.closing:
            try:
                head = parse_head(self.inbox)
            except HeadError as exc:
                self.refuse(None, exc.status, str(exc))
                return
            if head is None:
                return
            length = self._body_length(head)
            if length is None:
                return
            end = head.size + length
            if len(self.inbox) < end:
                if head.header("expect").lower() == "100-continue" and not self.continued:
                    self.continued = True
                    self.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                return
            body = bytes(self.inbox[head.size:end])
            del self.inbox[:end]
            self.continued = False
            yield head, body

    def _body_length(self, head) -> int | None:
        """Content-Length of the request, or None after refusing it (the connection closes:
        a body the server cannot frame would be read as the next request)."""
        if head.method not in ("GET", "POST"):
            return self.refuse(head, 501, f"Unsupported method ({head.method!r})")
        if head.header("transfer-encoding"):
            return self.refuse(head, 501, "chunked request bodies are not supported: send a "
                               "Content-Length")
        raw = head.header("content-length", "0" if head.method == "GET" else "")
        if not raw:
            return self.refuse(head, 411, "a Content-Length header is required")
        if not raw.isdigit():
            return self.refuse(head, 400, f"bad Content-Length {raw[:40]!r}")
        if int(raw) > MAX_BODY_BYTES:
            return self.refuse(head, 413, f"request body of {raw} bytes exceeds "
                                          f"{MAX_BODY_BYTES}")
        return int(raw)

    def refuse(self, head, status: int, message: str) -> None:
        self.respond(head, status, json.dumps({"error": message}).encode("utf-8"), True)

    def respond(self, head, status: int, body: bytes, close: bool,
                content_type: str = "application/json") -> None:
        """Status line, headers and body in one write (two writes cost a delayed ACK)."""
        keep = "Connection: keep-alive\r\n" if head and head.version == "HTTP/1.0" else ""
        head_text = (f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
                     f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                     f"{'Connection: close' + chr(13) + chr(10) if close else keep}\r\n")
        self.write(head_text.encode("latin-1") + body)
        if close:
            self.closing = True
            if not self.outbox:
                self.close()
        if status >= 400 and status != 503:  # 503: still loading, which start-up already says
            line = f"{head.method} {head.target} {head.version}" if head else "-"
            sys.stderr.write(f"{self.address[0]} \"{line}\" {status} {len(body)}\n")

    def write(self, data: bytes) -> None:
        if self.closed:
            return
        if self.outbox:
            self.outbox += data
            return
        try:
            sent = self.sock.send(data)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            self.close()
            return
        if sent < len(data):
            self.outbox += data[sent:]
            self.selector.modify(self.sock, READ_WRITE, self)

    def flush(self) -> None:
        """Send what waits in the outbox (the selector said the socket can take more)."""
        try:
            sent = self.sock.send(self.outbox)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self.close()
            return
        del self.outbox[:sent]
        if not self.outbox:
            if self.closing:
                self.close()
            else:
                self.selector.modify(self.sock, READ, self)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self.selector.unregister(self.sock)
        except (KeyError, ValueError):
            pass
        self.sock.close()
        if self._on_close is not None:
            self._on_close(self)
