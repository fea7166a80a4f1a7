"""The table of event types in docs/events.md, made from the event registry; a unit test keeps
the two equal, and ``python -m logistics.events.catalog [docs/events.md]`` rewrites it."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from logistics.domain.events import BASE_FIELDS, EVENTS

__all__ = ["BEGIN", "END", "table", "with_table"]

BEGIN = "<!-- event types: made by `python -m logistics.events.catalog`; do not edit -->"
END = "<!-- end of event types -->"


def table() -> str:
    """One row per event type: its resource field, its data fields, what happened."""
    rows = [
        "| type | resource | data (besides `tenant`) | what happened |",
        "|---|---|---|---|",
    ]
    for event_type, cls in EVENTS.items():
        fields = ", ".join(
            f"`{f.name}`" for f in dataclasses.fields(cls) if f.name not in BASE_FIELDS
        )
        what = " ".join((cls.__doc__ or "").split()).replace("``", "`")
        rows.append(f"| `{event_type}` | `{cls.resource_field}` | {fields} | {what} |")
    return "\n".join(rows)


def with_table(doc: str) -> str:
    """``doc`` with the text between its markers replaced by the current table."""
    head, found, rest = doc.partition(BEGIN)
    _, found_end, tail = rest.partition(END)
    if not (found and found_end):
        raise ValueError("the document has no event type markers")
    return f"{head}{BEGIN}\n{table()}\n{END}{tail}"


def main(argv: list[str]) -> None:
    path = Path(argv[0] if argv else "docs/events.md")
    path.write_text(with_table(path.read_text()))


if __name__ == "__main__":
    main(sys.argv[1:])
