"""Kubeflow Pipelines compile entry point."""
