"""An audit bundle's evidence made checkable offline: every section's digest signed at export by
the home's service key, the training facts bound to the run manifest inside the model signature,
and the data facts bound to their dataset version id, which that run manifest names."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone

from components.data_lineage.lineage import dataset_version_id
from pipeline import digest
from pipeline.signing import records as signed
from pipeline.signing.allowed_signers import NAMESPACE
from pipeline.signing.keys import KeyFileError, load_signing_key

DOMAIN = "tfx-ledger/audit-evidence/v1"
MANIFEST, SIGNATURE = "manifest.json", "model.sig"
# How each section is proven, beyond the export signature over all of them (said in the bundle).
BOUND = {
    "evidence.training": "run manifest in the model signature made at push",
    "evidence.data": "dataset version id recomputed from the lineage's digests, named by the "
                     "signed run manifest",
}
EXPORT_ONLY = ("signed at export only: the store holds no signature over it, so this proves "
               "the bundle is unchanged since export, not what the pipeline measured")


def canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str).encode("utf-8")


def section_digests(bundle: dict) -> dict:
    """sha256 of each attested section: the version, the lineage and every evidence section."""
    sections = {"version": bundle["version"], "lineage": bundle["lineage"]}
    sections.update({f"evidence.{k}": v for k, v in bundle["evidence"].items()})
    return {name: hashlib.sha256(canonical(v)).hexdigest() for name, v in sections.items()}


def export_signer(settings):
    """The service signer when its key exists; the UI never creates one (it writes nothing)."""
    from pipeline.signing.identity import Signer

    if settings is None or not os.path.exists(settings.service_key_path):
        return None
    try:
        return Signer(settings.service_identity, load_signing_key(settings.service_key_path))
    except KeyFileError:
        return None


def _model_files(pushed_destination: str) -> dict | None:
    """manifest.json and model.sig of the pushed version as text, when it was signed."""
    paths = [os.path.join(pushed_destination or "", n) for n in (MANIFEST, SIGNATURE)]
    if not pushed_destination or not all(os.path.isfile(p) for p in paths):
        return None
    texts = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            texts.append(handle.read())
    return {"manifest_json": texts[0], "model_sig": texts[1]}


def bind(bundle: dict, signer=None) -> dict:
    """The bundle's `evidence_binding`: section digests, signed by `signer` (export_signer)."""
    plain = json.loads(json.dumps(bundle, default=str))  # digests of what the file will hold
    statement = {"version": "{model_name}@{version}".format(**plain["version"]),
                 "model_digest": plain["version"]["model_digest"],
                 "exported_at": plain["exported_at"], "digests": section_digests(plain)}
    binding = {"statement": statement,
               "how": {name: BOUND.get(name, EXPORT_ONLY) for name in statement["digests"]},
               "model_signature": _model_files(plain["version"].get("pushed_destination"))}
    if signer is not None:
        message = f"{DOMAIN}\n".encode() + canonical(statement)
        binding.update(signer=signer.identity, key_fingerprint=signer.key.fingerprint,
                       signature=signed.sign(signer, message))
    return binding


def _attestation_problems(binding: dict, trust) -> list[str]:
    who, fingerprint = binding.get("signer", ""), binding.get("key_fingerprint", "")
    entries = trust.allowed.listing(who, fingerprint) if trust.allowed else []
    message = f"{DOMAIN}\n".encode() + canonical(binding["statement"])
    if not any(signed.signature_matches(e.public_key, binding.get("signature", ""), message)
               for e in entries):
        return [f"evidence: the export signature by {who} ({fingerprint}) does not verify "
                "against the allowed signers (digests altered or unknown signer)"]
    exported = datetime.fromisoformat(binding["statement"]["exported_at"].rstrip("Z"))
    if not any(e.valid_at(exported.replace(tzinfo=timezone.utc)) and e.signs_in(NAMESPACE)
               for e in entries):
        return [f"evidence: {who}'s key was not valid at {binding['statement']['exported_at']}"]
    return []


def _edited_sections(bundle: dict, signed_digests: dict) -> list[str]:
    found = section_digests(bundle)
    return [f"{name}: edited since export (digest {found.get(name, 'absent')[:16]}, signed "
            f"{signed_digests.get(name, 'absent')[:16]})"
            for name in sorted(set(found) | set(signed_digests))
            if found.get(name) != signed_digests.get(name)]


