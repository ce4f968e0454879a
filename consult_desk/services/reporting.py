"""Report data (月次報告・年度報告): the figures every renderer (JSON, PDF, xlsx) reads.

- ``ReportingService.monthly`` / ``fiscal_year`` return the frozen dataclasses of
  ``domain.report_figures``; a renderer never touches the database, so every format shows the
  same figures.
- Every figure group is one SQL aggregate (COUNT / SUM, GROUP BY its categories) over the
  period: nothing loads a table. A period is inclusive at both ends, in the ward's (JST)
  calendar dates. A new kind of record slots in as one ``_kind(session, first, last)`` function
  returning its figure group, and one field of ``PeriodFigures``; ``to_json`` walks the fields.
- Consultations, by far the most rows, are counted for consecutive months in one pass grouped
  by month (the 年度報告's twelve months, the 月次報告's 年度 so far), reading covering indexes
  only; the 年度 (to date) is the sum of its months. A closed month's counts are kept in
  ``report_month`` and read back until a write changes them (``services/report_cache.py``).
  1,000,000 consultations: benchmarks/reports.py, docs/benchmarks.md.
- Consultations in the trash are left out. Loan amounts are ``None`` for roles that may not see
  them (as in the exports), never a figure they could not otherwise read.
- The pipeline at a period's end is rebuilt from the append-only case history: a case's state
  on a day is the target of its latest step dated on or before that day that was not taken
  back (an undo restores the state before the step it undoes, so the step simply drops out).
- ``to_json`` is the plain dict the JSON file holds; ``services.report_files`` writes the files
  (JSON, PDF, xlsx) and audits them.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import Session

from consult_desk.db.engine import Database
from consult_desk.db.models import (
    AREAS,
    Bank,
    Business,
    Consultation,
    ConsultationChannel,
    ConsultationTopic,
    ConsultationTopicLink,
    DispatchVisit,
    ExpertDispatch,
    JsicMajor,
    LoanCase,
    LoanCaseEvent,
    LoanProgram,
    StreetEvent,
    StreetSupport,
    SubsidyApplication,
    SubsidyProgram,
    SupportKind,
)
from consult_desk.domain.fiscal import fiscal_year, fiscal_year_range, japan_today
from consult_desk.domain.loans import PIPELINE_ORDER, TERMINAL, LoanState
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.domain.report_figures import (
    NO_BANK,
    NO_BUSINESS,
    NO_JSIC,
    NO_TOPIC,
    BankLoans,
    ConsultationFigures,
    Counts,
    DispatchFigures,
    Executed,
    FiscalYearReport,
    Granted,
    LoanFigures,
    PeriodFigures,
    PeriodReport,
    ProgramLoans,
    ProgramSubsidies,
    StreetFigures,
    SubsidyFigures,
    Tally,
)
from consult_desk.domain.streets import SupportKindCode
from consult_desk.services.report_business import (
    BusinessReport,
    build_business_report,
    resolve_business,
)
from consult_desk.services.report_cache import ConsultationCounts, MonthCache
from consult_desk.services.report_initiatives import (
    InitiativeOverview,
    InitiativeReport,
    build_initiative_report,
    overview_figures,
    overview_json,
)

__all__ = [
    "NO_BANK",
    "NO_BUSINESS",
    "NO_JSIC",
    "NO_TOPIC",
    "OPEN_STATES",
    "BankLoans",
    "ConsultationFigures",
    "Counts",
    "DispatchFigures",
    "Executed",
    "FiscalYearReport",
    "Granted",
    "LoanFigures",
    "PeriodFigures",
    "PeriodReport",
    "ProgramLoans",
    "ProgramSubsidies",
    "ReportingService",
    "StreetFigures",
    "SubsidyFigures",
    "Tally",
    "month_range",
    "to_json",
]

DECLINED = (LoanState.DECLINED_BANK, LoanState.DECLINED_CGC, LoanState.REFUSED_BY_WARD)
# The states the month-end pipeline counts: every state a case has not ended in.
OPEN_STATES: tuple[LoanState, ...] = tuple(s for s in PIPELINE_ORDER if s not in TERMINAL)


def month_range(year: int, month: int) -> tuple[date, date]:
    """The first and last day of a month (ValueError for an impossible month)."""
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def _months(first: date, last: date) -> list[tuple[date, date]]:
    """The calendar months from ``first``'s to ``last``'s, each as its first and last day."""
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(month_range(year, month))
        year, month = year + month // 12, month % 12 + 1
    return months


class ReportingService:
    def __init__(self, db: Database, principal: Principal) -> None:
        self._db = db
        self._principal = principal

    def monthly(self, year: int, month: int) -> PeriodReport:
        """The 月次報告 of ``year``-``month``."""
        self._principal.require(Kind.REPORT, Action.READ)
        first, last = month_range(year, month)
        fy_first, _ = fiscal_year_range(fiscal_year(first))
        cache = MonthCache(japan_today())
        with self._db.read() as session:
            # The 年度's months so far: this month's consultations, and their sum.
            *months, so_far = _consultation_periods(session, _months(fy_first, last), cache)
            now = self._figures(session, first, last, months[-1])
            last_year_month = month_range(year - 1, month)
            last_year = self._figures(
                session,
                *last_year_month,
                _consultation_periods(session, [last_year_month], cache)[0],
            )
            to_date = self._figures(session, fy_first, last, so_far)
        cache.store(self._db)
        return PeriodReport(
            **{f.name: getattr(now, f.name) for f in fields(PeriodFigures)},
            same_month_last_year=last_year,
            fiscal_year_to_date=to_date,
        )

    def fiscal_year(self, year: int) -> FiscalYearReport:
        """The 年度報告 of 年度 ``year`` (the year in which its April falls)."""
        self._principal.require(Kind.REPORT, Action.READ)
        first, last = fiscal_year_range(year)
        months = _months(first, last)
        cache = MonthCache(japan_today())
        with self._db.read() as session:
            # The months' consultations; the 年度's are their sum.
            *per_month, whole = _consultation_periods(session, months, cache)
            figures = tuple(
                self._figures(session, *month, consultations)
                for month, consultations in zip(months, per_month, strict=True)
            )
            totals = self._figures(session, first, last, whole)
            initiatives = overview_figures(
                session, first, last, amounts=self._principal.sees_loan_amounts
            )
        cache.store(self._db)
        return FiscalYearReport(year, first, last, figures, totals, initiatives)

    # -- record reports: 事業者カルテ and 施策別実績 (services.report_business / _initiatives) --

    def business(self, key: str, *, include_notes: bool = False) -> BusinessReport:
        """事業者カルテ of the business ``key`` names: its ID or its 法人番号. Internal notes
        only with ``include_notes`` (no further right: each note is a field of a record the
        principal may already read; the flag keeps them off a karte that is handed on)."""
        self._principal.require(Kind.REPORT, Action.READ)
        self._principal.require(Kind.BUSINESS, Action.READ)
        with self._db.read() as session:
            business_id = resolve_business(session, key)
            return build_business_report(
                session, self._principal, business_id, include_notes=include_notes
            )

    def initiative(self, code: str, first: date, last: date) -> InitiativeReport:
        """施策別実績 of the initiative ``code`` (「1-1-1」) from ``first`` to ``last``."""
        self._principal.require(Kind.REPORT, Action.READ)
        with self._db.read() as session:
            return build_initiative_report(session, self._principal, code, first, last)

    def initiative_overview(self, first: date, last: date) -> InitiativeOverview:
        """施策別実績一覧: every initiative from ``first`` to ``last``."""
        self._principal.require(Kind.REPORT, Action.READ)
        with self._db.read() as session:
            return overview_figures(session, first, last, amounts=self._principal.sees_loan_amounts)

    # -- figures ----------------------------------------------------------------------------

    def _figures(
        self,
        session: Session,
        first: date,
        last: date,
        consultations: ConsultationFigures | None = None,
    ) -> PeriodFigures:
        """The figures of ``first``–``last``; ``consultations`` when already counted."""
        return PeriodFigures(
            period_from=first,
            period_to=last,
            consultations=consultations or _consultations(session, first, last),
            loans=_loans(session, first, last, amounts=self._principal.sees_loan_amounts),
            dispatch=_dispatch(session, first, last),
            streets=_streets(session, first, last),
            subsidies=_subsidies(session, first, last),
        )


def _between(column: Any, first: date, last: date) -> ColumnElement[bool]:
    return and_(column >= first, column <= last)


def _counted(condition: ColumnElement[bool]) -> Any:
    """COUNT of the grouped rows meeting ``condition``."""
    return func.count(case((condition, 1)))


def _summed(condition: ColumnElement[bool], amount: Any) -> Any:
    """SUM of ``amount`` over the grouped rows meeting ``condition`` (0, never NULL)."""
    return func.coalesce(func.sum(case((condition, amount))), 0)


# -- consultations ----------------------------------------------------------------------------


def _consultations(session: Session, first: date, last: date) -> ConsultationFigures:
    return _consultation_periods(session, [(first, last)])[0]


def _consultation_periods(
    session: Session,
    periods: Sequence[tuple[date, date]],
    cache: MonthCache | None = None,
) -> list[ConsultationFigures]:
    """The consultation figures of each of ``periods`` (consecutive, in date order), then those
    of all of them together (their sum: the periods do not overlap).

    Closed months whose counts ``cache`` holds are not counted again; the others are counted
    (and handed to ``cache`` to keep), each run of consecutive ones in one pass.
    """
    for (_, end), (start, _) in itertools.pairwise(periods):
        if start != end + timedelta(days=1):
            raise ValueError("periods must follow each other")
    if cache is not None:
        cache.load(session, list(periods))  # before counting: see services/report_cache.py
    found = [cache.get(period) if cache else None for period in periods]
    runs: list[list[int]] = []  # the periods to count, in runs of consecutive ones
    for n, counts in enumerate(found):
        if counts is None:
            if runs and runs[-1][-1] == n - 1:
                runs[-1].append(n)
            else:
                runs.append([n])
    for numbers in runs:
        for n, counts in zip(
            numbers, _count_periods(session, [periods[n] for n in numbers]), strict=True
        ):
            found[n] = counts
            if cache is not None:
                cache.put(periods[n], counts)
    done = [counts for counts in found if counts is not None]
    done.append(functools.reduce(ConsultationCounts.plus, done))
    names = _ConsultationNames.read(session)
    return [names.figures(counts) for counts in done]


def _count_periods(
    session: Session, periods: Sequence[tuple[date, date]]
) -> list[ConsultationCounts]:
    """Consecutive ``periods``' consultations counted by channel, primary topic, area and 業種.

    Each figure is one pass over the whole span, grouped by period: the 年度報告's twelve
    months cost about what one 年度 does. Only the index ix_consultation_figures and the
    topic links' index are read, never a consultation's row with its long texts; the keys are
    named afterwards from the small reference tables.
    """
    c, link = Consultation, ConsultationTopicLink
    live = and_(_between(c.consulted_on, periods[0][0], periods[-1][1]), c.deleted_at.is_(None))
    # Each row is in the span, so it meets one of the WHENs: that of the first period whose
    # end it does not pass. The numbers are written into the SQL (bound, PostgreSQL would
    # type them as text).
    period = case(
        *((c.consulted_on <= end, literal_column(str(n))) for n, (_, end) in enumerate(periods))
    ).label("period")
    found = [ConsultationCounts() for _ in periods]
    for n, channel, count in session.execute(
        select(period, c.channel_id, func.count()).where(live).group_by(period, c.channel_id)
    ):
        found[n].channels[channel] = count
    for n, topic, count in session.execute(
        select(period, link.topic_id, func.count())
        .select_from(c)
        .join(link, and_(link.consultation_id == c.id, link.is_primary.is_(True)))
        .where(live)
        .group_by(period, link.topic_id)
    ):
        found[n].topics[topic] = count
    # Counted per business first, so that each business is looked up once, not once per
    # consultation. A JSIC code never holds a space, so it cannot clash with NO_JSIC.
    counted = (
        select(period, c.business_id, func.count().label("n"))
        .where(live)
        .group_by(c.business_id, period)
        .subquery()
    )
    area = func.coalesce(Business.area, NO_BUSINESS)
    major = case(
        (counted.c.business_id.is_(None), literal(NO_BUSINESS)),
        else_=func.coalesce(Business.jsic_major, NO_JSIC),
    )
    for n, area_name, major_code, count in session.execute(
        select(counted.c.period, area, major, func.sum(counted.c.n))
        .select_from(counted)
        .outerjoin(Business, Business.id == counted.c.business_id)
        .group_by(counted.c.period, area, major)
    ):
        found[n].areas[area_name] = found[n].areas.get(area_name, 0) + int(count)
        found[n].majors[major_code] = found[n].majors.get(major_code, 0) + int(count)
    return found


@dataclass(frozen=True, slots=True)
class _ConsultationNames:
    """The reference tables' names, in display order."""

    channels: tuple[tuple[int, str], ...]
    topics: tuple[tuple[int, str], ...]
    majors: tuple[tuple[str, str], ...]

    @classmethod
    def read(cls, session: Session) -> _ConsultationNames:
        channel, topic = ConsultationChannel, ConsultationTopic
        channels = select(channel.id, channel.name).order_by(channel.sort_order, channel.id)
        topics = select(topic.id, topic.name).order_by(topic.sort_order, topic.id)
        majors = select(JsicMajor.code, JsicMajor.name).order_by(JsicMajor.code)
        return cls(
            tuple((key, name) for key, name in session.execute(channels)),
            tuple((key, name) for key, name in session.execute(topics)),
            tuple((code, name) for code, name in session.execute(majors)),
        )

    def figures(self, counts: ConsultationCounts) -> ConsultationFigures:
        total = sum(counts.channels.values())  # every consultation has a channel
        topics = [(name, counts.topics.get(key, 0)) for key, name in self.topics]
        if untopped := total - sum(count for _, count in topics):
            topics.append((NO_TOPIC, untopped))
        areas = counts.areas
        by_area = tuple((area, areas.get(area, 0)) for area in AREAS)  # the schema allows no other
        if areas.get(NO_BUSINESS):
            by_area += ((NO_BUSINESS, areas[NO_BUSINESS]),)
        by_jsic = tuple(
            (f"{code} {name}", counts.majors.get(code, 0)) for code, name in self.majors
        )
        by_jsic += tuple(
            (key, counts.majors[key]) for key in (NO_JSIC, NO_BUSINESS) if counts.majors.get(key)
        )
        return ConsultationFigures(
            total=total,
            by_channel=tuple((name, counts.channels.get(key, 0)) for key, name in self.channels),
            by_topic=tuple(topics),
            by_area=by_area,
            by_jsic=by_jsic,
        )


