"""create_pipeline: the tfx-ledger pipeline as a pure factory (no I/O; runners own paths and MLMD)."""
from __future__ import annotations

import tensorflow_model_analysis as tfma
from tfx import v1 as tfx

from components.csv_ingest.component import TypedCsvExampleGen
from components.csv_ingest.parsing import ColumnTypes
from components.ledger_trainer.component import LedgerTrainer
from models import features

RUN_FN = "models.model.run_fn"
PREPROCESSING_FN = "models.preprocessing.preprocessing_fn"


def _eval_config(label: str, slice_by: list[str], accuracy_threshold: float) -> tfma.EvalConfig:
    """Accuracy floor, no regression against the baseline, and metrics per slice."""
    threshold = tfma.MetricThreshold(
        value_threshold=tfma.GenericValueThreshold(lower_bound={"value": accuracy_threshold}),
        change_threshold=tfma.GenericChangeThreshold(
            direction=tfma.MetricDirection.HIGHER_IS_BETTER, absolute={"value": -1e-10}))
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


def create_pipeline(*, pipeline_name: str, pipeline_root: str, dataset, serving_root: str,
                    data_root=None, metadata_connection_config=None,
                    beam_pipeline_args: list[str] | None = None, train_steps=200,
                    eval_steps=20, accuracy_threshold: float = 0.8,
                    hyperparameters: dict | None = None,
                    enable_cache: bool = True) -> tfx.dsl.Pipeline:
    """The pipeline for one dataset config.

    `data_root` overrides the config's data directory (a RuntimeParameter on Kubeflow).
    """
    spec = features.feature_spec(dataset)
    column_types = ColumnTypes(
        numeric=tuple(dataset.numeric_features),
        strings=(dataset.label, *dataset.categorical_features),
        missing_values=tuple(dataset.missing_values))
    example_gen = TypedCsvExampleGen(
        input_base=data_root or dataset.data_dir, file_pattern=dataset.file_pattern,
        column_types=column_types)
    statistics_gen = tfx.components.StatisticsGen(examples=example_gen.outputs["examples"])
    schema_gen = tfx.components.SchemaGen(
        statistics=statistics_gen.outputs["statistics"], infer_feature_shape=False)
    example_validator = tfx.components.ExampleValidator(
        statistics=statistics_gen.outputs["statistics"], schema=schema_gen.outputs["schema"])
    transform = tfx.components.Transform(
        examples=example_gen.outputs["examples"], schema=schema_gen.outputs["schema"],
        preprocessing_fn=PREPROCESSING_FN, custom_config={"features": spec})
    trainer = LedgerTrainer(
        examples=transform.outputs["transformed_examples"],
        transform_graph=transform.outputs["transform_graph"],
        schema=schema_gen.outputs["schema"],
        run_fn=RUN_FN,
        train_args=tfx.proto.TrainArgs(num_steps=train_steps),
        eval_args=tfx.proto.EvalArgs(num_steps=eval_steps),
        custom_config={"features": spec, "hyperparameters": hyperparameters or {}})
    baseline = tfx.dsl.Resolver(
        strategy_class=tfx.dsl.experimental.LatestBlessedModelStrategy,
        model=tfx.dsl.Channel(type=tfx.types.standard_artifacts.Model),
        model_blessing=tfx.dsl.Channel(type=tfx.types.standard_artifacts.ModelBlessing),
    ).with_id("latest_blessed_model_resolver")
    evaluator = tfx.components.Evaluator(
        examples=example_gen.outputs["examples"],
        model=trainer.outputs["model"],
        baseline_model=baseline.outputs["model"],
        eval_config=_eval_config(dataset.label, dataset.slice_by, accuracy_threshold))
    pusher = tfx.components.Pusher(
        model=trainer.outputs["model"],
        model_blessing=evaluator.outputs["blessing"],
        push_destination=tfx.proto.PushDestination(
            filesystem=tfx.proto.PushDestination.Filesystem(
                base_directory=f"{serving_root}/{dataset.name}")))
    return tfx.dsl.Pipeline(
        pipeline_name=pipeline_name,
        pipeline_root=pipeline_root,
        components=[example_gen, statistics_gen, schema_gen, example_validator, transform,
                    trainer, baseline, evaluator, pusher],
        enable_cache=enable_cache,
        metadata_connection_config=metadata_connection_config,
        beam_pipeline_args=list(beam_pipeline_args or ["--direct_running_mode=in_memory",
                                                        "--direct_num_workers=1"]),
    )
