"""Task import and export: rows (read from CSV or XLSX by the transport) in, tasks out with
BatchCreateTasks' writes (``import_stage``), so each imported task has its trail entry, audit
row, outbox event and SLA timers exactly as if created one at a time.

An import is one transaction: chunks of rows are created as they are parsed (memory stays
bounded by the chunk, not the file). The reader parses and stages chunk N+1 (every write
made ready but the statements) while the writer's statements of chunk N are in PostgreSQL,
so the service's Python and the database work side by side. Every bad row is reported
(row, column, message). ``all_or_nothing`` stores nothing when any row is bad; otherwise the
good rows are stored. A row's ``request_id`` is CreateTask's idempotency key: a file imported
twice makes each keyed task once (the second time they count as ``unchanged``). A dry run
does all of it and rolls back.
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from logistics.domain.caller import Caller, Scope
from logistics.domain.clock import Clock
from logistics.domain.csv_rows import ParsedRow, RowError, StageOutcome
from logistics.domain.errors import DomainError, InvalidArgument
from logistics.domain.ids import TenantSlug
from logistics.domain.task_rows import (
    OPTIONAL_TASK_COLUMNS,
    STEP_PREFIXES,
    TASK_COLUMNS,
    column_of,
    exportable,
    parse_task_row,
    task_cells,
)
from logistics.domain.text import shown
from logistics.services.bulk_rows import ImportReport, ParseTally, Records, parsed_rows
from logistics.services.directory import Outlets
from logistics.services.tasks.batch import NewTask
from logistics.services.tasks.import_stage import ImportTime, StagedTask, stage, write_staged
from logistics.services.tasks.origins import check_origins, record_links
from logistics.services.tasks.placing import needs_placing, placed_at_outlets
from logistics.store.unit_of_work import Store, UnitOfWork

IMPORT_CHUNK = 1000
EXPORT_BATCH = 2000
# Rows staged between two chances for the writer to run: PostgreSQL waits no longer than this.
_YIELD_EVERY = 10


# A good row of a chunk and its writes, made ahead.
_Staged = tuple[ParsedRow[NewTask], StagedTask]
# The reader's chunks for the writer; then None at the end, or what made the reader fail.
_Chunks = asyncio.Queue["list[_Staged] | Exception | None"]


class _Discard(Exception):
    """Rolls the import's transaction back (a dry run, or all or nothing with bad rows)."""


@dataclass
class _Counts:
    valid: int = 0
    created: int = 0
    unchanged: int = 0


class TaskImporter:
    """Import needs ``logistics:dispatch`` (as creating tasks does); export ``logistics:read``."""

    def __init__(self, store: Store, outlets: Outlets, clock: Clock) -> None:
        self._store = store
        self._outlets = outlets
        self._clock = clock

    async def import_tasks(
        self,
        caller: Caller,
        tenant: TenantSlug,
        records: Records,
        *,
        dry_run: bool,
        all_or_nothing: bool,
    ) -> ImportReport:
        caller.require(Scope.DISPATCH, tenant)
        tally, counts = ParseTally(), _Counts()
        chunks: _Chunks = asyncio.Queue(maxsize=2)
        # The transaction's time and policy, for staging: the writer's, once it has begun.
        timing: asyncio.Future[ImportTime] = asyncio.get_running_loop().create_future()

        async def read() -> None:
            """Parses, admits and stages each chunk while the writer's previous one is in the
            database."""
            seen: dict[str, int] = {}
            try:
                parse = functools.partial(_parse, tenant=tenant)
                async for chunk in parsed_rows(
                    records, TASK_COLUMNS, parse, IMPORT_CHUNK, OPTIONAL_TASK_COLUMNS
                ):
                    rows = _admit(chunk, tally, seen)
                    counts.valid += len(rows)
                    if all_or_nothing and tally.error_count:
                        continue  # nothing will be stored: only parse the rest, for the report
                    at = await timing
                    staged = []
                    for n, row in enumerate(rows, 1):
                        staged.append((row, stage(_item(row), at)))
                        if n % _YIELD_EVERY == 0:  # the writer's statement may be done: let
                            await asyncio.sleep(0)  # it send the next one at once
                    await chunks.put(staged)
            except Exception as exc:  # a broken file: the writer raises it
                await chunks.put(exc)
            else:
                await chunks.put(None)

        reading = asyncio.create_task(read())
        try:
            async with self._store.write(tenant) as uow:
                await uow.compress_fast()
                stamp = await uow.transaction_time()
                policy = await uow.sla_policy.get()
                at = ImportTime(uow, stamp, self._clock.now(), policy)
                timing.set_result(at)
                await self._write(caller, uow, chunks, tally, counts, all_or_nothing, at)
                if dry_run or (all_or_nothing and tally.error_count):
                    raise _Discard
        except _Discard:
            if not dry_run:
                counts.created = counts.unchanged = 0
        finally:
            reading.cancel()
        outcome = StageOutcome(counts.valid, counts.created, 0, counts.unchanged, [], 0)
        return tally.report(outcome, dry_run)

    async def _write(
        self,
        caller: Caller,
        uow: UnitOfWork,
        chunks: _Chunks,
        tally: ParseTally,
        counts: _Counts,
        all_or_nothing: bool,
        at: ImportTime,
    ) -> None:
        """Writes each chunk's staged rows as the reader hands it over."""
        while (chunk := await chunks.get()) is not None:
            if isinstance(chunk, Exception):
                raise chunk
            if all_or_nothing and tally.error_count:
                continue  # nothing will be stored
            chunk = await self._known_outlets(uow, chunk, tally)
            chunk = await _placed(uow, chunk, tally, counts, at)
            chunk = await _known_origins(uow, chunk, tally, counts)
            outcomes = await write_staged(caller, uow, [s for _, s in chunk], at.stamp)
            await record_links(
                caller,
                uow,
                [s.item.task for (_, s), o in zip(chunk, outcomes, strict=True) if o is True],
            )
            for (row, _), outcome in zip(chunk, outcomes, strict=True):
                if outcome is True:
                    counts.created += 1
                elif outcome is False:  # an earlier request with this request_id made it
                    counts.unchanged += 1
                else:
                    counts.valid -= 1
                    _refuse(tally, row.row, _row_errors(row.row, outcome))

    async def _known_outlets(
        self, uow: UnitOfWork, rows: list[_Staged], tally: ParseTally
    ) -> list[_Staged]:
        """The rows whose outlets are known (registered now if the platform knows them); the
        others are refused, naming the column."""
        unknown = await self._outlets.unknown(uow, (o for r, _ in rows for _, o in _outlets(r)))
        if not unknown:
            return rows
        kept = []
        for row, staged in rows:
            errors = [
                RowError(row.row, column, f"outlet {shown(o)} is unknown to the platform")
                for column, o in _outlets(row)
                if o in unknown
            ]
            if errors:
                _refuse(tally, row.row, errors)
            else:
                kept.append((row, staged))
        return kept

    async def export_tasks(
        self, caller: Caller, tenant: TenantSlug
    ) -> AsyncIterator[list[list[str]]]:
        """The tenant's tasks of one pickup and one drop-off, by create time, in the import's
        columns (the header first). Authorises now; the stream reads as it is consumed."""
        caller.require(Scope.READ, tenant)
        return self._export(tenant)

    async def _export(self, tenant: TenantSlug) -> AsyncIterator[list[list[str]]]:
        yield [list(TASK_COLUMNS)]
        async with self._store.read(tenant) as uow:
            async for tasks in uow.tasks.scan(EXPORT_BATCH):
                yield [task_cells(t, tenant) for t in tasks if exportable(t)]


