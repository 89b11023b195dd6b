"""Push (atomic, digest-checked, resumable), verified loading, rollback, TF Serving config."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import time

import pytest

from pipeline.registry import (
    DigestMismatchError,
    IllegalTransitionError,
    Registry,
    RegistryError,
    serving,
)

MODEL = "penguins"
KEY_ENV = "LEDGER_TEST_SIGNING_KEY"


def _deployed_records(registry, version: int) -> list:
    return [t for t in registry.history(MODEL, version) if t.to_stage == "deployed"]


def test_push_installs_files_manifest_pushed_model_and_config(registry, add_version, serving_root):
    add_version("approved")
    result = registry.push(MODEL, 1, serving_root, actor="alice")
    assert result.destination == os.path.join(serving_root, MODEL, "1")
    manifest = json.load(open(os.path.join(result.destination, "manifest.json")))
    assert sorted(manifest["files"]) == [
        "saved_model.pb",
        "variables/variables.data-00000-of-00001",
        "variables/variables.index",
    ]
    assert manifest["model_digest"] == registry.version(MODEL, 1).model_digest
    [pushed] = registry.store.get_artifacts_by_id([result.pushed_model_id])
    assert pushed.custom_properties["pushed_destination"].string_value == result.destination
    assert (
        pushed.custom_properties["approval_record_hash"].string_value
        == registry.history(MODEL, 1)[2].record_hash
    )
    assert "versions: 1" in open(os.path.join(serving_root, "models.config")).read()
    assert registry.resolve(f"{MODEL}@production").version == 1


def test_push_without_registry_artifact_still_loads_and_rolls_back(
    registry, add_version, serving_root
):
    """The pipeline's pusher publishes its own PushedModel and asks the registry for none."""
    for _ in range(2):
        info, _ = add_version("approved")
        result = registry.push(MODEL, info.version, serving_root, actor="p", record_artifact=False)
        assert result.pushed_model_id == 0
    assert registry.store.get_artifacts_by_type("PushedModel") == []
    assert registry.load_path(f"{MODEL}@production").path == result.destination
    assert registry.rollback(MODEL, actor="bob").to_version == 1


def test_push_refuses_a_source_that_changed_since_registration(registry, add_version, serving_root):
    _, model = add_version("approved")
    with open(os.path.join(model.serving_dir, "saved_model.pb"), "a") as handle:
        handle.write("!")
    with pytest.raises(DigestMismatchError, match="cannot push penguins@1"):
        registry.push(MODEL, 1, serving_root, actor="alice")
    assert not os.path.exists(os.path.join(serving_root, MODEL, "1"))
    assert registry.version(MODEL, 1).stage == "approved"


def _push_worker(spec, serving_root):
    os.environ[serving.PAUSE_ENV] = "60"
    Registry.open(spec, signing_key_env=KEY_ENV).push(MODEL, 1, serving_root, actor="alice")


def test_push_killed_before_rename_leaves_no_version_and_the_rerun_completes(
    registry, add_version, serving_root, spec
):
    add_version("approved")
    child = multiprocessing.get_context("fork").Process(
        target=_push_worker, args=(spec, serving_root)
    )
    child.start()
    model_dir = os.path.join(serving_root, MODEL)
    deadline = time.time() + 60
    while time.time() < deadline and not any(
        os.path.exists(os.path.join(model_dir, d, "manifest.json"))
        for d in (os.listdir(model_dir) if os.path.isdir(model_dir) else [])
    ):
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.join()
    assert [d for d in os.listdir(model_dir) if d.startswith(".tmp-")], "the kill came too late"
    assert not os.path.exists(os.path.join(model_dir, "1"))
    assert _deployed_records(registry, 1) == []
    result = registry.push(MODEL, 1, serving_root, actor="alice")
    assert os.listdir(model_dir) == ["1"]
    assert not result.adopted and len(_deployed_records(registry, 1)) == 1
    assert registry.load_path(f"{MODEL}@production").files_checked == 3


def test_push_adopts_a_directory_renamed_before_a_crash(registry, add_version, serving_root):
    info, model = add_version("approved")
    serving.install(model.serving_dir, serving_root, MODEL, 1, info.model_digest)  # then "crash"
    result = registry.push(MODEL, 1, serving_root, actor="alice")
    assert result.adopted and registry.version(MODEL, 1).stage == "deployed"


def test_push_refuses_an_existing_directory_with_other_content(registry, add_version, serving_root):
    add_version("approved")
    os.makedirs(os.path.join(serving_root, MODEL, "1"))
    open(os.path.join(serving_root, MODEL, "1", "saved_model.pb"), "w").write("someone else")
    with pytest.raises(RegistryError, match="already exists with other content"):
        registry.push(MODEL, 1, serving_root, actor="alice")
    assert registry.version(MODEL, 1).stage == "approved"


@pytest.mark.parametrize(
    "change, message",
    [
        ("edit", "saved_model.pb changed"),
        ("remove", "variables.index is missing"),
        ("extra", "notes.txt is not listed"),
    ],
)
def test_load_path_refuses_changed_missing_or_extra_files(registry, add_version, change, message):
    add_version("deployed")
    path = registry.load_path(f"{MODEL}@1").path
    if change == "edit":
        with open(os.path.join(path, "saved_model.pb"), "r+b") as handle:
            first = handle.read(1)
            handle.seek(0)
            handle.write(bytes([first[0] ^ 1]))
    elif change == "remove":
        os.remove(os.path.join(path, "variables", "variables.index"))
    else:
        open(os.path.join(path, "notes.txt"), "w").write("hi")
    with pytest.raises(DigestMismatchError, match=message):
        registry.load_path(f"{MODEL}@production")


def test_rollback_redeploys_the_previous_version(registry, add_version, serving_root):
    add_version("deployed")
    add_version("deployed")
    result = registry.rollback(MODEL, actor="bob", reason="latency regression")
    assert (result.from_version, result.to_version) == (2, 1)
    assert registry.resolve(f"{MODEL}@production").version == 1
    last_two = registry.history(MODEL)[-2:]
    assert [(t.version, t.from_stage, t.to_stage) for t in last_two] == [
        (2, "deployed", "rolled_back"),
        (1, "deployed", "deployed"),
    ]
    assert all(
        "rollback of penguins@2 to penguins@1: latency regression" == t.reason for t in last_two
    )
    assert "versions: 1 }" in open(os.path.join(serving_root, "models.config")).read()
    assert registry.verify().ok


def test_rollback_skips_an_earlier_version_whose_files_changed(registry, add_version):
    for _ in range(3):
        add_version("deployed")
    os.remove(os.path.join(registry.load_path(f"{MODEL}@2").path, "saved_model.pb"))
    assert registry.rollback(MODEL, actor="bob").to_version == 1


def test_rollback_with_nothing_earlier_fails_clearly(registry, add_version):
    add_version("deployed")
    before = registry.history(MODEL)
    with pytest.raises(RegistryError, match="nothing to roll back to: no version earlier than "
                                            "penguins@1 was deployed"):
        registry.rollback(MODEL, actor="bob")
    assert registry.history(MODEL) == before


def test_rollback_to_a_never_deployed_version_is_refused(registry, add_version):
    add_version("approved")
    add_version("deployed")
    with pytest.raises(IllegalTransitionError, match="penguins@1 is approved"):
        registry.rollback(MODEL, to_version=1, actor="bob")