# -- loans --------------------------------------------------------------------------------------


def _loans(session: Session, first: date, last: date, *, amounts: bool) -> LoanFigures:
    c = LoanCase
    received = _between(c.received_on, first, last)
    referred = _between(c.referred_on, first, last)
    executed = _between(c.executed_on, first, last)
    closed = _between(c.closed_on, first, last)
    row = session.execute(
        select(
            _counted(received),
            _counted(referred),
            _counted(executed),
            _summed(executed, c.executed_amount),
            _counted(and_(closed, c.status.in_([s.value for s in DECLINED]))),
            _counted(and_(closed, c.status == LoanState.WITHDRAWN.value)),
        ).where(or_(received, referred, executed, closed))
    ).one()

    def done(count: Any, amount: Any) -> Executed:
        return Executed(int(count), int(amount) if amounts else None)

    in_period = or_(received, referred, executed)
    by_program = session.execute(
        select(
            LoanProgram.name,
            _counted(received),
            _counted(referred),
            _counted(executed),
            _summed(executed, c.executed_amount),
        )
        .outerjoin(c, and_(c.program_id == LoanProgram.id, in_period))
        .group_by(LoanProgram.id, LoanProgram.name)
        .order_by(LoanProgram.id)
    ).all()
    bank_rows = session.execute(
        select(
            Bank.id,
            func.coalesce(Bank.name, NO_BANK),
            _counted(referred),
            _counted(executed),
            _summed(executed, c.executed_amount),
        )
        .select_from(c)
        .outerjoin(Bank, Bank.id == c.bank_id)
        .where(or_(referred, executed))
        .group_by(Bank.id, Bank.name)
    ).all()
    figures = {bank_id: BankLoans(n, done(x, amount)) for bank_id, _, n, x, amount in bank_rows}
    zero = BankLoans(0, done(0, 0))
    banks = session.execute(select(Bank.id, Bank.name).order_by(Bank.id))  # reference rows
    by_bank = tuple((name, figures.get(bank_id, zero)) for bank_id, name in banks)
    if None in figures:
        by_bank += ((NO_BANK, figures[None]),)
    return LoanFigures(
        received=int(row[0]),
        referred=int(row[1]),
        executed=done(row[2], row[3]),
        declined=int(row[4]),
        withdrawn=int(row[5]),
        by_program=tuple(
            (name, ProgramLoans(int(n_in), int(n_ref), done(n_ex, amount)))
            for name, n_in, n_ref, n_ex, amount in by_program
        ),
        by_bank=by_bank,
        pipeline=_pipeline(session, last),
    )


