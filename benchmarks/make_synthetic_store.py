"""Fill an MLMD SQLite store with N synthetic pipeline runs shaped like ours (types, events, log).

    python -m benchmarks.make_synthetic_store 1000 /tmp/synthetic.sqlite [--models 10]

Each run writes what a real LocalDagRunner run writes, with the same type names and event keys:
RawData -> ExampleGen/Examples -> Statistics/Schema/Anomalies -> Transform -> DataLineage/
DatasetVersion -> LedgerTrainer/Model -> Evaluator (baseline: the model's previous version) ->
InfraValidator -> ModelApproval -> registry ModelVersion + StageTransitions (a valid hash chain)
-> VersionedPusher/PushedModel. Runs of a model share a data snapshot `--runs-per-dataset` at a
time; the repeats record CACHED executions over the same artifacts, as TFX caching does.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from datetime import datetime, timedelta, timezone

from ml_metadata.proto import metadata_store_pb2 as pb

from pipeline.metadata import open_store, sqlite_spec
from pipeline.registry import chain, schema
from pipeline.registry.log import record_fields

EXECUTIONS = {
    "Importer": "tfx.dsl.components.common.importer.Importer",
    "ExampleGen": "tfx.components.example_gen.component.FileBasedExampleGen",
    "StatisticsGen": "tfx.components.statistics_gen.component.StatisticsGen",
    "SchemaGen": "tfx.components.schema_gen.component.SchemaGen",
    "ExampleValidator": "tfx.components.example_validator.component.ExampleValidator",
    "Transform": "tfx.components.transform.component.Transform",
    "DataLineage": "components.data_lineage.component.DataLineage",
    "Trainer": "components.ledger_trainer.component.LedgerTrainer",
    "Evaluator": "tfx.components.evaluator.component.Evaluator",
    "InfraValidator": "components.infra_validator.component.LedgerInfraValidator",
    "ModelApproval": "components.model_approval.component.ModelApproval",
    "Pusher": "components.versioned_pusher.component.VersionedPusher",
}
ARTIFACTS = ("RawData", "Examples", "ExampleStatistics", "Schema", "ExampleAnomalies",
             "TransformGraph", "TransformCache", "DatasetVersion", "ModelRun", "Model",
             "ModelBlessing", "ModelEvaluation", "InfraBlessing")
TYPED = {"RawData": ("sha256", "files"),
         "DatasetVersion": ("dataset_version_id", "source_files", "source_sha256",
                            "examples_root_digest", "schema_digest", "code_revision")}
START = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _hex(*parts) -> str:
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()


def register_types(store, kfp: bool = False) -> dict:
    """Type ids by short name: ours, TFX's (as TFX names them) and the registry's."""
    # With `kfp`, RawData/DatasetVersion are stored the Kubeflow way: `ledger_types.` names and
    # every fact a custom property (components/data_lineage/artifacts.py).
    ids = schema.ensure_types(store)
    ids["typed"] = {} if kfp else TYPED
    for name in ARTIFACTS:
        kind = pb.ArtifactType(name=f"ledger_types.{name}" if kfp and name in TYPED else name)
        for prop in ids["typed"].get(name, ()):
            kind.properties[prop] = pb.STRING
        ids[name] = store.put_artifact_type(kind)
    for short, name in EXECUTIONS.items():
        ids[short] = store.put_execution_type(pb.ExecutionType(name=name))
    for name in ("pipeline", "pipeline_run"):
        ids[name] = store.put_context_type(pb.ContextType(name=name))
    return ids


class RunWriter:
    """One run's nodes and events, written with a single put_lineage_subgraph."""

    def __init__(self, store, types: dict):
        self.store, self.types = store, types
        self.artifacts, self.executions, self.edges, self.refs = [], [], [], []

    def artifact(self, kind: str, uri: str, facts: dict | None = None, node=None) -> list:
        """A new artifact; returns its ref [id (after write), index in this run]."""
        if node is None:
            node = pb.Artifact(type_id=self.types[kind], uri=uri, state=pb.Artifact.LIVE)
            typed = self.types["typed"].get(kind, ())
            facts = facts or {}
            schema.set_props(node.properties, {k: v for k, v in facts.items() if k in typed})
            schema.set_props(node.custom_properties,
                             {k: v for k, v in facts.items() if k not in typed})
        self.artifacts.append(node)
        self.refs.append([None, len(self.artifacts) - 1])
        return self.refs[-1]

    def execution(self, kind: str, inputs: dict, outputs: dict, *, cached=False, node=None):
        """An execution with INPUT/OUTPUT events keyed like the component's spec keys."""
        state = pb.Execution.CACHED if cached else pb.Execution.COMPLETE
        self.executions.append(node or pb.Execution(type_id=self.types[kind],
                                                    last_known_state=state))
        for event_type, links in ((pb.Event.INPUT, inputs), (pb.Event.OUTPUT, outputs)):
            for key, ref in links.items():
                if ref is not None:
                    self._edge(len(self.executions) - 1, event_type, key, ref)

    def _edge(self, index: int, event_type, key: str, ref: list) -> None:
        event = pb.Event(type=event_type)
        if not key.startswith("_"):  # registry events carry no key, as in the real log
            event.path.steps.add().key = key
            event.path.steps.add().index = 0
        if ref[0] is not None:
            event.artifact_id = ref[0]
        self.edges.append((index, None if ref[0] is not None else ref[1], event))

    def write(self, contexts: list) -> list:
        """Write the run in one transaction; fills this run's refs with ids."""
        _, artifact_ids, context_ids = self.store.put_lineage_subgraph(
            self.executions, self.artifacts, contexts, self.edges)
        for ref in self.refs:
            ref[0] = artifact_ids[ref[1]]
        return context_ids


