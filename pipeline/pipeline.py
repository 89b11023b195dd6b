"""create_pipeline: the tfx-ledger pipeline as a pure factory (no I/O; runners own paths, MLMD)."""
from __future__ import annotations

import tensorflow_model_analysis as tfma
from tfx.components import Evaluator, ExampleValidator, SchemaGen, StatisticsGen, Transform
from tfx.dsl.components.common.importer import Importer
from tfx.dsl.components.common.resolver import Resolver
from tfx.dsl.input_resolution.strategies.latest_blessed_model_strategy import (
    LatestBlessedModelStrategy,
)
from tfx.orchestration.data_types import RuntimeParameter
from tfx.orchestration.pipeline import Pipeline
from tfx.proto import trainer_pb2
from tfx.types import Channel, standard_artifacts

from components.csv_ingest.check import column_types
from components.csv_ingest.component import TypedCsvExampleGen
from components.csv_ingest.sufficiency import Sufficiency
from components.data_lineage.artifacts import RawData
from components.data_lineage.component import DataLineage
from components.infra_validator.component import LedgerInfraValidator
from components.ledger_trainer.component import LedgerTrainer
from components.model_approval.component import ModelApproval
from components.versioned_pusher.component import VersionedPusher
from models import features

RUN_FN = "models.model.run_fn"
PREPROCESSING_FN = "models.preprocessing.preprocessing_fn"
APPROVAL_ID = "ModelApproval"
DEFAULT_BEAM_ARGS = ["--direct_running_mode=in_memory", "--direct_num_workers=1"]


def _eval_config(label: str, slice_by: list[str], accuracy_threshold: float,
                 compare_with_baseline: bool = True) -> tfma.EvalConfig:
    """Accuracy floor, no regression against the baseline, and metrics per slice."""
    change = tfma.GenericChangeThreshold(
        direction=tfma.MetricDirection.HIGHER_IS_BETTER, absolute={"value": -1e-10})
    threshold = tfma.MetricThreshold(
        value_threshold=tfma.GenericValueThreshold(lower_bound={"value": accuracy_threshold}),
        change_threshold=change if compare_with_baseline else None)
    return tfma.EvalConfig(
        model_specs=[tfma.ModelSpec(
            signature_name="serving_default",
            label_key=features.transformed_name(label),
            preprocessing_function_names=["transform_features"])],
        slicing_specs=[tfma.SlicingSpec()] + [
            tfma.SlicingSpec(feature_keys=[column]) for column in slice_by],
        metrics_specs=[tfma.MetricsSpec(metrics=[
            tfma.MetricConfig(class_name="SparseCategoricalAccuracy", threshold=threshold),
            tfma.MetricConfig(class_name="ExampleCount"),
        ])])


def data_components(dataset, data_root, source_properties: dict | None = None,
                    with_transform: bool = True, source_dir=None, span: int = 0) -> list:
    """Ingestion through DataLineage: RawData, ExampleGen, statistics, schema, validation,
    Transform (unless `with_transform` is false) and the DatasetVersion (the last node)."""
    spec = features.feature_spec(dataset)
    source = Importer(
        source_uri=source_dir or data_root, artifact_type=RawData, reimport=False,
        properties=source_properties or {}).with_id("RawDataImporter")
    example_gen = TypedCsvExampleGen(
        input_base=data_root, file_pattern=dataset.file_pattern,
        column_types=column_types(dataset),
        sufficiency=Sufficiency(dataset.min_split_rows, dataset.min_class_rows,
                                dataset.rare_classes))
    statistics_gen = StatisticsGen(examples=example_gen.outputs["examples"])
    schema_gen = SchemaGen(
        statistics=statistics_gen.outputs["statistics"], infer_feature_shape=False)
    example_validator = ExampleValidator(
        statistics=statistics_gen.outputs["statistics"], schema=schema_gen.outputs["schema"])
    transform = Transform(
        examples=example_gen.outputs["examples"], schema=schema_gen.outputs["schema"],
        preprocessing_fn=PREPROCESSING_FN, custom_config={"features": spec},
        # StatisticsGen already describes the raw data; Transform's own pre/post statistics
        # would cost about a third of its run time and nothing reads them.
        disable_statistics=True) if with_transform else None
    lineage = DataLineage(
        source=source.outputs["result"],
        examples=example_gen.outputs["examples"],
        statistics=statistics_gen.outputs["statistics"],
        schema=schema_gen.outputs["schema"],
        anomalies=example_validator.outputs["anomalies"],
        transform_graph=transform.outputs["transform_graph"] if transform else None,
        processing_steps=_processing_steps(dataset, spec),
        module_paths=["models.preprocessing", "components.csv_ingest.parsing"], span=span)
    return [node for node in (source, example_gen, statistics_gen, schema_gen, example_validator,
                              transform, lineage) if node is not None]


