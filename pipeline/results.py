"""Reads a finished run's headline facts from MLMD (ml_metadata only)."""
from __future__ import annotations

import json

from pipeline.metadata import open_store, sqlite_spec


def latest_pushed_model(metadata_path: str, model_name: str) -> str | None:
    """Where the newest successful push of `model_name` put it, or None when nothing was pushed."""
    pushed = [a for a in open_store(sqlite_spec(metadata_path)).get_artifacts_by_type("PushedModel")
              if a.custom_properties["pushed"].int_value == 1
              and a.custom_properties["model_name"].string_value == model_name]
    if not pushed:
        return None
    newest = max(pushed, key=lambda a: a.id)
    destination = newest.custom_properties.get("pushed_destination")
    return destination.string_value if destination else newest.uri


def approval_decision(metadata_path: str, model_name: str) -> str:
    """The newest approval decision for `model_name`, as `decision (name@version): reasons`."""
    blessings = [a for a in open_store(sqlite_spec(metadata_path)).get_artifacts_by_type(
        "ModelBlessing") if a.custom_properties["model_name"].string_value == model_name]
    if not blessings:
        return "no decision recorded"
    newest = max(blessings, key=lambda a: a.id)
    props = newest.custom_properties
    reasons = "; ".join(json.loads(props["reasons"].string_value or "[]"))
    return (f"{props['decision'].string_value} ({model_name}@{props['version'].int_value}): "
            f"{reasons}")


def headline_accuracy(metadata_path: str, pipeline_root: str) -> float | None:
    """Overall accuracy of the newest evaluation under `pipeline_root`, read from TFMA's output."""
    evaluations = [a for a in open_store(sqlite_spec(metadata_path)).get_artifacts_by_type(
        "ModelEvaluation") if a.uri.startswith(pipeline_root.rstrip("/") + "/")]
    if not evaluations:
        return None
    evaluation = max(evaluations, key=lambda a: a.id)
    import tensorflow_model_analysis as tfma  # only after a run, when TF is loaded anyway

    for slice_metrics in tfma.load_metrics(evaluation.uri):
        if not slice_metrics.slice_key.single_slice_keys:
            for keyed in slice_metrics.metric_keys_and_values:
                if keyed.key.name == "sparse_categorical_accuracy" and not keyed.key.is_diff:
                    return keyed.value.double_value.value
    return None


