"""The proofs a rider gives for a step: each kind the step requires, made up as a rider app
would capture it (the code the customer reads out, a name, a signature); a temperature log is
the probe's readings, recorded before. Pure."""

from __future__ import annotations

import base64

from bengobox.logistics.v1 import common_pb2, task_pb2

Step = task_pb2.TaskStep

# A 1x1 PNG: the smallest image a photo or signature proof accepts.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def proofs_for(
    step: task_pb2.TaskStep, code: str, where: common_pb2.GeoPoint
) -> list[task_pb2.Proof]:
    out = []
    for kind in step.required_proofs:
        proof = task_pb2.Proof(kind=kind, location=where)
        if kind == Step.PROOF_KIND_ONE_TIME_CODE:
            proof.text = code
        elif kind == Step.PROOF_KIND_RECIPIENT_NAME:
            proof.text = step.contact_name or "Customer"
        elif kind == Step.PROOF_KIND_NFC_TAG:
            proof.text = f"nfc-{step.id}"
        elif kind in (Step.PROOF_KIND_SIGNATURE, Step.PROOF_KIND_PHOTO):
            proof.content = PNG
        elif kind == Step.PROOF_KIND_TEMPERATURE_LOG:
            continue  # the probe's log, recorded before (sim/probe.py), is the proof
        out.append(proof)
    return out