def _parse(
    row: int, cells: Sequence[str], at: Sequence[int], *, tenant: TenantSlug
) -> ParsedRow[NewTask]:
    p = parse_task_row(row, cells, at, uuid.uuid4, tenant)
    item = NewTask(p.record.task, {}, p.record.request_id) if p.record else None
    return ParsedRow(p.row, p.key, item, p.errors)


def _admit(
    chunk: list[ParsedRow[NewTask]], tally: ParseTally, seen: dict[str, int]
) -> list[ParsedRow[NewTask]]:
    """The chunk's good rows; counts every row and reports the bad ones, and a request_id
    that an earlier row of the file has."""
    good = []
    for parsed in chunk:
        tally.count(parsed)
        if parsed.record is None:
            continue
        if parsed.key is not None:
            first = seen.setdefault(parsed.key, parsed.row)
            if first != parsed.row:
                _refuse(
                    tally, parsed.row, [RowError(parsed.row, "request_id", f"repeats row {first}")]
                )
                continue
        good.append(parsed)
    return good


async def _placed(
    uow: UnitOfWork, rows: list[_Staged], tally: ParseTally, counts: _Counts, at: ImportTime
) -> list[_Staged]:
    """The rows with a pickup naming only an outlet placed at its registered location (one
    read of the registry for the chunk) and staged again; a row whose outlet has no location
    is refused (``pickup_outlet_id``). A row's request_id still stands for the row as read, so
    a row imported again after its outlet moved is the same request, as for CreateTask."""
    waiting = [(r, s) for r, s in rows if needs_placing(s.item.task)]
    if not waiting:
        return rows
    results = await placed_at_outlets(uow, [s.item.task for _, s in waiting])
    done: dict[int, _Staged | None] = {}
    for (row, staged), result in zip(waiting, results, strict=True):
        if isinstance(result, InvalidArgument):
            counts.valid -= 1
            _refuse(tally, row.row, _row_errors(row.row, result))
            done[row.row] = None
            continue
        done[row.row] = (row, stage(staged.item.placed(result), at))
    kept = (done.get(r.row, (r, s)) for r, s in rows)
    return [k for k in kept if k is not None]


async def _known_origins(
    uow: UnitOfWork, rows: list[_Staged], tally: ParseTally, counts: _Counts
) -> list[_Staged]:
    """The rows whose forward task (if any) fits (``origins.check_origins``: one read for
    the chunk); the others are refused on ``origin_task``."""
    errors = await check_origins(uow, [s.item.task for _, s in rows])
    kept = []
    for (row, staged), error in zip(rows, errors, strict=True):
        if error is None:
            kept.append((row, staged))
        else:
            counts.valid -= 1
            _refuse(tally, row.row, [RowError(row.row, "origin_task", error.message)])
    return kept


def _refuse(tally: ParseTally, row: int, errors: Sequence[RowError]) -> None:
    tally.error_count += len(errors)
    tally.note(errors)


def _outlets(row: ParsedRow[NewTask]) -> list[tuple[str, str]]:
    """(column, outlet id) of each outlet the row names."""
    assert row.record is not None
    task = row.record.task
    named = [("outlet_id", task.outlet_id)]
    named += [
        (f"{p}_outlet_id", s.outlet_id) for p, s in zip(STEP_PREFIXES, task.steps, strict=True)
    ]
    return [(column, o) for column, o in named if o]


def _item(row: ParsedRow[NewTask]) -> NewTask:
    assert row.record is not None
    return row.record


def _row_errors(row: int, error: DomainError) -> list[RowError]:
    """A row's refusal by the batch (a request_id used for other content, mostly)."""
    if isinstance(error, InvalidArgument):
        return [RowError(row, column_of(v.field), v.description) for v in error.violations]
    field = "request_id" if error.reason == "REQUEST_ID_REUSED" else "row"
    return [RowError(row, field, error.message)]
