"""8 processes approving, pushing and rolling back 4 models at once on a real MariaDB server."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from ml_metadata.proto import metadata_store_pb2 as pb

from pipeline.registry import Registry, heads, queries

WORKER = os.path.join(os.path.dirname(__file__), "concurrency_worker.py")
MODELS, PROCESSES, ROUNDS = 4, 8, 3


def _replayed_aliases(registry, model: str) -> tuple:
    versions = registry.versions(model)
    prod = queries.production(versions, queries.transitions(registry.store, model))
    live = [v.version for v in versions if v.stage in ("approved", "deployed")]
    return prod.version if prod else 0, max(live, default=0), versions[-1].version


def test_eight_processes_keep_versions_gapless_and_heads_consistent(mariadb, tmp_path):
    spec = mariadb.create_database("concurrency")
    registry = Registry.open(spec)
    registry._types()  # the registry's types and TFX's Model type exist before the race
    registry.store.put_artifact_type(pb.ArtifactType(name="Model",
                                                     base_type=pb.ArtifactType.MODEL))
    workers = [
        subprocess.Popen([sys.executable, WORKER, json.dumps(spec), f"model-{i % MODELS}",
                          str(i), str(ROUNDS), str(tmp_path)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(PROCESSES)
    ]
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=600)
        assert worker.returncode == 0, err[-3000:]
        results.append(json.loads(out.splitlines()[-1]))
    report = registry.verify()
    assert report.ok, report.problems  # chain, anchor and every head replayed from the log
    rollbacks = 0
    for m in range(MODELS):
        model = f"model-{m}"
        mine = [v for i, r in enumerate(results) if i % MODELS == m for v in r["registered"]]
        expected = list(range(1, ROUNDS * PROCESSES // MODELS + 1))
        assert sorted(mine) == expected, f"{model}: versions unique and gapless"
        assert [v.version for v in registry.versions(model)] == expected
        head = heads.read(registry.store, model)
        assert (head.production, head.latest_approved, head.latest) == _replayed_aliases(
            registry, model)
        rollbacks += sum(1 for t in registry.history(model) if t.to_stage == "rolled_back")
    assert rollbacks == sum(r["rolled_back"] for r in results) > 0
