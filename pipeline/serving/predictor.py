"""Predictor: a verified registry version served in-process, each prediction with a receipt."""

from __future__ import annotations

from functools import partial

from components.infra_validator import tf_runtime
from pipeline import metadata
from pipeline.paths import LedgerPaths, ledger_home
from pipeline.registry import LoadedVersion, Registry, VersionInfo
from pipeline.settings import Settings, resolve
from pipeline.signing.identity import service_signer
from pipeline.signing.models import ModelKeys

from .batching import MAX_ROWS, Batcher
from .capture import CaptureWriter
from .errors import InstanceError, ServingError, SignatureError
from .outputs import CapturedRows, Prediction, output_rows
from .receipts import ReceiptIssuer

SIGNATURE = "serving_default"


def _one_thread_per_op() -> None:
    """Run each op on its caller's thread: splitting a few rows' ops across the intra-op pool
    costs more than it saves (predict p50, one row: 1.29 -> 1.06 ms alone, 8.3 -> 7.0 ms with
    8 callers at once; the inter-op pool stays one thread per core). Settable only before
    TensorFlow's context starts; a later load in the same process keeps what it found."""
    from tensorflow.python.eager import context

    try:
        context.context().intra_op_parallelism_threads = 1
    except RuntimeError:
        pass  # the process already ran TensorFlow (a test, a second load): its setting stays


