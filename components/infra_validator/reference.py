"""In-process side of LOAD_AND_QUERY: eval examples and the SavedModel's own predictions."""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from components.infra_validator import checks


def read_serialized_examples(pattern: str, limit: int) -> list[bytes]:
    """Up to `limit` serialized tf.Example records from the gzipped TFRecords matching `pattern`."""
    files = sorted(tf.io.gfile.glob(pattern))
    if not files:
        raise checks.ValidationFailure(checks.EXAMPLES_UNAVAILABLE, f"no files match {pattern}")
    try:
        dataset = tf.data.TFRecordDataset(files, compression_type="GZIP").take(limit)
        records = [r.numpy() for r in dataset]
    except tf.errors.OpError as err:
        raise checks.ValidationFailure(
            checks.EXAMPLES_UNAVAILABLE, f"cannot read {pattern}: {err.message}") from err
    if not records:
        raise checks.ValidationFailure(checks.EXAMPLES_UNAVAILABLE, f"no records in {pattern}")
    return records


class ReferenceModel:
    """The candidate SavedModel loaded here, to predict what the server must answer."""

    def __init__(self, model_path: str, signature_name: str):
        try:
            loaded = tf.saved_model.load(model_path)
        except Exception as err:  # Corrupt or missing protos raise many different types.
            raise checks.ValidationFailure(
                checks.MODEL_LOAD_FAILED, f"{type(err).__name__}: {_first_line(err)}") from err
        if signature_name not in loaded.signatures:
            raise checks.ValidationFailure(
                checks.SIGNATURE_INCOMPATIBLE,
                f"no signature '{signature_name}' (has {sorted(loaded.signatures.keys())})")
        self._loaded = loaded  # Keeps the signature's variables alive.
        self._function = loaded.signatures[signature_name]
        self.signature_name = signature_name
        self.input_name = _example_input_name(self._function, signature_name)

    def predict(self, serialized: list[bytes]) -> dict[str, np.ndarray]:
        """Signature outputs for a batch of serialized tf.Examples, as numpy arrays."""
        try:
            outputs = self._function(**{self.input_name: tf.constant(serialized, tf.string)})
        except (TypeError, ValueError, tf.errors.OpError) as err:
            raise checks.ValidationFailure(
                checks.SIGNATURE_INCOMPATIBLE,
                f"'{self.signature_name}' rejects serialized tf.Example in-process: "
                f"{_first_line(err)}") from err
        return {k: v.numpy() for k, v in outputs.items()}


def _example_input_name(function, signature_name: str) -> str:
    """Name of the signature's single [batch] string input, which receives serialized examples."""
    specs = function.structured_input_signature[1]
    described = {k: f"{v.dtype.name}{v.shape}" for k, v in specs.items()}
    if len(specs) != 1:
        raise checks.ValidationFailure(
            checks.SIGNATURE_INCOMPATIBLE,
            f"'{signature_name}' takes inputs {described}, not one tensor of serialized tf.Example")
    (name, spec), = specs.items()
    if spec.dtype != tf.string or spec.shape.rank not in (None, 1):
        raise checks.ValidationFailure(
            checks.SIGNATURE_INCOMPATIBLE,
            f"'{signature_name}' input '{name}' is {described[name]}, "
            "not a [batch] string tensor of serialized tf.Example")
    return name


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
