"""施策別実績: what each initiative of the plan achieved over a period.

- ``overview_figures`` gives every initiative (all 24, in plan order) with its figures and the
  totals; ``build_initiative_report`` one initiative with its place in the plan, its figures, a
  month-by-month count and the list of the records counted.
- A figure counts records whose named date falls inside the period (both ends inclusive, the
  ward's calendar dates), as the monthly report does: consultations by 相談日 (the trash left
  out), loans by the day the あっせん書 was issued and by 実行日, dispatch visits by 訪問日,
  subsidies by 交付決定日, street support by 支援日, events by 開始日.
- A consultation serves every initiative it is linked to (``consultation_initiative``); every
  other record serves the one initiative it names.
- Every figure is one SQL aggregate grouped by initiative, all of a period's in one statement
  (the period's consultation–initiative pairs are read once); the month chart groups by day
  (at most 366 rows a year) and the list reads at most ``MAX_LINKED`` rows of each kind.
- Loan amounts are ``None`` for principals who may not see them.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    distinct,
    func,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from consult_desk.db.models import (
    BasicPolicy,
    Business,
    Consultation,
    ConsultationInitiative,
    ConsultationTopic,
    ConsultationTopicLink,
    DispatchVisit,
    Expert,
    ExpertDispatch,
    Initiative,
    InitiativeOwner,
    LoanCase,
    LoanProgram,
    Policy,
    StreetAssociation,
    StreetEvent,
    StreetSupport,
    SubsidyApplication,
    SubsidyProgram,
    SupportKind,
)
from consult_desk.domain.errors import DomainError, FieldError, ValidationError
from consult_desk.domain.permissions import Principal
from consult_desk.domain.report_records import (
    InitiativeFigures,
    InitiativeOverview,
    InitiativePath,
    InitiativeReport,
    LinkedRecord,
    MonthFigures,
    OverviewRow,
)

__all__ = [
    "KIND_LABELS",
    "MAX_LINKED",
    "InitiativeFigures",
    "InitiativeOverview",
    "InitiativePath",
    "InitiativeReport",
    "LinkedRecord",
    "MonthFigures",
    "OverviewRow",
    "UnknownInitiative",
    "build_initiative_report",
    "figures_json",
    "initiative_json",
    "overview_figures",
    "overview_json",
    "resolve_initiative",
]

MAX_LINKED = 1_000  # rows of the record list; the rest is counted in ``more``
SUMMARY_CHARS = 60  # of a consultation's summary in the list
CODE_FORMAT = re.compile(r"[0-9]{1,2}-[0-9]{1,2}-[0-9]{1,2}")
# After NFKC: hyphen, dashes, minus, the long vowel mark an IME gives in full-width mode.
_CODE_DASHES = re.compile("[-\u2010-\u2015\u2212\u30fc\ufe58\ufe63]")

# The list's kinds, in the order records of one day are listed.
KIND_LABELS: dict[str, str] = {
    "consultation": "経営相談",
    "loan_referral": "融資あっせん",
    "loan_execution": "融資実行",
    "dispatch_visit": "専門家派遣",
    "subsidy_grant": "補助金交付決定",
    "street_support": "商店街支援",
    "street_event": "イベント",
}
_KIND_ORDER = {kind: n for n, kind in enumerate(KIND_LABELS)}
_TOTAL = 0  # key of the figures over all initiatives (initiative ids start at 1)


class UnknownInitiative(DomainError):
    """A code that is not shaped like an initiative's, or names none (messages.py)."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(text)
        self.code = code


# --- figures -------------------------------------------------------------------------------


def _between(column: Any, first: date, last: date) -> ColumnElement[bool]:
    return and_(column >= first, column <= last)


Columns = Any  # the ``.c`` collection of a row source
Aggregates = Callable[[Columns], tuple[Any, ...]]


Part = tuple[Any, Aggregates, Aggregates | None]  # rows (a CTE), per initiative, over all


