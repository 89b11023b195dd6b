"""A SavedModel's signatures as TF Serving sees them: method names, metadata JSON, example input.

Imported after the TensorFlow runtime (see pipeline.serving.predictor).
"""

from __future__ import annotations

import copy
import itertools
import os
from dataclasses import dataclass

from google.protobuf import json_format
from tensorflow.core.framework import types_pb2
from tensorflow.core.protobuf import saved_model_pb2
from tensorflow.python.eager import context, execute
from tensorflow.python.framework import errors

from .errors import SignatureError
from .rest import CLASSIFY, PREDICT, REGRESS

DEFAULT = "serving_default"
_NOUNS = {CLASSIFY: "classification", REGRESS: "regression", PREDICT: "prediction"}


@dataclass(frozen=True)
class Signature:
    """One callable signature that takes serialized tf.Examples under `input_key`."""

    name: str
    method_name: str
    input_key: str
    function: object
    encoder: object
    call: object = None  # FlatCall(function); None: the structured call

    def run(self, constant, serialized: list[bytes]) -> dict:
        """Output name -> numpy array for a batch of serialized examples."""
        if not serialized:
            return {}
        if self.call is not None:
            outputs = self.call(constant(serialized))
        else:
            outputs = self.function(**{self.input_key: constant(serialized)})
        return {name: tensor.numpy() for name, tensor in outputs.items()}


class FlatCall:
    """A loaded signature called as TF's own fast path calls it, with the binding done once.

    The structured call binds keyword arguments, re-reads 34 captured variable handles and
    enters three context managers per call: half the signature's 0.6 ms for one row. Here the
    captures are read once (the loaded model, kept alive by the Predictor, owns them) and the
    function is executed directly in the eager context; outputs are packed as TF packs them.

    The function's ops run one after another on the caller's thread (TF's single-threaded
    executor) rather than being handed to the inter-op pool op by op: one row 0.21-0.34 ->
    0.15-0.19 ms. A graph that executor refuses (low-level control flow, for one) is run by
    TF's default executor from then on, after the default executor answers the same call.
    """

    SINGLE_THREADED = "SINGLE_THREADED_EXECUTOR"

    def __init__(self, function, executor: str | None = SINGLE_THREADED):
        inference = function._inference_function  # noqa: SLF001 - TF's own eager fast path
        self._name = inference.name.decode("utf-8")
        self._captures = list(function.captured_inputs)
        self._outputs = len(inference.function_type.flat_outputs)
        self._pack = inference.function_type.pack_output
        self._context = context.context()
        self._default = self._attrs(None)
        self._chosen = self._attrs(executor) if executor else self._default
        self.executor = executor or "default"

    def _attrs(self, executor: str | None) -> tuple:
        """The call's attributes as context.call_function builds them, with `executor`."""
        options = copy.copy(self._context.function_call_options)
        options.executor_type = executor
        return tuple(itertools.chain(*options.as_attrs().items()))

    def __call__(self, serialized) -> dict:
        try:
            flat = self._execute(serialized, self._chosen)
        except errors.OpError:
            if self._chosen is self._default:
                raise
            flat = self._execute(serialized, self._default)  # a bad input fails here too
            self._chosen, self.executor = self._default, "default"
        return self._pack(flat)

    def _execute(self, serialized, attrs: tuple):
        return execute.execute(self._name, num_outputs=self._outputs,
                               inputs=[serialized, *self._captures], attrs=attrs,
                               ctx=self._context)


def signature_defs(saved_model_dir: str) -> dict:
    """Signature name -> SignatureDef proto, read from saved_model.pb (the serving meta graph)."""
    with open(os.path.join(saved_model_dir, "saved_model.pb"), "rb") as handle:
        saved = saved_model_pb2.SavedModel.FromString(handle.read())
    graphs = [g for g in saved.meta_graphs if "serve" in g.meta_info_def.tags]
    return dict((graphs or saved.meta_graphs)[0].signature_def)


def metadata_json(defs: dict) -> dict:
    """GetModelMetadataResponse's `metadata` as TF Serving prints it: proto field names, every
    default filled in (dims say `"size": "-1"`, dtypes `"DT_STRING"`)."""
    return {"signature_def": {"signature_def": {
        name: json_format.MessageToDict(proto, preserving_proto_field_name=True,
                                        including_default_value_fields=True)
        for name, proto in sorted(defs.items())}}}


def example_input(proto) -> str | None:
    """The input key of a signature fed serialized tf.Examples (one DT_STRING input), else None."""
    inputs = list(proto.inputs.items())
    if len(inputs) == 1 and inputs[0][1].dtype == types_pb2.DT_STRING:
        return inputs[0][0]
    return None


def build(model, defs: dict, encoder_for) -> dict[str, Signature]:
    """Every signature the server can feed tf.Examples, with its encoder (encoder_for(function))."""
    built = {}
    for name, proto in defs.items():
        key = example_input(proto)
        if key is None or name not in model.signatures:
            continue
        function = model.signatures[name]
        built[name] = Signature(name, proto.method_name, key, function, encoder_for(function),
                                FlatCall(function))
    return built


def pick(signatures: dict[str, Signature], defs: dict, name: str | None,
         method: str | None) -> Signature:
    """The signature a request names (default: serving_default) if it supports `method`.

    The refusals read as TF Serving's, so clients written against it recognise them.
    """
    name = name or DEFAULT
    if name not in defs:
        raise SignatureError(f'Serving signature name: "{name}" not found in signature def')
    proto = defs[name]
    if method is not None and proto.method_name != method:
        offered = ", ".join(f"{n} ({d.method_name})" for n, d in sorted(defs.items())
                            if not n.startswith("__"))
        raise SignatureError(
            f"Expected {_NOUNS[method]} signature method_name to be {method}. "
            f"Was: {proto.method_name} (signature {name!r}; this model's signatures: {offered})")
    if name not in signatures:
        raise SignatureError(f"signature {name!r} does not take serialized tf.Examples "
                             "(one DT_STRING input); this server feeds only such signatures")
    return signatures[name]