def new_snapshot(w: RunWriter, tag: str, root: str) -> dict:
    """RawData through DatasetVersion, every execution COMPLETE."""
    file_sha = _hex("file", tag)
    files = json.dumps([{"name": "data.csv", "size": 15241, "sha256": file_sha}])
    a = {"raw": w.artifact("RawData", f"{root}/data/{tag}", {"sha256": _hex("raw", tag),
                                                             "files": files})}
    for kind, key in (("Examples", "examples"), ("ExampleStatistics", "statistics"),
                      ("Schema", "schema"), ("ExampleAnomalies", "anomalies"),
                      ("Examples", "transformed"), ("TransformGraph", "graph"),
                      ("TransformCache", "cache")):
        a[key] = w.artifact(kind, f"{root}/{tag}/{key}", {"span": 0})
    a["dsv"] = w.artifact("DatasetVersion", f"{root}/{tag}/dataset_version", {
        "dataset_version_id": "dsv-" + _hex("dsv", tag)[:16], "source_files": files,
        "source_sha256": file_sha, "examples_root_digest": _hex("examples", tag),
        "schema_digest": _hex("schema", tag), "code_revision": _hex("code", tag)[:40]})
    record_snapshot(w, a, cached=False)
    return a


def record_snapshot(w: RunWriter, a: dict, *, cached: bool) -> None:
    """The data executions of a run; a repeat run records them CACHED over the same artifacts."""
    w.execution("Importer", {}, {"result": a["raw"]})
    w.execution("ExampleGen", {}, {"examples": a["examples"]}, cached=cached)
    w.execution("StatisticsGen", {"examples": a["examples"]}, {"statistics": a["statistics"]},
                cached=cached)
    w.execution("SchemaGen", {"statistics": a["statistics"]}, {"schema": a["schema"]},
                cached=cached)
    w.execution("ExampleValidator", {"statistics": a["statistics"], "schema": a["schema"]},
                {"anomalies": a["anomalies"]}, cached=cached)
    w.execution("Transform", {"examples": a["examples"], "schema": a["schema"]},
                {"transformed_examples": a["transformed"], "transform_graph": a["graph"],
                 "updated_analyzer_cache": a["cache"]}, cached=cached)
    w.execution("DataLineage", {"source": a["raw"], "examples": a["examples"],
                                "statistics": a["statistics"], "schema": a["schema"],
                                "anomalies": a["anomalies"], "transform_graph": a["graph"]},
                {"dataset_version": a["dsv"]}, cached=cached)


def train_and_push(w: RunWriter, a: dict, run: int, baseline, root: str) -> tuple:
    """Trainer to PushedModel; returns the new Model ref and whether it was approved."""
    hyper = json.dumps({"learning_rate": 0.01 * (1 + run % 3), "hidden_units": [16, 8]})
    model = w.artifact("Model", f"{root}/model/{run}", {
        "model_digest": _hex("model", run), "hyperparameters": hyper, "code_revision":
        _hex("code", run)[:40], "run_manifest": json.dumps({"train_steps": 200, "run": run})})
    w.execution("Trainer", {"examples": a["transformed"], "transform_graph": a["graph"],
                            "schema": a["schema"], "dataset_version": a["dsv"]},
                {"model": model, "model_run": w.artifact("ModelRun", f"{root}/run/{run}")})
    evaluation = w.artifact("ModelEvaluation", f"{root}/evaluation/{run}")
    blessing = w.artifact("ModelBlessing", f"{root}/blessing/{run}", {"blessed": 1})
    w.execution("Evaluator", {"examples": a["examples"], "model": model,
                              "baseline_model": baseline},
                {"evaluation": evaluation, "blessing": blessing})
    infra = w.artifact("InfraBlessing", f"{root}/infra/{run}", {
        "blessed": 1, "latency_p50_ms": 2.5, "latency_p99_ms": 90.0, "requests_sent": 20})
    w.execution("InfraValidator", {"model": model, "examples": a["examples"]},
                {"blessing": infra})
    approved = run % 10 != 9  # every tenth candidate is rejected, as policies do
    approval = w.artifact("ModelBlessing", f"{root}/approval/{run}", {
        "blessed": int(approved), "decision": "approved" if approved else "rejected",
        "decided_by": "policy:default", "reasons": json.dumps(["synthetic"]),
        "decided_at": _time(START + timedelta(minutes=10 * run))})
    w.execution("ModelApproval", {"model": model, "model_blessing": blessing,
                                  "evaluation": evaluation, "infra_blessing": infra,
                                  "dataset_version": a["dsv"]}, {"blessing": approval})
    pushed = w.artifact("PushedModel", f"{root}/pushed/{run}", {"pushed": int(approved)})
    w.execution("Pusher", {"model": model, "model_blessing": approval,
                           "infra_blessing": infra}, {"pushed_model": pushed})
    return model, approved


