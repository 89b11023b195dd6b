"""LedgerTrainer: Trainer's spec plus an optional DatasetVersion input, and a manifest writer.

In: transformed examples, transform graph, schema, and the DatasetVersion the data was recorded
as. Out: Model (with `Format-Serving/manifest.json` and run-manifest custom properties) and
ModelRun. Taking the DatasetVersion as an input puts it, and the raw file behind it, upstream of
the model in MLMD. Example:
    LedgerTrainer(examples=transform.outputs["transformed_examples"],
                  transform_graph=transform.outputs["transform_graph"],
                  dataset_version=lineage.outputs["dataset_version"],
                  run_fn="models.model.run_fn", train_args=TrainArgs(num_steps=200), ...)
"""
from __future__ import annotations

import json

from tfx import types
from tfx.dsl.components.base import base_component, executor_spec
from tfx.proto import trainer_pb2
from tfx.types import standard_artifacts
from tfx.types.component_spec import ChannelParameter
from tfx.types.standard_component_specs import TrainerSpec

from components.data_lineage.artifacts import DatasetVersion
from components.ledger_trainer import executor
from components.ledger_trainer.executor import DATASET_VERSION_KEY


class LedgerTrainerSpec(TrainerSpec):
    """TrainerSpec with an optional `dataset_version` input channel."""

    INPUTS = {
        **TrainerSpec.INPUTS,
        DATASET_VERSION_KEY: ChannelParameter(type=DatasetVersion, optional=True),
    }


class LedgerTrainer(base_component.BaseComponent):
    """Trains with a dotted `run_fn` (no module-file wheel) and records a run manifest."""

    SPEC_CLASS = LedgerTrainerSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

    def __init__(self, examples, transform_graph, schema, run_fn: str,
                 train_args: trainer_pb2.TrainArgs, eval_args: trainer_pb2.EvalArgs,
                 custom_config: dict | None = None, dataset_version=None):
        spec = LedgerTrainerSpec(
            examples=examples,
            transform_graph=transform_graph,
            schema=schema,
            dataset_version=dataset_version,
            run_fn=run_fn,
            train_args=train_args,
            eval_args=eval_args,
            custom_config=json.dumps(custom_config or {}, sort_keys=True),
            model=types.Channel(type=standard_artifacts.Model),
            model_run=types.Channel(type=standard_artifacts.ModelRun),
        )
        super().__init__(spec=spec)

