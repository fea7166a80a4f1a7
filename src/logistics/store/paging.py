"""Keyset pagination in SQL: the WHERE/ORDER/LIMIT tail and the page built from its rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from logistics.domain.paging import Cursor, Page, PageRequest

T = TypeVar("T")


def page_of(rows: list[Any], size: int, convert: Callable[[Any], T]) -> Page[T]:
    """``rows`` came from a query limited to ``size + 1``: an extra row means another page."""
    items = [convert(r) for r in rows[:size]]
    more = len(rows) > size
    last = rows[size - 1] if more else None
    return Page(items, Cursor(last["create_time"], last["id"]) if last is not None else None)


def keyset_clause(filters: list[str], args: list[Any], page: PageRequest) -> str:
    """Appends the cursor and limit to ``filters``/``args``; items are ordered by
    (create_time, id), so a page continues exactly after the last item served."""
    if page.after is not None:
        args.extend([page.after.create_time, page.after.id])
        filters.append(f"(create_time, id) > (${len(args) - 1}, ${len(args)})")
    args.append(page.size + 1)
    where = " AND ".join(filters) if filters else "true"
    return f"WHERE {where} ORDER BY create_time, id LIMIT ${len(args)}"
