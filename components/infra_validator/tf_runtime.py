"""TensorFlow's runtime for the model server, without building the public `tf` namespace."""
from __future__ import annotations

import importlib.util
import sys
import types
from dataclasses import dataclass
from typing import Callable

LEAN, FULL = "lean", "full"
MODES = (LEAN, FULL)
_lean = None  # once the bare package is in place, every later call must get this runtime


@dataclass(frozen=True)
class Runtime:
    """The few TensorFlow calls a server needs, from whichever import mode provided them."""

    mode: str
    load: Callable
    make_tensor_proto: Callable
    make_ndarray: Callable
    constant: Callable
    op_error: type


def import_runtime(mode: str = LEAN) -> Runtime:
    """TensorFlow for loading SavedModels and calling their signatures.

    `import tensorflow` spends most of its time building the public API (tf.*, tf.compat,
    the Keras and estimator loaders); a server needs only `tensorflow.python`: the C++
    runtime with every registered kernel, saved_model.load and tensor conversion. LEAN
    registers a bare package object as `tensorflow`, so those submodules import without
    tensorflow/__init__.py. Only for a process of its own (the model server): a later
    `import tensorflow` in the same process would get the bare package. FULL, or a process
    that already imported tensorflow, uses the ordinary import.
    """
    global _lean
    if mode not in MODES:
        raise ValueError(f"unknown TensorFlow import mode {mode!r}; expected one of {MODES}")
    if _lean is not None:
        return _lean
    if mode == FULL or "tensorflow" in sys.modules:
        import tensorflow as tf

        return Runtime(FULL, tf.saved_model.load, tf.make_tensor_proto, tf.make_ndarray,
                       tf.constant, tf.errors.OpError)
    spec = importlib.util.find_spec("tensorflow")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("tensorflow is not installed")
    package = types.ModuleType("tensorflow")
    package.__spec__, package.__file__ = spec, spec.origin
    package.__path__ = list(spec.submodule_search_locations)
    sys.modules["tensorflow"] = package
    # tensorflow/__init__.py normally switches TF2 behaviour (eager) on; signatures need it.
    from tensorflow.python.compat import v2_compat
    from tensorflow.python.framework import constant_op, errors, tensor_util
    from tensorflow.python.saved_model import load

    v2_compat.enable_v2_behavior()
    _lean = Runtime(LEAN, load.load, tensor_util.make_tensor_proto, tensor_util.MakeNdarray,
                    constant_op.constant, errors.OpError)
    return _lean
