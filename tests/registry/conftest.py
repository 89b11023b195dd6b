"""Registry fixtures: a real SQLite MLMD store per test and fake model directories (small files)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import pytest
from ml_metadata.proto import metadata_store_pb2 as pb

from pipeline import digest
from pipeline.metadata import sqlite_spec
from pipeline.registry import Registry
from pipeline.signing.keys import SigningKey, ensure_key

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # signed_store, as reliability/

MODEL = "penguins"
KEY_ENV = "LEDGER_TEST_SIGNING_KEY"


@dataclass(frozen=True)
class FakeModel:
    """A Model artifact whose uri holds Format-Serving/ with a few small files."""

    artifact_id: int
    uri: str
    serving_dir: str
    digest: str


def model_type_id(store) -> int:
    # Same definition as TFX's standard Model type, so the store looks like a pipeline's.
    return store.put_artifact_type(pb.ArtifactType(name="Model", base_type=pb.ArtifactType.MODEL))


def write_model(root: str, tag: str) -> str:
    serving = os.path.join(root, "Format-Serving")
    os.makedirs(os.path.join(serving, "variables"), exist_ok=True)
    files = {
        "saved_model.pb": f"graph {tag}",
        "variables/variables.index": f"index {tag}",
        "variables/variables.data-00000-of-00001": f"weights {tag}" * 10,
    }
    for rel, text in files.items():
        with open(os.path.join(serving, rel), "w") as handle:
            handle.write(text)
    return serving


@pytest.fixture
def model_type(registry) -> int:
    return model_type_id(registry.store)


@pytest.fixture
def home(tmp_path):
    return str(tmp_path / "home")


@pytest.fixture
def spec(home):
    os.makedirs(home, exist_ok=True)
    return sqlite_spec(os.path.join(home, "metadata.sqlite"))


@pytest.fixture
def serving_root(home):
    return os.path.join(home, "serving")


PEOPLE = ("alice", "bob", "ops")


def write_key(path: str) -> SigningKey:
    """A new unencrypted OpenSSH Ed25519 key, as `ssh-keygen -t ed25519 -N ''` writes one."""
    return ensure_key(path)[0]


@pytest.fixture
def people(home, tmp_path) -> dict[str, SigningKey]:
    """Keys of alice, bob and ops (outside the home), listed in the home's allowed signers."""
    os.makedirs(home, exist_ok=True)
    keys = {name: write_key(str(tmp_path / "keys" / name)) for name in PEOPLE}
    with open(os.path.join(home, "allowed_signers"), "w") as handle:
        for name, key in keys.items():
            handle.write(f"{name} {key.public_line}\n")
    return keys


@pytest.fixture
def registry(spec, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "test-key")
    return Registry.open(spec, must_exist=False, signing_key_env=KEY_ENV)


@pytest.fixture
def make_model(registry, tmp_path):
    """Create a fake model directory plus its Model artifact; returns a FakeModel."""
    counter = iter(range(1, 1000))

    def make(tag: str | None = None) -> FakeModel:
        tag = tag or f"m{next(counter)}"
        uri = str(tmp_path / "models" / tag)
        serving = write_model(uri, tag)
        [artifact_id] = registry.store.put_artifacts(
            [pb.Artifact(type_id=model_type_id(registry.store), uri=uri)]
        )
        return FakeModel(artifact_id, uri, serving, digest.model_digest(serving))

    return make


@pytest.fixture
def add_version(registry, make_model, serving_root):
    """Register a new version and move it to `stage` (candidate .. deployed) the legal way."""

    def add(stage: str = "validated", name: str = MODEL, **kwargs):
        model = make_model()
        info = registry.register_version(name, model.artifact_id, model.uri, model.digest, **kwargs)
        if stage in ("validated", "approved", "deployed"):
            registry.transition(
                name, info.version, "validated", actor="evaluator", reason="blessed"
            )
        if stage in ("approved", "deployed"):
            registry.approve(
                name, info.version, by="alice", reason="metrics ok", current_digest=model.digest
            )
        if stage == "deployed":
            registry.push(name, info.version, serving_root, actor="alice")
        return registry.version(name, info.version), model

    return add


@pytest.fixture(scope="session")
def synthetic():
    """benchmarks/make_synthetic_store.py: build(store, runs, models, runs_per_dataset, root)."""
    from benchmarks import make_synthetic_store

    return make_synthetic_store
