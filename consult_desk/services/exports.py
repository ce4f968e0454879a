"""Exports of records to CSV / xlsx (``consult-desk export KIND`` and the lists' export buttons).

- ``EXPORTS`` names every kind that can be exported: its label, the permission it needs, the
  audit record kind, its columns, the list query its rows may be filtered by and where its rows
  come from. A new kind is one entry there (and a ``_*_stream`` method), and the command line
  offers it at once.
- Businesses, consultations and loan cases are written in the import's columns
  (``domain/import_values.COLUMNS``: the same headers, values as the import reads them), so an
  export imports back into another database unchanged.
- One entry point, ``ExportService.export``: the period (``date_from`` / ``date_to``, on the
  kind's main date) and the list's current filter (``query``, the list's own query object)
  narrow the rows together. Records in the trash are never exported.
- Rows stream from the database a chunk at a time (never the whole table) straight into the
  writer. The file is written beside the target under a temporary name and renamed at the end,
  so a failed export never leaves half a file, and an existing file is replaced only when asked.
- Every export needs the kind's Action.EXPORT and is audited once ("export", with the row count,
  the period, the filter, the format and the file name), after the file is complete. Roles that
  may not see loan amounts get those columns empty; the columns hold no personal data the lists
  mask (representatives' home addresses and personal phones are not among them).
- What a row needs from its children (a dispatch's visits and fees, a support record's events,
  a consultation's topics) is read per chunk with one query over the chunk's ids, so memory
  stays one chunk whatever the table's size.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from consult_desk.db.engine import Database
from consult_desk.db.models import (
    Bank,
    Business,
    Consultation,
    ConsultationChannel,
    ConsultationTopic,
    ConsultationTopicLink,
    DispatchProgram,
    DispatchProgramTerms,
    DispatchVisit,
    Expert,
    ExpertDispatch,
    Initiative,
    JsicMajor,
    LoanCase,
    LoanCaseEvent,
    LoanProgram,
    Staff,
    StreetAssociation,
    StreetEvent,
    StreetSupport,
    SubsidyApplication,
    SubsidyProgram,
    SupportKind,
)
from consult_desk.domain.businesses import BusinessKind, BusinessQuery, Residence
from consult_desk.domain.consultations import ConsultationQuery
from consult_desk.domain.dispatch import DispatchQuery, DispatchState
from consult_desk.domain.errors import DomainError, FieldError, ValidationError
from consult_desk.domain.fiscal import JST, fiscal_year, japan_today
from consult_desk.domain.import_values import ImportKind, known_columns
from consult_desk.domain.loans import LoanQuery, LoanState
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.domain.streets import SupportQuery
from consult_desk.domain.subsidies import ApplicationQuery, SubsidyState, SubsidyTarget
from consult_desk.reports.tabular import Column, ColumnKind, write_csv, write_xlsx
from consult_desk.services import audit
from consult_desk.services.businesses import _conditions as business_conditions
from consult_desk.services.businesses import _sort_keys as business_sort_keys
from consult_desk.services.consultations import _conditions as consultation_conditions
from consult_desk.services.dispatch import _conditions as dispatch_conditions
from consult_desk.services.loans import _conditions as loan_conditions
from consult_desk.services.settings import SettingsService
from consult_desk.services.streets import _support_conditions
from consult_desk.services.subsidies import _conditions as subsidy_conditions

CHUNK = 1000  # rows fetched from the database at a time
PROGRESS_EVERY = 500  # rows between two progress calls

ExportProgress = Callable[[int], None]  # rows written so far


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


_T, _I, _Y, _D = ColumnKind.TEXT, ColumnKind.INTEGER, ColumnKind.YEN, ColumnKind.DATE


def _import_columns(
    kind: ImportKind, formats: Mapping[str, tuple[ColumnKind, int]]
) -> tuple[Column, ...]:
    """The import's columns of ``kind``, in its order, each with its cell kind and width: an
    import column without a format here (or a format for no column) fails at start-up."""
    names = known_columns(kind)
    if set(names) != set(formats):
        raise AssertionError(f"export columns of {kind}: {sorted(set(names) ^ set(formats))}")
    return tuple(Column(name, *formats[name]) for name in names)


BUSINESS_COLUMNS = _import_columns(
    ImportKind.BUSINESSES,
    {
        "事業者名": (_T, 34),
        "フリガナ": (_T, 30),
        "法人番号": (_T, 16),
        "事業者区分": (_T, 12),
        "業種": (_T, 26),
        "郵便番号": (_T, 10),
        "所在地": (_T, 40),
        "電話番号": (_T, 15),
        "メール": (_T, 28),
        "代表者名": (_T, 16),
        "代表者区分": (_T, 11),
        "資本金": (_Y, 14),
        "従業員数": (_I, 10),
        "設立日": (_D, 12),
    },
)
CONSULTATION_COLUMNS = _import_columns(
    ImportKind.CONSULTATIONS,
    {
        "相談日": (_D, 12),
        "事業者名": (_T, 34),
        "法人番号": (_T, 16),
        "相談方法": (_T, 12),
        "相談分野": (_T, 34),
        "担当者": (_T, 14),
        "所要時間": (_I, 10),
        "相談内容": (_T, 50),
        "助言内容": (_T, 50),
        "次回対応": (_T, 30),
        "対応期限": (_D, 12),
    },
)
LOAN_COLUMNS = _import_columns(
    ImportKind.LOANS,
    {
        "受付日": (_D, 12),
        "事業者名": (_T, 34),
        "法人番号": (_T, 16),
        "資金種別": (_T, 20),
        "金融機関": (_T, 20),
        "申込額": (_Y, 14),
        "状態": (_T, 16),
        "あっせん書交付日": (_D, 16),
        "実行日": (_D, 12),
        "実行額": (_Y, 14),
        "終了日": (_D, 12),
        "理由": (_T, 34),
        "あっせん額": (_Y, 14),
        "承諾額": (_Y, 14),
        "期間(月)": (_I, 10),
        "据置(月)": (_I, 10),
    },
)
# The loan columns of amounts: empty for roles that may not see loan amounts.
LOAN_AMOUNT_COLUMNS = ("申込額", "実行額", "あっせん額", "承諾額")

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
class ExportFilter:
    """What narrows an export: the period on the kind's main date (inclusive) and the list's
    query (None: every record not in the trash)."""

    date_from: date | None = None
    date_to: date | None = None
    query: Any = None
    today: date | None = None  # for filters relative to today (overdue …); default: Japan's

    @property
    def day(self) -> date:
        return self.today or japan_today()


@dataclass(frozen=True, slots=True)
class ExportSource:
    """One kind of export."""

    label: str  # Japanese: help text, sheet title, messages
    kind: Kind  # the permission kind (Action.EXPORT on it)
    record_kind: str  # in the audit trail
    columns: tuple[Column, ...]
    query_type: type[Any]  # the query of the kind's list page (the GUI's current filter)
    rows: Callable[[ExportService, ExportFilter], Iterable[Sequence[object]]]
    period: str  # which date --from/--to filter on (for help)


EXPORTS: dict[str, ExportSource] = {
    "businesses": ExportSource(
        label="事業者",
        kind=Kind.BUSINESS,
        record_kind="business",
        columns=BUSINESS_COLUMNS,
        query_type=BusinessQuery,
        rows=lambda service, given: service._business_stream(given),
        period="登録日",
    ),
    "consultations": ExportSource(
        label="相談記録",
        kind=Kind.CONSULTATION,
        record_kind="consultation",
        columns=CONSULTATION_COLUMNS,
        query_type=ConsultationQuery,
        rows=lambda service, given: service._consultation_stream(given),
        period="相談日",
    ),
    "loans": ExportSource(
        label="融資あっせん案件",
        kind=Kind.LOAN,
        record_kind="loan_case",
        columns=LOAN_COLUMNS,
        query_type=LoanQuery,
        rows=lambda service, given: service._loan_stream(given),
        period="受付日",
    ),
    "dispatches": ExportSource(
        label="専門家派遣",
        kind=Kind.DISPATCH,
        record_kind="expert_dispatch",
        columns=DISPATCH_COLUMNS,
        query_type=DispatchQuery,
        rows=lambda service, given: service._dispatch_stream(given),
        period="申請日",
    ),
    "street-support": ExportSource(
        label="商店街支援記録",
        kind=Kind.STREET,
        record_kind="street_support",
        columns=STREET_SUPPORT_COLUMNS,
        query_type=SupportQuery,
        rows=lambda service, given: service._street_support_stream(given),
        period="支援日",
    ),
    "subsidies": ExportSource(
        label="補助金申請",
        kind=Kind.SUBSIDY,
        record_kind="subsidy_application",
        columns=SUBSIDY_COLUMNS,
        query_type=ApplicationQuery,
        rows=lambda service, given: service._subsidy_stream(given),
        period="申請日",
    ),
}


def _check_period(date_from: date | None, date_to: date | None) -> None:
    if date_from is not None and date_to is not None and date_from > date_to:
        raise ValidationError([FieldError("date_to", "period.reversed")])


def _period(date_from: date | None, date_to: date | None) -> str:
    return f"{date_from.isoformat() if date_from else ''}〜{date_to.isoformat() if date_to else ''}"


def _describe_query(query: object) -> dict[str, Any]:
    """The fields of a list query that differ from its defaults, as plain JSON values (the
    audit entry's "filter")."""
    found: dict[str, Any] = {}
    for spec in fields(query):  # type: ignore[arg-type]
        value = getattr(query, spec.name)
        if value != spec.default:
            found[spec.name] = _plain(value)
    return found


def _plain(value: object) -> Any:
    if isinstance(value, frozenset | set | tuple | list):
        return sorted(_plain(v) for v in value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value


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
        query: object | None = None,
        overwrite: bool = False,
        today: date | None = None,
        progress: ExportProgress | None = None,
    ) -> ExportResult:
        """Write the ``kind`` records to ``target``: those of the period (on the kind's main
        date, ``EXPORTS[kind].period``) that match ``query`` (the kind's list query, as the list
        page holds it: ``EXPORTS[kind].query_type``), in the list's columns for the import.

        Raises ``PermissionDenied`` (nothing written), ``ValidationError`` (a reversed period),
        ``TargetExists`` (``target`` is there and ``overwrite`` is off), ``TargetUnwritable``;
        ``TypeError`` for a query of another kind. ``today`` is the day "overdue" filters are
        judged against (default: Japan's today). ``progress(rows)`` is called every few hundred
        rows and once at the end; an exception raised from it stops the export, and then no
        file is left and nothing is audited.
        """
        source = EXPORTS[kind]
        self._principal.require(source.kind, Action.EXPORT)
        if query is not None and not isinstance(query, source.query_type):
            raise TypeError(f"{kind} exports take a {source.query_type.__name__}")
        _check_period(date_from, date_to)
        if isinstance(query, SupportQuery | DispatchQuery | ApplicationQuery) and (
            errors := query.errors()
        ):
            raise ValidationError(errors)
        if target.exists() and not overwrite:  # refuse before any work
            raise TargetExists(str(target))
        rows = source.rows(self, ExportFilter(date_from, date_to, query, today))
        if progress is not None:
            rows = _reporting(rows, progress)

        def write(path: Path) -> int:
            if fmt == ExportFormat.XLSX:
                return write_xlsx(path, source.label, source.columns, rows)
            return write_csv(path, source.columns, rows)

        try:
            count = _write_replacing(target, overwrite, write)
        except OSError as exc:
            raise TargetUnwritable(target, exc) from exc
        changes: dict[str, Any] = {
            "rows": [None, count],
            "period": [None, _period(date_from, date_to)],
            "format": [None, ExportFormat(fmt).value],
            "file": [None, target.name],
        }
        if query is not None:
            changes["filter"] = [None, _describe_query(query)]
        try:
            with self._db.write() as session:
                audit.record(
                    session, self._principal.staff_id, "export", source.record_kind, None, changes
                )
        except BaseException:
            target.unlink(missing_ok=True)  # an export nobody can trace must not stay behind
            raise
        return ExportResult(target, count)

    def _chunks(
        self, stmt: Select[*tuple[Any, ...]]
    ) -> Iterator[tuple[Session, Sequence[Row[Any]]]]:
        """The rows of one query a chunk at a time (a server-side cursor on PostgreSQL), with
        the session, for the per-chunk lookups of children. One query: the file shows one
        consistent moment however long the writing takes."""
        with self._db.read() as session:
            result = session.execute(stmt, execution_options={"yield_per": CHUNK})
            for chunk in result.partitions():
                yield session, chunk

    # --- businesses, consultations and loan cases: the import's columns -----------------------

    def _business_stream(self, given: ExportFilter) -> Iterator[tuple[object, ...]]:
        """Businesses registered in the period (Japan days), in the list's order (by name
        unless the query says otherwise); archived ones too unless the query leaves them out."""
        query: BusinessQuery = given.query or BusinessQuery(archived=None)
        b = Business
        keys = business_sort_keys(query.sort)
        stmt = (
            select(
                b.name,
                b.name_kana,
                b.corporate_number,
                b.kind,
                b.jsic_major,
                JsicMajor.name.label("jsic_name"),
                b.postal_code,
                b.address,
                b.phone,
                b.email,
                b.representative_name,
                b.representative_residence,
                b.capital,
                b.employees,
                b.founded_on,
            )
            .outerjoin(JsicMajor, JsicMajor.code == b.jsic_major)
            .where(*business_conditions(query), *_day_conditions(b.created_at, given))
            .order_by(*([k.desc() for k in keys] if query.descending else keys))
        )
        names = known_columns(ImportKind.BUSINESSES)
        for _, chunk in self._chunks(stmt):
            for row in chunk:
                residence = row.representative_residence
                cells: dict[str, object] = {
                    "事業者名": row.name,
                    "フリガナ": row.name_kana,
                    "法人番号": row.corporate_number or "",
                    "事業者区分": BusinessKind(row.kind).label,
                    "業種": row.jsic_name or row.jsic_major or "",
                    "郵便番号": _postal_code(row.postal_code),
                    "所在地": row.address,
                    "電話番号": row.phone,
                    "メール": row.email,
                    "代表者名": row.representative_name,
                    "代表者区分": Residence(residence).label if residence else "",
                    "資本金": row.capital,
                    "従業員数": row.employees,
                    "設立日": row.founded_on,
                }
                yield tuple(cells[name] for name in names)

    def _consultation_stream(self, given: ExportFilter) -> Iterator[tuple[object, ...]]:
        """Consultations of the period, oldest first; archived ones too unless the query leaves
        them out. The topics are named primary first; a prospective founder's name stands in
        the business column (the list's 相談者)."""
        query: ConsultationQuery = given.query or ConsultationQuery(archived=None)
        c = Consultation
        stmt = _period_filter(
            select(
                c.id,
                c.consulted_on,
                Business.name.label("business_name"),
                Business.corporate_number,
                c.prospect_name,
                ConsultationChannel.name.label("channel_name"),
                Staff.name.label("staff_name"),
                c.minutes,
                c.summary,
                c.advice,
                c.next_action,
                c.due_on,
            )
            .join(ConsultationChannel, ConsultationChannel.id == c.channel_id)
            .outerjoin(Staff, Staff.id == c.staff_id)
            .outerjoin(Business, Business.id == c.business_id)
            .where(*consultation_conditions(query))
            .order_by(c.consulted_on, c.id),
            c.consulted_on,
            given.date_from,
            given.date_to,
        )
        names = known_columns(ImportKind.CONSULTATIONS)
        for session, chunk in self._chunks(stmt):
            topics = _topic_names(session, [row.id for row in chunk])
            for row in chunk:
                cells: dict[str, object] = {
                    "相談日": row.consulted_on,
                    "事業者名": row.business_name or row.prospect_name,
                    "法人番号": row.corporate_number or "",
                    "相談方法": row.channel_name,
                    "相談分野": "、".join(topics.get(row.id, ())),
                    "担当者": row.staff_name or "",
                    "所要時間": row.minutes,
                    "相談内容": row.summary,
                    "助言内容": row.advice,
                    "次回対応": row.next_action,
                    "対応期限": row.due_on,
                }
                yield tuple(cells[name] for name in names)

    def _loan_stream(self, given: ExportFilter) -> Iterator[tuple[object, ...]]:
        """Loan cases received in the period, oldest first. The status and its dates are what
        the import rebuilds the case's history from; 理由 is the closing reason, or for a case
        on hold the reason it was put on hold."""
        c = LoanCase
        stmt = _period_filter(
            select(
                c.id,
                c.received_on,
                Business.name.label("business_name"),
                Business.corporate_number,
                LoanProgram.name.label("program_name"),
                Bank.name.label("bank_name"),
                c.requested_amount,
                c.status,
                c.referred_on,
                c.executed_on,
                c.executed_amount,
                c.closed_on,
                c.close_reason,
                c.referral_amount,
                c.approved_amount,
                c.term_months,
                c.grace_months,
            )
            .join(Business, Business.id == c.business_id)
            .join(LoanProgram, LoanProgram.id == c.program_id)
            .outerjoin(Bank, Bank.id == c.bank_id)
            .where(*self._loan_conditions(given))
            .order_by(c.received_on, c.id),
            c.received_on,
            given.date_from,
            given.date_to,
        )
        visible = self._principal.sees_loan_amounts
        names = known_columns(ImportKind.LOANS)

        def amount(value: int | None) -> int | None:
            return value if visible else None

        for session, chunk in self._chunks(stmt):
            held = [row.id for row in chunk if row.status == LoanState.ON_HOLD]
            hold_reasons = _hold_reasons(session, held) if held else {}
            for row in chunk:
                reason = hold_reasons.get(row.id, "") or row.close_reason
                cells: dict[str, object] = {
                    "受付日": row.received_on,
                    "事業者名": row.business_name,
                    "法人番号": row.corporate_number or "",
                    "資金種別": row.program_name,
                    "金融機関": row.bank_name or "",
                    "申込額": amount(row.requested_amount),
                    "状態": LoanState(row.status).label,
                    "あっせん書交付日": row.referred_on,
                    "実行日": row.executed_on,
                    "実行額": amount(row.executed_amount),
                    "終了日": row.closed_on,
                    "理由": reason,
                    "あっせん額": amount(row.referral_amount),
                    "承諾額": amount(row.approved_amount),
                    "期間(月)": row.term_months,
                    "据置(月)": row.grace_months,
                }
                yield tuple(cells[name] for name in names)

    def _loan_conditions(self, given: ExportFilter) -> list[ColumnElement[bool]]:
        query: LoanQuery | None = given.query
        if query is None:
            return []
        thresholds: dict[str, int] = {}
        if query.overdue_only:
            try:  # the pipeline's "overdue" days, as the list page reads them
                thresholds = SettingsService(self._db, self._principal).loan_overdue_days()
            except DomainError:
                thresholds = {}
        return loan_conditions(query, thresholds, given.day)

    # --- the support desk's records -----------------------------------------------------------

    def _dispatch_stream(self, given: ExportFilter) -> Iterator[tuple[object, ...]]:
        """Dispatches applied for in the period, oldest application first."""
        query: DispatchQuery = given.query or DispatchQuery()
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
            .where(*dispatch_conditions(query, given.day))
            .order_by(c.applied_on, c.id),
            c.applied_on,
            given.date_from,
            given.date_to,
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

    def _street_support_stream(self, given: ExportFilter) -> Iterator[tuple[object, ...]]:
        """Support records of the period (the day of support), oldest first, with the events
        linked to each."""
        query: SupportQuery = given.query or SupportQuery()
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
            .where(*_support_conditions(query))
            .order_by(r.supported_on, r.id),
            r.supported_on,
            given.date_from,
            given.date_to,
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

    def _subsidy_stream(self, given: ExportFilter) -> Iterator[tuple[object, ...]]:
        """Applications filed in the period, oldest first; the applicant is a business or a
        shopping street."""
        query: ApplicationQuery = given.query or ApplicationQuery()
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
            .where(*subsidy_conditions(query, given.day))
            .order_by(a.applied_on, a.id),
            a.applied_on,
            given.date_from,
            given.date_to,
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


def _reporting(
    rows: Iterable[Sequence[object]], progress: ExportProgress
) -> Iterator[Sequence[object]]:
    count = 0
    for row in rows:
        yield row
        count += 1
        if count % PROGRESS_EVERY == 0:
            progress(count)
    progress(count)


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


def _day_conditions(column: Any, given: ExportFilter) -> list[ColumnElement[bool]]:
    """A timestamp within the period's Japan days (a business's 登録日)."""
    found: list[ColumnElement[bool]] = []
    if given.date_from is not None:
        found.append(column >= _japan_midnight(given.date_from))
    if given.date_to is not None:
        found.append(column < _japan_midnight(given.date_to + timedelta(days=1)))
    return found


def _japan_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=JST)


