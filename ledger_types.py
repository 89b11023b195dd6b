"""Import path of the custom artifact types on Kubeflow, where a type's name is its class path."""
from components.data_lineage.artifacts import DatasetVersion, RawData

__all__ = ["DatasetVersion", "RawData"]
