"""impact() on the shared store: the two penguin models on the same data, never `loans`."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.pipeline


def _model_id(mlmd, identifier: str) -> int:
    return mlmd.artifact("ModelVersion", identifier).properties["model_artifact_id"].int_value


def _dataset_version_id(mlmd, identifier: str) -> str:
    return mlmd.artifact("ModelVersion", identifier).properties["dataset_version_id"].string_value


def test_impact_of_the_dataset_version_finds_both_penguin_models_and_not_loans(lineage, mlmd):
    impact = lineage.impact(_dataset_version_id(mlmd, "penguins@1"))
    assert [v.identifier for v in impact.versions] == ["penguins@1", "penguins@2"]
    assert sorted(impact.model_artifact_ids) == sorted(
        [_model_id(mlmd, "penguins@1"), _model_id(mlmd, "penguins@2")])
    assert _model_id(mlmd, "loans@1") not in impact.model_artifact_ids
    assert not [n for n in impact.graph.nodes if n.facts.get("model_name") == "loans"]


def test_impact_of_the_raw_file_digest_matches_the_raw_data_and_finds_both(
        lineage, mlmd, penguins_csv_sha256):
    impact = lineage.impact(penguins_csv_sha256)
    raw_ids = {a.id for a in mlmd.store.get_artifacts_by_type("RawData")
               if penguins_csv_sha256 in a.properties["files"].string_value}
    assert raw_ids and raw_ids <= {n.id for n in impact.matched if n.type == "RawData"}
    assert [v.identifier for v in impact.versions] == ["penguins@1", "penguins@2"]
    assert impact.dataset_version_ids == [_dataset_version_id(mlmd, "penguins@1")]


def test_impact_lists_deployments_and_deploy_records(lineage, mlmd):
    impact = lineage.impact(_dataset_version_id(mlmd, "penguins@1"))
    deployed = {x.properties["version"].int_value: x.properties["seq"].int_value
                for x in mlmd.transitions("penguins")
                if x.properties["to_stage"].string_value == "deployed"}
    for version in impact.versions:
        number = int(version.identifier.split("@")[1])
        assert [t.seq for t in version.deployed] == [deployed[number]]
        assert [p.rsplit("/", 2)[-2:] for p in version.pushed_to] == [["penguins", str(number)]]
    assert impact.captures_recorded is False


def test_impact_of_the_loans_data_finds_only_loans(lineage, mlmd):
    impact = lineage.impact(_dataset_version_id(mlmd, "loans@1"))
    assert [v.identifier for v in impact.versions] == ["loans@1"]