def _pipeline(session: Session, on: date) -> Counts:
    """Cases in each open state at the end of ``on``, from the append-only case history.
    Kept for the session: the 月次報告's 当月 and 年度累計 end on the same day."""
    known: dict[date, Counts] = session.info.setdefault("report_pipelines", {})
    if on not in known:
        known[on] = _pipeline_on(session, on)
    return known[on]


def _pipeline_on(session: Session, on: date) -> Counts:
    e = LoanCaseEvent
    # services.loans writes an undo's data as json.dumps({"undoes": id}); comparing the text
    # keeps the query the same on every engine (tests/db/test_reporting.py pins the format).
    # NOT IN over the few undo steps (data is never NULL) is read once, not once per step.
    undone = (literal('{"undoes": ') + cast(e.id, String) + literal("}")).in_(
        select(LoanCaseEvent.data).where(LoanCaseEvent.kind == "undo")
    )
    latest = (
        select(
            e.to_status.label("state"),
            func.row_number()
            .over(partition_by=e.case_id, order_by=(e.occurred_on.desc(), e.id.desc()))
            .label("n"),
        )
        .where(e.kind == "transition", e.occurred_on <= on, ~undone)
        .subquery()
    )
    counts: dict[str, int] = dict(
        session.execute(
            select(latest.c.state, func.count()).where(latest.c.n == 1).group_by(latest.c.state)
        ).all()
    )
    return tuple((state.label, int(counts.get(state.value, 0))) for state in OPEN_STATES)


