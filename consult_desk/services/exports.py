"""Exports of records to CSV / xlsx (``consult-desk export KIND``).

- ``EXPORTS`` names every kind that can be exported: its label, the permission it needs, the
  audit record kind, its columns and where its rows come from. A new kind is one entry there
  (and a ``*_rows`` method), and the command line offers it at once.
- Rows stream from the database a chunk at a time (never the whole table) straight into the
  writer. The file is written beside the target under a temporary name and renamed at the end,
  so a failed export never leaves half a file, and an existing file is replaced only when asked.
- Every export needs the kind's Action.EXPORT and is audited once ("export", with the row count
  and the period), after the file is complete. Roles that may not see loan amounts get those
  columns empty.
- What a row needs from its children (a dispatch's visits and fees, a support record's events)
  is read per chunk with one query over the chunk's ids, so memory stays one chunk whatever the
  table's size.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session, aliased

from consult_desk.db.engine import Database
from consult_desk.db.models import (
    Bank,
    BankBranch,
    Business,
    Consultation,
    DispatchProgram,
    DispatchProgramTerms,
    DispatchVisit,
    Expert,
    ExpertDispatch,
    Initiative,
    LoanCase,
    LoanProgram,
    Staff,
    StreetAssociation,
    StreetEvent,
    StreetSupport,
    SubsidyApplication,
    SubsidyProgram,
    SupportKind,
)
from consult_desk.domain.businesses import Residence
from consult_desk.domain.dispatch import DispatchState
from consult_desk.domain.errors import DomainError, FieldError, ValidationError
from consult_desk.domain.fiscal import fiscal_year
from consult_desk.domain.loans import LoanState
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.domain.subsidies import SubsidyState, SubsidyTarget
from consult_desk.reports.tabular import Column, ColumnKind, write_csv, write_xlsx
from consult_desk.services import audit

CHUNK = 1000  # rows fetched from the database at a time


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


class TargetExists(DomainError):
    """The export's file is already there and replacing it was not asked for."""

    code = "export.target_exists"


class TargetUnwritable(DomainError):
    """The export's file cannot be written (no such folder, no permission, disk full)."""

    code = "export.target_unwritable"

    def __init__(self, target: Path, error: OSError) -> None:
        super().__init__(str(target))
        self.target = target
        self.error = error  # its file name is the temporary one, never shown


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    rows: int


@dataclass(frozen=True, slots=True)
class LoanExportRow:
    """One loan case as exported; the field order is the column order (LOAN_COLUMNS)."""

    case_id: int
    received_on: date
    receipt_number: str
    business_name: str
    corporate_number: str
    program_name: str
    state: str  # Japanese label
    status_since: date
    bank_name: str
    branch_name: str
    referral_number: str
    referred_on: date | None
    requested_amount: int | None  # amounts: None for roles without the loan-amount grant
    referral_amount: int | None
    approved_amount: int | None
    executed_on: date | None
    executed_amount: int | None
    term_months: int | None
    grace_months: int | None
    nominal_rate: Decimal | None
    subsidy_rate: Decimal | None
    borrower_rate: Decimal | None
    residence: str  # 代表者区分: 区民 / 一般 / ""
    closed_on: date | None
    close_reason: str
    subsidy_stopped_on: date | None
    subsidy_stop_reason: str
    officer_name: str

    def cells(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in _LOAN_FIELDS)


_LOAN_FIELDS = tuple(f.name for f in fields(LoanExportRow))


_T, _I, _Y, _D, _R = (
    ColumnKind.TEXT,
    ColumnKind.INTEGER,
    ColumnKind.YEN,
    ColumnKind.DATE,
    ColumnKind.RATE,
)
LOAN_COLUMNS: tuple[Column, ...] = (
    Column("案件番号", _I, 10),
    Column("受付日", _D, 12),
    Column("受付番号", _T, 12),
    Column("事業者", _T, 34),
    Column("法人番号", _T, 16),
    Column("資金種別", _T, 20),
    Column("状態", _T, 16),
    Column("状態の日付", _D, 12),
    Column("金融機関", _T, 20),
    Column("支店", _T, 14),
    Column("あっせん書番号", _T, 22),
    Column("あっせん日", _D, 12),
    Column("希望額", _Y, 14),
    Column("あっせん額", _Y, 14),
    Column("承諾額", _Y, 14),
    Column("実行日", _D, 12),
    Column("実行額", _Y, 14),
    Column("期間(月)", _I, 10),
    Column("据置(月)", _I, 10),
    Column("名目利率(%)", _R, 13),
    Column("利子補給率(%)", _R, 15),
    Column("本人負担率(%)", _R, 15),
    Column("代表者区分", _T, 11),
    Column("完了日", _D, 12),
    Column("終了理由", _T, 34),
    Column("利子補給停止日", _D, 15),
    Column("停止理由", _T, 26),
    Column("担当", _T, 14),
)
assert len(LOAN_COLUMNS) == len(_LOAN_FIELDS)

