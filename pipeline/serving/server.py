"""TF Serving REST-compatible HTTP front for one Predictor: :predict with receipts, and status."""

from __future__ import annotations

import json
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .errors import InstanceError

MAX_BODY_BYTES = 32 * 1024 * 1024
_ROUTE = re.compile(
    r"^/v1/models/(?P<name>[^/:]+)(?:/versions/(?P<version>\d+))?(?::(?P<verb>\w+))?$"
)


class HTTPError(Exception):
    """An HTTP status and a message for the client, sent as TF Serving's {"error": ...}."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class PredictionServer(ThreadingHTTPServer):
    """A threading HTTP server holding the one Predictor it serves."""

    daemon_threads = True

    def __init__(self, address, predictor):
        self.predictor = predictor
        self.model_name = predictor.version.model_name
        super().__init__(address, PredictionHandler)


def make_server(predictor, host: str = "127.0.0.1", port: int = 8501) -> PredictionServer:
    """Bind (port 0 picks a free port; read it from server.server_address)."""
    return PredictionServer((host, port), predictor)


class PredictionHandler(BaseHTTPRequestHandler):
    """Routes /v1/models/<name>[/versions/<v>][:predict] to the server's Predictor."""

    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse one connection for many requests
    server: PredictionServer

    def do_GET(self):
        self._respond(lambda: self._status(self._route("GET")))

    def do_POST(self):
        self._respond(lambda: self._predict(self._route("POST")))

    def _route(self, method: str) -> str | None:
        match = _ROUTE.match(self.path.split("?", 1)[0])
        if not match:
            raise HTTPError(404, f"no such endpoint: {method} {self.path}")
        name, version, verb = match.group("name", "version", "verb")
        served = self.server.predictor.version
        if name != self.server.model_name:
            raise HTTPError(404, f"model {name!r} is not served here (serving {served.identifier})")
        if version is not None and int(version) != served.version:
            raise HTTPError(404, f"{name} version {version} is not served ({served.identifier} is)")
        return verb

    def _status(self, verb: str | None) -> tuple[int, dict]:
        if verb is not None:
            raise HTTPError(404, f"no such endpoint: GET {self.path}")
        info = self.server.predictor.version
        status = {"error_code": "OK", "error_message": ""}
        return 200, {
            "model_version_status": [
                {"version": str(info.version), "state": "AVAILABLE", "status": status}
            ],
            "ledger": {"identifier": info.identifier, "model_digest": info.model_digest},
        }

    def _predict(self, verb: str | None) -> tuple[int, dict]:
        if verb != "predict":
            raise HTTPError(400, f"unsupported method {verb!r}: only :predict is served")
        instances = _instances(self._body())
        try:
            predictions = self.server.predictor.predict(instances)
        except InstanceError as exc:
            raise HTTPError(400, str(exc)) from None
        return 200, {
            "predictions": [p.outputs for p in predictions],
            "receipts": [p.receipt.to_dict() for p in predictions],
        }

    def _body(self) -> bytes:
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            raise HTTPError(411, "a Content-Length header is required") from None
        if length > MAX_BODY_BYTES:
            raise HTTPError(413, f"request body of {length} bytes exceeds {MAX_BODY_BYTES}")
        return self.rfile.read(length)

    def _respond(self, handle) -> None:
        try:
            status, payload = handle()
        except HTTPError as exc:
            status, payload = exc.status, {"error": str(exc)}
        except Exception as exc:  # noqa: BLE001 - a failed request must not kill the server
            self.log_error("prediction failed: %s: %s", type(exc).__name__, exc)
            status, payload = 500, {"error": f"{type(exc).__name__}: {exc}"}
        if status >= 400:
            self.close_connection = True  # an unread request body would poison the next request
        body = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_request(self, code="-", size="-"):
        # Per-request access logs would cost more than a prediction; errors are still logged.
        if str(code).isdigit() and int(code) >= 400:
            super().log_request(code, size)

    def log_message(self, format, *args):  # noqa: A002 - BaseHTTPRequestHandler's signature
        sys.stderr.write(f"{self.address_string()} {format % args}\n")


def _instances(body: bytes) -> list:
    """The request's instances list, or a 400 naming what is wrong with the body."""
    try:
        request = json.loads(body)
    except ValueError as exc:
        raise HTTPError(400, f"request body is not valid JSON: {exc}") from None
    if not isinstance(request, dict) or "instances" not in request:
        raise HTTPError(400, 'request must be a JSON object with "instances": [{column: value}]')
    if not isinstance(request["instances"], list):
        kind = type(request["instances"]).__name__
        raise HTTPError(400, f'"instances" must be a list of objects, got {kind}')
    return request["instances"]
