"""TF Serving's REST API over HTTP/1.1 keep-alive for one served model, with receipts and metrics.

The standard library's threading server, one thread per connection: measured against
Starlette on uvicorn in docs/serving.md, it answers a keep-alive client faster, and it
imports in milliseconds. Each response leaves in one write with TCP_NODELAY set, so a
keep-alive client never waits on Nagle's algorithm and a delayed ACK (40 ms a request).
"""

from __future__ import annotations

import errno
import json
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import rest
from .errors import InstanceError, ServingError, SignatureError
from .follower import Loading
from .metrics import PATH as METRICS_PATH
from .request_head import HeadError, read_headers
from .rest import RestError

MAX_BODY_BYTES = 32 * 1024 * 1024
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 411: "Length Required",
            413: "Payload Too Large", 500: "Internal Server Error", 503: "Service Unavailable"}


class PredictionServer(ThreadingHTTPServer):
    """A threading HTTP server in front of one ServedModel; bound before the model loads."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, address, served, metrics):
        self.served, self.metrics = served, metrics
        self.model_name = served.model_name
        super().__init__(address, PredictionHandler)


def bind(served, metrics, host: str = "127.0.0.1", port: int = 8501) -> PredictionServer:
    """Bind and listen (port 0 picks a free port); a busy port is a ServingError naming it."""
    try:
        return PredictionServer((host, port), served, metrics)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ServingError(
                f"port {port} on {host} is already in use: stop the process listening there "
                "or pass another --port (0 picks a free one)") from None
        raise ServingError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


class PredictionHandler(BaseHTTPRequestHandler):
    """Routes TF Serving's /v1/models/... paths and the metrics path to the served model."""

    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse one connection for many requests
    server: PredictionServer

    def setup(self):
        super().setup()
        # Small responses must leave at once, not wait for the ACK of the previous segment.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def parse_request(self) -> bool:
        """The standard library's parse_request for HTTP/1.1 request lines (every keep-alive
        client's), with the headers read by request_head instead of the email package."""
        words = self.raw_requestline.split()
        if len(words) != 3 or words[2] != b"HTTP/1.1" or words[1].startswith(b"//"):
            return super().parse_request()  # HTTP/1.0, 0.9 and malformed lines: its answers
        self.requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        self.command, self.path = words[0].decode("iso-8859-1"), words[1].decode("iso-8859-1")
        self.request_version, self.close_connection = "HTTP/1.1", True
        try:
            self.headers = read_headers(self.rfile, self.MessageClass)
        except HeadError as exc:
            self.send_error(exc.status, str(exc))
            return False
        self.close_connection = self.headers.get("Connection", "").lower() == "close"
        if self.headers.get("Expect", "").lower() == "100-continue":
            return self.handle_expect_100()
        return True

    def do_GET(self):
        if self.path == METRICS_PATH:
            self._send(200, self.server.metrics.exposition(), self.server.metrics.content_type)
            return
        self._answer("GET", self._get)

    def do_POST(self):
        self._answer("POST", self._post)

    def _answer(self, method: str, handle) -> None:
        started, api = time.perf_counter(), "unknown"
        try:
            route = self._route(method)
            api = route["verb"] or ("metadata" if route["metadata"] else "status")
            status, payload = handle(route)
        except RestError as exc:
            status, payload = exc.status, {"error": str(exc)}
        except Exception as exc:  # noqa: BLE001 - a failed request must not kill the server
            self.log_error("request failed: %s: %s", type(exc).__name__, exc)
            status, payload = 500, {"error": f"{type(exc).__name__}: {exc}"}
        if status >= 400:
            self.close_connection = True  # an unread request body would poison the next request
        self._send(status, json.dumps(payload).encode("utf-8"), "application/json")
        self.server.metrics.observe(api, status, time.perf_counter() - started)

    def _route(self, method: str) -> dict:
        match = rest.ROUTE.match(self.path.split("?", 1)[0])
        if not match:
            raise RestError(404, f"no such endpoint: {method} {self.path}")
        route = match.groupdict()
        if route["name"] != self.server.model_name:
            raise RestError(404, f"Servable not found for request: model {route['name']!r} is "
                                 f"not served here (serving {self.server.served.identifier})")
        if (method == "GET") == (route["verb"] is not None) or (
                route["verb"] and (route["metadata"] or route["verb"] not in rest.VERBS)):
            raise RestError(404, f"no such endpoint: {method} {self.path}")
        return route

    def _get(self, route: dict) -> tuple[int, dict]:
        served = self.server.served
        if not route["metadata"]:
            versions = served.versions() or [(0, "LOADING", "")]
            wanted = self._wanted_version(route)
            if wanted is not None:
                versions = [v for v in versions if v[0] == wanted]
                if not versions:
                    raise RestError(404, f"Could not find version {wanted} of model "
                                         f"{served.model_name}")
            return 200, rest.model_status(versions)
        with self._predictor(route) as predictor:
            info = predictor.version
            return 200, rest.model_metadata(info.model_name, info.version, predictor.metadata())

    def _post(self, route: dict) -> tuple[int, dict]:
        request = rest.request_json(self._body())
        verb, signature = route["verb"], request.get("signature_name")
        if verb == "predict":
            rows, columnar = rest.predict_rows(request)
        else:
            rows = rest.example_rows(request)
        with self._predictor(route) as predictor:
            try:
                predictions = predictor.predict(rows, signature, rest.VERBS[verb])
            except (InstanceError, SignatureError) as exc:
                raise RestError(400, str(exc)) from None
        self.server.metrics.answered(predictions)
        outputs = [p.outputs for p in predictions]
        if verb == "predict":
            body = rest.predict_body(outputs, columnar)
        elif verb == "classify":
            body = {"results": rest.classify_results(outputs)}
        else:
            body = {"results": rest.regress_results(outputs)}
        body["receipts"] = [p.receipt.to_dict() for p in predictions]
        return 200, body

    def _wanted_version(self, route: dict) -> int | None:
        if route["version"] is not None:
            return int(route["version"])
        if route["label"] is not None:
            try:
                return self.server.served.label_version(route["label"])
            except (ServingError, ValueError, LookupError) as exc:
                raise RestError(404, f"label {route['label']!r}: {exc}") from None
            except Exception as exc:  # noqa: BLE001 - a registry refusal names the label
                raise RestError(404, f"label {route['label']!r} of {self.server.model_name}: "
                                     f"{exc}") from None
        return None

    def _predictor(self, route: dict):
        return _Lease(self.server.served, self._wanted_version(route))

    def _body(self) -> bytes:
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            raise RestError(411, "a Content-Length header is required") from None
        if length > MAX_BODY_BYTES:
            raise RestError(413, f"request body of {length} bytes exceeds {MAX_BODY_BYTES}")
        return self.rfile.read(length)

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        """Status line, headers and body in one write (two writes cost a delayed ACK)."""
        head = (f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
                f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                f"{'Connection: close' + chr(13) + chr(10) if self.close_connection else ''}\r\n")
        self.wfile.write(head.encode("latin-1") + body)
        if status >= 400 and status != 503:  # 503: still loading, which start-up already says
            self.log_request(status, len(body))

    def send_error(self, code, message=None, explain=None):
        """TF Serving's {"error": ...} (not the standard library's HTML page) for the requests
        its parser refuses (bad request line, unsupported method or version); the connection
        closes, since what follows cannot be framed."""
        self.close_connection = True
        text = message or self.responses.get(code, ("Error",))[0]
        self._send(code, json.dumps({"error": text}).encode("utf-8"), "application/json")

    def log_request(self, code="-", size="-"):
        # Per-request access logs would cost more than a prediction; errors are still logged.
        if str(code).isdigit() and int(code) >= 400:
            super().log_request(code, size)

    def log_message(self, format, *args):  # noqa: A002 - BaseHTTPRequestHandler's signature
        sys.stderr.write(f"{self.address_string()} {format % args}\n")


class _Lease:
    """The served predictor for one request (the version asked for, if any), released after."""

    def __init__(self, served, version: int | None):
        self.served, self.version = served, version

    def __enter__(self):
        try:
            self.predictor = self.served.acquire()
        except Loading as exc:
            raise RestError(503, f"{exc}; retry shortly") from None
        served_version = self.predictor.version.version
        if self.version is not None and self.version != served_version:
            self.served.release(self.predictor)
            raise RestError(404, f"Servable not found for request: Specific("
                                 f"{self.served.model_name}, {self.version}): this server "
                                 f"answers with {self.predictor.version.identifier}")
        return self.predictor

    def __exit__(self, *exc):
        self.served.release(self.predictor)