def _aggregate(
    session: Session, parts: list[Part], only: int | None
) -> list[dict[int, tuple[int, ...]]]:
    """Aggregates of each part's rows (a CTE with an ``initiative_id`` column) per initiative,
    and where the part has totals also over all of them under ``_TOTAL``, all in one
    statement: a CTE that several parts read (the period's consultations) is materialised
    once, by SQLite and PostgreSQL alike. Rows are tagged with their part and padded to the
    widest part's number of aggregates."""
    width = max(len(grouped(rows.c)) for rows, grouped, _ in parts)
    sizes: list[int] = []
    selects: list[Any] = []
    for n, (rows, grouped, totals) in enumerate(parts):
        values = grouped(rows.c)
        sizes.append(len(values))
        pad: list[Any] = [literal_column("0")] * (width - len(values))
        tag: Any = literal_column(str(n))
        key = rows.c.initiative_id
        stmt: Any = select(tag, key, *values, *pad).group_by(key)
        if only is not None:
            stmt = stmt.where(key == only)
        selects.append(stmt)
        if totals is not None:
            total = select(tag, literal_column(str(_TOTAL)), *totals(rows.c), *pad)
            selects.append(total.select_from(rows))
    found: list[dict[int, tuple[int, ...]]] = [{} for _ in parts]
    for part, key, *aggregates in session.execute(union_all(*selects)):
        found[part][key] = tuple(int(v or 0) for v in aggregates[: sizes[part]])
    return found


def _live_consultations(first: date, last: date) -> ColumnElement[bool]:
    c = Consultation
    return and_(_between(c.consulted_on, first, last), c.deleted_at.is_(None))


def _reached(first: date, last: date, consultations: Any) -> Any:
    """(initiative_id, business_id) of every business a counted record reached (repeated:
    the aggregates count distinct businesses); ``consultations`` are the period's
    (initiative, consultation, business) rows."""
    loan, visit, dispatch, grant = LoanCase, DispatchVisit, ExpertDispatch, SubsidyApplication
    return union_all(
        select(
            consultations.c.initiative_id.label("initiative_id"),
            consultations.c.business_id.label("business_id"),
        ).where(consultations.c.business_id.is_not(None)),
        select(loan.initiative_id, loan.business_id).where(
            or_(
                _between(loan.referred_on, first, last),
                _between(loan.executed_on, first, last),
            )
        ),
        select(dispatch.initiative_id, dispatch.business_id)
        .select_from(visit)
        .join(dispatch, dispatch.id == visit.dispatch_id)
        .where(_between(visit.visited_on, first, last)),
        select(grant.initiative_id, grant.business_id).where(
            _between(grant.decided_on, first, last),
            grant.granted_amount.is_not(None),
            grant.business_id.is_not(None),
        ),
    )


def _count_yen(yen: Any) -> Aggregates:
    return lambda c: (func.count(), func.sum(getattr(c, yen)))


def _figures(
    session: Session,
    first: date,
    last: date,
    *,
    amounts: bool,
    only: int | None = None,
    totals: bool = False,
) -> dict[int, InitiativeFigures]:
    """The figures per initiative (only ``only``'s when given), and with ``totals`` the
    figures over all initiatives under ``_TOTAL`` (each record once)."""
    c, ci = Consultation, ConsultationInitiative
    loan, visit, dispatch, grant = LoanCase, DispatchVisit, ExpertDispatch, SubsidyApplication
    support, event = StreetSupport, StreetEvent

    def prospects(r: Columns) -> Any:
        return func.count(distinct(case((r.business_id.is_(None), r.prospect_name))))

    def source(rows: Any, grouped: Aggregates, total: Aggregates | None = None) -> Part:
        return (rows.cte(), grouped, (total or grouped) if totals else None)

    # The period's consultations and their initiatives: read once, for the consultations
    # and for the businesses they reached.
    linked = (
        select(ci.initiative_id, ci.consultation_id, c.business_id, c.prospect_name)
        .join(c, c.id == ci.consultation_id)
        .where(_live_consultations(first, last))
        .cte("linked")
    )
    (
        consultations,
        businesses,
        referred,
        executed,
        visits,
        granted,
        supports,
        events,
    ) = _aggregate(
        session,
        [
            (
                linked,
                # (consultation, initiative) pairs are unique: a plain count per initiative
                lambda r: (func.count(), prospects(r)),
                (lambda r: (func.count(distinct(r.consultation_id)), prospects(r)))
                if totals
                else None,
            ),
            source(_reached(first, last, linked), lambda r: (func.count(distinct(r.business_id)),)),
            source(
                select(loan.initiative_id, loan.referral_amount).where(
                    _between(loan.referred_on, first, last)
                ),
                _count_yen("referral_amount"),
            ),
            source(
                select(loan.initiative_id, loan.executed_amount).where(
                    _between(loan.executed_on, first, last)
                ),
                _count_yen("executed_amount"),
            ),
            source(
                select(dispatch.initiative_id, visit.fee)
                .join(dispatch, dispatch.id == visit.dispatch_id)
                .where(_between(visit.visited_on, first, last)),
                _count_yen("fee"),
            ),
            source(
                select(grant.initiative_id, grant.granted_amount).where(
                    _between(grant.decided_on, first, last), grant.granted_amount.is_not(None)
                ),
                _count_yen("granted_amount"),
            ),
            source(
                select(support.initiative_id).where(_between(support.supported_on, first, last)),
                lambda r: (func.count(),),
            ),
            source(
                select(event.initiative_id, event.visitors).where(
                    _between(event.starts_on, first, last)
                ),
                _count_yen("visitors"),
            ),
        ],
        only,
    )
    parts = (consultations, businesses, referred, executed, visits, granted, supports, events)
    keys = {key for part in parts for key in part}
    if only is not None:
        keys.add(only)
    if totals:
        keys.add(_TOTAL)

    def of(part: dict[int, tuple[int, ...]], key: int, width: int) -> tuple[int, ...]:
        return part.get(key, (0,) * width)

    found = {}
    for key in keys:
        n_consult, n_prospects = of(consultations, key, 2)
        (n_businesses,) = of(businesses, key, 1)
        n_referred, referred_yen = of(referred, key, 2)
        n_executed, executed_yen = of(executed, key, 2)
        n_visits, fees = of(visits, key, 2)
        n_granted, granted_yen = of(granted, key, 2)
        (n_supports,) = of(supports, key, 1)
        n_events, visitors = of(events, key, 2)
        found[key] = InitiativeFigures(
            consultations=n_consult,
            businesses=n_businesses,
            prospects=n_prospects,
            loans_referred=n_referred,
            loans_referred_amount=referred_yen if amounts else None,
            loans_executed=n_executed,
            loans_executed_amount=executed_yen if amounts else None,
            dispatch_visits=n_visits,
            dispatch_fees=fees,
            subsidies_granted=n_granted,
            subsidies_granted_amount=granted_yen,
            street_supports=n_supports,
            events=n_events,
            event_visitors=visitors,
        )
    return found


