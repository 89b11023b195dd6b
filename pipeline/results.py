"""Reads a finished run's headline facts from MLMD (ml_metadata only)."""
from __future__ import annotations




from pipeline.metadata import open_store, sqlite_spec


def _latest(store, type_name: str):
    artifacts = store.get_artifacts_by_type(type_name)
    return max(artifacts, key=lambda a: a.id) if artifacts else None


def latest_pushed_model(metadata_path: str) -> str | None:
    """Where the newest PushedModel artifact put its model, or None when nothing was pushed."""
    pushed = _latest(open_store(sqlite_spec(metadata_path)), "PushedModel")
    if pushed is None:
        return None
    destination = pushed.custom_properties.get("pushed_destination")
    return destination.string_value if destination else pushed.uri


def headline_accuracy(metadata_path: str) -> float | None:
    """Overall accuracy of the newest evaluation, read from TFMA's metrics output."""
    evaluation = _latest(open_store(sqlite_spec(metadata_path)), "ModelEvaluation")
    if evaluation is None:
        return None
    import tensorflow_model_analysis as tfma  # only after a run, when TF is loaded anyway

    for slice_metrics in tfma.load_metrics(evaluation.uri):
        if not slice_metrics.slice_key.single_slice_keys:
            for keyed in slice_metrics.metric_keys_and_values:
                if keyed.key.name == "sparse_categorical_accuracy" and not keyed.key.is_diff:
                    return keyed.value.double_value.value
    return None


