"""The webhook fan-out's cursor over the outbox: how far it has scanned, and the seqs it passed
over that a transaction still running may yet commit."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

__all__ = ["FanoutCursor", "Gap", "advance_cursor"]


@dataclass(frozen=True)
class Gap:
    """Outbox seqs ``lo..hi`` not visible when the fan-out passed them; ``horizon`` is the first
    transaction id not yet assigned at that moment (``pg_snapshot_xmax``)."""

    lo: int
    hi: int
    horizon: int


@dataclass(frozen=True)
class FanoutCursor:
    scanned_seq: int
    gaps: tuple[Gap, ...] = ()


def advance_cursor(
    cursor: FanoutCursor,
    gap_seqs: Collection[int],
    new_seqs: Sequence[int],
    *,
    gaps_complete: bool,
    oldest_running: int,
    horizon: int,
) -> FanoutCursor:
    """The cursor after fanning out ``gap_seqs`` (found inside gaps) and ``new_seqs`` (above
    ``scanned_seq``, ascending).

    Outbox seqs are taken in one order and committed in another, so a seq passed over may still
    appear. A gap is dropped once every transaction that was running when it was recorded has
    ended (``horizon <= oldest_running``, the oldest transaction still running before the gap
    query): a row of it committed by then was visible to that query. ``gaps_complete`` says the
    gap query was not cut short by its limit, so nothing visible in the gaps was left over.

    ``horizon`` is read after the deliveries are written, milliseconds after the seqs were
    seen missing, so every transaction holding one of them has its transaction id by then (it
    takes one within the same INSERT that takes the seq).
    """
    gaps: list[Gap] = []
    for gap in cursor.gaps:
        if gaps_complete and gap.horizon <= oldest_running:
            continue
        lo = gap.lo
        for seq in sorted(s for s in gap_seqs if gap.lo <= s <= gap.hi):
            if seq > lo:
                gaps.append(Gap(lo, seq - 1, gap.horizon))
            lo = seq + 1
        if lo <= gap.hi:
            gaps.append(Gap(lo, gap.hi, gap.horizon))
    previous = cursor.scanned_seq
    for seq in new_seqs:
        if seq > previous + 1:
            gaps.append(Gap(previous + 1, seq - 1, horizon))
        previous = max(previous, seq)
    return FanoutCursor(previous, tuple(gaps))
