"""Alias resolution issues the same, small number of MLMD calls for 1 and for 500 versions."""

from __future__ import annotations

import json

import pytest

from pipeline.metadata import open_store
from pipeline.registry.reader import RegistryReader
from tests.support.counting import CountingStore

TARGETS = ("model-000@production", "model-000@latest-approved", "model-000@latest",
           "model-000@1")


@pytest.fixture(scope="module")
def stores(synthetic, tmp_path_factory) -> dict:
    """One model with 1 version and one with 500 (all deployed or rejected, like runs)."""
    found = {}
    for versions in (1, 500):
        path = str(tmp_path_factory.mktemp("alias-cost") / f"{versions}.sqlite")
        spec = json.dumps({"sqlite": path})
        synthetic.build(open_store(spec), versions, 1, 5, "/synthetic")
        found[versions] = spec
    return found


def _calls(spec: str, target: str) -> tuple[list[str], str]:
    store = CountingStore(open_store(spec, must_exist=True))
    reader = RegistryReader(store)
    info = reader.resolve(target)
    return store.calls, f"{info.identifier} {info.stage}"


@pytest.mark.parametrize("target", TARGETS)
def test_alias_resolution_cost_does_not_grow_with_versions(stores, target):
    small, resolved_small = _calls(stores[1], target)
    large, resolved_large = _calls(stores[500], target)
    assert resolved_small == "model-000@1 deployed"
    # Every tenth run is rejected: the 500th (@500) is, so @499 is the last one deployed.
    expected = {"model-000@1": "model-000@1 deployed", "model-000@latest": "model-000@500 rejected"}
    assert resolved_large == expected.get(target, "model-000@499 deployed")
    assert large == small, f"{target}: {len(small)} calls with 1 version, {len(large)} with 500"
    assert len(large) <= 5, large


@pytest.mark.parametrize("alias", ["production", "latest_approved"])
def test_retiring_the_alias_holder_reads_by_index_not_by_filter(stores, alias):
    """A rollback of @499 (or a deprecation) finds @498 in a few index lookups, not the filter
    query over every record of the model it used to be (~1 s at 100,000 runs)."""
    from pipeline.registry import fallback, heads, stages

    store = CountingStore(open_store(stores[500], must_exist=True))
    head = heads.read(store, "model-000")
    assert (head.production, head.latest_approved) == (499, 499)
    if alias == "production":
        found = fallback.production(store, "model-000", {499: stages.ROLLED_BACK}, [],
                                    head.records)
    else:
        found = fallback.latest_approved(store, "model-000", 499, {499: stages.DEPRECATED})
    assert found == 498
    assert not {"get_executions", "get_artifacts"} & set(store.calls), store.calls
    assert len(store.calls) <= 12, store.calls
