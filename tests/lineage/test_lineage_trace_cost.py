"""`trace MODEL@production`: the same few MLMD lookups for 1 and 100 versions, and a process
that loads only what a trace needs."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from pipeline.lineage import Lineage
from pipeline.metadata import open_store
from tests.support.counting import CountingStore

# Modules a version trace must not pay for: receipts, the HTML report, pushing, verifying.
NOT_ON_THE_TRACE_PATH = ("pipeline.serving", "pipeline.lineage.report", "pipeline.lineage.impact",
                         "pipeline.registry.deploy", "pipeline.registry.checkpoint",
                         "pipeline.registry.incremental", "google.protobuf.json_format")
PROCESS = (
    "import sys\nfrom pipeline.cli import main\n"
    "assert main(['--metadata', sys.argv[1], 'trace', 'model-000@production']) == 0\n"
    f"print(sorted(m for m in sys.modules if m.startswith({NOT_ON_THE_TRACE_PATH!r})))"
)


@pytest.fixture(scope="module")
def stores(synthetic, tmp_path_factory) -> dict:
    """One model with 1 version, and one with 100 (every tenth rejected, as runs are)."""
    found = {}
    for versions in (1, 100):
        path = str(tmp_path_factory.mktemp("trace-cost") / f"{versions}.sqlite")
        found[versions] = json.dumps({"sqlite": path})
        synthetic.build(open_store(found[versions]), versions, 1, 5, "/synthetic")
    return found


def _trace(spec: str):
    store = CountingStore(open_store(spec, must_exist=True))
    return store.calls, Lineage(store).trace("model-000@production")


def test_trace_of_production_costs_the_same_lookups_for_1_and_100_versions(stores):
    small, traced_small = _trace(stores[1])
    large, traced_large = _trace(stores[100])
    assert traced_small.version.identifier == "model-000@1"
    assert traced_large.version.identifier == "model-000@99"  # @100 was rejected
    assert traced_large.data.raw_data_uri.startswith("/synthetic/data/")
    assert [t.to_stage for t in traced_large.history][-1] == "deployed"
    assert large == small, f"{len(small)} calls with 1 version, {len(large)} with 100"
    assert "get_lineage_subgraph" not in large and len(large) <= 25, large


def test_ledger_trace_process_loads_only_the_trace_path(stores):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    result = subprocess.run([sys.executable, "-c", PROCESS, stores[100]], capture_output=True,
                            text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert "model-000@99" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "[]"
