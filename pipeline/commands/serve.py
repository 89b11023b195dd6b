"""`ledger` serving commands: serve (TF Serving REST + receipts), predict, verify-receipt."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading

import click

from components.infra_validator.tf_runtime import LEAN
from pipeline.commands import context
from pipeline.commands.errors import one_line_errors
from pipeline.commands.identifiers import VERSION
from pipeline.serving.batching import MAX_ROWS
from pipeline.serving.errors import ReceiptError, ServingError

# The registry (ml_metadata, gRPC), the signing libraries and TensorFlow are imported inside the
# commands: `ledger serve` binds its port first, so a busy port fails within a second.


def _command(name: str):
    """click.command with failures as one line, exit 1; the store and key come from the group."""

    def decorate(function):
        return click.command(name)(one_line_errors(ServingError)(function))  # keys: ValueError

    return decorate


def _loader(capture_rate, runtime, max_batch_rows=MAX_ROWS, metrics=None):
    """Predictor.load for one identifier, with the command's settings (resolved here, once:
    a stage follower calls it from its own thread); TensorFlow imported on first use."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep stdout/stderr readable
    resolved = context.settings()

    def load(identifier: str):
        from pipeline.serving.predictor import Predictor  # imports tensorflow when loading

        predictor = Predictor.load(identifier, resolved.paths, capture_rate=capture_rate,
                                   metadata_spec=resolved.metadata_spec, settings=resolved,
                                   runtime=runtime, max_batch_rows=max_batch_rows)
        if metrics is not None:
            predictor.batcher.observe = metrics.batch_observer()
        return predictor

    return load, resolved


def _describe(predictor) -> list[str]:
    info, issuer, loaded = predictor.version, predictor.issuer, predictor.loaded
    signer = issuer.signer
    signing = (f"Ed25519-signed by {signer.identity} (key {signer.key.fingerprint}, public key "
               f"{signer.key.path}.pub)" if signer else "UNSIGNED")
    model_signature = (f"model signature verified (key {loaded.signed_by[:16]}...)"
                       if loaded.signed_by else "model unsigned (pushed before model signing)")
    return [
        f"serving {info.identifier} (stage {info.stage}, digest {info.model_digest[:16]}..., "
        f"{loaded.files_checked} files verified, {model_signature}, TensorFlow "
        f"{predictor.runtime_mode})",
        f"receipts: {signing}",
        f"capture: rate {predictor.capture.rate} under {predictor.capture.directory}",
    ]


def _echo(line: str) -> None:
    click.echo(line)
    sys.stdout.flush()


@_command("serve")
@click.argument("identifier", type=VERSION)
@click.option("--port", default=8501, show_default=True, type=click.IntRange(0, 65535),
              help="0 picks a free port.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--capture-rate", default=1.0, show_default=True, type=click.FloatRange(0, 1),
              help="Fraction of predictions written to the capture files.")
@click.option("--follow-interval", default=2.0, show_default=True,
              type=click.FloatRange(0.05, 3600),
              help="Seconds between registry checks of a followed stage (models.config is "
                   "watched in between).")
@click.option("--max-batch-rows", default=MAX_ROWS, show_default=True, type=click.IntRange(0, 4096),
              help="Rows one model call may take from requests that arrive while the model "
                   "is busy (TF Serving's max_batch_size); 0 turns batching off.")
