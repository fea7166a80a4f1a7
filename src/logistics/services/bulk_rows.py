"""What every bulk import shares, whatever it imports: the body read as records (CSV here,
XLSX in ``api.sheets``), the header checked and the rows parsed in chunks as they arrive, the
tally of rows and row errors, and the report. Exports share the CSV encoding of rows."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterable, AsyncIterator, Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from logistics.domain.csv_cells import check_header
from logistics.domain.csv_rows import ParsedRow, RowError, StageOutcome
from logistics.domain.csv_stream import CsvStream
from logistics.domain.errors import InvalidArgument

CHUNK_ROWS = 5000
# Rows parsed between two turns of the event loop: a body block holds hundreds of rows, and
# the other calls on the loop (an import's own writes among them) wait no longer than this.
YIELD_ROWS = 10
MAX_REPORTED_ERRORS = 1000

RowParser = Callable[[int, Sequence[str], Sequence[int]], ParsedRow[Any]]
Records = AsyncIterable[list[list[str]]]


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or, with ``dry_run``, would do). ``errors`` holds the first
    MAX_REPORTED_ERRORS by row; ``error_count`` counts them all."""

    dry_run: bool
    rows: int
    valid: int
    created: int
    updated: int
    unchanged: int
    errors: tuple[RowError, ...]
    error_count: int


@dataclass
class ParseTally:
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    outlets: set[str] = field(default_factory=set)

    def count(self, parsed: ParsedRow[Any]) -> None:
        self.rows += 1
        self.error_count += len(parsed.errors)
        self.note(parsed.errors)

    def note(self, errors: Sequence[RowError]) -> None:
        """Keeps ``errors`` for the report while there is room (the count is the caller's)."""
        room = MAX_REPORTED_ERRORS - len(self.errors)
        if room > 0:
            self.errors.extend(errors[:room])

    def report(self, outcome: StageOutcome, dry_run: bool) -> ImportReport:
        # Stable sort: for one row, its parse errors come before the database's.
        errors = sorted([*self.errors, *outcome.errors], key=lambda e: e.row)
        return ImportReport(
            dry_run=dry_run,
            rows=self.rows,
            valid=outcome.valid,
            created=outcome.created,
            updated=outcome.updated,
            unchanged=outcome.unchanged,
            errors=tuple(errors[:MAX_REPORTED_ERRORS]),
            error_count=self.error_count + outcome.error_count,
        )


async def csv_records(body: AsyncIterable[bytes]) -> AsyncIterator[list[list[str]]]:
    """The CSV body's records as they complete (see ``CsvStream``)."""
    stream = CsvStream()
    async for data in body:
        if records := stream.feed(data):
            yield records
    if records := stream.finish():
        yield records


async def parsed_rows(
    records: Records,
    columns: Sequence[str],
    parse: RowParser,
    chunk: int = CHUNK_ROWS,
    optional: Collection[str] = (),
) -> AsyncIterator[list[ParsedRow[Any]]]:
    """The data rows, parsed, in chunks of at most ``chunk`` (the header checked first; it may
    leave out the ``optional`` columns)."""
    at: tuple[int, ...] | None = None
    row = 0
    batch: list[ParsedRow[Any]] = []
    async for block in records:
        for record in block:
            if at is None:
                at = check_header(record, columns, optional)
                continue
            row += 1
            if any(cell.strip() for cell in record):
                batch.append(parse(row, record, at))
            if row % YIELD_ROWS == 0:
                await asyncio.sleep(0)
            if len(batch) >= chunk:
                yield batch
                batch = []
    if at is None:
        raise InvalidArgument.field("body", "is empty: the first line must be the header")
    if batch:
        yield batch


def csv_bytes(rows: Sequence[Sequence[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()