DISPATCH_COLUMNS: tuple[Column, ...] = (
    Column("派遣番号", _I, 10),
    Column("申請日", _D, 12),
    Column("年度", _I, 8),
    Column("事業者", _T, 34),
    Column("法人番号", _T, 16),
    Column("テーマ", _T, 34),
    Column("派遣制度", _T, 26),
    Column("専門家", _T, 16),
    Column("状態", _T, 12),
    Column("派遣決定日", _D, 12),
    Column("承認回数", _I, 10),
    Column("実施回数", _I, 10),
    Column("初回訪問日", _D, 12),
    Column("最終訪問日", _D, 12),
    Column("謝金合計", _Y, 12),
    Column("完了日", _D, 12),
    Column("実績報告期限", _D, 14),
    Column("実績報告日", _D, 12),
    Column("支払日", _D, 12),
    Column("中止日", _D, 12),
    Column("中止理由", _T, 30),
    Column("相談記録番号", _I, 14),
    Column("相談日", _D, 12),
    Column("取組み", _T, 10),
    Column("担当", _T, 14),
)
STREET_SUPPORT_COLUMNS: tuple[Column, ...] = (
    Column("記録番号", _I, 10),
    Column("支援日", _D, 12),
    Column("商店街", _T, 34),
    Column("法人格", _T, 16),
    Column("支援の種類", _T, 22),
    Column("取組み", _T, 10),
    Column("件名", _T, 34),
    Column("担当", _T, 14),
    Column("大学", _T, 16),
    Column("プロジェクト", _T, 30),
    Column("参加学生数", _I, 12),
    Column("イベント", _T, 30),
    Column("開始日", _D, 12),
    Column("終了日", _D, 12),
    Column("予算", _Y, 12),
    Column("来場者数", _I, 10),
    Column("内容", _T, 40),
)
SUBSIDY_COLUMNS: tuple[Column, ...] = (
    Column("申請番号", _I, 10),
    Column("申請日", _D, 12),
    Column("年度", _I, 8),
    Column("補助金", _T, 28),
    Column("対象", _T, 8),
    Column("申請者", _T, 34),
    Column("法人番号", _T, 16),
    Column("件名", _T, 34),
    Column("対象イベント", _T, 26),
    Column("状態", _T, 10),
    Column("事業終了日", _D, 12),
    Column("補助対象経費", _Y, 14),
    Column("申請額", _Y, 12),
    Column("算定額", _Y, 12),
    Column("交付決定日", _D, 12),
    Column("交付決定額", _Y, 12),
    Column("実績報告期限", _D, 14),
    Column("実績報告日", _D, 12),
    Column("額の確定日", _D, 12),
    Column("確定額", _Y, 12),
    Column("支払日", _D, 12),
    Column("支払額", _Y, 12),
    Column("終了日", _D, 12),
    Column("理由", _T, 30),
    Column("取組み", _T, 10),
    Column("担当", _T, 14),
)


@dataclass(frozen=True, slots=True)
class ExportSource:
    """One kind of export."""

    label: str  # Japanese: help text, sheet title, messages
    kind: Kind  # the permission kind (Action.EXPORT on it)
    record_kind: str  # in the audit trail
    columns: tuple[Column, ...]
    rows: Callable[[ExportService, date | None, date | None], Iterable[Sequence[object]]]
    period: str  # which date --from/--to filter on (for help)


EXPORTS: dict[str, ExportSource] = {
    "loans": ExportSource(
        label="融資あっせん案件",
        kind=Kind.LOAN,
        record_kind="loan_case",
        columns=LOAN_COLUMNS,
        rows=lambda service, first, last: (r.cells() for r in service._loan_stream(first, last)),
        period="受付日",
    ),
    "dispatches": ExportSource(
        label="専門家派遣",
        kind=Kind.DISPATCH,
        record_kind="expert_dispatch",
        columns=DISPATCH_COLUMNS,
        rows=lambda service, first, last: service._dispatch_stream(first, last),
        period="申請日",
    ),
    "street-support": ExportSource(
        label="商店街支援記録",
        kind=Kind.STREET,
        record_kind="street_support",
        columns=STREET_SUPPORT_COLUMNS,
        rows=lambda service, first, last: service._street_support_stream(first, last),
        period="支援日",
    ),
    "subsidies": ExportSource(
        label="補助金申請",
        kind=Kind.SUBSIDY,
        record_kind="subsidy_application",
        columns=SUBSIDY_COLUMNS,
        rows=lambda service, first, last: service._subsidy_stream(first, last),
        period="申請日",
    ),
}