def _postal_code(digits: str) -> str:
    """1010054 → 101-0054 (as people write it; a spreadsheet keeps it as text)."""
    return f"{digits[:3]}-{digits[3:]}" if len(digits) == 7 and digits.isdigit() else digits


def _topic_names(session: Session, consultation_ids: list[int]) -> dict[int, list[str]]:
    """The topics of each consultation: the primary one first, then in the list's order."""
    link, topic = ConsultationTopicLink, ConsultationTopic
    found: dict[int, list[str]] = {}
    for consultation_id, name in session.execute(
        select(link.consultation_id, topic.name)
        .join(topic, topic.id == link.topic_id)
        .where(link.consultation_id.in_(consultation_ids))
        .order_by(link.consultation_id, link.is_primary.desc(), topic.sort_order, topic.id)
    ):
        found.setdefault(consultation_id, []).append(name)
    return found


def _hold_reasons(session: Session, case_ids: list[int]) -> dict[int, str]:
    """Why each case was put on hold: the reason of its latest step to 保留."""
    e = LoanCaseEvent
    found: dict[int, str] = {}
    for case_id, reason in session.execute(
        select(e.case_id, e.reason)
        .where(
            e.case_id.in_(case_ids),
            e.kind == "transition",
            e.to_status == LoanState.ON_HOLD.value,
        )
        .order_by(e.case_id, e.id)
    ):
        found[case_id] = reason  # the latest wins
    return found


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