class Predictor:
    """Loads `MODEL@ID` through the registry's verified load and predicts on raw feature dicts."""

    def __init__(self, loaded: LoadedVersion, model, runtime, signatures: dict, defs: dict,
                 issuer, capture: CaptureWriter, max_batch_rows: int = MAX_ROWS):
        self.loaded, self.issuer, self.capture = loaded, issuer, capture
        self.runtime_mode = runtime.mode
        self._model = model  # the signatures need the loaded object (variables, tables) alive
        self._defs, self._signatures = defs, signatures
        default = signatures[SIGNATURE]
        self._signature, self._encoder = default.function, default.encoder
        self._constant = runtime.constant
        self.batcher = Batcher(lambda signature, rows: signature.run(self._constant, rows),
                               max_batch_rows)

    @classmethod
    def load(cls, identifier: str, paths: LedgerPaths | None = None, *, capture_rate=1.0,
             metadata_spec: str | dict | None = None, settings: Settings | None = None,
             runtime: str = tf_runtime.FULL, max_batch_rows: int = MAX_ROWS) -> Predictor:
        """Resolve and re-verify `identifier` (files, digests, and its model signature against
        the allowed signers), load the SavedModel and warm it up. Receipts are signed by the
        settings' service identity (default: the home's, its key made on first use).

        runtime=LEAN imports only TensorFlow's runtime (seconds faster): for a process of its
        own, since a later `import tensorflow` there would find the bare package (tf_runtime).
        Concurrent predict calls share model calls of up to `max_batch_rows` rows (0: never).
        """
        paths = paths or ledger_home()
        settings = settings or resolve(home=paths.home)
        signer = service_signer(settings)  # a key that cannot sign fails before anything loads
        spec = metadata_spec or metadata.sqlite_spec(paths.metadata_path)
        registry = Registry.open(spec, must_exist=True, model_keys=ModelKeys.of(settings))
        loaded = registry.load_path(identifier)
        capture = CaptureWriter(registry.store, loaded.version, paths.captures_root, capture_rate)
        tf = tf_runtime.import_runtime(runtime)  # heavy: only loading a model pays for it
        _one_thread_per_op()

        from . import signatures as sigs
        from .examples import ExampleEncoder, raw_feature_spec

        model = tf.load(loaded.path)
        defs = sigs.signature_defs(loaded.path)
        built = sigs.build(model, defs, lambda f: ExampleEncoder(raw_feature_spec(f)))
        if SIGNATURE not in built:
            raise ServingError(f"{loaded.path} has no {SIGNATURE} signature fed tf.Examples")
        info = loaded.version
        issuer = ReceiptIssuer(info.model_name, info.version, info.model_digest, signer)
        predictor = cls(loaded, model, tf, built, defs, issuer, capture, max_batch_rows)
        try:  # the first call initialises tables and the like: keep it off the clock
            built[SIGNATURE].run(tf.constant, [b""])
        except tf.op_error:
            pass  # a model that requires some feature refuses the empty example, once warm
        return predictor

    def metadata(self) -> dict:
        """GetModelMetadataResponse's `metadata` (the signature defs) as TF Serving gives it."""
        from .signatures import metadata_json

        return metadata_json(self._defs)

    @property
    def version(self) -> VersionInfo:
        return self.loaded.version

    @property
    def feature_spec(self) -> dict[str, str] | None:
        """Raw feature name -> float|int64|bytes as the model parses it (None: types inferred)."""
        return self._encoder.spec

    def predict(self, instances: list[dict], signature: str | None = None,
                method: str | None = None) -> list[Prediction]:
        """One model call per batch; every prediction gets a receipt, sampled ones a line.

        `signature` picks another signature than serving_default; `method` (a TF Serving
        method name, e.g. tensorflow/serving/classify) refuses a signature of another kind.
        Concurrent callers share model calls (pipeline.serving.batching).
        """
        chosen = self._pick(signature, method)
        serialized, features = self._encode(instances, chosen.encoder)
        return self._answer(self.batcher(chosen, serialized), features)

    def predict_many(self, requests: list[tuple]) -> list:
        """predict() for each (instances, signature, method), the requests' rows run in shared
        model calls; each result is its list of Predictions or the error it alone raised."""
        results: list = [None] * len(requests)
        groups: dict = {}
        for index, (instances, signature, method) in enumerate(requests):
            try:
                chosen = self._pick(signature, method)
                groups.setdefault(chosen.name, (chosen, []))[1].append(
                    (index, *self._encode(instances, chosen.encoder)))
            except (InstanceError, SignatureError) as exc:
                results[index] = exc
        for chosen, members in groups.values():
            outputs = self.batcher.together(chosen, [m[1] for m in members])
            for (index, _, features), arrays in zip(members, outputs, strict=True):
                results[index] = arrays if isinstance(arrays, Exception) else self._answer(
                    arrays, features)
        return results

    def _answer(self, arrays: dict, features: list[dict]) -> list[Prediction]:
        """Rows, receipts and capture lines for one request's output arrays."""
        outputs = output_rows(arrays, len(features))
        issue, sample = self.issuer.issue, self.capture.sample
        receipts = [issue(row, [n for n, v in f.items() if v is None])
                    for row, f in zip(outputs, features, strict=True)]
        # The encoder's feature dicts are ours alone, so they can be captured as they are.
        rows = CapturedRows(arrays, len(outputs))
        captured = [partial(rows.record, receipt, row_features, index)
                    for index, (row_features, receipt)
                    in enumerate(zip(features, receipts, strict=True)) if sample()]
        if captured:
            self.capture.write(captured)
        return [Prediction(o, r) for o, r in zip(outputs, receipts, strict=True)]

    def _pick(self, signature: str | None, method: str | None):
        if signature is None and method is None:
            return self._signatures[SIGNATURE]
        from .signatures import pick

        return pick(self._signatures, self._defs, signature, method)

    def _infer(self, instances: list[dict], signature=None) -> tuple[list[dict], list[dict], dict]:
        """Output rows, normalised features and output arrays, without receipts or capture."""
        signature = signature or self._signatures[SIGNATURE]
        serialized, features = self._encode(instances, signature.encoder)
        arrays = self.batcher(signature, serialized)
        return output_rows(arrays, len(serialized)), features, arrays

    @staticmethod
    def _encode(instances: list[dict], encoder) -> tuple[list[bytes], list[dict]]:
        if not isinstance(instances, list):
            raise InstanceError(f"instances must be a list, got {type(instances).__name__}")
        encoded = [encoder.encode(i, instance) for i, instance in enumerate(instances)]
        return [e[0] for e in encoded], [e[1] for e in encoded]

    def close(self) -> None:
        """Write out queued captures, close the file and mark the Serving execution complete."""
        self.capture.close()

    def __enter__(self) -> Predictor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
