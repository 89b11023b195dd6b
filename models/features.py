"""Feature names and a description of what Transform does, for Transform, Trainer and lineage."""
from __future__ import annotations

LABEL_VOCAB = "vocab_label"
MISSING_CATEGORY = ""
OOV_BUCKETS = 1


def transformed_name(key: str) -> str:
    return f"{key}_xf"


def vocab_name(key: str) -> str:
    return f"vocab_{key}"


def feature_spec(config) -> dict:
    """The part of a DatasetConfig that model code needs, as plain JSON-able data."""
    return {
        "label": config.label,
        "numeric": list(config.numeric_features),
        "categorical": list(config.categorical_features),
    }


def processing_steps(spec: dict) -> list[dict]:
    """The ordered preprocessing steps `models.preprocessing.preprocessing_fn` applies."""
    return [
        {"step": "impute_mean", "columns": spec["numeric"],
         "detail": "missing numeric values replaced by the training-set mean"},
        {"step": "scale_to_z_score", "columns": spec["numeric"]},
        {"step": "impute_constant", "columns": spec["categorical"],
         "detail": "missing categories become the empty-string category"},
        {"step": "vocabulary", "columns": spec["categorical"],
         "detail": f"integer ids, {OOV_BUCKETS} out-of-vocabulary bucket; one-hot in the model"},
        {"step": "label_vocabulary", "columns": [spec["label"]]},
    ]
