"""Predictor: a verified registry version served in-process, each prediction with a receipt."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from pipeline import metadata
from pipeline.paths import LedgerPaths, ledger_home
from pipeline.registry import LoadedVersion, Registry, VersionInfo
from pipeline.settings import Settings, resolve
from pipeline.signing.identity import service_signer
from pipeline.signing.models import ModelKeys

from .capture import CaptureWriter
from .errors import InstanceError, ServingError
from .receipts import Receipt, ReceiptIssuer

SIGNATURE = "serving_default"


@dataclass(frozen=True)
class Prediction:
    """One instance's model outputs (TF Serving row format) and the receipt that proves them."""

    outputs: dict
    receipt: Receipt

    @property
    def class_name(self) -> str | None:
        return self.outputs.get("classes")

    @property
    def class_id(self) -> int | None:
        return self.outputs.get("class_ids")

    @property
    def probabilities(self) -> list[float] | None:
        return self.outputs.get("probabilities")


def _rows(arrays: dict, count: int) -> list[dict]:
    """Batched output arrays -> one plain-JSON dict per instance; bytes become str."""
    columns = {name: array.tolist() for name, array in arrays.items()}
    rows = [{} for _ in range(count)]
    for name, values in columns.items():
        for row, value in zip(rows, values, strict=True):
            row[name] = value.decode("utf-8") if isinstance(value, bytes) else value
    return rows


class _CapturedRows:
    """A batch's output arrays, made rows for capture on first use (on the capture thread).

    These rows are not the ones handed to the caller, whose rows are the caller's to change.
    """

    def __init__(self, arrays: dict, count: int):
        self.arrays, self.count, self._rows = arrays, count, None

    def record(self, receipt: Receipt, features: dict, index: int) -> dict:
        """The capture record (one JSON line) of prediction `index` of the batch."""
        if self._rows is None:
            self._rows = _rows(self.arrays, self.count)
        return {"prediction_id": receipt.prediction_id, "issued_at": receipt.issued_at,
                "features": features, "outputs": self._rows[index],
                "receipt": receipt.to_dict()}


class Predictor:
    """Loads `MODEL@ID` through the registry's verified load and predicts on raw feature dicts."""

    def __init__(self, loaded: LoadedVersion, model, encoder, issuer, capture: CaptureWriter):
        self.loaded, self.issuer, self.capture = loaded, issuer, capture
        self._model = model  # the signature needs the loaded object (variables, tables) alive
        self._signature = model.signatures[SIGNATURE]
        self._encoder = encoder
        import tensorflow as tf

        self._constant = tf.constant

    @classmethod
    def load(cls, identifier: str, paths: LedgerPaths | None = None, *, capture_rate=1.0,
             metadata_spec: str | dict | None = None, settings: Settings | None = None,
             ) -> Predictor:
        """Resolve and re-verify `identifier` (files, digests, and its model signature against
        the allowed signers), load the SavedModel and warm it up. Receipts are signed by the
        settings' service identity (default: the home's, its key made on first use)."""
        paths = paths or ledger_home()
        settings = settings or resolve(home=paths.home)
        signer = service_signer(settings)  # a key that cannot sign fails before anything loads
        spec = metadata_spec or metadata.sqlite_spec(paths.metadata_path)
        registry = Registry.open(spec, must_exist=True, model_keys=ModelKeys.of(settings))
        loaded = registry.load_path(identifier)
        capture = CaptureWriter(registry.store, loaded.version, paths.captures_root, capture_rate)
        import tensorflow as tf  # heavy: only loading a model pays for it

        from .examples import ExampleEncoder, raw_feature_spec

        model = tf.saved_model.load(loaded.path)
        if SIGNATURE not in model.signatures:
            raise ServingError(f"{loaded.path} has no {SIGNATURE} signature")
        encoder = ExampleEncoder(raw_feature_spec(model.signatures[SIGNATURE]))
        info = loaded.version
        issuer = ReceiptIssuer(info.model_name, info.version, info.model_digest, signer)
        predictor = cls(loaded, model, encoder, issuer, capture)
        predictor._run([b""])  # first call traces and initialises tables; keep it off the clock
        return predictor

    @property
    def version(self) -> VersionInfo:
        return self.loaded.version

    @property
    def feature_spec(self) -> dict[str, str] | None:
        """Raw feature name -> float|int64|bytes as the model parses it (None: types inferred)."""
        return self._encoder.spec

    def predict(self, instances: list[dict]) -> list[Prediction]:
        """One model call per batch; every prediction gets a receipt, sampled ones a line."""
        outputs, features, arrays = self._infer(instances)
        issue, sample = self.issuer.issue, self.capture.sample
        receipts = [issue(row) for row in outputs]
        # The encoder's feature dicts are ours alone, so they can be captured as they are.
        rows = _CapturedRows(arrays, len(outputs))
        captured = [partial(rows.record, receipt, row_features, index)
                    for index, (row_features, receipt)
                    in enumerate(zip(features, receipts, strict=True)) if sample()]
        if captured:
            self.capture.write(captured)
        return [Prediction(o, r) for o, r in zip(outputs, receipts, strict=True)]

    def _infer(self, instances: list[dict]) -> tuple[list[dict], list[dict], dict]:
        """Output rows, normalised features and output arrays, without receipts or capture."""
        serialized, features = self._encode(instances)
        arrays = self._run(serialized)
        return _rows(arrays, len(serialized)), features, arrays

    def _encode(self, instances: list[dict]) -> tuple[list[bytes], list[dict]]:
        if not isinstance(instances, list):
            raise InstanceError(f"instances must be a list, got {type(instances).__name__}")
        encoded = [self._encoder.encode(i, instance) for i, instance in enumerate(instances)]
        return [e[0] for e in encoded], [e[1] for e in encoded]

    def _run(self, serialized: list[bytes]) -> dict:
        if not serialized:
            return {}
        outputs = self._signature(examples=self._constant(serialized))
        return {name: tensor.numpy() for name, tensor in outputs.items()}

    def close(self) -> None:
        """Write out queued captures, close the file and mark the Serving execution complete."""
        self.capture.close()

    def __enter__(self) -> Predictor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