class GovernanceLog:
    """Registry writes as the registry makes them: a ModelVersion and hash-chained records."""

    def __init__(self, store, types: dict):
        self.store, self.types, self.seq, self.head, self.versions = store, types, 0, "", {}
        self.anchor = pb.Context(type_id=types[schema.GOVERNANCE_LOG],
                                 name=schema.GOVERNANCE_LOG_NAME)

    def register(self, name: str, model: list, dsv_id: str, run: int, approved: bool) -> None:
        """Register `model` as the next version of `name` and walk it to deployed or rejected."""
        w, number = RunWriter(self.store, self.types), self.versions.get(name, 0) + 1
        self.versions[name] = number
        at = START + timedelta(minutes=10 * run)
        values = {"model_name": name, "version": number, "model_artifact_id": model[0],
                  "model_uri": f"/synthetic/model/{run}", "model_digest": _hex("model", run),
                  "dataset_version_id": dsv_id, "pipeline_run": f"run-{run}",
                  "created_at": _time(at)}
        version = w.artifact("", "", node=schema.version_artifact(
            self.types[schema.MODEL_VERSION], f"{name}@{number}",
            f"ModelVersion:model_artifact_id={model[0]}", values,
            {"metrics": json.dumps({"sparse_categorical_accuracy": 0.9 + run % 10 / 100})}))
        moves = [("none", "candidate"), ("candidate", "validated"),
                 ("validated", "approved" if approved else "rejected")]
        for i, (source, target) in enumerate(moves + [("approved", "deployed")] * approved):
            fields = self._fields(name, number, source, target, run, at + timedelta(seconds=i))
            inputs = {"_model": model, "_version": version if i else None}
            w.execution("", inputs, {"_version": None if i else version},
                        node=chain.to_execution(self.types[schema.STAGE_TRANSITION], fields))
        schema.set_props(self.anchor.custom_properties,
                         {"head_seq": self.seq, "head_hash": self.head, "head_hmac": ""})
        [self.anchor.id] = w.write([self.anchor])

    def _fields(self, name, number, source, target, run, at) -> dict:
        self.seq += 1
        fields = record_fields(name, number, source, target, "pipeline", "synthetic",
                               _hex("model", run))
        fields.update(seq=self.seq, prev_hash=self.head or chain.GENESIS_HASH,
                      decided_at=_time(at))
        fields["record_hash"] = self.head = chain.record_hash(fields)
        fields["hmac"] = ""
        return fields


def _time(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def build(store, runs: int, models: int, runs_per_dataset: int, root: str, kfp=False) -> None:
    """Write `runs` runs spread over `models` model names."""
    types = register_types(store, kfp)
    pipeline = pb.Context(type_id=types["pipeline"], name="ledger-synthetic")
    log, snapshots, baselines = GovernanceLog(store, types), {}, {}
    for run in range(runs):
        name, k = f"model-{run % models:03d}", run // models
        w, tag = RunWriter(store, types), f"{name}-{k // runs_per_dataset}"
        if k % runs_per_dataset:
            record_snapshot(w, snapshots[name], cached=True)
        else:
            snapshots[name] = new_snapshot(w, tag, root)
        model, approved = train_and_push(w, snapshots[name], run, baselines.get(name), root)
        ids = w.write([pipeline, pb.Context(type_id=types["pipeline_run"], name=f"run-{run}")])
        pipeline.id = ids[0]
        dsv_id = "dsv-" + _hex("dsv", tag)[:16]
        log.register(name, model, dsv_id, run, approved)
        baselines[name] = model


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=int)
    parser.add_argument("path")
    parser.add_argument("--models", type=int, default=10)
    parser.add_argument("--runs-per-dataset", type=int, default=5)
    parser.add_argument("--kfp", action="store_true", help="Kubeflow artifact dialect.")
    args = parser.parse_args(argv)
    if os.path.exists(args.path):
        parser.error(f"{args.path} exists: pick a new path")
    started = time.monotonic()
    store = open_store(sqlite_spec(args.path))
    build(store, args.runs, args.models, args.runs_per_dataset, "/synthetic", args.kfp)
    seconds = time.monotonic() - started
    print(json.dumps({"runs": args.runs, "path": args.path, "seconds": round(seconds, 1),
                      "runs_per_s": round(args.runs / seconds, 1),
                      "bytes": os.path.getsize(args.path)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