def serve_command(identifier, port, host, capture_rate, follow_interval, max_batch_rows):
    """Serve a verified MODEL@VERSION or MODEL@ALIAS over TF Serving's REST API; each
    prediction gets a receipt.

    On a stage (MODEL@production) the server follows it: when the registry moves the stage
    (push, rollback), the new version is loaded, verified and switched to without dropping a
    request. Metrics for Prometheus: /monitoring/prometheus/metrics.
    """
    from pipeline.serving.follower import ServedModel
    from pipeline.serving.metrics import ServingMetrics
    from pipeline.serving.server import bind

    def open_registry():
        from pipeline.registry import Registry

        return Registry.open(resolved.metadata_spec, must_exist=True)

    model_name, identifier = identifier.model, str(identifier)
    metrics = ServingMetrics(model_name)
    load, resolved = _loader(capture_rate, LEAN, max_batch_rows, metrics)
    served = ServedModel(identifier, load, open_registry, metrics=metrics,
                         interval=follow_interval, log=_echo)
    server = bind(served, metrics, host, port)  # before the model loads: a busy port fails now
    bound_host, bound_port = server.server_address[:2]
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
    try:
        version = served.prepare()
        _echo(f"loading {identifier} (version {version}; port {bound_port} bound, status "
              "LOADING until it is ready)")
        served.start()
        for line in _describe(served.current):
            _echo(line)
        _echo(f"listening on http://{bound_host}:{bound_port}/v1/models/{model_name}")
        stop.wait()
    finally:
        server.shutdown()  # no new requests; those in flight finish on their own threads
        server.server_close()
        served.close()  # waits for them, then flushes and closes the captures
        click.echo(f"stopped; captured to {', '.join(served.capture_files) or 'no file'}",
                   err=True)


def _read_json(path: str):
    with open(path, encoding="utf-8") if path != "-" else sys.stdin as handle:
        try:
            return json.load(handle)
        except ValueError as exc:
            raise ServingError(f"{path} is not valid JSON: {exc}") from None


@_command("predict")
@click.argument("identifier", type=VERSION)
@click.option("--instances", "instances_file", required=True,
              help='JSON file ("-" for stdin): {"instances": [{column: value}, ...]} or a list.')
@click.option("--capture-rate", default=1.0, show_default=True, type=click.FloatRange(0, 1))
def predict_command(identifier, instances_file, capture_rate):
    """Predict once with MODEL@ID on a JSON file of raw rows; prints predictions and receipts."""
    raw = _read_json(instances_file)
    instances = raw.get("instances") if isinstance(raw, dict) else raw
    if not isinstance(instances, list):
        raise ServingError(f'{instances_file}: expected {{"instances": [...]}} or a JSON list')
    load, _ = _loader(capture_rate, LEAN)
    with load(str(identifier)) as predictor:
        predictions = predictor.predict(instances)
    click.echo(json.dumps({
        "predictions": [p.outputs for p in predictions],
        "receipts": [p.receipt.to_dict() for p in predictions],
    }, indent=2))


@_command("verify-receipt")
@click.argument("receipt_file")
@click.option("--public-key", "public_key", default=None, type=click.Path(dir_okay=False),
              help="Trust only this OpenSSH public key (e.g. the serving key's .pub) instead of "
                   "the allowed signers.")
@click.option("--offline", is_flag=True,
              help="Check signatures and outputs only; do not open the registry.")
def verify_receipt_command(receipt_file, public_key, offline):
    """Check receipts: signature by an allowed signer (or --public-key), the outputs they sign
    when the file holds them, and the version and digest in the registry. Exit 1 if any fails."""
    from pipeline.registry import Registry
    from pipeline.serving.receipt_checks import ReceiptTrust, verify_receipt
    from pipeline.serving.receipts import receipts_in

    resolved = context.settings()
    trust = ReceiptTrust.public_key(public_key) if public_key else ReceiptTrust.of(resolved)
    registry = None if offline else Registry.open(resolved.metadata_spec, must_exist=True)
    failures = 0
    for raw, outputs in receipts_in(_read_json(receipt_file)):
        try:
            checked = verify_receipt(registry, raw, trust, outputs)
        except ReceiptError as exc:
            failures += 1
            click.echo(f"invalid: {exc}", err=True)
            continue
        stage = (f"; {checked.receipt.model}@{checked.receipt.version} is now {checked.stage}"
                 if registry is not None else "; registry not consulted (--offline)")
        click.echo(f"valid: {checked.receipt.prediction_id} ({checked.how}{stage})")
    if failures:
        sys.exit(1)


COMMANDS = [serve_command, predict_command, verify_receipt_command]
