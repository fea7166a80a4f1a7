"""The fan-out cursor: seqs passed over are remembered until no transaction can still commit
them."""

from __future__ import annotations

from logistics.domain.fanout import FanoutCursor, Gap, advance_cursor


def test_a_seq_skipped_by_the_scan_is_kept_as_a_gap() -> None:
    cursor = advance_cursor(
        FanoutCursor(10), [], [11, 14], gaps_complete=True, oldest_running=0, horizon=500
    )

    assert cursor == FanoutCursor(14, (Gap(12, 13, 500),))


def test_a_gap_seq_that_appears_later_is_taken_out_of_its_gap() -> None:
    cursor = advance_cursor(
        FanoutCursor(14, (Gap(12, 13, 500),)),
        [12],
        [],
        gaps_complete=True,
        oldest_running=400,
        horizon=600,
    )

    assert cursor == FanoutCursor(14, (Gap(13, 13, 500),))


def test_a_gap_is_dropped_once_every_transaction_older_than_it_has_ended() -> None:
    cursor = advance_cursor(
        FanoutCursor(14, (Gap(12, 13, 500),)),
        [],
        [],
        gaps_complete=True,
        oldest_running=500,
        horizon=600,
    )

    assert cursor == FanoutCursor(14, ())
