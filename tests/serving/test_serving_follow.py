"""A server on penguins@production follows the stage through a push and a rollback, losing nothing.

Real pieces only: two versions pushed through the registry, a `ledger serve` process, a
keep-alive client sending requests the whole time, the capture files read back.
"""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from pipeline.serving import ReceiptTrust, verify_receipt
from pipeline.serving.capture import capture_files, read_lines
from pipeline.settings import resolve
from tests.support import model_server
from tests.support.versions import copy_model, publish

pytestmark = pytest.mark.pipeline
ROW = {"island": "Dream", "bill_length_mm": 49.0, "flipper_length_mm": 200.0}
START_TIMEOUT_S = 240
SWITCH_TIMEOUT_S = 120


class Client(threading.Thread):
    """Sends one prediction after another on one connection until stopped; keeps every answer."""

    def __init__(self, port: int):
        super().__init__(daemon=True)
        self.port, self.answers, self.failures = port, [], []
        self.halt = threading.Event()

    def run(self):
        client = model_server.KeepAliveClient(self.port)
        while not self.halt.is_set():
            try:
                status, body = client.post("/v1/models/penguins:predict", {"instances": [ROW]})
            except Exception as exc:  # noqa: BLE001 - any failure is the finding
                self.failures.append(repr(exc))
                client.close()
                client = model_server.KeepAliveClient(self.port)
                continue
            if status != 200:
                self.failures.append((status, body))
            else:
                self.answers.append(body["receipts"][0])
        client.close()

    def wait_for_version(self, version: int, after: int) -> int:
        """Index of the first answer from `version` at or after answer `after`."""
        deadline = time.monotonic() + SWITCH_TIMEOUT_S
        while time.monotonic() < deadline:
            for index in range(after, len(self.answers)):
                if self.answers[index]["version"] == version:
                    return index
            time.sleep(0.05)
        raise AssertionError(f"no answer from version {version} within {SWITCH_TIMEOUT_S} s")


def test_a_stage_move_and_its_rollback_reach_the_server_without_a_failed_request(
        copy_registry, shared_registry, tmp_path, ledger_argv, subprocess_env):
    registry, home = copy_registry
    argv = [*ledger_argv, "--home", home.home, "serve", "penguins@production", "--port", "0",
            "--follow-interval", "0.2"]
    server = model_server.start(argv, subprocess_env, START_TIMEOUT_S)
    client = Client(server.port)
    client.start()
    try:
        first = client.wait_for_version(1, 0)
        publish(registry, home, copy_model(shared_registry, str(tmp_path / "v2"), "second"))
        moved = client.wait_for_version(2, first)
        registry.rollback("penguins", actor="test", reason="back to 1")
        back = client.wait_for_version(1, moved)
        time.sleep(0.3)  # a few more answers from the rolled-back version
    finally:
        client.halt.set()
        client.join(30)
        assert server.stop() == 0
    assert client.failures == []
    versions = [receipt["version"] for receipt in client.answers]
    assert [v for v, _ in itertools.groupby(versions)] == [1, 2, 1]
    assert first < moved < back < len(versions)
    out = "".join(server.stdout)
    assert "now serving penguins@2" in out and "now serving penguins@1" in out
    captured = {}
    for version in (1, 2):
        for path in capture_files(home.captures_root, "penguins", version):
            for line in read_lines(path):
                assert line["receipt"]["version"] == version  # filed under the answering version
                captured[line["prediction_id"]] = line["receipt"]
    assert {r["prediction_id"]: r for r in client.answers} == captured
    trust = ReceiptTrust.of(resolve(home=home.home))
    for receipt in (client.answers[0], client.answers[moved], client.answers[-1]):
        checked = verify_receipt(registry, receipt, trust)
        assert checked.scheme == "ed25519" and checked.receipt.version == receipt["version"]
