"""Closed months' consultation counts, kept in ``report_month`` between reports.

Counting a 年度's consultations by channel, topic, area and 業種 is most of a 月次報告's
cost at volume (docs/benchmarks.md), and a month that has ended rarely changes. The first
report that counts such a month stores its counts; later reports read them back while they
are still valid.

Valid means: no write since could have changed them. Triggers of revision 0009 bump the
month's ``generation`` on every such write, whatever wrote it (forms, import and undo, trash,
history restore). The counts are stored with the generation read *before* counting, in the
same read transaction; a write that commits after that read bumps the generation past it,
so counts that might have missed the write are never used. The store is a separate, short
write transaction after the report's read: a derived cache, not a record, so it is neither
audited nor a permission of its own, and a failure to store only costs the next report time.
The current month (and any later one) is never stored: it still changes every day.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from consult_desk.db.engine import Database
from consult_desk.db.models import ReportMonth
from consult_desk.domain.errors import StorageError

log = logging.getLogger(__name__)
FORMAT = 1  # stored counts of another format are counted again, never misread


@dataclass(slots=True)
class ConsultationCounts:
    """One period's consultations counted by key (ids, area names, JSIC codes)."""

    channels: dict[int, int] = field(default_factory=dict)
    topics: dict[int, int] = field(default_factory=dict)  # primary topic
    areas: dict[str, int] = field(default_factory=dict)  # NO_BUSINESS without a business
    majors: dict[str, int] = field(default_factory=dict)  # JSIC code, NO_JSIC or NO_BUSINESS

    def plus(self, other: ConsultationCounts) -> ConsultationCounts:
        def add(a: dict[Any, int], b: dict[Any, int]) -> dict[Any, int]:
            return {key: a.get(key, 0) + b.get(key, 0) for key in a.keys() | b.keys()}

        return ConsultationCounts(
            add(self.channels, other.channels),
            add(self.topics, other.topics),
            add(self.areas, other.areas),
            add(self.majors, other.majors),
        )

    def dumps(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "channels": sorted(self.channels.items()),
                "topics": sorted(self.topics.items()),
                "areas": sorted(self.areas.items()),
                "majors": sorted(self.majors.items()),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def loads(cls, text: str | None) -> ConsultationCounts | None:
        """The counts ``dumps`` wrote; None for anything else."""
        if text is None:
            return None
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT:
                return None
            return cls(
                {int(k): int(n) for k, n in data["channels"]},
                {int(k): int(n) for k, n in data["topics"]},
                {str(k): int(n) for k, n in data["areas"]},
                {str(k): int(n) for k, n in data["majors"]},
            )
        except (ValueError, TypeError, KeyError, AttributeError):
            return None


def month_key(first: date, last: date) -> str | None:
    """「2026-04」 when ``first``–``last`` is exactly one calendar month, else None."""
    if first.day != 1 or last.month == (last + timedelta(days=1)).month:
        return None
    if (first.year, first.month) != (last.year, last.month):
        return None
    return f"{first.year:04d}-{first.month:02d}"


class MonthCache:
    """The stored counts one report may use, and the ones it counted, to store afterwards.

    ``load`` must run in the report's read transaction before it counts anything.
    """

    def __init__(self, today: date) -> None:
        self._today = today
        self._generations: dict[str, int] = {}  # as read, 0 when the month has no row
        self._valid: dict[str, ConsultationCounts] = {}
        self._counted: dict[str, ConsultationCounts] = {}

    def _key(self, period: tuple[date, date]) -> str | None:
        first, last = period
        return month_key(first, last) if last < self._today else None

    def load(self, session: Session, periods: list[tuple[date, date]]) -> None:
        keys = {key for period in periods if (key := self._key(period))} - self._generations.keys()
        if not keys:
            return
        self._generations.update(dict.fromkeys(keys, 0))
        rows = session.execute(
            select(
                ReportMonth.month,
                ReportMonth.generation,
                ReportMonth.counted_generation,
                ReportMonth.consultation_counts,
            ).where(ReportMonth.month.in_(sorted(keys)))
        )
        for month, generation, counted, payload in rows:
            self._generations[month] = generation
            counts = ConsultationCounts.loads(payload) if counted == generation else None
            if counts is not None:
                self._valid[month] = counts

    def get(self, period: tuple[date, date]) -> ConsultationCounts | None:
        key = self._key(period)
        return self._valid.get(key) if key else None

    def put(self, period: tuple[date, date], counts: ConsultationCounts) -> None:
        key = self._key(period)
        if key is not None and key in self._generations and key not in self._valid:
            self._counted[key] = counts

    def store(self, db: Database) -> None:
        """Keep the counts counted in this report, unless a write has made them stale since."""
        if not self._counted:
            return
        try:
            with db.write() as session:
                for month, counts in sorted(self._counted.items()):
                    self._store(session, month, self._generations[month], counts.dumps())
        except (StorageError, SQLAlchemyError) as exc:
            log.warning("report counts not stored: %s", type(exc).__name__)
        self._counted.clear()

    @staticmethod
    def _store(session: Session, month: str, generation: int, payload: str) -> None:
        row = ReportMonth
        result = cast(
            CursorResult[Any],
            session.execute(
                update(row)
                .where(row.month == month, row.generation == generation)
                .values(counted_generation=generation, consultation_counts=payload)
            ),
        )
        if result.rowcount or generation != 0:
            return  # stored, or written since (the generation has moved on)
        if session.get(row, month) is None:  # no write to the month yet: its first row
            session.add(
                row(month=month, generation=0, counted_generation=0, consultation_counts=payload)
            )