def _empty(amounts: bool) -> InitiativeFigures:
    return InitiativeFigures(
        0, 0, 0, 0, 0 if amounts else None, 0, 0 if amounts else None, 0, 0, 0, 0, 0, 0, 0
    )


def _check_period(first: date, last: date) -> None:
    if last < first:
        raise ValidationError([FieldError("date_to", "period.reversed")])


# --- the plan ------------------------------------------------------------------------------


def _owners(session: Session, initiative_id: int | None = None) -> dict[int, tuple[str, ...]]:
    o = InitiativeOwner
    stmt = select(o.initiative_id, o.name).order_by(o.initiative_id, o.position)
    if initiative_id is not None:
        stmt = stmt.where(o.initiative_id == initiative_id)
    found: dict[int, list[str]] = defaultdict(list)
    for initiative, name in session.execute(stmt):
        found[initiative].append(name)
    return {key: tuple(names) for key, names in found.items()}


def _plan_select() -> Select[*tuple[Any, ...]]:
    i, p, b = Initiative, Policy, BasicPolicy
    return (
        select(
            i.id,
            i.code,
            i.title,
            i.owners_note,
            i.description,
            p.code,
            p.title,
            p.summary,
            b.code,
            b.title,
        )
        .join(p, p.id == i.policy_id)
        .join(b, b.id == p.basic_policy_id)
        .order_by(b.sort_order, b.id, p.sort_order, p.id, i.sort_order, i.id)
    )


def _paths(session: Session, stmt: Select[*tuple[Any, ...]]) -> list[InitiativePath]:
    rows = session.execute(stmt).all()
    owners = _owners(session, rows[0][0] if len(rows) == 1 else None)
    return [
        InitiativePath(
            id=row[0],
            code=row[1],
            title=row[2],
            owners=owners.get(row[0], ()),
            owners_note=row[3],
            description=row[4],
            policy_code=row[5],
            policy_title=row[6],
            policy_summary=row[7],
            basic_policy_code=row[8],
            basic_policy_title=row[9],
        )
        for row in rows
    ]


def resolve_initiative(session: Session, code: str) -> InitiativePath:
    """The initiative a typed code names: 「1-1-1」, 「１－１－１」 and 「1ー1ー1」 alike."""
    normalised = _CODE_DASHES.sub("-", unicodedata.normalize("NFKC", code).strip())
    if not CODE_FORMAT.fullmatch(normalised):
        raise UnknownInitiative("report.initiative_format", code)
    found = _paths(session, _plan_select().where(Initiative.code == normalised))
    if not found:
        raise UnknownInitiative("report.initiative_unknown", code)
    return found[0]