# -- expert dispatch ----------------------------------------------------------------------------


def _dispatch(session: Session, first: date, last: date) -> DispatchFigures:
    visits, fees = session.execute(
        select(func.count(), func.coalesce(func.sum(DispatchVisit.fee), 0)).where(
            _between(DispatchVisit.visited_on, first, last)
        )
    ).one()
    d = ExpertDispatch
    decided = _between(d.decided_on, first, last)
    completed = _between(d.completed_on, first, last)
    decisions: Any = session.execute(
        select(_counted(decided), _counted(completed)).where(or_(decided, completed))
    ).one()
    return DispatchFigures(
        visits=int(visits),
        fees=int(fees or 0),
        decided=int(decisions[0]),
        completed=int(decisions[1]),
    )


# -- shopping streets -------------------------------------------------------------------------


def _streets(session: Session, first: date, last: date) -> StreetFigures:
    s = StreetSupport
    kinds: Any = session.execute(
        select(
            SupportKind.code,
            SupportKind.name,
            func.count(s.id),
            func.coalesce(func.sum(s.student_count), 0),
        )
        .outerjoin(s, and_(s.kind_id == SupportKind.id, _between(s.supported_on, first, last)))
        .group_by(SupportKind.id, SupportKind.code, SupportKind.name, SupportKind.sort_order)
        .order_by(SupportKind.sort_order, SupportKind.id)
    ).all()
    university = [
        (n, students) for code, _, n, students in kinds if code == SupportKindCode.UNIVERSITY
    ]
    events, visitors = session.execute(
        select(func.count(), func.coalesce(func.sum(StreetEvent.visitors), 0)).where(
            _between(StreetEvent.starts_on, first, last)
        )
    ).one()
    return StreetFigures(
        supports=sum(int(n) for _, _, n, _ in kinds),
        by_kind=tuple((name, int(n)) for _, name, n, _ in kinds),
        events=int(events),
        visitors=int(visitors or 0),
        university=sum(int(n) for n, _ in university),
        students=sum(int(students) for _, students in university),
    )


