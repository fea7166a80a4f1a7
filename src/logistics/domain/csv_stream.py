"""The fleet CSV's byte stream: UTF-8 bytes, fed in chunks of any size, read into CSV records
as they complete, in memory bounded by the longest record. Pure: no I/O."""

from __future__ import annotations

import codecs
import csv

from logistics.domain.errors import InvalidArgument

MAX_RECORD_CHARS = 1 << 20


def _broken(message: str) -> InvalidArgument:
    return InvalidArgument.field("body", message)


class CsvStream:
    """Turns UTF-8 bytes, fed in chunks of any size, into CSV records as they complete.

    Lines are handed to ``csv`` only in whole records: a newline ends a record exactly when
    the record so far holds an even number of quote characters. Memory is bounded by the
    longest record (MAX_RECORD_CHARS), not by the file. Errors are InvalidArgument on
    ``body``: the file is not UTF-8, not CSV, or has an unterminated quoted field.
    """

    def __init__(self, max_record_chars: int = MAX_RECORD_CHARS) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self._max = max_record_chars
        self._tail = ""
        self._pending: list[str] = []
        self._pending_chars = 0
        self._quotes = 0
        self._started = False
        self.line = 0  # physical lines handed to csv so far

    def feed(self, data: bytes) -> list[list[str]]:
        return self._lines(self._decode(data, final=False), final=False)

    def finish(self) -> list[list[str]]:
        records = self._lines(self._decode(b"", final=True), final=True)
        if self._pending:
            raise _broken(f"a quoted field opened at line {self.line + 1} is never closed")
        return records

    def _decode(self, data: bytes, *, final: bool) -> str:
        try:
            text = self._decoder.decode(data, final)
        except UnicodeDecodeError as exc:
            raise _broken(f"is not UTF-8 text ({exc.reason})") from None
        if "\x00" in text:  # csv would take it, PostgreSQL text cannot hold it
            raise _broken(f"contains a NUL character near line {self.line + 1}: it is not text")
        if not self._started and text:
            self._started = True
            text = text.removeprefix("\ufeff")
        return text

    def _lines(self, text: str, *, final: bool) -> list[list[str]]:
        parts = (self._tail + text).split("\n")
        self._tail = parts.pop()
        if final and self._tail:
            parts.append(self._tail)
            self._tail = ""
        if len(self._tail) + self._pending_chars > self._max:
            raise _broken(f"a record near line {self.line + 1} exceeds {self._max} characters")
        complete: list[str] = []
        for part in parts:
            line = part + "\n"
            self._pending.append(line)
            self._pending_chars += len(line)
            self._quotes += line.count('"')
            if self._quotes % 2 == 0:
                complete.extend(self._pending)
                self._pending.clear()
                self._pending_chars = self._quotes = 0
            elif self._pending_chars > self._max:
                raise _broken(f"a quoted field opened near line {self.line + 1} never closes")
        return self._parse(complete)

    def _parse(self, lines: list[str]) -> list[list[str]]:
        if not lines:
            return []
        reader = csv.reader(lines, strict=True)
        try:
            records = list(reader)
        except csv.Error as exc:
            raise _broken(f"is not CSV: line {self.line + reader.line_num}: {exc}") from None
        self.line += len(lines)
        return records