def _check_period(date_from: date | None, date_to: date | None) -> None:
    if date_from is not None and date_to is not None and date_from > date_to:
        raise ValidationError([FieldError("date_to", "period.reversed")])


def _period(date_from: date | None, date_to: date | None) -> str:
    return f"{date_from.isoformat() if date_from else ''}〜{date_to.isoformat() if date_to else ''}"


class ExportService:
    def __init__(self, db: Database, principal: Principal) -> None:
        self._db = db
        self._principal = principal

    def export(
        self,
        kind: str,
        target: Path,
        fmt: ExportFormat,
        date_from: date | None = None,
        date_to: date | None = None,
        *,
        overwrite: bool = False,
    ) -> ExportResult:
        """Write the ``kind`` records (of the period, if given) to ``target``."""
        source = EXPORTS[kind]
        self._principal.require(source.kind, Action.EXPORT)
        _check_period(date_from, date_to)
        if target.exists() and not overwrite:  # refuse before any work
            raise TargetExists(str(target))
        rows = source.rows(self, date_from, date_to)

        def write(path: Path) -> int:
            if fmt == ExportFormat.XLSX:
                return write_xlsx(path, source.label, source.columns, rows)
            return write_csv(path, source.columns, rows)

        try:
            count = _write_replacing(target, overwrite, write)
        except OSError as exc:
            raise TargetUnwritable(target, exc) from exc
        try:
            with self._db.write() as session:
                audit.record(
                    session,
                    self._principal.staff_id,
                    "export",
                    source.record_kind,
                    None,
                    {
                        "rows": [None, count],
                        "period": [None, _period(date_from, date_to)],
                        "format": [None, fmt.value],
                        "file": [None, target.name],
                    },
                )
        except BaseException:
            target.unlink(missing_ok=True)  # an export nobody can trace must not stay behind
            raise
        return ExportResult(target, count)

    def loan_rows(
        self, date_from: date | None = None, date_to: date | None = None
    ) -> Iterator[LoanExportRow]:
        """Loan cases received in the period (inclusive), oldest first, fetched in chunks.

        For callers that write their own file: the audit entry is written once the last row
        has been taken.
        """
        self._principal.require(Kind.LOAN, Action.EXPORT)  # now, not at the first row
        _check_period(date_from, date_to)
        return self._audited(self._loan_stream(date_from, date_to), date_from, date_to)

    def _audited(
        self, rows: Iterator[LoanExportRow], date_from: date | None, date_to: date | None
    ) -> Iterator[LoanExportRow]:
        count = 0
        for row in rows:
            yield row
            count += 1
        with self._db.write() as session:
            audit.record(
                session,
                self._principal.staff_id,
                "export",
                "loan_case",
                None,
                {"rows": [None, count], "period": [None, _period(date_from, date_to)]},
            )

    def _loan_stream(self, date_from: date | None, date_to: date | None) -> Iterator[LoanExportRow]:
        c = LoanCase
        officer = aliased(Staff)
        stmt = (
            select(
                c.id,
                c.received_on,
                c.receipt_number,
                Business.name.label("business_name"),
                Business.corporate_number,
                LoanProgram.name.label("program_name"),
                c.status,
                c.status_since,
                Bank.name.label("bank_name"),
                BankBranch.name.label("branch_name"),
                c.referral_number,
                c.referred_on,
                c.requested_amount,
                c.referral_amount,
                c.approved_amount,
                c.executed_on,
                c.executed_amount,
                c.term_months,
                c.grace_months,
                c.nominal_rate,
                c.subsidy_rate,
                c.borrower_rate,
                c.representative_residence,
                Business.representative_residence.label("residence_now"),
                c.closed_on,
                c.close_reason,
                c.subsidy_stopped_on,
                c.subsidy_stop_reason,
                officer.name.label("officer_name"),
            )
            .join(Business, Business.id == c.business_id)
            .join(LoanProgram, LoanProgram.id == c.program_id)
            .outerjoin(Bank, Bank.id == c.bank_id)
            .outerjoin(BankBranch, BankBranch.id == c.branch_id)
            .outerjoin(officer, officer.id == c.officer_id)
            .order_by(c.received_on, c.id)
        )
        if date_from is not None:
            stmt = stmt.where(c.received_on >= date_from)
        if date_to is not None:
            stmt = stmt.where(c.received_on <= date_to)
        visible = self._principal.sees_loan_amounts
        with self._db.read() as session:
            # One query read a chunk at a time (a server-side cursor on PostgreSQL): the file
            # shows one consistent moment however long the writing takes.
            result = session.execute(stmt, execution_options={"yield_per": CHUNK})
            for chunk in result.partitions():
                for row in chunk:
                    yield _loan_row(row, visible)

    def _chunks(
        self, stmt: Select[*tuple[Any, ...]]
    ) -> Iterator[tuple[Session, Sequence[Row[Any]]]]:
        """The rows of one query a chunk at a time (a server-side cursor on PostgreSQL), with
        the session, for the per-chunk lookups of children."""
        with self._db.read() as session:
            result = session.execute(stmt, execution_options={"yield_per": CHUNK})
            for chunk in result.partitions():
                yield session, chunk

    def _dispatch_stream(
        self, date_from: date | None, date_to: date | None
    ) -> Iterator[tuple[object, ...]]:
        """Dispatches applied for in the period, oldest application first."""
        c = ExpertDispatch
        stmt = _period_filter(
            select(
                c.id,
                c.applied_on,
                c.fiscal_year,
                Business.name.label("business_name"),
                Business.corporate_number,
                c.theme,
                c.program_id,
                DispatchProgram.name.label("program_name"),
                Expert.name.label("expert_name"),
                c.status,
                c.decided_on,
                c.approved_visits,
                c.completed_on,
                c.report_due_on,
                c.report_received_on,
                c.paid_on,
                c.cancelled_on,
                c.cancel_reason,
                c.consultation_id,
                Consultation.consulted_on,
                Initiative.code.label("initiative_code"),
                Staff.name.label("staff_name"),
            )
            .join(Business, Business.id == c.business_id)
            .join(DispatchProgram, DispatchProgram.id == c.program_id)
            .join(Initiative, Initiative.id == c.initiative_id)
            .outerjoin(Expert, Expert.id == c.expert_id)
            .outerjoin(Consultation, Consultation.id == c.consultation_id)
            .outerjoin(Staff, Staff.id == c.staff_id)
            .order_by(c.applied_on, c.id),
            c.applied_on,
            date_from,
            date_to,
        )
        for session, chunk in self._chunks(stmt):
            visits = _visit_summaries(session, chunk)
            for row in chunk:
                count, first, last, fees = visits.get(row.id, (0, None, None, 0))
                yield (
                    row.id,
                    row.applied_on,
                    row.fiscal_year,
                    row.business_name,
                    row.corporate_number or "",
                    row.theme,
                    row.program_name,
                    row.expert_name or "",
                    DispatchState(row.status).label,
                    row.decided_on,
                    row.approved_visits,
                    count,
                    first,
                    last,
                    fees,
                    row.completed_on,
                    row.report_due_on,
                    row.report_received_on,
                    row.paid_on,
                    row.cancelled_on,
                    row.cancel_reason,
                    row.consultation_id,
                    row.consulted_on,
                    row.initiative_code,
                    row.staff_name or "",
                )

    def _street_support_stream(
        self, date_from: date | None, date_to: date | None
    ) -> Iterator[tuple[object, ...]]:
        """Support records of the period (the day of support), oldest first, with the events
        linked to each."""
        r = StreetSupport
        stmt = _period_filter(
            select(
                r.id,
                r.supported_on,
                StreetAssociation.name.label("association_name"),
                StreetAssociation.legal_form,
                SupportKind.name.label("kind_name"),
                Initiative.code.label("initiative_code"),
                r.title,
                Staff.name.label("staff_name"),
                r.university,
                r.project,
                r.student_count,
                r.notes,
            )
            .join(StreetAssociation, StreetAssociation.id == r.association_id)
            .join(SupportKind, SupportKind.id == r.kind_id)
            .join(Initiative, Initiative.id == r.initiative_id)
            .outerjoin(Staff, Staff.id == r.staff_id)
            .order_by(r.supported_on, r.id),
            r.supported_on,
            date_from,
            date_to,
        )
        for session, chunk in self._chunks(stmt):
            events = _linked_events(session, [row.id for row in chunk])
            for row in chunk:
                names, starts_on, ends_on, budget, visitors = events.get(
                    row.id, ("", None, None, None, None)
                )
                yield (
                    row.id,
                    row.supported_on,
                    row.association_name,
                    row.legal_form,
                    row.kind_name,
                    row.initiative_code,
                    row.title,
                    row.staff_name or "",
                    row.university,
                    row.project,
                    row.student_count,
                    names,
                    starts_on,
                    ends_on,
                    budget,
                    visitors,
                    row.notes,
                )

    def _subsidy_stream(
        self, date_from: date | None, date_to: date | None
    ) -> Iterator[tuple[object, ...]]:
        """Applications filed in the period, oldest first; the applicant is a business or a
        shopping street."""
        a = SubsidyApplication
        stmt = _period_filter(
            select(
                a.id,
                a.applied_on,
                a.fiscal_year,
                SubsidyProgram.name.label("program_name"),
                a.business_id,
                Business.name.label("business_name"),
                Business.corporate_number.label("business_number"),
                StreetAssociation.name.label("association_name"),
                StreetAssociation.corporate_number.label("association_number"),
                a.title,
                StreetEvent.name.label("event_name"),
                a.status,
                a.activity_ends_on,
                a.eligible_cost,
                a.requested_amount,
                a.computed_amount,
                a.decided_on,
                a.granted_amount,
                a.report_due_on,
                a.reported_on,
                a.confirmed_on,
                a.confirmed_amount,
                a.paid_on,
                a.paid_amount,
                a.closed_on,
                a.reason,
                Initiative.code.label("initiative_code"),
                Staff.name.label("staff_name"),
            )
            .join(SubsidyProgram, SubsidyProgram.id == a.program_id)
            .join(Initiative, Initiative.id == a.initiative_id)
            .outerjoin(Business, Business.id == a.business_id)
            .outerjoin(StreetAssociation, StreetAssociation.id == a.association_id)
            .outerjoin(StreetEvent, StreetEvent.id == a.event_id)
            .outerjoin(Staff, Staff.id == a.staff_id)
            .order_by(a.applied_on, a.id),
            a.applied_on,
            date_from,
            date_to,
        )
        for _, chunk in self._chunks(stmt):
            for row in chunk:
                business = row.business_id is not None
                target = SubsidyTarget.BUSINESS if business else SubsidyTarget.STREET
                yield (
                    row.id,
                    row.applied_on,
                    row.fiscal_year,
                    row.program_name,
                    target.label,
                    (row.business_name if business else row.association_name) or "",
                    (row.business_number if business else row.association_number) or "",
                    row.title,
                    row.event_name or "",
                    SubsidyState(row.status).label,
                    row.activity_ends_on,
                    row.eligible_cost,
                    row.requested_amount,
                    row.computed_amount,
                    row.decided_on,
                    row.granted_amount,
                    row.report_due_on,
                    row.reported_on,
                    row.confirmed_on,
                    row.confirmed_amount,
                    row.paid_on,
                    row.paid_amount,
                    row.closed_on,
                    row.reason,
                    row.initiative_code,
                    row.staff_name or "",
                )