def _components(*, dataset, data_root, serving_root, metadata_connection: str,
                source_properties: dict | None, train_steps: int, eval_steps: int,
                accuracy_threshold: float, hyperparameters: dict | None, approval_mode: str,
                approval_policy: dict | None, launched_by: str, signing_key_env: str,
                infra_timeout_s: int, baseline: bool, source_dir=None, span: int = 0,
                model_signing_key: str = "", pipeline_run: str = "",
                settings: str | None = None) -> list:
    spec = features.feature_spec(dataset)
    data = data_components(dataset, data_root or dataset.data_dir, source_properties,
                           source_dir=source_dir, span=span)
    source, example_gen, statistics_gen, schema_gen, example_validator, transform, lineage = data
    trainer = LedgerTrainer(
        examples=transform.outputs["transformed_examples"],
        transform_graph=transform.outputs["transform_graph"],
        schema=schema_gen.outputs["schema"],
        dataset_version=lineage.outputs["dataset_version"],
        run_fn=RUN_FN,
        train_args=_train_args(train_steps),
        eval_args=trainer_pb2.EvalArgs(num_steps=eval_steps),
        custom_config={"features": spec, "hyperparameters": hyperparameters or {}})
    resolver = Resolver(
        strategy_class=LatestBlessedModelStrategy,
        model=Channel(type=standard_artifacts.Model),
        # Only approval blessings count: a model the Evaluator liked but nobody approved is
        # not the model to beat.
        model_blessing=Channel(type=standard_artifacts.ModelBlessing,
                                       producer_component_id=APPROVAL_ID),
    ).with_id("latest_blessed_model_resolver") if baseline else None
    evaluator = Evaluator(
        examples=example_gen.outputs["examples"],
        model=trainer.outputs["model"],
        baseline_model=resolver.outputs["model"] if resolver else None,
        eval_config=_eval_config(dataset.label, dataset.slice_by, accuracy_threshold,
                                 compare_with_baseline=baseline))
    infra_validator = LedgerInfraValidator(
        model=trainer.outputs["model"], examples=example_gen.outputs["examples"],
        timeout_s=infra_timeout_s)
    approval = ModelApproval(
        model=trainer.outputs["model"],
        model_blessing=evaluator.outputs["blessing"],
        evaluation=evaluator.outputs["evaluation"],
        infra_blessing=infra_validator.outputs["blessing"],
        dataset_version=lineage.outputs["dataset_version"],
        model_name=dataset.name, mode=approval_mode,
        policy=approval_policy or default_policy(accuracy_threshold),
        metadata_connection=metadata_connection, launched_by=launched_by,
        signing_key_env=signing_key_env, pipeline_run=pipeline_run,
        settings=settings).with_id(APPROVAL_ID)
    pusher = VersionedPusher(
        model=trainer.outputs["model"], model_blessing=approval.outputs["blessing"],
        infra_blessing=infra_validator.outputs["blessing"], serving_root=serving_root,
        metadata_connection=metadata_connection, signing_key_env=signing_key_env,
        model_signing_key=model_signing_key, settings=settings)
    return data + [node for node in (trainer, resolver, evaluator, infra_validator, approval,
                                     pusher) if node is not None]


