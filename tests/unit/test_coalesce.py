"""Coalesced calls: what is submitted in one loop turn goes out as one call per key, each
caller gets its own answer, and a failed call fails exactly its callers."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from logistics.geo.coalesce import Coalescer


class Doubler:
    def __init__(self, fail_on: str | None = None) -> None:
        self.calls: list[tuple[str, list[int]]] = []
        self.fail_on = fail_on

    async def __call__(self, key: str, items: Sequence[int]) -> list[int]:
        self.calls.append((key, list(items)))
        await asyncio.sleep(0)
        if key == self.fail_on:
            raise ConnectionError(f"{key} is down")
        return [2 * i for i in items]


async def test_one_turn_makes_one_call_per_key_and_answers_each_caller() -> None:
    flush = Doubler()
    coalescer: Coalescer[str, int, int] = Coalescer(flush)
    answers = await asyncio.gather(*(coalescer.submit("ab"[i % 2], i) for i in range(6)))
    assert answers == [0, 2, 4, 6, 8, 10]
    assert sorted(flush.calls) == [("a", [0, 2, 4]), ("b", [1, 3, 5])]


async def test_later_turns_make_later_calls() -> None:
    flush = Doubler()
    coalescer: Coalescer[str, int, int] = Coalescer(flush)
    assert await coalescer.submit("a", 1) == 2
    assert await coalescer.submit("a", 2) == 4
    assert flush.calls == [("a", [1]), ("a", [2])]


async def test_a_full_group_goes_out_at_once() -> None:
    flush = Doubler()
    coalescer: Coalescer[str, int, int] = Coalescer(flush, max_items=2)
    assert await asyncio.gather(*(coalescer.submit("a", i) for i in range(5))) == [0, 2, 4, 6, 8]
    assert [items for _, items in flush.calls] == [[0, 1], [2, 3], [4]]


async def test_a_failed_call_fails_its_callers_only() -> None:
    coalescer: Coalescer[str, int, int] = Coalescer(Doubler(fail_on="b"))
    results = await asyncio.gather(
        coalescer.submit("a", 1), coalescer.submit("b", 2), return_exceptions=True
    )
    assert results[0] == 2
    assert isinstance(results[1], ConnectionError)
    assert await coalescer.submit("a", 3) == 6  # later calls go on
    with pytest.raises(ConnectionError):
        await coalescer.submit("b", 3)