def _period_filter(
    stmt: Select[*tuple[Any, ...]], column: Any, date_from: date | None, date_to: date | None
) -> Select[*tuple[Any, ...]]:
    if date_from is not None:
        stmt = stmt.where(column >= date_from)
    if date_to is not None:
        stmt = stmt.where(column <= date_to)
    return stmt


VisitSummary = tuple[int, date | None, date | None, int]  # visits, first, last, fees


def _visit_summaries(session: Session, chunk: Sequence[Row[Any]]) -> dict[int, VisitSummary]:
    """Visits, first and last visit day and the fee total of each dispatch of the chunk.

    A visit costs its own fee, else the program's fee for the 年度 of the visit, else the
    expert's fee (the rule of DispatchService's fee totals).
    """
    programs = {row.id: row.program_id for row in chunk}
    visits = session.execute(
        select(
            DispatchVisit.dispatch_id,
            DispatchVisit.visited_on,
            DispatchVisit.fee,
            Expert.fee_per_visit,
        )
        .join(Expert, Expert.id == DispatchVisit.expert_id)
        .where(DispatchVisit.dispatch_id.in_(list(programs)))
        .order_by(DispatchVisit.dispatch_id, DispatchVisit.number)
    ).all()
    program_fees = {
        (program_id, year): fee
        for program_id, year, fee in session.execute(
            select(
                DispatchProgramTerms.program_id,
                DispatchProgramTerms.fiscal_year,
                DispatchProgramTerms.fee_per_visit,
            ).where(DispatchProgramTerms.program_id.in_(sorted(set(programs.values()))))
        )
    }
    found: dict[int, VisitSummary] = {}
    for dispatch_id, visited_on, own_fee, expert_fee in visits:
        fee = own_fee
        if fee is None:
            fee = program_fees.get((programs[dispatch_id], fiscal_year(visited_on)))
        if fee is None:
            fee = expert_fee
        count, first, last, total = found.get(dispatch_id, (0, None, None, 0))
        found[dispatch_id] = (
            count + 1,
            min(first or visited_on, visited_on),
            max(last or visited_on, visited_on),
            total + (fee or 0),
        )
    return found


