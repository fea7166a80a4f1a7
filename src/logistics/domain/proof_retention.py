"""How long proof files (photos, signatures) are kept: the tenant's retention policy, a task's
legal hold, and when a file falls due. Pure; the sweep that deletes files is in services.

A file's age counts from when the service stored it (the proof row's ``create_time``), not
from the device's ``capture_time``, which a client sets. Metadata (the row, the capture
SHA-256, the capture time and place) is never purged: only the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from logistics.domain.errors import FieldViolation, InvalidArgument
from logistics.domain.tasks import ProofKind

SWEEP_TIMER = "proof.retention_sweep"  # one pending per tenant, subject: the tenant's id
SWEEP_BATCH = 50  # files purged per sweep transaction; a full batch sweeps again at once
# A tenant's sweep runs at least this often while it has files (so a changed policy applies),
# and a newly stored file arms it this far ahead when none is pending (retention is >= 1 day).
SWEEP_AT_LEAST = timedelta(days=1)
MAX_DAYS = 3650
FILE_KINDS = (ProofKind.PHOTO, ProofKind.SIGNATURE)


@dataclass(frozen=True)
class ProofRetentionPolicy:
    """``tenants/{tenant}/proofRetentionPolicy``; the defaults apply until an admin sets it.
    180 days covers the usual card-chargeback window (120 days) with room to open a dispute."""

    photo_days: int = 180
    signature_days: int = 180
    update_time: datetime | None = None
    version: int = 0

    def days(self, kind: ProofKind) -> int | None:
        """Days a file of ``kind`` is kept; None for kinds that have no file."""
        if kind is ProofKind.PHOTO:
            return self.photo_days
        if kind is ProofKind.SIGNATURE:
            return self.signature_days
        return None

    def cutoffs(self, now: datetime) -> tuple[datetime, datetime]:
        """Files of photos and of signatures stored before these times are due."""
        return now - timedelta(days=self.photo_days), now - timedelta(days=self.signature_days)


@dataclass(frozen=True)
class ProofHold:
    """A task's legal hold (``tenants/{t}/tasks/{task}/proofHold``): while ``held`` (a dispute is
    open), the task's files outlive retention. Never set: not held, version 0."""

    held: bool = False
    reason: str = ""
    update_time: datetime | None = None
    version: int = 0


def validate_retention_policy(policy: ProofRetentionPolicy) -> None:
    """Raises InvalidArgument naming every bad field of a policy being set."""
    out = [
        FieldViolation(f"policy.{field}", f"must be 1 to {MAX_DAYS} days")
        for field, days in (
            ("photo_retention_days", policy.photo_days),
            ("signature_retention_days", policy.signature_days),
        )
        if not 1 <= days <= MAX_DAYS
    ]
    if out:
        raise InvalidArgument(out)


def validate_hold(hold: ProofHold) -> None:
    """A hold says why (a dispute's reference); a release may leave the reason empty."""
    if hold.held and not hold.reason.strip():
        raise InvalidArgument.field("hold.reason", "is required when held (the dispute)")
    if len(hold.reason) > 500:
        raise InvalidArgument.field("hold.reason", "must be at most 500 characters")


def expire_time(
    policy: ProofRetentionPolicy,
    hold: ProofHold,
    kind: ProofKind,
    stored: datetime | None,
    purged: bool,
) -> datetime | None:
    """When a proof's file falls due for the sweep; None with no file, once purged, or while
    the task is held."""
    days = policy.days(kind)
    if days is None or stored is None or purged or hold.held:
        return None
    return stored + timedelta(days=days)
