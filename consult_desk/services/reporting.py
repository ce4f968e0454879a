"""Report data (月次報告・年度報告): the figures every renderer (JSON, PDF, xlsx) reads.

- ``ReportingService.monthly`` / ``fiscal_year`` return frozen dataclasses; a renderer never
  touches the database, so every format shows the same figures.
- Every figure is one SQL aggregate (COUNT / SUM, GROUP BY) over the period: nothing loads a
  table. A period is inclusive at both ends, in the ward's (JST) calendar dates.
- Consultations in the trash are left out. Loan amounts are ``None`` for roles that may not see
  them (as in the exports), never a figure they could not otherwise read.
- ``write_json`` writes a report beside its target and renames it into place, and audits one
  "print" entry. ``to_json`` is the plain dict the JSON file holds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from consult_desk.db.engine import Database
from consult_desk.db.models import (
    AREAS,
    Business,
    Consultation,
    ConsultationChannel,
    ConsultationTopic,
    ConsultationTopicLink,
    DispatchVisit,
    LoanCase,
    SubsidyApplication,
)
from consult_desk.domain.fiscal import fiscal_year, fiscal_year_range
from consult_desk.domain.loans import LoanState
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.services import audit
from consult_desk.services.exports import TargetExists, TargetUnwritable, _write_replacing

NO_TOPIC = "主な相談分野なし"
NO_BUSINESS = "事業者未登録（創業予定者など）"
DECLINED = (LoanState.DECLINED_BANK, LoanState.DECLINED_CGC, LoanState.REFUSED_BY_WARD)

Counts = tuple[tuple[str, int], ...]  # label → count, in display order


@dataclass(frozen=True, slots=True)
class ConsultationFigures:
    total: int
    by_channel: Counts  # every channel, in its sort order (zeros included)
    by_topic: Counts  # primary topic, in its sort order; NO_TOPIC last when any
    by_area: Counts  # the business's area (AREAS order); NO_BUSINESS last when any


@dataclass(frozen=True, slots=True)
class Executed:
    count: int
    amount: int | None  # yen; None when the principal may not see loan amounts


@dataclass(frozen=True, slots=True)
class LoanFigures:
    received: int
    referred: int
    executed: Executed
    declined: int  # declined by bank or 信用保証協会, or refused by the ward
    withdrawn: int


@dataclass(frozen=True, slots=True)
class DispatchFigures:
    visits: int
    fees: int  # yen, the visits' fees


@dataclass(frozen=True, slots=True)
class Granted:
    count: int
    amount: int  # yen


@dataclass(frozen=True, slots=True)
class SubsidyFigures:
    granted: Granted


@dataclass(frozen=True, slots=True)
class PeriodFigures:
    """The figures of one period (a month, a 年度 to date, a whole 年度)."""

    period_from: date
    period_to: date
    consultations: ConsultationFigures
    loans: LoanFigures
    dispatch: DispatchFigures
    subsidies: SubsidyFigures


@dataclass(frozen=True, slots=True)
class PeriodReport:
    """月次報告: the month, beside the same month last year and the 年度 to date."""

    period_from: date
    period_to: date
    consultations: ConsultationFigures
    loans: LoanFigures
    dispatch: DispatchFigures
    subsidies: SubsidyFigures
    same_month_last_year: PeriodFigures
    fiscal_year_to_date: PeriodFigures


@dataclass(frozen=True, slots=True)
class FiscalYearReport:
    """年度報告: the twelve months April → March, and the whole 年度."""

    fiscal_year: int
    period_from: date
    period_to: date
    months: tuple[PeriodFigures, ...]
    totals: PeriodFigures


def month_range(year: int, month: int) -> tuple[date, date]:
    """The first and last day of a month (ValueError for an impossible month)."""
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return first, following - timedelta(days=1)


class ReportingService:
    def __init__(self, db: Database, principal: Principal) -> None:
        self._db = db
        self._principal = principal

    def monthly(self, year: int, month: int) -> PeriodReport:
        """The 月次報告 of ``year``-``month``."""
        self._principal.require(Kind.REPORT, Action.READ)
        first, last = month_range(year, month)
        fy_first, _ = fiscal_year_range(fiscal_year(first))
        with self._db.read() as session:
            now = self._figures(session, first, last)
            last_year = self._figures(session, *month_range(year - 1, month))
            to_date = self._figures(session, fy_first, last)
        return PeriodReport(
            period_from=now.period_from,
            period_to=now.period_to,
            consultations=now.consultations,
            loans=now.loans,
            dispatch=now.dispatch,
            subsidies=now.subsidies,
            same_month_last_year=last_year,
            fiscal_year_to_date=to_date,
        )

    def fiscal_year(self, year: int) -> FiscalYearReport:
        """The 年度報告 of 年度 ``year`` (the year in which its April falls)."""
        self._principal.require(Kind.REPORT, Action.READ)
        first, last = fiscal_year_range(year)
        months = [(year + (m - 1) // 12, (m - 1) % 12 + 1) for m in range(4, 16)]
        with self._db.read() as session:
            figures = tuple(self._figures(session, *month_range(y, m)) for y, m in months)
            totals = self._figures(session, first, last)
        return FiscalYearReport(year, first, last, figures, totals)

    def write_json(
        self, report: PeriodReport | FiscalYearReport, target: Path, *, overwrite: bool = False
    ) -> Path:
        """Write ``report`` as JSON to ``target`` (atomically) and audit one "print" entry."""
        self._principal.require(Kind.REPORT, Action.PRINT)
        if target.exists() and not overwrite:
            raise TargetExists(str(target))
        text = json.dumps(to_json(report), ensure_ascii=False, indent=2) + "\n"

        def write(path: Path) -> int:
            path.write_text(text, encoding="utf-8")
            return 1

        try:
            _write_replacing(target, overwrite, write)
        except OSError as exc:
            raise TargetUnwritable(target, exc) from exc
        kind = "fiscal_year" if isinstance(report, FiscalYearReport) else "monthly"
        try:
            with self._db.write() as session:
                audit.record(
                    session,
                    self._principal.staff_id,
                    "print",
                    "report",
                    None,
                    {
                        "report": [None, kind],
                        "period": [
                            None,
                            f"{report.period_from.isoformat()}〜{report.period_to.isoformat()}",
                        ],
                        "format": [None, "json"],
                        "file": [None, target.name],
                    },
                )
        except BaseException:
            target.unlink(missing_ok=True)  # a report nobody can trace must not stay behind
            raise
        return target

    # -- figures ----------------------------------------------------------------------------

    def _figures(self, session: Session, first: date, last: date) -> PeriodFigures:
        return PeriodFigures(
            period_from=first,
            period_to=last,
            consultations=_consultations(session, first, last),
            loans=_loans(session, first, last, amounts=self._principal.sees_loan_amounts),
            dispatch=_dispatch(session, first, last),
            subsidies=_subsidies(session, first, last),
        )


def _between(column: Any, first: date, last: date) -> ColumnElement[bool]:
    return and_(column >= first, column <= last)


def _consultations(session: Session, first: date, last: date) -> ConsultationFigures:
    c = Consultation
    live = and_(_between(c.consulted_on, first, last), c.deleted_at.is_(None))
    total = session.execute(select(func.count()).select_from(c).where(live)).scalar_one()
    by_channel = session.execute(
        select(ConsultationChannel.name, func.count(c.id))
        .outerjoin(c, and_(c.channel_id == ConsultationChannel.id, live))
        .group_by(ConsultationChannel.id, ConsultationChannel.name, ConsultationChannel.sort_order)
        .order_by(ConsultationChannel.sort_order, ConsultationChannel.id)
    ).all()
    by_topic = session.execute(
        select(ConsultationTopic.name, func.count(c.id))
        .outerjoin(
            ConsultationTopicLink,
            and_(
                ConsultationTopicLink.topic_id == ConsultationTopic.id,
                ConsultationTopicLink.is_primary.is_(True),
            ),
        )
        .outerjoin(c, and_(c.id == ConsultationTopicLink.consultation_id, live))
        .group_by(ConsultationTopic.id, ConsultationTopic.name, ConsultationTopic.sort_order)
        .order_by(ConsultationTopic.sort_order, ConsultationTopic.id)
    ).all()
    topics = [(name, count) for name, count in by_topic]
    if untopped := total - sum(count for _, count in topics):
        topics.append((NO_TOPIC, untopped))
    areas = dict(
        session.execute(
            select(func.coalesce(Business.area, NO_BUSINESS), func.count())
            .select_from(c)
            .outerjoin(Business, Business.id == c.business_id)
            .where(live)
            .group_by(func.coalesce(Business.area, NO_BUSINESS))
        ).all()
    )
    by_area = tuple((area, areas.get(area, 0)) for area in AREAS)  # the schema allows no other
    if areas.get(NO_BUSINESS):
        by_area += ((NO_BUSINESS, areas[NO_BUSINESS]),)
    return ConsultationFigures(
        total=total,
        by_channel=tuple((name, count) for name, count in by_channel),
        by_topic=tuple(topics),
        by_area=by_area,
    )


def _count(session: Session, *where: ColumnElement[bool]) -> int:
    return int(
        session.execute(select(func.count()).select_from(LoanCase).where(*where)).scalar_one()
    )


def _loans(session: Session, first: date, last: date, *, amounts: bool) -> LoanFigures:
    c = LoanCase
    executed_count, executed_amount = session.execute(
        select(func.count(), func.coalesce(func.sum(c.executed_amount), 0)).where(
            _between(c.executed_on, first, last)
        )
    ).one()
    closed = _between(c.closed_on, first, last)
    return LoanFigures(
        received=_count(session, _between(c.received_on, first, last)),
        referred=_count(session, _between(c.referred_on, first, last)),
        executed=Executed(int(executed_count), int(executed_amount or 0) if amounts else None),
        declined=_count(session, closed, c.status.in_([s.value for s in DECLINED])),
        withdrawn=_count(session, closed, c.status == LoanState.WITHDRAWN.value),
    )


def _dispatch(session: Session, first: date, last: date) -> DispatchFigures:
    visits, fees = session.execute(
        select(func.count(), func.coalesce(func.sum(DispatchVisit.fee), 0)).where(
            _between(DispatchVisit.visited_on, first, last)
        )
    ).one()
    return DispatchFigures(int(visits), int(fees or 0))


def _subsidies(session: Session, first: date, last: date) -> SubsidyFigures:
    a = SubsidyApplication
    count, amount = session.execute(
        select(func.count(), func.coalesce(func.sum(a.granted_amount), 0)).where(
            _between(a.decided_on, first, last), a.granted_amount.is_not(None)
        )
    ).one()
    return SubsidyFigures(Granted(int(count), int(amount or 0)))


# -- JSON -------------------------------------------------------------------------------------


def _figures_json(f: PeriodFigures | PeriodReport) -> dict[str, Any]:
    return {
        "period": {"from": f.period_from.isoformat(), "to": f.period_to.isoformat()},
        "consultations": {
            "total": f.consultations.total,
            "by_channel": dict(f.consultations.by_channel),
            "by_topic": dict(f.consultations.by_topic),
            "by_area": dict(f.consultations.by_area),
        },
        "loans": {
            "received": f.loans.received,
            "referred": f.loans.referred,
            "executed": {
                "count": f.loans.executed.count,
                "amount": f.loans.executed.amount,
            },
            "declined": f.loans.declined,
            "withdrawn": f.loans.withdrawn,
        },
        "dispatch": {"visits": f.dispatch.visits, "fees": f.dispatch.fees},
        "subsidies": {
            "granted": {
                "count": f.subsidies.granted.count,
                "amount": f.subsidies.granted.amount,
            }
        },
    }


def to_json(report: PeriodReport | FiscalYearReport) -> dict[str, Any]:
    """The report as a plain JSON-able dict: ISO dates, amounts in yen (int), label → count."""
    if isinstance(report, FiscalYearReport):
        return {
            "report": "fiscal_year",
            "fiscal_year": report.fiscal_year,
            **_figures_json(report.totals),
            "months": [_figures_json(month) for month in report.months],
        }
    return {
        "report": "monthly",
        **_figures_json(report),
        "same_month_last_year": _figures_json(report.same_month_last_year),
        "fiscal_year_to_date": _figures_json(report.fiscal_year_to_date),
    }
