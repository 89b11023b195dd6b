"""Prometheus metrics of one model server, served at TF Serving's /monitoring/prometheus/metrics."""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

PATH = "/monitoring/prometheus/metrics"
# Sub-millisecond buckets: a warm prediction of a small model takes about one millisecond.
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
LATENCY_BUCKETS = (0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0)


class ServingMetrics:
    """The counters a request, a prediction and a version switch update; one registry each."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, model_name: str):
        self.model = model_name
        self.registry = registry = CollectorRegistry()
        self.requests = Counter(
            "ledger_serving_requests", "HTTP requests by API and status code.",
            ["model", "api", "code"], registry=registry)
        self.latency = Histogram(
            "ledger_serving_request_latency_seconds",
            "Time from a parsed request to its response bytes, by API.",
            ["model", "api"], buckets=LATENCY_BUCKETS, registry=registry)
        self.batch_rows = Histogram(
            "ledger_serving_batch_rows", "Rows per model call: requests that arrive while "
            "the model is busy share its next call.", ["model"], buckets=BATCH_BUCKETS,
            registry=registry)
        self.predictions = Counter(
            "ledger_serving_predictions", "Answers given (one per instance or example), "
            "by the version that gave them.", ["model", "version"], registry=registry)
        self.imputed = Counter(
            "ledger_serving_imputed_features", "Features a request lacked, filled in by the "
            "model's preprocessing.", ["model", "feature"], registry=registry)
        self.version = Gauge(
            "ledger_serving_model_version", "The version answering requests now.", ["model"],
            registry=registry)
        self.switches = Counter(
            "ledger_serving_version_switches", "Switches to another version after the followed "
            "stage moved.", ["model"], registry=registry)
        self.load_failures = Counter(
            "ledger_serving_load_failures", "Versions that failed to load or verify.",
            ["model"], registry=registry)
        self._children: dict[tuple[str, int], tuple] = {}

    def observe(self, api: str, code: int, seconds: float) -> None:
        children = self._children.get((api, code))
        if children is None:  # labels() looks the child up under a lock: once per api and code
            children = self._children[(api, code)] = (
                self.requests.labels(self.model, api, str(code)).inc,
                self.latency.labels(self.model, api).observe)
        children[0]()
        children[1](seconds)

    def batch_observer(self):
        """What a Predictor's batcher calls with each model call's rows."""
        return self.batch_rows.labels(self.model).observe

    def answered(self, predictions) -> None:
        """Count answers and the features each one had imputed."""
        if not predictions:
            return
        self.predictions.labels(self.model, str(predictions[0].receipt.version)).inc(
            len(predictions))
        for prediction in predictions:
            for feature in prediction.receipt.imputed:
                self.imputed.labels(self.model, feature).inc()

    def serving(self, version: int, switched: bool) -> None:
        self.version.labels(self.model).set(version)
        if switched:
            self.switches.labels(self.model).inc()

    def failed_load(self) -> None:
        self.load_failures.labels(self.model).inc()

    def exposition(self) -> bytes:
        """The text exposition format Prometheus scrapes."""
        return generate_latest(self.registry)
