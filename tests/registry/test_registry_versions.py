"""Version allocation (sequential, idempotent, concurrent), lookups and identifier resolution."""

from __future__ import annotations

import multiprocessing
import os

import pytest
from ml_metadata.proto import metadata_store_pb2 as pb

from pipeline.registry import (
    Registry,
    RegistryError,
    StoreMissingError,
    UnknownModelError,
    UnknownVersionError,
)

MODEL = "penguins"


def test_versions_are_allocated_in_order_and_start_as_candidate(registry, make_model):
    made = [make_model() for _ in range(3)]
    infos = [registry.register_version(MODEL, m.artifact_id, m.uri, m.digest) for m in made]
    assert [i.version for i in infos] == [1, 2, 3]
    assert [i.stage for i in infos] == ["candidate"] * 3
    first = registry.history(MODEL, 1)
    assert [(t.seq, t.from_stage, t.to_stage) for t in first] == [(1, "none", "candidate")]


def test_registering_the_same_model_artifact_twice_returns_the_existing_version(
    registry, make_model
):
    model = make_model()
    first = registry.register_version(MODEL, model.artifact_id, model.uri, model.digest)
    again = registry.register_version(MODEL, model.artifact_id, model.uri, model.digest)
    assert again.version == first.version == 1
    assert len(registry.history(MODEL)) == 1


def test_register_keeps_policy_metrics_and_provenance(registry, make_model):
    model = make_model()
    info = registry.register_version(
        MODEL,
        model.artifact_id,
        model.uri,
        model.digest,
        dataset_version_id="dsv-abc",
        pipeline_run="run-7",
        launched_by="ci-bot",
        approval_policy={"allowed_approvers": ["alice"]},
        metrics={"accuracy": 0.97},
    )
    assert (info.dataset_version_id, info.pipeline_run, info.launched_by) == (
        "dsv-abc",
        "run-7",
        "ci-bot",
    )
    assert info.approval_policy == {"allowed_approvers": ["alice"]}
    assert info.metrics == {"accuracy": 0.97}
    assert info.created_at.endswith("Z")


def test_register_refuses_an_unknown_model_artifact(registry):
    with pytest.raises(RegistryError, match="no Model artifact with id 999"):
        registry.register_version(MODEL, 999, "/nowhere", "0" * 64)


def _register_worker(spec, artifact_id, barrier, results):
    registry = Registry.open(spec, must_exist=True, signing_key_env="LEDGER_TEST_SIGNING_KEY")
    barrier.wait()
    info = registry.register_version(MODEL, artifact_id, f"/models/{artifact_id}", "d" * 64)
    results.put(info.version)


def test_four_concurrent_processes_get_distinct_gapless_versions(spec, registry, model_type):
    store = registry.store
    type_id = model_type
    ids = store.put_artifacts([pb.Artifact(type_id=type_id, uri=f"/m/{i}") for i in range(4)])
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(4), ctx.Queue()
    workers = [ctx.Process(target=_register_worker, args=(spec, i, barrier, results)) for i in ids]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    assert sorted(results.get(timeout=5) for _ in ids) == [1, 2, 3, 4]
    assert [t.seq for t in registry.history(MODEL)] == [1, 2, 3, 4]
    assert registry.verify().ok


def test_open_must_exist_refuses_a_missing_store_without_creating_it(tmp_path):
    path = tmp_path / "absent.sqlite"
    with pytest.raises(StoreMissingError, match="no MLMD store"):
        Registry.open({"sqlite": str(path)})
    assert not os.path.exists(path)


def test_unknown_model_and_version_errors_name_them(registry, add_version):
    add_version("candidate")
    with pytest.raises(UnknownModelError, match="'orcas'"):
        registry.versions("orcas")
    with pytest.raises(UnknownVersionError, match="penguins has no version 7"):
        registry.version(MODEL, 7)
    with pytest.raises(UnknownVersionError, match="no production version"):
        registry.resolve(f"{MODEL}@production")


def test_resolve_aliases(registry, add_version):
    add_version("deployed")
    add_version("approved")
    add_version("candidate")
    assert registry.resolve(f"{MODEL}@2").version == 2
    assert registry.resolve(f"{MODEL}@latest").version == 3
    assert registry.resolve(f"{MODEL}@latest-approved").version == 2
    assert registry.resolve(f"{MODEL}@production").version == 1
    with pytest.raises(UnknownVersionError, match="unknown alias 'newest'"):
        registry.resolve(f"{MODEL}@newest")
    with pytest.raises(RegistryError, match="MODEL@VERSION"):
        registry.resolve(MODEL)


def test_models_summarises_each_model(registry, add_version):
    add_version("deployed")
    add_version("validated")
    add_version("candidate", name="orcas")
    summaries = {m.name: m for m in registry.models()}
    assert sorted(summaries) == ["orcas", MODEL]
    assert (summaries[MODEL].version_count, summaries[MODEL].latest_version) == (2, 2)
    assert summaries[MODEL].production_version == 1
    assert summaries["orcas"].production_version is None
