"""C2PA Content Credentials: read and validate a file's manifest store with c2pa-python.

C2PA (Coalition for Content Provenance and Authenticity, specification 2.x) binds signed
claims to a file: who made it (the signer's certificate), with what tool (claim generator),
what was done (``c2pa.actions``, with an IPTC digital source type such as
``trainedAlgorithmicMedia`` for AI output) and a hash of the bytes. The reference SDK
(c2pa-rs, through its Python binding) checks the signature, the certificate and the hashes:

- ``Valid``: signature and hashes check out, signer not on a trust list we hold;
- ``Trusted``: valid and the signer chains to a trusted root (no trust list is configured
  here, so this state is not reached without one);
- ``Invalid``: something failed, e.g. the pixels changed after signing
  (``assertion.dataHash.mismatch``) or the manifest was altered (``claimSignature.mismatch``).

A valid manifest proves what its signer claims, not that the claim is true; a missing one
proves nothing (most software strips it). Without c2pa-python (e.g. a Lambda without the
C2PA layer) the manifest's presence is still reported, marked as not validated.
"""

from __future__ import annotations

import io
import json
from typing import Any

MAX_ACTIONS = 20
#: IPTC digital source types that mean "made (or changed) by a generative model"; the older
#: ``algorithmicMedia`` (made by a formula, no training data) and ``compositeSynthetic`` (a
#: composite, AI or not) do not.
AI_SOURCE_TYPES = ("trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia")


def find_manifest(data: bytes) -> bool:
    """A JUMBF box labelled c2pa somewhere in the file (cheap presence test)."""
    head = data[:8_000_000]
    return b"jumb" in head and b"c2pa" in head


def read(data: bytes, mime: str) -> dict[str, Any]:
    """The active manifest's facts and validation; ``{"present": False}`` when there is none."""
    if not find_manifest(data):
        return {"present": False}
    try:
        import c2pa
    except ImportError:
        return {"present": True, "validated": False, "reason": "c2pa-python is not installed here"}
    try:
        with c2pa.Reader(mime, io.BytesIO(data)) as reader:
            store = json.loads(reader.json())
    except Exception as exc:  # a manifest the SDK cannot parse is itself evidence
        return {"present": True, "validated": True, "state": "Invalid", "errors": [str(exc)[:300]]}
    return {"present": True, "validated": True, **summarise(store)}


def summarise(store: dict[str, Any]) -> dict[str, Any]:
    """What a person needs from a manifest store: state, failures, signer, tool, actions."""
    active = store.get("manifests", {}).get(store.get("active_manifest", ""), {})
    signature = active.get("signature_info") or {}
    results = (store.get("validation_results") or {}).get("activeManifest") or {}
    failures: dict[str, str] = {}
    for f in [*results.get("failure", []), *store.get("validation_status", [])]:
        failures.setdefault(str(f.get("code")), str(f.get("explanation", "")))
    actions, source_types, agents, ai_agents = [], [], [], []
    for assertion in active.get("assertions", []):
        if str(assertion.get("label", "")).startswith("c2pa.actions"):
            for action in (assertion.get("data") or {}).get("actions", [])[:MAX_ACTIONS]:
                actions.append(action.get("action"))
                source_type = _source_type(action)
                agent = _software_agent(action)
                if source_type:
                    source_types.append(source_type)
                if agent and agent not in agents:
                    agents.append(agent)
                if agent and source_type in AI_SOURCE_TYPES and agent not in ai_agents:
                    ai_agents.append(agent)
    generators = [g.get("name") for g in active.get("claim_generator_info", []) if isinstance(g, dict)]
    return {
        "state": store.get("validation_state") or ("Invalid" if failures else "Valid"),
        "failures": [{"code": c, "explanation": e} for c, e in list(failures.items())[:20]],
        "signer": signature.get("common_name") or signature.get("issuer"),
        "issuer": signature.get("issuer"),
        "signed_at": signature.get("time"),
        "claim_generator": ", ".join(g for g in generators if g) or active.get("claim_generator"),
        "title": active.get("title"),
        "actions": actions,
        "digital_source_types": sorted(set(source_types)),
        "software_agents": agents,
        "ai_software_agents": ai_agents,
        "manifests": len(store.get("manifests", {})),
    }


def _source_type(action: dict[str, Any]) -> str | None:
    """An action's IPTC digital source type (its last path segment), also where Adobe puts it."""
    parameters = action["parameters"] if isinstance(action.get("parameters"), dict) else {}
    value = action.get("digitalSourceType") or parameters.get("com.adobe.digitalSourceType")
    return str(value).rsplit("/", 1)[-1][:100] if value else None


def _software_agent(action: dict[str, Any]) -> str | None:
    """The tool an action names: a string (C2PA 1.x) or a claim-generator-info object (2.x)."""
    agent = action.get("softwareAgent")
    name = agent.get("name") if isinstance(agent, dict) else agent
    return str(name)[:200] if isinstance(name, str) and name else None
