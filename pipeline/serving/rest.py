"""TF Serving's REST request and response shapes (api_rest.md), for models fed tf.Examples.

Requests carry raw feature values: a row per instance (`instances`), a list per feature
(`inputs`), or classify/regress `examples` with a shared `context`. Responses are TF Serving's
plus one addition: `receipts`, one per answer, in request order.
"""

from __future__ import annotations

import json
import re

PREDICT = "tensorflow/serving/predict"
CLASSIFY = "tensorflow/serving/classify"
REGRESS = "tensorflow/serving/regress"
ROUTE = re.compile(
    r"^/v1/models/(?P<name>[^/:]+)"
    r"(?:/versions/(?P<version>\d+)|/labels/(?P<label>[^/:]+))?"
    r"(?P<metadata>/metadata)?(?::(?P<verb>\w+))?$"
)
VERBS = {"predict": None, "classify": CLASSIFY, "regress": REGRESS}


class RestError(Exception):
    """An HTTP status and a message for the client, sent as TF Serving's {"error": ...}."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def request_json(body: bytes) -> dict:
    """The request body as a JSON object (NaN and Infinity accepted, as TF Serving does)."""
    try:
        request = json.loads(body)
    except ValueError as exc:
        raise RestError(400, f"request body is not valid JSON: {exc}") from None
    if not isinstance(request, dict):
        raise RestError(400, f"request body must be a JSON object, got {type(request).__name__}")
    return request


def predict_rows(request: dict) -> tuple[list, bool]:
    """(one feature dict per instance, whether the request was columnar) of a :predict body."""
    if ("instances" in request) == ("inputs" in request):
        raise RestError(400, 'a predict request has either "instances" (row format) or '
                             '"inputs" (columnar format), not both and not neither')
    if "instances" in request:
        instances = request["instances"]
        if not isinstance(instances, list):
            raise RestError(400, f'"instances" must be a list of objects, got '
                                 f"{type(instances).__name__}")
        return instances, False
    return columns_to_rows(request["inputs"]), True


def columns_to_rows(inputs) -> list[dict]:
    """{feature: [value per instance]} -> [{feature: value}]; every list the same length."""
    if not isinstance(inputs, dict) or not inputs:
        raise RestError(400, '"inputs" must be an object of feature name -> list of values '
                             "(one per instance)")
    lengths = {}
    for name, values in inputs.items():
        if not isinstance(values, list):
            raise RestError(400, f'"inputs" feature {name!r} must be a list (one value per '
                                 f"instance), got {type(values).__name__}")
        lengths[name] = len(values)
    if len(set(lengths.values())) > 1:
        sizes = ", ".join(f"{name}: {size}" for name, size in lengths.items())
        raise RestError(400, f'"inputs" lists differ in length ({sizes}): every feature needs '
                             "one value per instance")
    count = next(iter(lengths.values()))
    return [{name: values[i] for name, values in inputs.items()} for i in range(count)]


def example_rows(request: dict) -> list[dict]:
    """The feature dicts of a :classify/:regress body: each example merged with `context`."""
    examples, context = request.get("examples"), request.get("context") or {}
    if not isinstance(examples, list):
        raise RestError(400, 'a classify/regress request needs "examples": a list of objects')
    if not isinstance(context, dict):
        raise RestError(400, f'"context" must be an object, got {type(context).__name__}')
    rows = []
    for index, example in enumerate(examples):
        if not isinstance(example, dict):
            raise RestError(400, f"example {index} is {type(example).__name__}, not an object")
        both = sorted(set(context) & set(example))
        if both:
            raise RestError(400, f"example {index} repeats context feature(s) {', '.join(both)}:"
                                 " features in context must not appear in examples")
        rows.append({**context, **example})
    return rows


def predict_body(outputs: list[dict], columnar: bool) -> dict:
    """`predictions` (a row per instance) or `outputs` (a list per output name)."""
    single = len(outputs[0]) == 1 if outputs else False
    if not columnar:
        return {"predictions": [next(iter(o.values())) for o in outputs] if single else outputs}
    names = list(outputs[0]) if outputs else []
    columns = {name: [o[name] for o in outputs] for name in names}
    return {"outputs": columns[names[0]] if single else columns}


def classify_results(outputs: list[dict]) -> list[list]:
    """[[label, score], ...] per example from a classification signature's classes/scores."""
    results = []
    for row in outputs:
        scores = _as_list(row.get("scores", []))
        classes = _as_list(row.get("classes", [""] * len(scores)))
        results.append([[label, score] for label, score in zip(classes, scores, strict=True)])
    return results


def regress_results(outputs: list[dict]) -> list[float]:
    """One value per example from a regression signature's `outputs`."""
    return [_as_list(row["outputs"])[0] for row in outputs]


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def model_status(versions: list[tuple[int, str, str]]) -> dict:
    """GetModelStatusResponse JSON: (version, state, error message) of each version."""
    return {"model_version_status": [
        {"version": str(version), "state": state,
         "status": {"error_code": "UNKNOWN" if error else "OK", "error_message": error}}
        for version, state, error in versions]}


def model_metadata(name: str, version: int, metadata: dict) -> dict:
    """GetModelMetadataResponse JSON."""
    return {"model_spec": {"name": name, "signature_name": "", "version": str(version)},
            "metadata": metadata}
