"""Readiness: PostgreSQL gates the probe, Redis and NATS only degrade it; one gauge each."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import CollectorRegistry

from logistics import readiness as readiness_module
from logistics.readiness import Readiness


async def ok() -> None:
    return None


async def down() -> None:
    raise ConnectionError("refused")


async def hangs() -> None:
    await asyncio.sleep(60)


def up(registry: CollectorRegistry, dependency: str) -> float | None:
    return registry.get_sample_value("logistics_dependency_up", {"dependency": dependency})


def build(registry: CollectorRegistry | None = None, **checks: object) -> Readiness:
    defaults = {"postgres": ok, "redis": ok, "nats": ok}
    return Readiness(
        {**defaults, **checks},  # type: ignore[dict-item]
        required={"postgres"},
        registry=registry,
    )


async def test_all_dependencies_answering_is_ok_and_ready() -> None:
    report = await build()()

    assert report.status == "ok"
    assert report.ready
    assert report.checks == {"postgres": "ok", "redis": "ok", "nats": "ok"}


@pytest.mark.parametrize("lost", ["redis", "nats"])
async def test_losing_redis_or_nats_is_degraded_but_still_ready(lost: str) -> None:
    report = await build(**{lost: down})()

    assert report.status == "degraded"
    assert report.ready
    assert report.checks[lost] == "error: ConnectionError: refused"
    assert all(v == "ok" for k, v in report.checks.items() if k != lost)


async def test_losing_postgres_is_unavailable_even_with_the_others_up() -> None:
    report = await build(postgres=down)()

    assert report.status == "unavailable"
    assert not report.ready


async def test_losing_everything_is_unavailable_and_names_each_failure() -> None:
    report = await build(postgres=down, redis=down, nats=down)()

    assert report.status == "unavailable"
    assert set(report.checks) == {"postgres", "redis", "nats"}
    assert all(v.startswith("error:") for v in report.checks.values())


async def test_a_draining_process_is_unavailable_with_every_dependency_up() -> None:
    readiness = build()
    readiness.draining = True

    report = await readiness()

    assert report.status == "unavailable"
    assert report.checks["server"] == "draining"


async def test_a_check_that_hangs_is_an_error_after_the_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(readiness_module, "CHECK_TIMEOUT_S", 0.05)

    report = await build(redis=hangs)()

    assert report.status == "degraded"
    assert report.checks["redis"].startswith("error: TimeoutError")


async def test_each_probe_sets_the_gauge_of_each_dependency() -> None:
    registry = CollectorRegistry()
    state = {"redis": down}

    async def redis() -> None:
        await state["redis"]()

    readiness = build(registry, redis=redis)
    await readiness()
    assert (up(registry, "postgres"), up(registry, "redis"), up(registry, "nats")) == (1, 0, 1)

    state["redis"] = ok
    await readiness()
    assert up(registry, "redis") == 1


async def test_the_periodic_check_keeps_the_gauge_fresh_without_a_probe() -> None:
    registry = CollectorRegistry()
    calls = 0
    failed = asyncio.Event()

    async def nats() -> None:
        nonlocal calls
        calls += 1
        if calls > 1:
            failed.set()
            raise ConnectionError("gone")

    stop = asyncio.Event()
    runner = asyncio.create_task(build(registry, nats=nats).run(stop, interval_s=0.01))
    await asyncio.wait_for(failed.wait(), 2)
    stop.set()
    await asyncio.wait_for(runner, 1)  # ends after the failing round is recorded

    assert up(registry, "nats") == 0
    assert up(registry, "postgres") == 1


def test_a_required_dependency_without_a_check_is_refused() -> None:
    with pytest.raises(ValueError, match="postgres"):
        Readiness({"redis": ok}, required={"postgres"})


async def test_watchers_hear_each_change_of_readiness_once() -> None:
    state = {"postgres": ok}

    async def postgres() -> None:
        await state["postgres"]()

    readiness = build(postgres=postgres)
    heard: list[bool] = []

    async def watcher(ready: bool) -> None:
        heard.append(ready)

    readiness.watch(watcher)
    await readiness()
    await readiness()
    state["postgres"] = down
    await readiness()
    await readiness()
    state["postgres"] = ok
    await readiness()

    assert heard == [True, False, True]