def default_policy(accuracy_threshold: float) -> dict:
    """Approve when accuracy clears the floor, the model is no worse than the deployed one, the
    infra validator blessed it and the data had no anomalies."""
    metric = "sparse_categorical_accuracy"
    return {"name": "default", "metric_floors": {metric: accuracy_threshold},
            "min_improvement": {metric: 0.0}}


def _train_args(train_steps):
    """TrainArgs; a RuntimeParameter passes through: TFX substitutes protos only whole, as JSON."""
    if isinstance(train_steps, RuntimeParameter):
        return train_steps
    return trainer_pb2.TrainArgs(num_steps=train_steps)


def _processing_steps(dataset, spec: dict) -> list[dict]:
    ingest = {"step": "ingest_csv", "component": "TypedCsvExampleGen",
              "detail": f"{dataset.file_pattern} parsed by declared column types; "
                        "split train:eval = 2:1 by hash", "module": "components.csv_ingest.parsing"}
    transform = [{**step, "component": "Transform", "module": "models.preprocessing",
                  "function": PREPROCESSING_FN} for step in features.processing_steps(spec)]
    return [ingest, *transform]


def create_pipeline(*, pipeline_name: str, pipeline_root: str, dataset, serving_root: str,
                    metadata_connection: str, data_root=None, metadata_connection_config=None,
                    source_properties: dict | None = None, source_dir=None, span: int = 0,
                    beam_pipeline_args: list[str] | None = None, train_steps=200,
                    eval_steps=20, accuracy_threshold: float = 0.8,
                    hyperparameters: dict | None = None, approval_mode: str = "auto",
                    approval_policy: dict | None = None, launched_by: str = "",
                    signing_key_env: str = "", infra_timeout_s: int = 120,
                    baseline: bool = True, enable_cache: bool = True,
                    model_signing_key: str = "", pipeline_run: str = "",
                    settings: str | None = None) -> Pipeline:
    """The pipeline for one dataset config.

    `metadata_connection` is the JSON MLMD spec (pipeline/metadata.py) the approval and push
    components write the registry through; `data_root` overrides the config's data directory
    (a RuntimeParameter on Kubeflow); `source_properties` are the RawData digests a runner
    recorded at start. For a config whose path has `{SPAN}`, ExampleGen's driver resolves the
    span; `source_dir` is the span directory the runner resolved (the RawData) and `span` its
    number, which DataLineage checks against the span ExampleGen read. `model_signing_key` is
    the path of the P-256 PEM key the pusher signs each pushed version with ("" = unsigned).
    `pipeline_run` names the run a registered version comes from when the executor context
    has no run id (Kubeflow: a placeholder the backend fills).
    `settings` is pipeline/settings.py's JSON: approval and push then sign their records with
    the service key it names and record its serving root on each version.
    """
    components = _components(
        dataset=dataset, data_root=data_root, serving_root=serving_root,
        metadata_connection=metadata_connection, source_properties=source_properties,
        train_steps=train_steps, eval_steps=eval_steps, accuracy_threshold=accuracy_threshold,
        hyperparameters=hyperparameters, approval_mode=approval_mode,
        approval_policy=approval_policy, launched_by=launched_by,
        signing_key_env=signing_key_env, infra_timeout_s=infra_timeout_s, baseline=baseline,
        source_dir=source_dir, span=span, model_signing_key=model_signing_key,
        pipeline_run=pipeline_run, settings=settings)
    return Pipeline(
        pipeline_name=pipeline_name,
        pipeline_root=pipeline_root,
        components=components,
        enable_cache=enable_cache,
        metadata_connection_config=metadata_connection_config,
        beam_pipeline_args=list(beam_pipeline_args or DEFAULT_BEAM_ARGS),
    )
