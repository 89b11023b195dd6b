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
import json
import os
import sys
import time
from datetime import timedelta

from ml_metadata.proto import metadata_store_pb2 as pb

from benchmarks.synthetic_log import START, GovernanceLog, hex_of, utc
from pipeline.metadata import open_store, sqlite_spec
from pipeline.registry import schema

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
BATCH = 200  # runs per MLMD transaction
_hex, _time = hex_of, utc

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
    """The nodes and events of a batch of runs, written with a single put_lineage_subgraph."""

    def __init__(self, store, types: dict):
        self.store, self.types = store, types
        self.artifacts, self.executions, self.edges, self.refs = [], [], [], []
        self.runs: list[tuple[str, int, int]] = []  # (run name, first execution, first artifact)

    def begin_run(self, name: str) -> None:
        """Nodes added from now on belong to the pipeline_run context `name`."""
        self.runs.append((name, len(self.executions), len(self.artifacts)))

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

    def write(self) -> tuple[list, list]:
        """Write the batch in one transaction; fills its refs with ids."""
        execution_ids, artifact_ids, _ = self.store.put_lineage_subgraph(
            self.executions, self.artifacts, [], self.edges)
        for ref in self.refs:
            ref[0] = artifact_ids[ref[1]]
        return execution_ids, artifact_ids

    def link_runs(self, execution_ids: list, artifact_ids: list) -> None:
        """Put each node in its run's context, as TFX does (the pipeline context is left out:
        linking every node twice doubled the generator's time and no query reads it)."""
        types = self.types["pipeline_run"]
        run_ids = self.store.put_contexts([pb.Context(type_id=types, name=name)
                                           for name, _, _ in self.runs])
        bounds = [(e, a) for _, e, a in self.runs[1:]] + [(len(execution_ids), len(artifact_ids))]
        attributions, associations = [], []
        for (_, e0, a0), (e1, a1), run_id in zip(self.runs, bounds, run_ids, strict=True):
            for context_id in (run_id,):
                attributions += [pb.Attribution(artifact_id=i, context_id=context_id)
                                 for i in artifact_ids[a0:a1]]
                associations += [pb.Association(execution_id=i, context_id=context_id)
                                  for i in execution_ids[e0:e1]]
        self.store.put_attributions_and_associations(attributions, associations)


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


def build(store, runs: int, models: int, runs_per_dataset: int, root: str, kfp=False,
          *, with_heads: bool = True, batch: int = BATCH, signer=None) -> None:
    """Write `runs` runs spread over `models` model names, `batch` runs per transaction."""
    types = register_types(store, kfp)
    store.put_contexts([pb.Context(type_id=types["pipeline"], name="ledger-synthetic")])
    log, snapshots, baselines = GovernanceLog(store, types, with_heads, signer), {}, {}
    for first in range(0, runs, batch):
        w, registrations = RunWriter(store, types), []
        for run in range(first, min(runs, first + batch)):
            name, k = f"model-{run % models:03d}", run // models
            tag = f"{name}-{k // runs_per_dataset}"
            w.begin_run(f"run-{run}")
            if k % runs_per_dataset:
                record_snapshot(w, snapshots[name], cached=True)
            else:
                snapshots[name] = new_snapshot(w, tag, root)
            model, approved = train_and_push(w, snapshots[name], run, baselines.get(name), root)
            registrations.append((name, model, "dsv-" + _hex("dsv", tag)[:16], run, approved))
            baselines[name] = model
        w.link_runs(*w.write())
        registry_writer = RunWriter(store, types)  # model ids are known now
        for registration in registrations:
            log.register(registry_writer, *registration)
        log.flush(*registry_writer.write())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=int)
    parser.add_argument("path")
    parser.add_argument("--models", type=int, default=10)
    parser.add_argument("--runs-per-dataset", type=int, default=5)
    parser.add_argument("--kfp", action="store_true", help="Kubeflow artifact dialect.")
    parser.add_argument("--no-heads", action="store_true",
                        help="A store as written before model heads existed.")
    parser.add_argument("--signed", action="store_true",
                        help="Sign every record with the service key of the home PATH is in "
                             "(PATH's directory; key and allowed signers made there).")
    parser.add_argument("--metadata", default=None,
                        help='MLMD connection spec instead of PATH, e.g. {"mysql": {...}}.')
    args = parser.parse_args(argv)
    if not args.metadata and os.path.exists(args.path):
        parser.error(f"{args.path} exists: pick a new path")
    started = time.monotonic()
    store = open_store(args.metadata or sqlite_spec(args.path))
    signer = None
    if args.signed:
        from pipeline.settings import resolve
        from pipeline.signing.identity import service_signer

        signer = service_signer(resolve(home=os.path.dirname(os.path.abspath(args.path))))
    build(store, args.runs, args.models, args.runs_per_dataset, "/synthetic", args.kfp,
          with_heads=not args.no_heads, signer=signer)
    seconds = time.monotonic() - started
    print(json.dumps({"runs": args.runs, "path": args.path, "seconds": round(seconds, 1),
                      "runs_per_s": round(args.runs / seconds, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
