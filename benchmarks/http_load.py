"""A lean keep-alive HTTP/1.1 load generator, as wrk drives a server: raw sockets, one thread.

On a 2-core machine the client shares the cores with the server, so what the client spends
per request is taken from the server: `http.client` parses each response's headers with the
email package, about 0.2 ms a request. Here a response is framed by its Content-Length alone,
and its JSON body is still decoded and its status checked, as any client does.
"""

from __future__ import annotations

import json
import selectors
import socket
import time

HEAD_END = b"\r\n\r\n"


class Connection:
    """One keep-alive connection posting JSON; responses framed by Content-Length."""

    def __init__(self, port: int, path: str, host: str = "127.0.0.1"):
        self.sock = socket.create_connection((host, port), timeout=60)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._prefix = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                        "Content-Type: application/json\r\nContent-Length: ").encode("latin-1")
        self._buffer = b""
        self.sent_at = 0.0

    def send(self, body: dict) -> None:
        data = json.dumps(body).encode("utf-8")
        self.sent_at = time.perf_counter()
        self.sock.sendall(b"%s%d\r\n\r\n%s" % (self._prefix, len(data), data))

    def feed(self) -> dict | None:
        """Read what has arrived; the decoded JSON body once a whole response is in."""
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self._buffer += chunk
        return self._response()

    def _response(self) -> dict | None:
        head, found, rest = self._buffer.partition(HEAD_END)
        if not found:
            return None
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = next(int(line.split(b":", 1)[1]) for line in lines[1:]
                      if line[:15].lower() == b"content-length:")
        if len(rest) < length:
            return None
        self._buffer = rest[length:]
        body = json.loads(rest[:length])
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {body}")
        return body

    def post(self, body: dict) -> dict:
        """One request, waiting for its answer (the one-client loop)."""
        self.send(body)
        while (response := self.feed()) is None:
            pass
        return response

    def close(self) -> None:
        self.sock.close()


def closed_loop(port: int, path: str, body: dict, connections: int, per_connection: int
                ) -> list[float]:
    """`connections` clients at once, each sending its next request as soon as its answer is
    in (wrk's closed loop), from one thread; every request's latency in seconds."""
    selector, samples, left = selectors.DefaultSelector(), [], {}
    for _ in range(connections):
        connection = Connection(port, path)
        selector.register(connection.sock, selectors.EVENT_READ, connection)
        left[connection] = per_connection
        connection.send(body)
    try:
        while left:
            events = selector.select(60)
            if not events:
                raise TimeoutError("no answer from the server in 60 s")
            for key, _ in events:
                connection = key.data
                if connection.feed() is None:
                    continue
                samples.append(time.perf_counter() - connection.sent_at)
                left[connection] -= 1
                if left[connection]:
                    connection.send(body)
                else:
                    del left[connection]
                    selector.unregister(connection.sock)
                    connection.close()
    finally:
        for connection in left:
            connection.close()
        selector.close()
    return samples
