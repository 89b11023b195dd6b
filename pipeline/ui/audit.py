"""Audit bundle of one version: governance log, lineage and evidence in one JSON document that
`ledger verify --bundle` re-checks offline (each record's signature against the allowed
signers, the hash chain, the signed anchor, the version's digest, and the evidence against its
export signature, the model signature's run manifest and its dataset version id)."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timezone

from ml_metadata.proto import metadata_store_pb2 as pb

from pipeline.registry import Transition, chain, log, schema
from pipeline.registry.trust import Trust

from . import evidence_binding
from .evidence_binding import EvidenceCheck

FORMAT = "tfx-ledger-audit-bundle/1"


def _plain(value):
    return dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value


def export_bundle(store, page, signer=None) -> dict:
    """The bundle of a VersionPage: the whole log (a chain is only checkable whole), the
    anchor, the version, its lineage graph and the evidence the page shows, with each
    section's digest signed by `signer` (evidence_binding.export_signer; None: unsigned)."""
    executions = store.get_executions_by_type(schema.STAGE_TRANSITION)
    records = sorted(({"execution_name": e.name, **dataclasses.asdict(chain.from_execution(e))}
                      for e in executions), key=lambda r: (r["seq"], r["execution_id"]))
    anchor = log.read_anchor(store)
    trace = page.trace
    bundle = {
        "format": FORMAT,
        "exported_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "version": dataclasses.asdict(trace.version),
        "governance_log": {
            "records": records,
            "anchor": {name: schema.prop(anchor, name) for name in anchor.custom_properties}
            if anchor else None,
        },
        "lineage": dataclasses.asdict(trace.graph),
        "evidence": {
            "data": dataclasses.asdict(trace.data),
            "training": dataclasses.asdict(trace.training),
            "evaluation": dataclasses.asdict(trace.evaluation),
            "slices": [_plain(s) for s in page.slices],
            "thresholds": page.thresholds,
            "approval": _plain(trace.approval),
            "approval_rules": [_plain(r) for r in page.rules],
            "infra": _plain(trace.infra),
            "deployments": trace.deployments,
            "drift_reports": page.drift,
        },
    }
    bundle["evidence_binding"] = evidence_binding.bind(bundle, signer)
    return bundle


def _anchor_context(anchor: dict | None) -> pb.Context | None:
    if anchor is None:
        return None
    context = pb.Context()
    schema.set_props(context.custom_properties, anchor)
    return context


def verify_bundle(bundle: dict, trust: Trust) -> tuple[list[str], list[str], EvidenceCheck]:
    """(every problem found in `bundle`, each record's state, what of the evidence is proven);
    no problems means it checks out, and only records in state "verified" are proven by a
    signature, only evidence `attested_by` someone by the export signature."""
    if bundle.get("format") != FORMAT:
        return ([f"not an audit bundle: format is {bundle.get('format')!r}, expected {FORMAT}"],
                [], EvidenceCheck())
    raw = bundle["governance_log"]["records"]
    pairs = [(r["execution_name"], Transition(**{k: v for k, v in r.items()
                                                 if k != "execution_name"})) for r in raw]
    problems, statuses = chain.check_records(pairs, trust)
    problems += chain.check_anchor(_anchor_context(bundle["governance_log"]["anchor"]),
                                   pairs[-1][1] if pairs else None, trust)
    problems += _version_problems(bundle, [record for _, record in pairs])
    evidence = evidence_binding.check_evidence(bundle, trust)
    return problems + evidence.problems, [s.state for s in statuses], evidence


def _version_problems(bundle: dict, records: list[Transition]) -> list[str]:
    """The version's digest must be the one its chained records name, and its lineage's."""
    version = bundle["version"]
    label = f"{version['model_name']}@{version['version']}"
    mine = [r for r in records
            if (r.model_name, int(r.version)) == (version["model_name"], int(version["version"]))]
    problems = [] if mine else [f"the log holds no record of {label}"]
    logged = {r.model_digest for r in mine if r.model_digest}
    if logged and version["model_digest"] not in logged:
        problems.append(f"{label}: model_digest {version['model_digest']} is not the one its "
                        f"records name ({', '.join(sorted(logged))})")
    key = f"artifact:{version['artifact_id']}"
    node = next((n for n in bundle["lineage"]["nodes"] if n["key"] == key), None)
    if node is None:
        problems.append(f"{label}: its ModelVersion ({key}) is not in the bundle's lineage")
    elif node["facts"].get("model_digest") != version["model_digest"]:
        problems.append(f"{label}: the lineage's ModelVersion digest differs from the version's")
    return problems


def load_bundle(path: str) -> dict:
    """A bundle file as a dict; ValueError names the file when it is not one."""
    with open(path, encoding="utf-8") as handle:
        try:
            bundle = json.load(handle)
        except ValueError as exc:
            raise ValueError(f"{path} is not JSON: {exc}") from None
    if not isinstance(bundle, dict) or bundle.get("format") != FORMAT:
        raise ValueError(f"{path} is not an audit bundle (expected format {FORMAT})")
    return bundle


def dumps(bundle: dict) -> str:
    return json.dumps(bundle, indent=2, sort_keys=True, default=str)