# --- the overview --------------------------------------------------------------------------


def overview_figures(
    session: Session, first: date, last: date, *, amounts: bool
) -> InitiativeOverview:
    """Every initiative of the plan with its figures for ``first``–``last`` (inclusive), in
    plan order, and the totals (each record counted once). Loan amounts only with
    ``amounts``."""
    _check_period(first, last)
    paths = _paths(session, _plan_select())
    figures = _figures(session, first, last, amounts=amounts, totals=True)
    rows = tuple(
        OverviewRow(p.code, p.title, p.owners, figures.get(p.id, _empty(amounts))) for p in paths
    )
    return InitiativeOverview(first, last, rows, figures[_TOTAL], amounts)


# --- one initiative ------------------------------------------------------------------------


def _months(first: date, last: date) -> list[date]:
    months = []
    month = first.replace(day=1)
    while month <= last:
        months.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months


def _per_day(session: Session, day: Any, build: Callable[[Any], Any]) -> Iterable[tuple[date, int]]:
    stmt = build(select(day, func.count())).group_by(day)
    return [(row[0], int(row[1])) for row in session.execute(stmt)]


def _monthly(
    session: Session, initiative_id: int, first: date, last: date
) -> tuple[MonthFigures, ...]:
    c, ci, loan, grant = Consultation, ConsultationInitiative, LoanCase, SubsidyApplication
    visit, dispatch = DispatchVisit, ExpertDispatch
    days: dict[str, Iterable[tuple[date, int]]] = {
        "consultations": _per_day(
            session,
            c.consulted_on,
            lambda s: (
                s.select_from(ci)
                .join(c, c.id == ci.consultation_id)
                .where(ci.initiative_id == initiative_id, _live_consultations(first, last))
            ),
        ),
        "loans_referred": _per_day(
            session,
            loan.referred_on,
            lambda s: s.where(
                loan.initiative_id == initiative_id, _between(loan.referred_on, first, last)
            ),
        ),
        "loans_executed": _per_day(
            session,
            loan.executed_on,
            lambda s: s.where(
                loan.initiative_id == initiative_id, _between(loan.executed_on, first, last)
            ),
        ),
        "dispatch_visits": _per_day(
            session,
            visit.visited_on,
            lambda s: s.join(dispatch, dispatch.id == visit.dispatch_id).where(
                dispatch.initiative_id == initiative_id, _between(visit.visited_on, first, last)
            ),
        ),
        "subsidies_granted": _per_day(
            session,
            grant.decided_on,
            lambda s: s.where(
                grant.initiative_id == initiative_id,
                _between(grant.decided_on, first, last),
                grant.granted_amount.is_not(None),
            ),
        ),
        "street_supports": _per_day(
            session,
            StreetSupport.supported_on,
            lambda s: s.where(
                StreetSupport.initiative_id == initiative_id,
                _between(StreetSupport.supported_on, first, last),
            ),
        ),
        "events": _per_day(
            session,
            StreetEvent.starts_on,
            lambda s: s.where(
                StreetEvent.initiative_id == initiative_id,
                _between(StreetEvent.starts_on, first, last),
            ),
        ),
    }
    counts: dict[tuple[str, date], int] = defaultdict(int)
    for name, per_day in days.items():
        for on, count in per_day:
            counts[name, on.replace(day=1)] += count
    return tuple(
        MonthFigures(month, **{name: counts[name, month] for name in days})
        for month in _months(first, last)
    )


