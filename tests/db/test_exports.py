"""Loan-case exports on a real SQLite file: CSV for Excel, xlsx, masking, period, audit."""

import csv
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from consult_desk.db.engine import Database
from consult_desk.db.models import AuditLog, Staff, StaffRole
from consult_desk.domain import permissions
from consult_desk.domain.errors import ValidationError
from consult_desk.domain.loans import LoanCaseInput, StepInput, StepName
from consult_desk.domain.permissions import PermissionDenied, Principal, Role
from consult_desk.reports import tabular
from consult_desk.services import exports
from consult_desk.services.exports import (
    LOAN_COLUMNS,
    ExportFormat,
    ExportService,
    TargetExists,
    TargetUnwritable,
)
from consult_desk.services.loans import LoanService
from tests.loan_setup import LoanWorld, make_loan_world

TODAY = date(2026, 11, 30)
HEADERS = [
    "案件番号",
    "受付日",
    "受付番号",
    "事業者",
    "法人番号",
    "資金種別",
    "状態",
    "状態の日付",
    "金融機関",
    "支店",
    "あっせん書番号",
    "あっせん日",
    "希望額",
    "あっせん額",
    "承諾額",
    "実行日",
    "実行額",
    "期間(月)",
    "据置(月)",
    "名目利率(%)",
    "利子補給率(%)",
    "本人負担率(%)",
    "代表者区分",
    "完了日",
    "終了理由",
    "利子補給停止日",
    "停止理由",
    "担当",
]
AMOUNTS = ["希望額", "あっせん額", "承諾額", "実行額"]


