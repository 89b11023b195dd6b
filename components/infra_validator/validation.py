"""One infra validation: start a sandboxed server, wait for AVAILABLE, query, compare, verdict."""
from __future__ import annotations

import contextlib
import os
import tempfile
import time
from dataclasses import dataclass, field

import tensorflow as tf
from absl import logging

from components.infra_validator import checks, supervisor
from components.infra_validator.client import ServingClient
from components.infra_validator.reference import ReferenceModel, read_serialized_examples

_EXIT_POLL_S = 2.0


@dataclass(frozen=True)
class ValidationSettings:
    """What to serve and how hard to try; defaults suit a small model on one machine."""

    model_name: str = "infra-validation-model"
    signature_name: str = "serving_default"
    timeout_s: float = 300.0
    max_loading_time_s: float = 0.0  # 0: loading may use the whole timeout.
    num_requests: int = 20
    float_tolerance: float = 1e-4  # Absolute and relative; TF Serving builds differ slightly.
    memory_limit_mb: int = 8192
    cpu_limit_s: int = 600
    server_binary: str | None = None  # None: tensorflow_model_server if on PATH, else ours.


@dataclass
class Verdict:
    """Outcome plus the evidence recorded on the InfraBlessing."""

    blessed: bool = False
    reason: str = ""
    requests_sent: int = 0
    latency_p50_ms: float = 0.0
    latency_p99_ms: float = 0.0
    load_time_s: float = 0.0
    peak_rss_mb: float = 0.0
    warmup: list = field(default_factory=list)  # (PredictRequest, PredictResponse) pairs


def validate(model_path: str, examples_pattern: str | None, settings: ValidationSettings,
             work_root: str | None = None) -> Verdict:
    """Run the whole validation; never raises for a bad model, the Verdict says why instead.

    The server's work dir (model symlink, log) is made under `work_root` (default: the
    system's temp dir) and removed when validation ends.
    """
    verdict, server = Verdict(), None
    with tempfile.TemporaryDirectory(prefix="infra_validation_", dir=work_root) as work_dir:
        try:
            server, endpoint = _new_server(model_path, settings, work_dir)
            with server, supervisor.sigterm_raises():
                try:
                    _run(server, model_path, examples_pattern, settings, endpoint, verdict)
                except checks.ValidationFailure as failure:
                    # Explain before stop(): afterwards every server looks killed.
                    raise _explain(failure, server, settings) from failure
            verdict.blessed = True
        except checks.ValidationFailure as failure:
            verdict.reason = failure.reason
        except Exception as err:  # A bug here must still end in blessed=0, never in a blessing.
            logging.exception("Infra validation crashed.")
            verdict.reason = f"{checks.INTERNAL_ERROR}: {type(err).__name__}: {err}"
        if server is not None:
            verdict.peak_rss_mb = server.peak_rss_mb
            logging.info("Model server log:\n%s", _read(server.log_path))
    logging.info("Infra validation verdict: %s", verdict.reason or "blessed")
    return verdict


def _new_server(model_path: str, settings: ValidationSettings, work_dir: str):
    """A not yet started ServerProcess for the model, and the endpoint it will listen on."""
    base_path = _versioned_base_path(model_path, work_dir)
    port = supervisor.free_port()
    command = supervisor.server_command(
        base_path, settings.model_name, port, settings.server_binary)
    limits = supervisor.ResourceLimits(settings.memory_limit_mb, settings.cpu_limit_s)
    server = supervisor.ServerProcess(command, limits, os.path.join(work_dir, "server.log"))
    return server, f"127.0.0.1:{port}"


def _versioned_base_path(model_path: str, work_dir: str) -> str:
    """TF Serving layout <base>/<version>/saved_model.pb; a local model is symlinked, not copied."""
    base_path = os.path.join(work_dir, "model")
    os.makedirs(base_path)
    version_dir = os.path.join(base_path, "1")
    if "://" not in model_path:
        os.symlink(os.path.abspath(model_path), version_dir)
        return base_path
    # Remote (gs://, s3://) models on Kubeflow: the server reads a local copy.
    for parent, _, files in tf.io.gfile.walk(model_path):
        local = os.path.join(version_dir, os.path.relpath(parent, model_path))
        os.makedirs(local, exist_ok=True)
        for name in files:
            tf.io.gfile.copy(f"{parent.rstrip('/')}/{name}", os.path.join(local, name))
    return base_path