def _linked(
    session: Session, initiative_id: int, first: date, last: date, *, amounts: bool
) -> list[LinkedRecord]:
    """The first ``MAX_LINKED`` counted records of each kind, merged in date order."""
    c, ci = Consultation, ConsultationInitiative
    topic = (
        select(ConsultationTopic.name)
        .join(ConsultationTopicLink, ConsultationTopicLink.topic_id == ConsultationTopic.id)
        .where(ConsultationTopicLink.consultation_id == c.id, ConsultationTopicLink.is_primary)
        .limit(1)
        .scalar_subquery()
    )
    found: list[LinkedRecord] = []
    stmt: Select[*tuple[Any, ...]] = (
        select(
            c.id,
            c.consulted_on,
            func.coalesce(Business.name, c.prospect_name),
            topic,
            func.substr(c.summary, 1, SUMMARY_CHARS + 1),
        )
        .select_from(ci)
        .join(c, c.id == ci.consultation_id)
        .outerjoin(Business, Business.id == c.business_id)
        .where(ci.initiative_id == initiative_id, _live_consultations(first, last))
        .order_by(c.consulted_on, c.id)
        .limit(MAX_LINKED)
    )
    for cid, on, name, topic_name, summary in session.execute(stmt):
        summary = " ".join((summary or "").split())
        if len(summary) > SUMMARY_CHARS:
            summary = summary[:SUMMARY_CHARS] + "…"
        title = " ".join(p for p in (f"【{topic_name}】" if topic_name else "", summary) if p)
        found.append(
            LinkedRecord(on, "consultation", KIND_LABELS["consultation"], cid, name, title, None)
        )

    loan = LoanCase
    for kind, day, amount in (
        ("loan_referral", loan.referred_on, loan.referral_amount),
        ("loan_execution", loan.executed_on, loan.executed_amount),
    ):
        stmt = (
            select(loan.id, day, Business.name, LoanProgram.name, amount)
            .join(Business, Business.id == loan.business_id)
            .join(LoanProgram, LoanProgram.id == loan.program_id)
            .where(loan.initiative_id == initiative_id, _between(day, first, last))
            .order_by(day, loan.id)
            .limit(MAX_LINKED)
        )
        for lid, on, name, program, yen in session.execute(stmt):
            assert on is not None  # the period's condition excludes NULL
            found.append(
                LinkedRecord(
                    on, kind, KIND_LABELS[kind], lid, name, program, yen if amounts else None
                )
            )

    visit, dispatch = DispatchVisit, ExpertDispatch
    stmt = (
        select(dispatch.id, visit.visited_on, Business.name, dispatch.theme, visit.number)
        .add_columns(Expert.name, visit.fee)
        .select_from(visit)
        .join(dispatch, dispatch.id == visit.dispatch_id)
        .join(Business, Business.id == dispatch.business_id)
        .outerjoin(Expert, Expert.id == visit.expert_id)
        .where(dispatch.initiative_id == initiative_id, _between(visit.visited_on, first, last))
        .order_by(visit.visited_on, visit.id)
        .limit(MAX_LINKED)
    )
    for did, on, name, theme, number, expert, fee in session.execute(stmt):
        title = f"{theme} 第{number}回" + (f"（{expert}）" if expert else "")
        found.append(
            LinkedRecord(on, "dispatch_visit", KIND_LABELS["dispatch_visit"], did, name, title, fee)
        )

    grant = SubsidyApplication
    stmt = (
        select(
            grant.id,
            grant.decided_on,
            func.coalesce(Business.name, StreetAssociation.name),
            SubsidyProgram.name,
            grant.title,
            grant.granted_amount,
        )
        .join(SubsidyProgram, SubsidyProgram.id == grant.program_id)
        .outerjoin(Business, Business.id == grant.business_id)
        .outerjoin(StreetAssociation, StreetAssociation.id == grant.association_id)
        .where(
            grant.initiative_id == initiative_id,
            _between(grant.decided_on, first, last),
            grant.granted_amount.is_not(None),
        )
        .order_by(grant.decided_on, grant.id)
        .limit(MAX_LINKED)
    )
    for gid, on, name, program, title, yen in session.execute(stmt):
        assert on is not None  # the period's condition excludes NULL
        found.append(
            LinkedRecord(
                on,
                "subsidy_grant",
                KIND_LABELS["subsidy_grant"],
                gid,
                name or "",
                " ".join(p for p in (program, title and f"（{title}）") if p),
                yen,
            )
        )

    support = StreetSupport
    stmt = (
        select(support.id, support.supported_on, StreetAssociation.name, SupportKind.name)
        .add_columns(support.title)
        .join(StreetAssociation, StreetAssociation.id == support.association_id)
        .join(SupportKind, SupportKind.id == support.kind_id)
        .where(support.initiative_id == initiative_id, _between(support.supported_on, first, last))
        .order_by(support.supported_on, support.id)
        .limit(MAX_LINKED)
    )
    for sid, on, name, kind_name, title in session.execute(stmt):
        found.append(
            LinkedRecord(
                on,
                "street_support",
                KIND_LABELS["street_support"],
                sid,
                name,
                f"{kind_name}: {title}",
                None,
            )
        )

    event = StreetEvent
    stmt = (
        select(event.id, event.starts_on, StreetAssociation.name, event.name, event.visitors)
        .join(StreetAssociation, StreetAssociation.id == event.association_id)
        .where(event.initiative_id == initiative_id, _between(event.starts_on, first, last))
        .order_by(event.starts_on, event.id)
        .limit(MAX_LINKED)
    )
    for eid, on, name, title, visitors in session.execute(stmt):
        if visitors is not None:
            title += f"（来場者 {visitors:,}人）"
        found.append(
            LinkedRecord(on, "street_event", KIND_LABELS["street_event"], eid, name, title, None)
        )

    found.sort(key=lambda r: (r.on, _KIND_ORDER[r.kind], r.record_id))
    return found[:MAX_LINKED]


