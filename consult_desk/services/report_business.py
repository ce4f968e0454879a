"""事業者カルテ: one business, its running summary and everything recorded for it, in date order.

- ``resolve_business`` reads what a user types for a business: its number (ID) or its 法人番号
  (13 digits; full-width digits, hyphens and spaces accepted; the check digit is verified).
- ``build_business_report`` gathers every kind of record the principal may read (the
  timeline's ``SOURCES`` say which permission each kind needs; street support needs 商店街):
  consultations (the trash left out), loan cases with their append-only history, safety-net
  certifications, expert dispatches with their visits, subsidies, and the support and events of
  the business's 商店街 when it belongs to one.
- Masking is the services' own: the representative's home address and phone as
  ``BusinessService`` masks them (``businesses.masked``), loan amounts and safety-net sales
  figures ``None`` for roles that may not see loan amounts.
- Internal notes are left out unless ``include_notes``: a consultation's 完了メモ
  (``done_note``), the 備考 (``notes``) of a dispatch, subsidy application, safety-net
  certification and street-support record or event, and the text of a loan case's メモ and
  面談 entries. A consultation's 相談内容・助言・紹介先・次回対応 are the record itself and
  always shown.
- Each kind shows at most ``MAX_RECORDS`` records, the newest; ``omitted`` counts the rest.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import fields
from datetime import date, time
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from consult_desk.db.models import (
    Bank,
    BankBranch,
    Business,
    Consultation,
    ConsultationChannel,
    ConsultationInitiative,
    ConsultationTopic,
    ConsultationTopicLink,
    DispatchProgram,
    DispatchVisit,
    Expert,
    ExpertDispatch,
    Initiative,
    JsicMajor,
    LoanCase,
    LoanCaseEvent,
    LoanProgram,
    SafetyNetCertification,
    Staff,
    StreetAssociation,
    StreetEvent,
    StreetSupport,
    SubsidyApplication,
    SubsidyProgram,
    SupportKind,
    Town,
)
from consult_desk.domain.businesses import BusinessInput, BusinessKind, Residence
from consult_desk.domain.corporate_number import corporate_number_error
from consult_desk.domain.dispatch import DispatchState
from consult_desk.domain.errors import DomainError
from consult_desk.domain.loans import STEPS, LoanState, StepName
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.domain.report_records import (
    BusinessProfile,
    BusinessReport,
    ConsultationEntry,
    DispatchEntry,
    KarteEntry,
    LoanEntry,
    LoanHistoryEntry,
    SafetyNetEntry,
    StreetEntry,
    SubsidyEntry,
    VisitEntry,
)
from consult_desk.domain.safety_net import SafetyNetDecision
from consult_desk.domain.subsidies import SubsidyState
from consult_desk.domain.text import digits_only
from consult_desk.services.businesses import INPUT_FIELDS, _value, masked
from consult_desk.services.timeline import SOURCES

__all__ = [
    "KIND_LABELS",
    "MAX_RECORDS",
    "BusinessKeyError",
    "BusinessReport",
    "build_business_report",
    "business_json",
    "resolve_business",
]

MAX_RECORDS = 1_000  # of each kind; a business with more has its oldest left out (counted)
SHORT = 60  # characters of a text in the date-ordered list

KIND_LABELS: dict[str, str] = {  # in the order records of one day are listed
    "consultation": "経営相談",
    "loan": "融資あっせん",
    "safety_net": "セーフティネット認定",
    "dispatch": "専門家派遣",
    "dispatch_visit": "派遣訪問",
    "subsidy": "補助金",
    "street_support": "商店街支援",
    "street_event": "商店街イベント",
}
_KIND_ORDER = {kind: n for n, kind in enumerate(KIND_LABELS)}
# The permission each section needs: the timeline's, and 商店街 for the street's support.
_READ: dict[str, Kind] = {
    **{kind: permission for kind, (permission, _) in SOURCES.items()},
    "street": Kind.STREET,
}
_KEY_DIGITS = re.compile(r"[0-9]+")
_EVENT_LABELS = {
    "undo": "取消し",
    "note": "メモ",
    "interview": "面談",
    "prepayment": "繰上償還",
    "subsidy_stop": "利子補給の停止",
}
_INTERNAL_EVENTS = frozenset({"note", "interview"})  # their text is a memo, not a reason
# The amount a loan step recorded, the latest first.
_STEP_AMOUNTS = ("executed_amount", "approved_amount", "referral_amount", "requested_amount")


class BusinessKeyError(DomainError):
    """What was typed names no business (messages.py has the Japanese for each code)."""

    def __init__(self, code: str, key: str) -> None:
        super().__init__(key)
        self.code = code


# --- finding the business -------------------------------------------------------------------


def resolve_business(session: Session, key: str) -> int:
    """The id of the business ``key`` names: its ID, or its 法人番号 (13 digits)."""
    text = digits_only(key)  # NFKC, hyphens and spaces gone: 「１２３４-５６７８-…」 too
    if not _KEY_DIGITS.fullmatch(text):
        raise BusinessKeyError("report.business_key_format", key)
    b = Business
    if len(text) == 13:
        if code := corporate_number_error(text):
            raise BusinessKeyError(code, key)
        found = session.execute(
            select(b.id).where(b.corporate_number == text, b.deleted_at.is_(None))
        ).scalar()
        if found is None:
            raise BusinessKeyError("report.business_unknown_number", key)
        return found
    if len(text) > 12:
        raise BusinessKeyError("report.business_key_format", key)
    found = session.execute(select(b.id).where(b.id == int(text), b.deleted_at.is_(None))).scalar()
    if found is None:
        raise BusinessKeyError("report.business_unknown_id", key)
    return found


# --- helpers --------------------------------------------------------------------------------


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SHORT else text[:SHORT] + "…"


def _newest(
    session: Session, stmt: Any, count: Any, omitted: dict[str, int], label: str
) -> list[Any]:
    """The rows of ``stmt`` (ordered newest first), at most MAX_RECORDS, oldest first; how many
    were left out goes into ``omitted`` under ``label``."""
    rows = list(session.execute(stmt.limit(MAX_RECORDS + 1)))
    if len(rows) > MAX_RECORDS:
        rows = rows[:MAX_RECORDS]
        omitted[label] = int(session.execute(count).scalar_one()) - MAX_RECORDS
    rows.reverse()
    return rows


def _profile(session: Session, business: Business, personal: bool) -> BusinessProfile:
    """The business as ``BusinessService.get`` shows it, masked the same way."""
    value = BusinessInput(**{name: _value(business, name) for name in INPUT_FIELDS})
    if not personal:
        value = masked(value)
    industry = ""
    if business.jsic_major:
        name = session.get(JsicMajor, business.jsic_major)
        industry = f"{business.jsic_major} {name.name}" if name else business.jsic_major
    town = session.get(Town, business.town_id) if business.town_id else None
    street = (
        session.get(StreetAssociation, business.street_association_id)
        if business.street_association_id
        else None
    )
    residence = value.representative_residence
    return BusinessProfile(
        id=business.id,
        kind=BusinessKind(business.kind).label,
        name=value.name,
        name_kana=value.name_kana,
        corporate_number=value.corporate_number,
        industry=industry,
        sme_status=business.sme_status,
        postal_code=value.postal_code,
        town=town.name if town else "",
        area=business.area,
        address=value.address,
        phone=value.phone,
        email=value.email,
        representative_name=value.representative_name,
        representative_residence=Residence(residence).label if residence else "",
        representative_address=value.representative_address,
        representative_phone=value.representative_phone,
        capital=value.capital,
        employees=value.employees,
        founded_on=value.founded_on,
        in_ward_since=value.in_ward_since,
        chokai_name=value.chokai_name,
        street_association=street.name if street else "",
        archived=business.archived,
    )


# --- each kind of record ----------------------------------------------------------------------


def _consultations(
    session: Session, business_id: int, notes: bool, omitted: dict[str, int]
) -> tuple[ConsultationEntry, ...]:
    c = Consultation
    live = (c.business_id == business_id, c.deleted_at.is_(None))
    stmt = (
        select(c, ConsultationChannel.name, Staff.name)
        .join(ConsultationChannel, ConsultationChannel.id == c.channel_id)
        .join(Staff, Staff.id == c.staff_id)
        .where(*live)
        .order_by(c.consulted_on.desc(), c.id.desc())
    )
    count = select(func.count()).select_from(c).where(*live)
    rows = _newest(session, stmt, count, omitted, KIND_LABELS["consultation"])
    ids = [row[0].id for row in rows]
    topics: dict[int, list[str]] = defaultdict(list)
    codes: dict[int, list[str]] = defaultdict(list)
    if ids:
        link = ConsultationTopicLink
        for cid, name in session.execute(
            select(link.consultation_id, ConsultationTopic.name)
            .join(ConsultationTopic, ConsultationTopic.id == link.topic_id)
            .where(link.consultation_id.in_(ids))
            .order_by(link.is_primary.desc(), ConsultationTopic.sort_order, ConsultationTopic.id)
        ):
            topics[cid].append(name)
        served = ConsultationInitiative
        for cid, code in session.execute(
            select(served.consultation_id, Initiative.code)
            .join(Initiative, Initiative.id == served.initiative_id)
            .where(served.consultation_id.in_(ids))
            .order_by(Initiative.code)
        ):
            codes[cid].append(code)
    return tuple(
        ConsultationEntry(
            id=row.id,
            on=row.consulted_on,
            start_time=row.start_time,
            minutes=row.minutes,
            channel=channel,
            topics=tuple(topics[row.id]),
            initiatives=tuple(codes[row.id]),
            staff=staff,
            summary=row.summary,
            advice=row.advice,
            referrals=row.referrals,
            next_action=row.next_action,
            due_on=row.due_on,
            done=row.done,
            done_on=row.done_on,
            done_note=row.done_note if notes else None,
        )
        for row, channel, staff in rows
    )


def _event_amount(kind: str, data: dict[str, Any]) -> int | None:
    if kind == "prepayment":
        return data.get("amount")
    values = data.get("values")
    if isinstance(values, dict):
        for name in _STEP_AMOUNTS:
            if isinstance(values.get(name), int):
                return int(values[name])
    return None


def _event_label(kind: str, data: dict[str, Any], to_state: LoanState) -> str:
    if kind == "transition":
        if data.get("opened"):
            return "案件の登録"
        step = data.get("step")
        if step in set(StepName):
            return STEPS[StepName(step)].label
        return to_state.label
    if kind == "interview" and data.get("interviewer"):
        return f"面談（{data['interviewer']}）"
    if kind == "subsidy_stop" and data.get("reason"):
        return f"利子補給の停止（{data['reason']}）"
    return _EVENT_LABELS.get(kind, kind)


def _loans(
    session: Session, business_id: int, principal: Principal, notes: bool, omitted: dict[str, int]
) -> tuple[LoanEntry, ...]:
    c = LoanCase
    officer = aliased(Staff)
    stmt = (
        select(c, LoanProgram.name, Bank.name, BankBranch.name, officer.name, Initiative.code)
        .join(LoanProgram, LoanProgram.id == c.program_id)
        .join(Initiative, Initiative.id == c.initiative_id)
        .outerjoin(Bank, Bank.id == c.bank_id)
        .outerjoin(BankBranch, BankBranch.id == c.branch_id)
        .outerjoin(officer, officer.id == c.officer_id)
        .where(c.business_id == business_id)
        .order_by(c.received_on.desc(), c.id.desc())
    )
    count = select(func.count()).select_from(c).where(c.business_id == business_id)
    rows = _newest(session, stmt, count, omitted, KIND_LABELS["loan"])
    visible = principal.sees_loan_amounts
    history: dict[int, list[LoanHistoryEntry]] = defaultdict(list)
    ids = [row[0].id for row in rows]
    if ids:
        e = LoanCaseEvent
        events = session.execute(
            select(e, Staff.name)
            .outerjoin(Staff, Staff.id == e.staff_id)
            .where(e.case_id.in_(ids))
            .order_by(e.case_id, e.id)
        ).all()
        data = {event.id: json.loads(event.data or "{}") for event, _ in events}
        undone = {d.get("undoes") for d in data.values() if d.get("undoes") is not None}
        for event, staff in events:
            state = LoanState(event.to_status)
            internal = event.kind in _INTERNAL_EVENTS
            label = _event_label(event.kind, data[event.id], state)
            if event.kind == "undo" and event.from_status:
                label = f"取消し（{LoanState(event.from_status).label}→{state.label}）"
            history[event.case_id].append(
                LoanHistoryEntry(
                    on=event.occurred_on,
                    label=label,
                    state=state.label,
                    reason=None if internal and not notes else event.reason,
                    staff=staff or "",
                    amount=_event_amount(event.kind, data[event.id]) if visible else None,
                    undone=event.id in undone,
                )
            )

    def yen(value: int | None) -> int | None:
        return value if visible else None

    return tuple(
        LoanEntry(
            id=case.id,
            received_on=case.received_on,
            program=program,
            status=LoanState(case.status).label,
            status_since=case.status_since,
            receipt_number=case.receipt_number,
            referral_number=case.referral_number,
            officer=officer_name or "",
            interviewer=case.interviewer,
            purpose=case.purpose,
            bank=" ".join(p for p in (bank, branch) if p),
            initiative=code,
            requested_amount=yen(case.requested_amount),
            referral_amount=yen(case.referral_amount),
            approved_amount=yen(case.approved_amount),
            executed_amount=yen(case.executed_amount),
            guarantee_fee=yen(case.guarantee_fee),
            referred_on=case.referred_on,
            executed_on=case.executed_on,
            term_months=case.term_months,
            grace_months=case.grace_months,
            nominal_rate=case.nominal_rate,
            borrower_rate=case.borrower_rate,
            closed_on=case.closed_on,
            close_reason=case.close_reason,
            subsidy_stopped_on=case.subsidy_stopped_on,
            subsidy_stop_reason=case.subsidy_stop_reason,
            history=tuple(history[case.id]),
        )
        for case, program, bank, branch, officer_name, code in rows
    )


def _safety_net(
    session: Session, business_id: int, principal: Principal, notes: bool, omitted: dict[str, int]
) -> tuple[SafetyNetEntry, ...]:
    c = SafetyNetCertification
    stmt = select(c).where(c.business_id == business_id).order_by(c.applied_on.desc(), c.id.desc())
    count = select(func.count()).select_from(c).where(c.business_id == business_id)
    rows = _newest(session, stmt, count, omitted, KIND_LABELS["safety_net"])
    visible = principal.sees_loan_amounts
    return tuple(
        SafetyNetEntry(
            id=cert.id,
            applied_on=cert.applied_on,
            kind=cert.kind,
            decision=SafetyNetDecision(cert.decision or SafetyNetDecision.PENDING.value).label,
            decline_rate=cert.decline_rate,
            sales_current=cert.sales_current if visible else None,
            sales_previous=cert.sales_previous if visible else None,
            certificate_number=cert.certificate_number,
            issued_on=cert.issued_on,
            valid_until=cert.valid_until,
            notes=cert.notes if notes else None,
        )
        for (cert,) in rows
    )


def _dispatches(
    session: Session, business_id: int, notes: bool, omitted: dict[str, int]
) -> tuple[DispatchEntry, ...]:
    d = ExpertDispatch
    stmt = (
        select(d, DispatchProgram.name, Expert.name, Staff.name, Initiative.code)
        .join(DispatchProgram, DispatchProgram.id == d.program_id)
        .join(Initiative, Initiative.id == d.initiative_id)
        .outerjoin(Expert, Expert.id == d.expert_id)
        .outerjoin(Staff, Staff.id == d.staff_id)
        .where(d.business_id == business_id)
        .order_by(d.applied_on.desc(), d.id.desc())
    )
    count = select(func.count()).select_from(d).where(d.business_id == business_id)
    rows = _newest(session, stmt, count, omitted, KIND_LABELS["dispatch"])
    visits: dict[int, list[VisitEntry]] = defaultdict(list)
    ids = [row[0].id for row in rows]
    if ids:
        v = DispatchVisit
        for visit, expert in session.execute(
            select(v, Expert.name)
            .outerjoin(Expert, Expert.id == v.expert_id)
            .where(v.dispatch_id.in_(ids))
            .order_by(v.dispatch_id, v.number, v.id)
        ):
            visits[visit.dispatch_id].append(
                VisitEntry(
                    number=visit.number,
                    visited_on=visit.visited_on,
                    start_time=visit.start_time,
                    end_time=visit.end_time,
                    place="オンライン" if visit.online else visit.place,
                    expert=expert or "",
                    issues=visit.issues,
                    advice=visit.advice,
                    homework=visit.homework,
                    next_on=visit.next_on,
                    fee=visit.fee,
                )
            )
    return tuple(
        DispatchEntry(
            id=dispatch.id,
            applied_on=dispatch.applied_on,
            program=program,
            theme=dispatch.theme,
            status=DispatchState(dispatch.status).label,
            expert=expert or "",
            staff=staff or "",
            fiscal_year=dispatch.fiscal_year,
            initiative=code,
            approved_visits=dispatch.approved_visits,
            decided_on=dispatch.decided_on,
            completed_on=dispatch.completed_on,
            cancelled_on=dispatch.cancelled_on,
            cancel_reason=dispatch.cancel_reason,
            fees=sum(v.fee or 0 for v in visits[dispatch.id]),
            visits=tuple(visits[dispatch.id]),
            notes=dispatch.notes if notes else None,
        )
        for dispatch, program, expert, staff, code in rows
    )


def _subsidies(
    session: Session, business_id: int, notes: bool, omitted: dict[str, int]
) -> tuple[SubsidyEntry, ...]:
    a = SubsidyApplication
    stmt = (
        select(a, SubsidyProgram.name, Staff.name, Initiative.code)
        .join(SubsidyProgram, SubsidyProgram.id == a.program_id)
        .join(Initiative, Initiative.id == a.initiative_id)
        .outerjoin(Staff, Staff.id == a.staff_id)
        .where(a.business_id == business_id)
        .order_by(a.applied_on.desc(), a.id.desc())
    )
    count = select(func.count()).select_from(a).where(a.business_id == business_id)
    rows = _newest(session, stmt, count, omitted, KIND_LABELS["subsidy"])
    return tuple(
        SubsidyEntry(
            id=app.id,
            applied_on=app.applied_on,
            program=program,
            title=app.title,
            status=SubsidyState(app.status).label,
            staff=staff or "",
            initiative=code,
            requested_amount=app.requested_amount,
            granted_amount=app.granted_amount,
            decided_on=app.decided_on,
            confirmed_amount=app.confirmed_amount,
            paid_amount=app.paid_amount,
            paid_on=app.paid_on,
            notes=app.notes if notes else None,
        )
        for app, program, staff, code in rows
    )


def _street(
    session: Session, association_id: int, notes: bool, omitted: dict[str, int]
) -> tuple[StreetEntry, ...]:
    s, e = StreetSupport, StreetEvent
    supports = _newest(
        session,
        select(s, SupportKind.name, Staff.name)
        .join(SupportKind, SupportKind.id == s.kind_id)
        .outerjoin(Staff, Staff.id == s.staff_id)
        .where(s.association_id == association_id)
        .order_by(s.supported_on.desc(), s.id.desc()),
        select(func.count()).select_from(s).where(s.association_id == association_id),
        omitted,
        KIND_LABELS["street_support"],
    )
    events = _newest(
        session,
        select(e)
        .where(e.association_id == association_id)
        .order_by(e.starts_on.desc(), e.id.desc()),
        select(func.count()).select_from(e).where(e.association_id == association_id),
        omitted,
        KIND_LABELS["street_event"],
    )
    found = [
        StreetEntry(
            id=support.id,
            record_kind="street_support",
            on=support.supported_on,
            kind=kind,
            title=support.title,
            detail=" ".join(
                p
                for p in (
                    support.university,
                    support.project,
                    f"学生{support.student_count}人" if support.student_count else "",
                )
                if p
            ),
            staff=staff or "",
            notes=support.notes if notes else None,
        )
        for support, kind, staff in supports
    ]
    for (event,) in events:
        days = (event.ends_on - event.starts_on).days + 1
        period = f"{days}日間" if days > 1 else ""
        visitors = f"来場者{event.visitors:,}人" if event.visitors is not None else ""
        found.append(
            StreetEntry(
                id=event.id,
                record_kind="street_event",
                on=event.starts_on,
                kind="イベント",
                title=event.name,
                detail=" ".join(p for p in (period, event.place, visitors) if p),
                staff="",
                notes=event.notes if notes else None,
            )
        )
    found.sort(key=lambda x: (x.on, x.record_kind, x.id))
    return tuple(found)


# --- the date-ordered list ----------------------------------------------------------------------


def _entries(
    consultations: tuple[ConsultationEntry, ...],
    loans: tuple[LoanEntry, ...],
    safety_net: tuple[SafetyNetEntry, ...],
    dispatches: tuple[DispatchEntry, ...],
    subsidies: tuple[SubsidyEntry, ...],
    street: tuple[StreetEntry, ...],
    street_name: str,
) -> tuple[KarteEntry, ...]:
    found: list[KarteEntry] = []

    def add(on: date, kind: str, rid: int, title: str, detail: str, staff: str, yen: Any) -> None:
        found.append(KarteEntry(on, kind, KIND_LABELS[kind], rid, title, detail, staff, yen))

    for c in consultations:
        topic = f" {c.topics[0]}" if c.topics else ""
        add(c.on, "consultation", c.id, f"{c.channel}{topic}", _short(c.summary), c.staff, None)
    for loan in loans:
        latest = next(
            (
                v
                for v in (
                    loan.executed_amount,
                    loan.approved_amount,
                    loan.referral_amount,
                    loan.requested_amount,
                )
                if v is not None
            ),
            None,
        )
        add(
            loan.received_on,
            "loan",
            loan.id,
            f"{loan.program}（{loan.status}）",
            loan.bank,
            loan.officer,
            latest,
        )
    for cert in safety_net:
        rate = f"減少率 {cert.decline_rate.normalize():f}%" if cert.decline_rate is not None else ""
        detail = " ".join(p for p in (rate, cert.certificate_number) if p)
        add(
            cert.applied_on,
            "safety_net",
            cert.id,
            f"{cert.kind}（{cert.decision}）",
            detail,
            "",
            None,
        )
    for d in dispatches:
        detail = " ".join(p for p in (d.program, d.expert) if p)
        add(d.applied_on, "dispatch", d.id, f"{d.theme}（{d.status}）", detail, d.staff, None)
        for v in d.visits:
            title = f"{d.theme} 第{v.number}回"
            add(v.visited_on, "dispatch_visit", d.id, title, _short(v.issues), v.expert, v.fee)
    for s in subsidies:
        latest = next(
            (
                v
                for v in (s.paid_amount, s.confirmed_amount, s.granted_amount, s.requested_amount)
                if v is not None
            ),
            None,
        )
        add(s.applied_on, "subsidy", s.id, f"{s.program}（{s.status}）", s.title, s.staff, latest)
    for x in street:
        add(x.on, x.record_kind, x.id, f"{street_name} {x.kind}", x.title, x.staff, None)
    found.sort(key=lambda e: (e.on, _KIND_ORDER[e.kind], e.record_id))
    return tuple(found)


def build_business_report(
    session: Session, principal: Principal, business_id: int, *, include_notes: bool = False
) -> BusinessReport:
    """事業者カルテ of ``business_id`` as ``principal`` may see it."""
    business = session.get(Business, business_id)
    if business is None or business.deleted_at is not None:
        raise BusinessKeyError("report.business_unknown_id", str(business_id))
    personal = principal.sees_personal_data
    notes = include_notes
    omitted: dict[str, int] = {}

    def may(kind: str) -> bool:
        return principal.can(_READ[kind], Action.READ)

    profile = _profile(session, business, personal)
    consultations = (
        _consultations(session, business_id, notes, omitted) if may("consultation") else ()
    )
    loans = _loans(session, business_id, principal, notes, omitted) if may("loan") else ()
    safety_net = (
        _safety_net(session, business_id, principal, notes, omitted) if may("safety_net") else ()
    )
    dispatches = _dispatches(session, business_id, notes, omitted) if may("dispatch") else ()
    subsidies = _subsidies(session, business_id, notes, omitted) if may("subsidy") else ()
    street: tuple[StreetEntry, ...] = ()
    if business.street_association_id is not None and may("street"):
        street = _street(session, business.street_association_id, notes, omitted)
    return BusinessReport(
        profile=profile,
        summary=business.summary,
        entries=_entries(
            consultations,
            loans,
            safety_net,
            dispatches,
            subsidies,
            street,
            profile.street_association,
        ),
        consultations=consultations,
        loans=loans,
        safety_net=safety_net,
        dispatches=dispatches,
        subsidies=subsidies,
        street=street,
        notes_included=notes,
        amounts_visible=principal.sees_loan_amounts,
        personal_data_visible=personal,
        omitted=tuple(omitted.items()),
    )


# --- JSON -----------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A value as JSON holds it: ISO dates and times, rates as strings, tuples as lists."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat(timespec="minutes")
    if isinstance(value, Decimal):  # exact, as typed
        return f"{value.normalize():f}"
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    return value


def business_json(report: BusinessReport) -> dict[str, Any]:
    """The karte as a plain JSON-able dict: ISO dates, amounts in yen (int) or null where not
    visible, rates as decimal strings; internal notes null unless they were asked for."""
    return {
        "report": "business",
        "notes_included": report.notes_included,
        "amounts_visible": report.amounts_visible,
        "personal_data_visible": report.personal_data_visible,
        "business": _plain(report.profile),
        "summary": report.summary,
        "entries": _plain(report.entries),
        "consultations": _plain(report.consultations),
        "loans": _plain(report.loans),
        "safety_net": _plain(report.safety_net),
        "dispatches": _plain(report.dispatches),
        "subsidies": _plain(report.subsidies),
        "street": _plain(report.street),
        "omitted": dict(report.omitted),
    }
