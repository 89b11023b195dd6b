"""Approval policy and its evaluation: plain data in, a decision with every failed rule out."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

MODES = ("auto", "manual")


class PolicyError(ValueError):
    """An approval policy that cannot be applied as written."""


@dataclass(frozen=True)
class ApprovalPolicy:
    """What a model must show to be approved, and who may approve it by hand."""

    name: str = "default"
    metric_floors: dict = field(default_factory=dict)  # metric -> minimum value
    min_improvement: dict = field(default_factory=dict)  # metric -> margin over deployed model
    require_evaluator_blessing: bool = True
    require_infra_blessing: bool = True
    refuse_anomalous_data: bool = True
    allowed_approvers: list = field(default_factory=list)  # empty: anyone may approve
    allow_self_approval: bool = False
    # The allowed-signers file people's decisions are checked against ("": the settings').
    allowed_signers: str = ""

    @classmethod
    def from_dict(cls, raw: dict) -> "ApprovalPolicy":
        unknown = set(raw) - set(cls.__dataclass_fields__)
        if unknown:
            raise PolicyError(f"unknown approval policy key(s): {', '.join(sorted(unknown))}")
        return cls(**raw)

    def to_dict(self) -> dict:
        values = asdict(self)
        if not values["allowed_signers"]:  # policies written before it keep their digest
            del values["allowed_signers"]
        return values

    def decider_rules(self) -> dict:
        """What the registry keeps on a version to check the people deciding on it."""
        rules = {"allowed_approvers": list(self.allowed_approvers),
                 "allow_self_approval": self.allow_self_approval}
        if self.allowed_signers:
            rules["allowed_signers"] = self.allowed_signers
        return rules

    def canonical_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()

    @property
    def approver_id(self) -> str:
        """How an automatic decision names its approver: the policy and the hash of its text."""
        return f"policy:{self.name}@sha256:{self.digest[:16]}"


@dataclass(frozen=True)
class Evidence:
    """The measured facts a decision is taken on."""

    evaluator_blessed: bool
    metrics: dict  # metric -> candidate value
    baseline_diffs: dict  # metric -> candidate minus deployed model (empty: no deployed model)
    infra_blessed: bool | None = None  # None: no infra validation ran
    infra_reason: str = ""
    anomaly_count: int | None = None  # None: no DatasetVersion given
    anomaly_names: list = field(default_factory=list)


@dataclass(frozen=True)
class RuleFailure:
    rule: str
    measured: object
    required: object

    def __str__(self) -> str:
        return f"{self.rule}: measured {self.measured}, required {self.required}"


def evaluate(policy: ApprovalPolicy, evidence: Evidence) -> list[RuleFailure]:
    """Every rule of `policy` that `evidence` fails; an empty list means approve."""
    failures = []
    if policy.require_evaluator_blessing and not evidence.evaluator_blessed:
        failures.append(RuleFailure("evaluator_blessing", "not blessed", "blessed"))
    for metric, floor in sorted(policy.metric_floors.items()):
        value = evidence.metrics.get(metric)
        if value is None or value < floor:
            failures.append(RuleFailure(f"metric_floor[{metric}]", value, f">= {floor}"))
    for metric, margin in sorted(policy.min_improvement.items()):
        if metric not in evidence.baseline_diffs:
            continue  # nothing deployed yet: there is nothing to beat
        diff = evidence.baseline_diffs[metric]
        if diff < margin:
            failures.append(RuleFailure(f"beats_deployed[{metric}]", round(diff, 6),
                                        f">= {margin}"))
    if policy.require_infra_blessing and not evidence.infra_blessed:
        measured = "not run" if evidence.infra_blessed is None else (
            f"not blessed ({evidence.infra_reason})" if evidence.infra_reason else "not blessed")
        failures.append(RuleFailure("infra_blessing", measured, "blessed"))
    if policy.refuse_anomalous_data and evidence.anomaly_count:
        failures.append(RuleFailure(
            "data_anomalies", f"{evidence.anomaly_count} ({', '.join(evidence.anomaly_names)})", 0))
    return failures

