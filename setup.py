"""Packaging of tfx-ledger: the pipeline, its custom components, model code and the `ledger` CLI."""
from setuptools import find_packages, setup

setup(
    name="tfx-ledger",
    version="0.1.0",
    description="A TFX pipeline and MLMD model registry that records every artifact and decision.",
    python_requires=">=3.9,<3.11",
    packages=find_packages(include=["pipeline*", "components*", "models*", "kubeflow*"]),
    py_modules=["ledger_types"],
    package_data={
        "": ["*.json", "*.yaml"],
        # The web app's templates and its vendored, pre-built JavaScript with their licenses.
        "pipeline.ui": ["templates/*.html", "static/*.css", "static/*.js", "static/vendor/*/*"],
    },
    entry_points={"console_scripts": ["ledger=pipeline.cli:main"]},
)
