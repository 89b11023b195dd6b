"""`ledger serve` as a real subprocess: REST predict, receipts, capture and its MLMD lineage."""

from __future__ import annotations

import dataclasses
import json
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest
from ml_metadata.proto import metadata_store_pb2 as pb

from pipeline.registry import schema
from pipeline.serving import ReceiptError, ReceiptTrust, find_receipt, verify_receipt
from pipeline.serving.capture import PREDICTION_CAPTURE, SERVING, read_lines
from pipeline.settings import resolve

pytestmark = pytest.mark.pipeline
START_TIMEOUT_S = 240


@dataclasses.dataclass
class Server:
    """A running `ledger serve` subprocess and the base URL it printed."""

    process: subprocess.Popen
    url: str
    stderr: list

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return self.process.returncode


def _wait_for_url(process, timeout: float) -> str:
    found = []

    def read():
        for line in process.stdout:
            if line.startswith("listening on "):
                found.append(line.split()[-1])
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    if not found:
        raise RuntimeError(f"ledger serve did not start in {timeout} s (exit {process.poll()})")
    return found[0]


@pytest.fixture(scope="module")
def server(served_home, ledger_argv, subprocess_env):
    argv = [*ledger_argv, "serve", "--model", "penguins@1", "--port", "0",
            "--home", served_home.home]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=subprocess_env)
    stderr: list = []
    threading.Thread(target=lambda: stderr.extend(process.stderr), daemon=True).start()
    running = Server(process, "", stderr)
    try:
        running.url = _wait_for_url(process, START_TIMEOUT_S)
        yield running
    finally:
        running.stop()


def _call(url: str, body=None) -> tuple[int, dict]:
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


ROW = {"island": "Biscoe", "bill_length_mm": 46.5, "bill_depth_mm": 15.2,
       "flipper_length_mm": 216.0, "body_mass_g": 5100.0, "sex": "female"}


def test_status_reports_the_version_available(server):
    status, body = _call(server.url)
    assert status == 200
    assert body["model_version_status"][0] == {
        "version": "1", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}


def test_served_receipt_verifies_with_only_the_public_key(server, shared_registry, served_home):
    """Default settings: receipts signed by the home's service identity (Ed25519); a client
    holding just its .pub checks one offline, and an altered output or version fails."""
    status, body = _call(server.url + ":predict", {"instances": [ROW]})
    assert status == 200
    [prediction], [receipt] = body["predictions"], body["receipts"]
    assert prediction["classes"] == "Gentoo" and len(prediction["probabilities"]) == 3
    assert receipt["model"] == "penguins" and receipt["version"] == 1 and receipt["signed"]
    settings = resolve(home=served_home.home)
    public_only = ReceiptTrust.public_key(settings.service_key_path + ".pub")
    checked = verify_receipt(None, receipt, public_only, prediction)
    assert (checked.scheme, checked.signer, checked.outputs_checked) == ("ed25519", "pipeline",
                                                                         True)
    assert verify_receipt(shared_registry, receipt, ReceiptTrust.of(settings)).stage
    with pytest.raises(ReceiptError, match="outputs differ"):
        verify_receipt(None, receipt, public_only, dict(prediction, classes="Adelie"))
    with pytest.raises(ReceiptError, match="signature does not verify"):
        verify_receipt(None, dict(receipt, version=9), public_only, prediction)


def test_served_prediction_is_captured_and_linked_downstream_of_its_dataset(
    server, served_home, shared_registry
):
    _, body = _call(server.url + ":predict", {"instances": [ROW, dict(ROW, sex=None)]})
    receipt = body["receipts"][1]
    assert _find_when_written(served_home, receipt["prediction_id"])[0].to_dict() == receipt
    store = shared_registry.store
    [artifact] = [a for a in store.get_artifacts_by_type(PREDICTION_CAPTURE)
                  if any(x["prediction_id"] == receipt["prediction_id"] for x in read_lines(a.uri))]
    [line] = [x for x in read_lines(artifact.uri) if x["prediction_id"] == receipt["prediction_id"]]
    assert line["features"]["sex"] is None and line["outputs"] == body["predictions"][1]
    info = shared_registry.version("penguins", 1)
    dataset = store.get_artifacts_by_type("DatasetVersion")
    [start] = [a for a in dataset if schema.prop(a, "dataset_version_id")
               == info.dataset_version_id]
    assert artifact.id in _downstream(store, start.id)
    assert info.artifact_id in _downstream(store, start.id)


def _find_when_written(home, prediction_id: str, timeout: float = 30.0):
    """find_receipt once the server's capture thread wrote the line (FLUSH_SECONDS after the
    response, later on a loaded machine)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return find_receipt(home, prediction_id)
        except ReceiptError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _downstream(store, artifact_id: int) -> set[int]:
    options = pb.LineageSubgraphQueryOptions(max_num_hops=20, direction=2)  # DOWNSTREAM
    options.starting_artifacts.filter_query = f"id = {artifact_id}"
    graph = store.get_lineage_subgraph(options, ["artifacts"])
    return {a.id for a in graph.artifacts}


@pytest.mark.parametrize(
    "path, body, status, reason",
    [
        (":predict", b"{not json", 400, "not valid JSON"),
        (":predict", {"rows": [ROW]}, 400, '"instances"'),
        (":predict", {"instances": [{"island": 3}]}, 400, "'island' is a string feature"),
        ("/versions/99:predict", {"instances": [ROW]}, 404, "version 99 is not served"),
    ],
)
def test_bad_requests_get_clear_errors(server, path, body, status, reason):
    code, payload = _call(server.url + path, body)
    assert code == status and reason in payload["error"]


def test_unknown_model_is_404(server):
    code, payload = _call(server.url.replace("/penguins", "/herons") + ":predict",
                          {"instances": [ROW]})
    assert code == 404 and "'herons' is not served" in payload["error"]


def test_sigterm_closes_capture_and_completes_the_serving_execution(server, shared_registry):
    _call(server.url + ":predict", {"instances": [ROW]})
    assert server.stop() == 0
    pid = server.process.pid
    executions = [e for e in shared_registry.store.get_executions_by_type(SERVING)
                  if e.custom_properties["pid"].int_value == pid]
    assert [e.last_known_state for e in executions] == [pb.Execution.COMPLETE]
    assert executions[0].custom_properties["captured"].int_value >= 4