# -- subsidies ----------------------------------------------------------------------------------


def _subsidies(session: Session, first: date, last: date) -> SubsidyFigures:
    a = SubsidyApplication
    received = _between(a.applied_on, first, last)
    granted = and_(_between(a.decided_on, first, last), a.granted_amount.is_not(None))
    paid = and_(_between(a.paid_on, first, last), a.paid_amount.is_not(None))
    columns = (
        _counted(received),
        _counted(granted),
        _summed(granted, a.granted_amount),
        _counted(paid),
        _summed(paid, a.paid_amount),
    )
    in_period = or_(received, granted, paid)
    total = session.execute(select(*columns).where(in_period)).one()
    by_program = session.execute(
        select(SubsidyProgram.name, *columns)
        .outerjoin(a, and_(a.program_id == SubsidyProgram.id, in_period))
        .group_by(SubsidyProgram.id, SubsidyProgram.name)
        .order_by(SubsidyProgram.id)
    ).all()

    def figures(row: Any) -> ProgramSubsidies:
        n_in, n_granted, granted_yen, n_paid, paid_yen = (int(v) for v in row)
        return ProgramSubsidies(n_in, Tally(n_granted, granted_yen), Tally(n_paid, paid_yen))

    whole = figures(total)
    return SubsidyFigures(
        received=whole.received,
        granted=whole.granted,
        paid=whole.paid,
        by_program=tuple((row[0], figures(row[1:])) for row in by_program),
    )


# -- JSON -------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """Figures as JSON values: a dataclass → its fields (the two period ends → "period"), a
    (label, value) breakdown → label → value; ints and None stay as they are."""
    if is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in fields(value):
            if f.name == "period_from":
                out["period"] = {
                    "from": value.period_from.isoformat(),  # type: ignore[attr-defined]
                    "to": value.period_to.isoformat(),  # type: ignore[attr-defined]
                }
            elif f.name != "period_to":
                out[f.name] = _plain(getattr(value, f.name))
        return out
    if isinstance(value, tuple):
        return {label: _plain(item) for label, item in value}
    return value


def to_json(report: PeriodReport | FiscalYearReport) -> dict[str, Any]:
    """The report as a plain JSON-able dict: ISO dates, amounts in yen (int), label → count."""
    if isinstance(report, FiscalYearReport):
        return {
            "report": "fiscal_year",
            "fiscal_year": report.fiscal_year,
            **_plain(report.totals),
            "months": [_plain(month) for month in report.months],
            "initiatives": {
                key: value
                for key, value in overview_json(report.initiatives).items()
                if key != "report"
            },
        }
    return {"report": "monthly", **_plain(report)}