@pytest.fixture
def world(db: Database, admin: Principal) -> LoanWorld:
    """An old inquiry (received 10/1) and a loan executed in November (received 11/20)."""
    world = make_loan_world(db)
    loans = LoanService(db, admin)
    loans.add(
        LoanCaseInput(world.business_id, world.program_id, date(2026, 10, 1), purpose="仕入"),
        today=TODAY,
    )
    case_id = loans.add(
        LoanCaseInput(
            world.business_id, world.program_id, date(2026, 11, 16), requested_amount=5_000_000
        ),
        today=TODAY,
    )
    steps = [
        StepInput(StepName.RECEIVE, date(2026, 11, 20), interviewer="山田", receipt_number="8-1"),
        StepInput(
            StepName.START_REVIEW,
            date(2026, 11, 20),
            eligible_in_ward_year=True,
            eligible_head_office=True,
            eligible_taxes_paid=True,
            eligible_no_virtual_office=True,
            eligible_industry_covered=True,
        ),
        StepInput(
            StepName.REFER,
            date(2026, 11, 26),
            referral_number="=R8-001",  # typed text that looks like a formula
            referral_amount=5_000_000,
            bank_id=world.bank_id,
            branch_id=world.branch_id,
        ),
        StepInput(StepName.BANK_RECEIVED, date(2026, 11, 27)),
        StepInput(StepName.TO_CGC, date(2026, 11, 27)),
        StepInput(StepName.GUARANTEE, date(2026, 11, 28), approved_amount=4_000_000),
        StepInput(
            StepName.EXECUTE,
            date(2026, 11, 30),
            executed_amount=4_000_000,
            term_months=60,
            grace_months=6,
            nominal_rate=Decimal("2.1"),
        ),
    ]
    for step in steps:
        loans.advance(case_id, loans.get(case_id).version, step, today=TODAY)
    return world


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """The export folder (tmp_path itself holds the database)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def _member(db: Database, role: Role) -> Principal:
    with db.write() as session:
        staff = Staff(login=role.value, name=role.label)
        staff.roles.append(StaffRole(role=role.value))
        session.add(staff)
        session.flush()
        return Principal(staff.id, staff.login, staff.name, frozenset({role}))


def _exports(db: Database) -> list[dict[str, list[object]]]:
    with db.read() as session:
        return [
            json.loads(changes)
            for changes in session.scalars(
                select(AuditLog.changes).where(
                    AuditLog.action == "export", AuditLog.record_kind == "loan_case"
                )
            )
        ]


def _read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as source:
        return list(csv.reader(source))


def test_csv_starts_with_a_bom_and_has_japanese_headers(
    db: Database, admin: Principal, world: LoanWorld, out: Path
) -> None:
    target = out / "loans.csv"

    result = ExportService(db, admin).export("loans", target, ExportFormat.CSV)

    assert result.rows == 2 and result.path == target
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    header, *rows = _read_csv(target)
    assert header == HEADERS == [c.title for c in LOAN_COLUMNS]
    assert len(rows) == 2
    executed = dict(zip(header, rows[1], strict=True))
    assert executed["受付日"] == "2026-11-20"  # the receipt step's day, oldest case first
    assert executed["状態"] == "融資実行"
    assert (executed["金融機関"], executed["支店"]) == ("みずほ銀行", "神田支店")
    assert executed["あっせん書番号"] == "'=R8-001"  # never run as a formula by Excel
    assert [executed[name] for name in AMOUNTS] == ["5000000", "5000000", "4000000", "4000000"]
    assert (executed["名目利率(%)"], executed["利子補給率(%)"], executed["本人負担率(%)"]) == (
        "2.1",
        "1.6",
        "0.5",
    )
    assert (executed["代表者区分"], executed["担当"]) == ("区民", "管理 太郎")
    assert rows[0][header.index("状態")] == "相談"
    # Nothing but the file: no temporary file left beside it.
    assert [p.name for p in out.iterdir()] == ["loans.csv"]


def test_xlsx_reopens_with_dates_yen_and_a_frozen_bold_header(
    db: Database, admin: Principal, world: LoanWorld, out: Path
) -> None:
    target = out / "loans.xlsx"

    ExportService(db, admin).export("loans", target, ExportFormat.XLSX)

    sheet = load_workbook(target).active
    assert sheet is not None
    assert sheet.title == "融資あっせん案件"
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]] == HEADERS
    assert all(c.font.b for c in sheet[1])
    executed = {h: c for h, c in zip(HEADERS, sheet[3], strict=True)}
    assert executed["実行日"].value == datetime(2026, 11, 30)
    assert executed["実行日"].number_format == "yyyy-mm-dd"
    assert executed["実行額"].value == 4_000_000
    assert executed["実行額"].number_format == "#,##0"
    assert executed["名目利率(%)"].value == pytest.approx(2.1)
    assert executed["あっせん書番号"].value == "=R8-001"
    assert executed["あっせん書番号"].data_type == "s"  # text, not a formula
    assert sheet.column_dimensions["D"].width == 34  # 事業者
    assert sheet.max_row == 3


def test_amounts_are_empty_for_a_role_without_the_amount_grant(
    db: Database, world: LoanWorld, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No role may export loans without seeing amounts today; take the grant from managers to
    # show that the export masks whatever the matrix says.
    monkeypatch.setattr(
        permissions, "SEES_LOAN_AMOUNTS", permissions.SEES_LOAN_AMOUNTS - {Role.MANAGER}
    )
    manager = _member(db, Role.MANAGER)
    target = out / "masked.csv"

    ExportService(db, manager).export("loans", target, ExportFormat.CSV)

    header, *rows = _read_csv(target)
    for row in rows:
        assert [row[header.index(name)] for name in AMOUNTS] == ["", "", "", ""]
    assert rows[1][header.index("名目利率(%)")] == "2.1"  # rates are not amounts


def test_a_consultant_may_not_export(db: Database, world: LoanWorld, out: Path) -> None:
    consultant = _member(db, Role.CONSULTANT)
    service = ExportService(db, consultant)

    with pytest.raises(PermissionDenied):
        service.export("loans", out / "x.csv", ExportFormat.CSV)
    with pytest.raises(PermissionDenied):
        service.loan_rows()  # refused at the call, not at the first row

    assert list(out.iterdir()) == []
    assert _exports(db) == []


def test_the_period_filters_on_the_receipt_day(
    db: Database, admin: Principal, world: LoanWorld, out: Path
) -> None:
    service = ExportService(db, admin)
    november = out / "november.csv"

    result = service.export(
        "loans", november, ExportFormat.CSV, date(2026, 11, 1), date(2026, 11, 20)
    )

    assert result.rows == 1
    assert [r[1] for r in _read_csv(november)[1:]] == ["2026-11-20"]
    assert (
        service.export(
            "loans", out / "october.csv", ExportFormat.CSV, date_to=date(2026, 10, 31)
        ).rows
        == 1
    )
    with pytest.raises(ValidationError) as reversed_period:
        service.export("loans", out / "x.csv", ExportFormat.CSV, TODAY, date(2026, 1, 1))
    assert reversed_period.value.codes() == {"date_to": "period.reversed"}


def test_each_export_is_audited_once_with_rows_and_period(
    db: Database, admin: Principal, world: LoanWorld, out: Path
) -> None:
    service = ExportService(db, admin)
    service.export("loans", out / "a.xlsx", ExportFormat.XLSX, date(2026, 11, 1))

    assert _exports(db) == [
        {
            "rows": [None, 1],
            "period": [None, "2026-11-01〜"],
            "format": [None, "xlsx"],
            "file": [None, "a.xlsx"],
        }
    ]

    # The row stream for callers that write themselves: audited once, when it is used up.
    rows = service.loan_rows(date_to=TODAY)
    first = next(rows)
    assert first.state == "相談" and len(_exports(db)) == 1
    assert len([first, *rows]) == 2
    assert _exports(db)[-1] == {"rows": [None, 2], "period": [None, "〜2026-11-30"]}


def test_a_failed_export_leaves_no_file_and_no_audit_entry(
    db: Database,
    admin: Principal,
    world: LoanWorld,
    out: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(path: Path, headers: object, rows: object) -> int:
        path.write_text("half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(exports, "write_csv", broken)

    with pytest.raises(TargetUnwritable) as failed:
        ExportService(db, admin).export("loans", out / "loans.csv", ExportFormat.CSV)

    assert failed.value.target == out / "loans.csv"  # the user's name, not the temporary one
    assert failed.value.error.errno == 28
    assert list(out.iterdir()) == []
    assert _exports(db) == []


def test_a_missing_folder_is_unwritable_and_names_the_target(
    db: Database, admin: Principal, world: LoanWorld, out: Path
) -> None:
    target = out / "missing" / "loans.csv"

    with pytest.raises(TargetUnwritable) as failed:
        ExportService(db, admin).export("loans", target, ExportFormat.CSV)

    assert failed.value.target == target
    assert list(out.iterdir()) == []
    assert _exports(db) == []


def test_rate_headers_carry_their_unit() -> None:
    titles = [c.title for c in LOAN_COLUMNS]
    assert {"名目利率(%)", "利子補給率(%)", "本人負担率(%)"} <= set(titles)


def test_an_existing_file_is_replaced_only_when_asked(
    db: Database, admin: Principal, world: LoanWorld, out: Path
) -> None:
    target = out / "loans.csv"
    target.write_text("keep me", encoding="utf-8")
    service = ExportService(db, admin)

    with pytest.raises(TargetExists):
        service.export("loans", target, ExportFormat.CSV)
    assert target.read_text(encoding="utf-8") == "keep me"

    assert service.export("loans", target, ExportFormat.CSV, overwrite=True).rows == 2
    assert _read_csv(target)[0] == HEADERS
    assert len(_exports(db)) == 1


def test_a_file_appearing_while_writing_is_not_overwritten(
    db: Database,
    admin: Principal,
    world: LoanWorld,
    out: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = out / "loans.csv"

    def racing(path: Path, headers: object, rows: object) -> int:
        target.write_text("someone else's", encoding="utf-8")
        return tabular.write_csv(path, LOAN_COLUMNS, [])

    monkeypatch.setattr(exports, "write_csv", racing)

    with pytest.raises(TargetExists):
        ExportService(db, admin).export("loans", target, ExportFormat.CSV)
    assert target.read_text(encoding="utf-8") == "someone else's"
    assert [p.name for p in out.iterdir()] == ["loans.csv"]


def test_rows_stream_in_chunks(
    db: Database,
    admin: Principal,
    world: LoanWorld,
    out: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Chunks of one row: every row still comes, in receipt order.
    monkeypatch.setattr(exports, "CHUNK", 1)
    rows = list(ExportService(db, admin).loan_rows())
    assert [r.received_on for r in rows] == [date(2026, 10, 1), date(2026, 11, 20)]