def _run(server, model_path, examples_pattern, settings, endpoint, verdict) -> None:
    started = time.monotonic()
    examples = []
    if examples_pattern is not None:
        examples = read_serialized_examples(examples_pattern, settings.num_requests)
    server.start(settings.timeout_s + 1.0)
    # Loading the reference here overlaps with the server's own start-up.
    reference = ReferenceModel(model_path, settings.signature_name)
    expected = [reference.predict([e]) for e in examples]
    client = ServingClient(endpoint, settings.model_name, settings.signature_name)
    load_budget = min(settings.max_loading_time_s or settings.timeout_s, settings.timeout_s)
    try:
        with _budget_note(load_budget):
            client.wait_until_available(
                started + load_budget, lambda: _check_alive(server, "loading"))
        verdict.load_time_s = time.monotonic() - started
        if examples:
            with _budget_note(settings.timeout_s):
                _query(client, reference.input_name, examples, expected, settings,
                       started + settings.timeout_s, verdict)
    finally:
        client.close()


@contextlib.contextmanager
def _budget_note(seconds: float):
    """Name the budget a timeout ran out of, so the reason says which limit to raise."""
    try:
        yield
    except checks.ValidationFailure as failure:
        if failure.code != checks.TIMEOUT:
            raise
        raise checks.ValidationFailure(
            checks.TIMEOUT, f"{failure.detail} within {seconds:g} s") from failure


def _query(client, input_name, examples, expected, settings, deadline, verdict) -> None:
    """Send num_requests Predicts, cycling through examples; every answer must match."""
    durations = []
    for i in range(settings.num_requests):
        request = client.build_request(input_name, [examples[i % len(examples)]])
        verdict.requests_sent += 1
        sent = time.perf_counter()
        try:
            response, outputs = client.predict(request, deadline)
        except checks.ValidationFailure as failure:
            raise checks.ValidationFailure(
                failure.code, f"{failure.detail} (request {i + 1} of {settings.num_requests})"
            ) from failure
        durations.append(time.perf_counter() - sent)
        checks.compare_outputs(outputs, expected[i % len(examples)], settings.float_tolerance)
        verdict.warmup.append((request, response))
    summary = checks.summarize_latencies(durations)
    verdict.latency_p50_ms, verdict.latency_p99_ms = summary.p50_ms, summary.p99_ms


def _check_alive(server, phase: str) -> None:
    code = server.exit_code()
    if code is not None:
        raise checks.ValidationFailure(
            checks.SERVER_EXITED, f"{supervisor.describe_exit(code, server.limits)} while {phase}")


def _explain(failure, server, settings) -> checks.ValidationFailure:
    """Prefer the root cause: a timeout or a dead server explains a failed RPC."""
    if server.timed_out:
        return checks.ValidationFailure(
            checks.TIMEOUT,
            f"no verdict within {settings.timeout_s:g} s, server killed ({failure.detail})")
    # A crashed server may not be reaped yet when its RPC fails: give it a moment.
    dying = failure.code in (checks.REQUEST_FAILED, checks.SERVER_EXITED)
    code = server.wait_exit(_EXIT_POLL_S) if dying else server.exit_code()
    if code is not None:
        detail = failure.detail if failure.code == checks.SERVER_EXITED else (
            f"{supervisor.describe_exit(code, server.limits)} ({failure.reason})")
        log = server.log_tail()
        hint = supervisor.memory_hint(log, server.limits)
        return checks.ValidationFailure(checks.SERVER_EXITED, f"{detail}{hint}; log: {log}")
    return failure


def _read(path: str) -> str:
    try:
        with open(path, errors="replace") as handle:
            return handle.read()[-20000:]
    except OSError:
        return ""
