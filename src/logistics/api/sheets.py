"""XLSX bodies of the bulk endpoints (openpyxl): an upload read into the same text records a CSV
gives, and rows written out as a workbook.

An XLSX file is a zip whose directory is at its end, so an upload is spooled (to disk past
``SPOOL_BYTES``) before it is read; openpyxl's read-only mode then streams the first sheet's
rows, in a worker thread, a block at a time. A workbook is written in write-only mode to a
temporary file, then streamed out.
"""

from __future__ import annotations

import asyncio
import tempfile
import zipfile
from collections.abc import AsyncIterable, AsyncIterator, Iterator, Sequence
from datetime import UTC, date, datetime, time
from typing import IO, Any

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils.exceptions import InvalidFileException

from logistics.domain.csv_cells import format_float
from logistics.domain.errors import InvalidArgument

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SPOOL_BYTES = 8 << 20
MAX_XLSX_BYTES = 256 << 20
# openpyxl holds a sheet's shared strings in memory: a small file must not unpack to gigabytes.
MAX_SHARED_STRINGS_BYTES = 256 << 20
BLOCK_ROWS = 1000
OUT_CHUNK = 64 << 10


def _broken(message: str) -> InvalidArgument:
    return InvalidArgument.field("body", message)


def _text(value: Any) -> str:
    """A cell's value as the CSV import would read it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, datetime):  # a spreadsheet's times carry no zone: read as UTC
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.isoformat().replace("+00:00", "Z")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _records(rows: Iterator[tuple[Any, ...]]) -> Iterator[list[str]]:
    """Rows as text; trailing empty cells dropped and short rows padded to the header's width
    (a sheet is a grid: its rows have no width of their own)."""
    width = None
    for values in rows:
        cells = [_text(v) for v in values]
        while cells and cells[-1] == "":
            cells.pop()
        if width is None:
            width = len(cells)
        elif len(cells) < width:
            cells.extend([""] * (width - len(cells)))
        yield cells


def _open(file: IO[bytes]) -> Iterator[list[str]]:
    try:
        with zipfile.ZipFile(file) as archive:
            shared = sum(
                i.file_size for i in archive.infolist() if i.filename.endswith("sharedStrings.xml")
            )
        file.seek(0)
        if shared > MAX_SHARED_STRINGS_BYTES:
            raise _broken(
                f"its shared strings unpack to more than {MAX_SHARED_STRINGS_BYTES} bytes"
            )
        book = openpyxl.load_workbook(file, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        raise _broken(f"is not an XLSX workbook ({exc})") from None
    if not book.worksheets:
        raise _broken("the workbook has no sheet")
    sheet = book.worksheets[0]
    sheet.reset_dimensions()  # other writers' declared dimensions may be wrong
    return _records(sheet.iter_rows(values_only=True))


def _block(rows: Iterator[list[str]]) -> list[list[str]]:
    out = []
    try:
        for record in rows:
            out.append(record)
            if len(out) >= BLOCK_ROWS:
                break
    except (ValueError, KeyError, zipfile.BadZipFile) as exc:  # a cell or part openpyxl rejects
        raise _broken(f"is not a readable XLSX workbook ({exc})") from None
    return out


async def xlsx_records(body: AsyncIterable[bytes]) -> AsyncIterator[list[list[str]]]:
    """The first sheet's rows as text records, a block at a time (the header first)."""
    with tempfile.SpooledTemporaryFile(SPOOL_BYTES) as file:
        size = 0
        async for data in body:
            size += len(data)
            if size > MAX_XLSX_BYTES:
                raise _broken(f"is larger than {MAX_XLSX_BYTES} bytes")
            await asyncio.to_thread(file.write, data)
        await asyncio.to_thread(file.seek, 0)
        rows = await asyncio.to_thread(_open, file)
        while block := await asyncio.to_thread(_block, rows):
            yield block


def _cell(sheet: Any, text: str, numeric: bool) -> Any:
    if numeric and text:
        number = float(text)
        return int(number) if number.is_integer() and "." not in text else number
    cell = WriteOnlyCell(sheet, text)
    cell.data_type = "s"  # never a formula, whatever the text starts with
    return cell


async def xlsx_body(
    rows: AsyncIterator[list[list[str]]], numeric: Sequence[str]
) -> AsyncIterator[bytes]:
    """``rows`` (the header first) as a one-sheet workbook; the columns named in ``numeric``
    are written as numbers."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("tasks")
    at: frozenset[int] | None = None  # the numeric columns' positions, once the header is in

    def append(block: list[list[str]]) -> None:
        nonlocal at
        for row in block:
            if at is None:
                at = frozenset(i for i, name in enumerate(row) if name in numeric)
                sheet.append([_cell(sheet, name, False) for name in row])
            else:
                sheet.append([_cell(sheet, text, i in at) for i, text in enumerate(row)])

    with tempfile.TemporaryFile() as file:
        async for block in rows:
            await asyncio.to_thread(append, block)
        await asyncio.to_thread(book.save, file)
        await asyncio.to_thread(file.seek, 0)
        while data := await asyncio.to_thread(file.read, OUT_CHUNK):
            yield data