def _signed_run_manifest(bundle: dict, trust) -> tuple[dict | None, list[str]]:
    """The run manifest the model signature covers, checked against the signed model digest."""
    from pipeline.signing.models import ModelSignatureError, signed_files

    files = bundle["evidence_binding"].get("model_signature")
    version = bundle["version"]
    if not files or trust.allowed is None:
        return None, []
    with tempfile.TemporaryDirectory() as directory:
        with open(os.path.join(directory, SIGNATURE), "w", encoding="utf-8") as handle:
            handle.write(files["model_sig"])
        try:
            digests = signed_files(directory, trust.allowed)
        except ModelSignatureError as exc:
            return None, [f"evidence.training: model signature: {exc}".replace(directory, "")]
    manifest_sha = hashlib.sha256(files["manifest_json"].encode("utf-8")).hexdigest()
    if digests.get(MANIFEST) != manifest_sha:
        return None, ["evidence.training: the bundle's manifest.json is not the signed one"]
    model_files = {k: v for k, v in digests.items() if k not in digest.MODEL_DIGEST_EXCLUDES}
    if digest.root_digest(model_files) != version["model_digest"]:
        return None, ["evidence.training: the model signature covers another model than "
                      f"{version['model_digest'][:16]}"]
    return json.loads(files["manifest_json"]).get("run_manifest") or {}, []


def _training_problems(training: dict, run_manifest: dict) -> list[str]:
    expected = {"hyperparameters": run_manifest.get("hyperparameters"),
                "code_revision": (run_manifest.get("code_revision") or {}).get("commit"),
                "run_manifest": run_manifest}
    return [f"evidence.training.{k}: differs from the signed run manifest"
            for k, v in expected.items() if training.get(k) != v]


def _data_problems(bundle: dict, run_manifest: dict | None) -> tuple[list[str], bool]:
    """(problems, whether the id was recomputed from the digests it is made of)."""
    data = bundle["evidence"]["data"]
    claimed = data.get("dataset_version_id", "")
    nodes = [n["facts"] for n in bundle["lineage"]["nodes"]
             if n["type"] == "DatasetVersion" and n["facts"].get("dataset_version_id") == claimed]
    if not nodes:
        return [f"evidence.data: no DatasetVersion {claimed} in the bundle's lineage"], False
    facts = nodes[0]
    problems = [f"evidence.data.{k}: differs from its DatasetVersion's"
                for k in ("source_sha256", "examples_root_digest", "schema_digest")
                if data.get(k) != facts.get(k)]
    if not all(facts.get(k) for k in ("source_files", "split_record_digests")):
        return problems, False  # recorded before its split digests: not bound
    recomputed = dataset_version_id(facts["source_files"], facts["split_record_digests"],
                                    facts.get("schema_digest", ""))
    if recomputed != claimed:
        problems.append(f"evidence.data: {claimed} is not the id of its source, split and "
                        f"schema digests ({recomputed})")
    if run_manifest is not None and run_manifest.get("dataset_version_id") != claimed:
        problems.append(f"evidence.data: {claimed} is not the dataset version the signed run "
                        f"manifest names ({run_manifest.get('dataset_version_id')})")
    return problems, True


@dataclass(frozen=True)
class EvidenceCheck:
    """What `ledger verify --bundle` found of the evidence: problems (each naming its section),
    who signed the section digests at export ("" when nobody), what is bound beyond that."""

    problems: list = field(default_factory=list)
    attested_by: str = ""
    bound: tuple = ()
    sections: int = 0

    def summary(self) -> str:
        if not self.sections:
            return "evidence: not bound (exported before evidence was signed), unchecked"
        signed_by = f"signed at export by {self.attested_by}" if self.attested_by else \
            "NOT signed (no service key where it was exported)"
        bound = f"; bound to signed content: {', '.join(self.bound)}" if self.bound else ""
        return f"evidence: {self.sections} sections {signed_by}{bound}"


def check_evidence(bundle: dict, trust) -> EvidenceCheck:
    """Every section against the signed digests, the signature itself, the training facts
    against the signed run manifest and the data facts against their dataset version id."""
    binding = bundle.get("evidence_binding")
    if not binding:
        return EvidenceCheck()  # exported before evidence was bound: nothing to check
    digests = binding["statement"]["digests"]
    problems = _edited_sections(bundle, digests)
    unattested = _attestation_problems(binding, trust) if binding.get("signature") else []
    problems += unattested
    attested = bool(binding.get("signature")) and not unattested
    run_manifest, found = _signed_run_manifest(bundle, trust)
    problems += found
    bound = []
    if run_manifest is not None:
        problems += _training_problems(bundle["evidence"]["training"], run_manifest)
        bound.append("training (model signature)")
    data, recomputed = _data_problems(bundle, run_manifest)
    problems += data
    if run_manifest is not None and recomputed and not data:
        bound.append(f"data ({bundle['evidence']['data'].get('dataset_version_id')})")
    return EvidenceCheck(problems, binding.get("signer", "") if attested else "", tuple(bound),
                         len(digests))