EventSummary = tuple[str, date | None, date | None, int | None, int | None]


def _linked_events(session: Session, support_ids: list[int]) -> dict[int, EventSummary]:
    """The events linked to each support record: names (in date order), first day, last day,
    and budgets and visitors summed (None when no event gives a figure)."""
    e = StreetEvent
    events = session.execute(
        select(e.support_id, e.name, e.starts_on, e.ends_on, e.budget, e.visitors)
        .where(e.support_id.in_(support_ids))
        .order_by(e.support_id, e.starts_on, e.id)
    ).all()
    found: dict[int, EventSummary] = {}
    for support_id, name, starts_on, ends_on, budget, visitors in events:
        if support_id is None:
            continue  # not selected (the IN above); the column is nullable
        if support_id not in found:
            found[support_id] = (name, starts_on, ends_on, budget, visitors)
            continue
        names, first, last, budgets, counts = found[support_id]
        found[support_id] = (
            f"{names}、{name}",
            min(first or starts_on, starts_on),
            max(last or ends_on, ends_on),
            _add(budgets, budget),
            _add(counts, visitors),
        )
    return found


def _add(total: int | None, value: int | None) -> int | None:
    if total is None or value is None:
        return value if total is None else total
    return total + value


def _loan_row(row: Any, visible: bool) -> LoanExportRow:
    """``row``: one result row of ``_loan_stream``'s query (read by column name)."""

    def amount(value: int | None) -> int | None:
        return value if visible else None

    # The snapshot taken at referral; before that, what the business record says today.
    residence = row.representative_residence or row.residence_now
    return LoanExportRow(
        case_id=row.id,
        received_on=row.received_on,
        receipt_number=row.receipt_number,
        business_name=row.business_name,
        corporate_number=row.corporate_number or "",
        program_name=row.program_name,
        state=LoanState(row.status).label,
        status_since=row.status_since,
        bank_name=row.bank_name or "",
        branch_name=row.branch_name or "",
        referral_number=row.referral_number,
        referred_on=row.referred_on,
        requested_amount=amount(row.requested_amount),
        referral_amount=amount(row.referral_amount),
        approved_amount=amount(row.approved_amount),
        executed_on=row.executed_on,
        executed_amount=amount(row.executed_amount),
        term_months=row.term_months,
        grace_months=row.grace_months,
        nominal_rate=row.nominal_rate,
        subsidy_rate=row.subsidy_rate,
        borrower_rate=row.borrower_rate,
        residence=Residence(residence).label if residence else "",
        closed_on=row.closed_on,
        close_reason=row.close_reason,
        subsidy_stopped_on=row.subsidy_stopped_on,
        subsidy_stop_reason=row.subsidy_stop_reason,
        officer_name=row.officer_name or "",
    )


def _write_replacing(target: Path, overwrite: bool, write: Callable[[Path], Any]) -> int:
    """Write to a temporary file beside ``target``, then put it in place in one step."""
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        count = int(write(temporary))
        with temporary.open("rb+") as written:
            os.fsync(written.fileno())  # on disk before the name points at it
        if overwrite:
            os.replace(temporary, target)
        else:
            _link_new(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)  # after a link or a failure; gone after a replace
    return count


def _link_new(temporary: Path, target: Path) -> None:
    """Give the file its name unless that name appeared meanwhile (no silent overwrite)."""
    try:
        os.link(temporary, target)
    except FileExistsError as exc:
        raise TargetExists(str(target)) from exc
    except OSError:  # a file system without hard links (FAT, some network shares)
        if target.exists():
            raise TargetExists(str(target)) from None
        os.replace(temporary, target)
