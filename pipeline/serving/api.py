"""The answers of TF Serving's REST API for one served model, whatever carries the bytes.

`Api.answer_all` answers the requests that arrived together: every :predict, :classify and
:regress among them that the same version answers goes through one Predictor.predict_many,
so they share model calls; status, metadata and metrics requests are answered one by one.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass

from . import rest
from .errors import InstanceError, ServingError, SignatureError
from .follower import Loading
from .metrics import PATH as METRICS_PATH
from .rest import RestError

JSON = "application/json"


@dataclass
class Request:
    method: str
    path: str
    body: bytes = b""


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = JSON


class _Post:
    """A parsed :predict/:classify/:regress request waiting for its predictions."""

    __slots__ = ("index", "route", "verb", "rows", "columnar", "signature", "wanted")

    def __init__(self, index, route, request: dict, wanted):
        self.index, self.route, self.wanted = index, route, wanted
        self.verb, self.signature = route["verb"], request.get("signature_name")
        if self.verb == "predict":
            self.rows, self.columnar = rest.predict_rows(request)
        else:
            self.rows, self.columnar = rest.example_rows(request), False


class Api:
    """Routes /v1/models/... and the metrics path to `served` (a follower.ServedModel)."""

    def __init__(self, served, metrics):
        self.served, self.metrics = served, metrics
        self.model_name = served.model_name

    def answer_all(self, requests: list[Request]) -> list[Response]:
        started = time.perf_counter()
        answers: list[Response | None] = [None] * len(requests)
        apis = ["unknown"] * len(requests)
        posts = []
        for index, request in enumerate(requests):
            try:
                if request.method == "GET" and request.path == METRICS_PATH:
                    answers[index] = Response(200, self.metrics.exposition(),
                                              self.metrics.content_type)
                    apis[index] = "metrics"
                    continue
                route = self._route(request.method, request.path)
                apis[index] = route["verb"] or ("metadata" if route["metadata"] else "status")
                if request.method == "GET":
                    answers[index] = _json(200, self._get(route))
                else:
                    posts.append(_Post(index, route, rest.request_json(request.body),
                                       self._wanted_version(route)))
            except RestError as exc:
                answers[index] = _json(exc.status, {"error": str(exc)})
            except Exception as exc:  # noqa: BLE001 - a failed request must not stop the server
                answers[index] = _failed(exc)
        if posts:
            self._predict(posts, answers)
        seconds = time.perf_counter() - started
        for api, answer in zip(apis, answers, strict=True):
            if api != "metrics":
                self.metrics.observe(api, answer.status, seconds)
        return answers

    def _route(self, method: str, path: str) -> dict:
        match = rest.ROUTE.match(path.split("?", 1)[0])
        if not match:
            raise RestError(404, f"no such endpoint: {method} {path}")
        route = match.groupdict()
        if route["name"] != self.model_name:
            raise RestError(404, f"Servable not found for request: model {route['name']!r} is "
                                 f"not served here (serving {self.served.identifier})")
        if method not in ("GET", "POST") or (method == "GET") == (route["verb"] is not None) or (
                route["verb"] and (route["metadata"] or route["verb"] not in rest.VERBS)):
            raise RestError(404, f"no such endpoint: {method} {path}")
        return route

    def _get(self, route: dict) -> dict:
        served = self.served
        wanted = self._wanted_version(route)
        if not route["metadata"]:
            versions = served.versions() or [(0, "LOADING", "")]
            if wanted is not None:
                versions = [v for v in versions if v[0] == wanted]
                if not versions:
                    raise RestError(404, f"Could not find version {wanted} of model "
                                         f"{served.model_name}")
            return rest.model_status(versions)
        predictor = self._acquire()
        try:
            self._check_version(predictor, wanted)
            info = predictor.version
            return rest.model_metadata(info.model_name, info.version, predictor.metadata())
        finally:
            self.served.release(predictor)

    def _predict(self, posts: list[_Post], answers: list) -> None:
        """One predict_many for every post the current version answers."""
        try:
            predictor = self._acquire()
        except RestError as exc:
            for post in posts:
                answers[post.index] = _json(exc.status, {"error": str(exc)})
            return
        try:
            ready = []
            for post in posts:
                try:
                    self._check_version(predictor, post.wanted)
                    ready.append(post)
                except RestError as exc:
                    answers[post.index] = _json(exc.status, {"error": str(exc)})
            results = predictor.predict_many(
                [(p.rows, p.signature, rest.VERBS[p.verb]) for p in ready])
        finally:
            self.served.release(predictor)
        for post, result in zip(ready, results, strict=True):
            answers[post.index] = self._body(post, result)

    def _body(self, post: _Post, result) -> Response:
        if isinstance(result, (InstanceError, SignatureError)):
            return _json(400, {"error": str(result)})
        if isinstance(result, Exception):
            return _failed(result)
        self.metrics.answered(result)
        outputs = [p.outputs for p in result]
        if post.verb == "predict":
            body = rest.predict_body(outputs, post.columnar)
        elif post.verb == "classify":
            body = {"results": rest.classify_results(outputs)}
        else:
            body = {"results": rest.regress_results(outputs)}
        body["receipts"] = [p.receipt.to_dict() for p in result]
        return _json(200, body)

    def _acquire(self):
        try:
            return self.served.acquire()
        except Loading as exc:
            raise RestError(503, f"{exc}; retry shortly") from None

    def _check_version(self, predictor, wanted: int | None) -> None:
        if wanted is not None and wanted != predictor.version.version:
            raise RestError(404, f"Servable not found for request: Specific("
                                 f"{self.model_name}, {wanted}): this server answers with "
                                 f"{predictor.version.identifier}")

    def _wanted_version(self, route: dict) -> int | None:
        if route["version"] is not None:
            return int(route["version"])
        if route["label"] is not None:
            try:
                return self.served.label_version(route["label"])
            except (ServingError, ValueError, LookupError) as exc:
                raise RestError(404, f"label {route['label']!r}: {exc}") from None
            except Exception as exc:  # noqa: BLE001 - a registry refusal names the label
                raise RestError(404, f"label {route['label']!r} of {self.model_name}: "
                                     f"{exc}") from None
        return None


def _json(status: int, payload: dict) -> Response:
    return Response(status, json.dumps(payload).encode("utf-8"))


def _failed(exc: Exception) -> Response:
    sys.stderr.write(f"request failed: {type(exc).__name__}: {exc}\n")
    return _json(500, {"error": f"{type(exc).__name__}: {exc}"})
