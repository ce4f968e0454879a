"""Keyset paging: the rows after the last one shown, by an index seek instead of OFFSET."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute

# A column the list is ordered by; the last one of a sort is always the id.
SortKey = InstrumentedAttribute[Any]


def after_condition(
    keys: Sequence[SortKey], cursor: Sequence[object], descending: bool
) -> ColumnElement[bool]:
    """Rows strictly after ``cursor`` in the order of ``keys`` (all in one direction).

    The last key must be unique (the id), so pages never skip or repeat rows; keys must be
    non-null, because a comparison with NULL is unknown and such rows would vanish.
    """
    left = tuple_(*keys)
    # Bind each value with its column's type: an aware UTC datetime bound untyped would be
    # compared as timestamptz on PostgreSQL and shift by the session's time zone.
    right = tuple_(*(literal(value, key.type) for key, value in zip(keys, cursor, strict=True)))
    return left < right if descending else left > right


def like_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with LIKE's own wildcards escaped by '\\'."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def count_statement(matching: Select[Any], cap: int | None = None) -> Select[Any]:
    """COUNT over the ids a list query matches; with ``cap`` it stops at cap + 1 rows (the
    list then says "cap+"), which keeps a count over a million rows as quick as a page."""
    if cap is not None:
        matching = matching.limit(cap + 1)
    return select(func.count()).select_from(matching.subquery())
