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

from sqlalchemy import select
from sqlalchemy.orm import aliased

from consult_desk.db.engine import Database
from consult_desk.db.models import Bank, BankBranch, Business, LoanCase, LoanProgram, Staff
from consult_desk.domain.businesses import Residence
from consult_desk.domain.errors import DomainError, FieldError, ValidationError
from consult_desk.domain.loans import LoanState
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.reports.tabular import Column, ColumnKind, write_csv, write_xlsx
from consult_desk.services import audit

CHUNK = 1000  # rows fetched from the database at a time


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


class TargetExists(DomainError):
    """The export's file is already there and replacing it was not asked for."""

    code = "export.target_exists"


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
    Column("名目利率", _R, 10),
    Column("利子補給率", _R, 11),
    Column("本人負担率", _R, 11),
    Column("代表者区分", _T, 11),
    Column("完了日", _D, 12),
    Column("終了理由", _T, 34),
    Column("利子補給停止日", _D, 15),
    Column("停止理由", _T, 26),
    Column("担当", _T, 14),
)
assert len(LOAN_COLUMNS) == len(_LOAN_FIELDS)


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

        count = _write_replacing(target, overwrite, write)
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