def _counted(f: InitiativeFigures) -> int:
    """How many rows the record list has in full."""
    return (
        f.consultations
        + f.loans_referred
        + f.loans_executed
        + f.dispatch_visits
        + f.subsidies_granted
        + f.street_supports
        + f.events
    )


def build_initiative_report(
    session: Session, principal: Principal, code: str, first: date, last: date
) -> InitiativeReport:
    """施策別実績 of the initiative ``code`` (「1-1-1」) for ``first``–``last`` (inclusive)."""
    _check_period(first, last)
    path = resolve_initiative(session, code)
    amounts = principal.sees_loan_amounts
    figures = _figures(session, first, last, amounts=amounts, only=path.id)[path.id]
    records = _linked(session, path.id, first, last, amounts=amounts)
    return InitiativeReport(
        initiative=path,
        period_from=first,
        period_to=last,
        figures=figures,
        months=_monthly(session, path.id, first, last),
        records=tuple(records),
        more=_counted(figures) - len(records),
        amounts_visible=amounts,
    )


# --- JSON ------------------------------------------------------------------------------------


def figures_json(f: InitiativeFigures) -> dict[str, Any]:
    return {
        "consultations": f.consultations,
        "businesses": f.businesses,
        "prospects": f.prospects,
        "loans": {
            "referred": {"count": f.loans_referred, "amount": f.loans_referred_amount},
            "executed": {"count": f.loans_executed, "amount": f.loans_executed_amount},
        },
        "dispatch": {"visits": f.dispatch_visits, "fees": f.dispatch_fees},
        "subsidies": {
            "granted": {"count": f.subsidies_granted, "amount": f.subsidies_granted_amount}
        },
        "street": {
            "supports": f.street_supports,
            "events": f.events,
            "visitors": f.event_visitors,
        },
    }


def _period_json(first: date, last: date) -> dict[str, str]:
    return {"from": first.isoformat(), "to": last.isoformat()}


def overview_json(o: InitiativeOverview) -> dict[str, Any]:
    """The overview as a plain JSON-able dict: ISO dates, amounts in yen (int) or null."""
    return {
        "report": "initiative_overview",
        "period": _period_json(o.period_from, o.period_to),
        "initiatives": [
            {"code": r.code, "title": r.title, "owners": list(r.owners), **figures_json(r.figures)}
            for r in o.rows
        ],
        "totals": figures_json(o.totals),
    }


def initiative_json(r: InitiativeReport) -> dict[str, Any]:
    """One initiative's report as a plain JSON-able dict."""
    p = r.initiative
    return {
        "report": "initiative",
        "period": _period_json(r.period_from, r.period_to),
        "initiative": {
            "code": p.code,
            "title": p.title,
            "owners": list(p.owners),
            **({"owners_note": p.owners_note} if p.owners_note else {}),
            "description": p.description,
            "policy": {"code": p.policy_code, "title": p.policy_title},
            "basic_policy": {"code": p.basic_policy_code, "title": p.basic_policy_title},
        },
        "figures": figures_json(r.figures),
        "months": [
            {
                "month": m.month.strftime("%Y-%m"),
                "consultations": m.consultations,
                "loans_referred": m.loans_referred,
                "loans_executed": m.loans_executed,
                "dispatch_visits": m.dispatch_visits,
                "subsidies_granted": m.subsidies_granted,
                "street_supports": m.street_supports,
                "events": m.events,
            }
            for m in r.months
        ],
        "records": [
            {
                "on": x.on.isoformat(),
                "kind": x.kind,
                "kind_label": x.kind_label,
                "record_id": x.record_id,
                "name": x.name,
                "title": x.title,
                "amount": x.amount,
            }
            for x in r.records
        ],
        "more": r.more,
    }
