"""as_of() and history() on the shared store, at moments taken from the governance log."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

pytestmark = pytest.mark.pipeline


def _deploy_times(mlmd) -> dict[int, datetime]:
    return {
        x.properties["version"].int_value: datetime.fromisoformat(
            x.properties["decided_at"].string_value.replace("Z", "+00:00"))
        for x in mlmd.transitions("penguins")
        if x.properties["to_stage"].string_value == "deployed"
    }


def test_before_the_first_deployment_nothing_was_deployed(lineage, mlmd, ledger, shared_runs):
    before = _deploy_times(mlmd)[1] - timedelta(microseconds=1)
    assert lineage.as_of("penguins", before).deployed is False
    result = ledger("--home", shared_runs.home, "as-of", "penguins", before.isoformat())
    assert result.returncode == 0, result.stderr
    assert "nothing deployed" in result.stdout


def test_between_two_deployments_the_first_was_in_production(lineage, mlmd):
    times = _deploy_times(mlmd)
    between = times[1] + (times[2] - times[1]) / 2
    approved = [x for x in mlmd.transitions("penguins")
                if x.properties["version"].int_value == 1
                and x.properties["to_stage"].string_value == "approved"]
    result = lineage.as_of("penguins", between.isoformat())
    assert result.version.identifier == "penguins@1"
    assert result.version.approved_by == approved[-1].properties["actor"].string_value
    assert result.version.dataset_version_id.startswith("dsv-")
    assert lineage.as_of("penguins", times[1]).version.version == 1  # at the very moment


def test_after_the_second_deployment_it_is_the_second(lineage, mlmd):
    after = _deploy_times(mlmd)[2] + timedelta(seconds=1)
    assert lineage.as_of("penguins", after).version.identifier == "penguins@2"


def test_history_is_the_registrys(lineage):
    assert lineage.history("penguins") == lineage.registry.history("penguins")
    assert [t.to_stage for t in lineage.history("penguins", 2)][-1] == "deployed"
