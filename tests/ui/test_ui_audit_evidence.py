"""An audit bundle's evidence checked offline: an edited metric fails `ledger verify --bundle`
naming its section; edits made to look consistent still fail on what the pipeline signed."""
from __future__ import annotations

import copy
import json
import os
import subprocess
import urllib.request

import pytest

from pipeline.registry.trust import Trust
from pipeline.settings import resolve
from pipeline.signing.allowed_signers import AllowedSigners
from pipeline.ui.audit import verify_bundle
from pipeline.ui.evidence_binding import section_digests

from .conftest import LEDGER

pytestmark = pytest.mark.pipeline
METRIC = "sparse_categorical_accuracy"


@pytest.fixture(scope="module")
def bundle(ui) -> dict:
    return json.loads(urllib.request.urlopen(ui.url + "models/penguins/versions/1/audit.json",
                                             timeout=120).read())


@pytest.fixture(scope="module")
def trust(penguin_home) -> Trust:
    return Trust(AllowedSigners.load(resolve(home=penguin_home.home).allowed_signers_path))


def test_an_edited_metric_fails_verify_naming_its_section(bundle, penguin_home, tmp_path):
    edited = copy.deepcopy(bundle)
    edited["evidence"]["evaluation"]["metrics"][METRIC] -= 0.25
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(edited))
    env = {k: v for k, v in os.environ.items() if k != "LEDGER_SIGNING_KEY"}
    done = subprocess.run([LEDGER, "--home", penguin_home.home, "verify", "--bundle", str(path)],
                          text=True, capture_output=True, env=env, timeout=180)
    assert done.returncode == 2, done.stdout + done.stderr
    [problem] = done.stdout.strip().splitlines()[1:]
    assert problem.strip().startswith("evidence.evaluation: edited since export")


def test_edits_with_recomputed_digests_fail_on_what_the_pipeline_signed(bundle, trust):
    assert verify_bundle(bundle, trust)[0] == []
    for section, key, value in (("training", "hyperparameters", {"learning_rate": 0.5}),
                                ("data", "schema_digest", "0" * 64)):
        edited = copy.deepcopy(bundle)
        edited["evidence"][section][key] = value
        # Digests made to match: the export signature no longer does, and the signed run
        # manifest (training) or the dataset version's own digests (data) name the edit.
        edited["evidence_binding"]["statement"]["digests"] = section_digests(edited)
        problems = verify_bundle(edited, trust)[0]
        assert problems[0].startswith("evidence: the export signature by pipeline")
        assert problems[1:] == [
            "evidence.training.hyperparameters: differs from the signed run manifest"
            if section == "training" else
            "evidence.data.schema_digest: differs from its DatasetVersion's"], problems
