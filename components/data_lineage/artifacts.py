"""MLMD artifact types `RawData` and `DatasetVersion`, as named in docs/ARCHITECTURE.md.

Two dialects, chosen once per process by $LEDGER_ARTIFACT_DIALECT:
- "mlmd" (default, local runs): type names `RawData` / `DatasetVersion` with typed properties.
- "kfp" (`ledger compile` and the Kubeflow image): TFX 1.16's Kubeflow v2 compiler only accepts
  custom types named by their import path (`ledger_types.RawData`) and without typed
  properties, so the same facts are stored as custom properties. Read them with `fact()`.
"""
import os

from tfx.types.artifact import Artifact, Property, PropertyType

from pipeline import properties

DIALECT = os.environ.get("LEDGER_ARTIFACT_DIALECT", "mlmd")
if DIALECT not in ("mlmd", "kfp"):
    raise ValueError(f"LEDGER_ARTIFACT_DIALECT must be 'mlmd' or 'kfp', not {DIALECT!r}")
_KFP = DIALECT == "kfp"
_PREFIX = "ledger_types." if _KFP else ""

# JSON-valued properties are STRING (JSON text), not MLMD STRUCT: the registry and lineage
# libraries read them without tfx, and Kubeflow's artifact schemas handle plain strings.
_STRING = Property(type=PropertyType.STRING)
_INT = Property(type=PropertyType.INT)


class RawData(Artifact):
    """A raw dataset directory (ExampleGen's input_base) with the digests recorded at run start."""

    TYPE_NAME = _PREFIX + "RawData"
    PROPERTIES = {} if _KFP else {
        "sha256": _STRING,  # pipeline.digest root digest over the files
        "files": _STRING,  # JSON list of {"name", "size", "sha256"}
    }


class DatasetVersion(Artifact):
    """One immutable, content-addressed dataset version and how it was produced."""

    TYPE_NAME = _PREFIX + "DatasetVersion"
    PROPERTIES = {} if _KFP else {
        "dataset_version_id": _STRING,
        "source_files": _STRING,
        "source_sha256": _STRING,
        "examples_uri": _STRING,
        "split_counts": _STRING,
        "split_digests": _STRING,
        "split_record_digests": _STRING,
        "examples_root_digest": _STRING,
        "schema_digest": _STRING,
        "missing_counts": _STRING,
        "anomaly_count": _INT,
        "anomaly_names": _STRING,
        "processing_steps": _STRING,
        "code_revision": _STRING,
        "code_dirty": _INT,
        "library_versions": _STRING,
        "span": _INT,
    }


def fact(artifact: Artifact, name: str, default=None):
    """A recorded fact of a TFX artifact: typed property, else custom (pipeline/properties)."""
    return properties.read(artifact.mlmd_artifact, name, default)
