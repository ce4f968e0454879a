"""Loan-case exports on a real database: CSV for Excel, xlsx, the import's columns, masking,
period, audit."""

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
from consult_desk.domain.import_values import ImportKind, known_columns
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
# The import's loan columns, in its order: an export imports back as it is.
HEADERS = [
    "受付日",
    "事業者名",
    "法人番号",
    "資金種別",
    "金融機関",
    "申込額",
    "状態",
    "あっせん書交付日",
    "実行日",
    "実行額",
    "終了日",
    "理由",
    "あっせん額",
    "承諾額",
    "期間(月)",
    "据置(月)",
]
AMOUNTS = ["申込額", "実行額", "あっせん額", "承諾額"]


@pytest.fixture
def world(db: Database, admin: Principal) -> LoanWorld:
    """An inquiry withdrawn in October (received 10/1) and a loan executed in November
    (received 11/20)."""
    world = make_loan_world(db)
    loans = LoanService(db, admin)
    withdrawn = loans.add(
        LoanCaseInput(world.business_id, world.program_id, date(2026, 10, 1), purpose="仕入"),
        today=TODAY,
    )
    loans.advance(
        withdrawn,
        loans.get(withdrawn).version,
        # Typed text that looks like a formula.
        StepInput(StepName.WITHDRAW, date(2026, 10, 5), reason="=他行で調達"),
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
            referral_number="R8-001",
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
    withdrawn, executed = (dict(zip(header, row, strict=True)) for row in rows)
    assert executed == {
        "受付日": "2026-11-20",  # the receipt step's day, oldest case first
        "事業者名": "神田青果株式会社",
        "法人番号": "",
        "資金種別": "営業資金",
        "金融機関": "みずほ銀行",
        "申込額": "5000000",
        "状態": "融資実行",
        "あっせん書交付日": "2026-11-26",
        "実行日": "2026-11-30",
        "実行額": "4000000",
        "終了日": "",
        "理由": "",
        "あっせん額": "5000000",
        "承諾額": "4000000",
        "期間(月)": "60",
        "据置(月)": "6",
    }
    assert (withdrawn["状態"], withdrawn["終了日"]) == ("取下げ", "2026-10-05")
    assert withdrawn["理由"] == "'=他行で調達"  # never run as a formula by Excel
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
    withdrawn = {h: c for h, c in zip(HEADERS, sheet[2], strict=True)}
    executed = {h: c for h, c in zip(HEADERS, sheet[3], strict=True)}
    assert executed["実行日"].value == datetime(2026, 11, 30)
    assert executed["実行日"].number_format == "yyyy-mm-dd"
    assert executed["実行額"].value == 4_000_000
    assert executed["実行額"].number_format == "#,##0"
    assert executed["期間(月)"].value == 60
    assert withdrawn["理由"].value == "=他行で調達"
    assert withdrawn["理由"].data_type == "s"  # text, not a formula
    assert sheet.column_dimensions["B"].width == 34  # 事業者名
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
    assert rows[1][header.index("期間(月)")] == "60"  # terms are not amounts


def test_a_consultant_may_not_export(db: Database, world: LoanWorld, out: Path) -> None:
    consultant = _member(db, Role.CONSULTANT)
    service = ExportService(db, consultant)

    with pytest.raises(PermissionDenied):
        service.export("loans", out / "x.csv", ExportFormat.CSV)

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
    assert [r[0] for r in _read_csv(november)[1:]] == ["2026-11-20"]
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


def test_the_columns_are_the_imports_loan_columns() -> None:
    assert [c.title for c in LOAN_COLUMNS] == list(known_columns(ImportKind.LOANS))


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
    ExportService(db, admin).export("loans", out / "loans.csv", ExportFormat.CSV)
    assert [r[0] for r in _read_csv(out / "loans.csv")[1:]] == ["2026-10-01", "2026-11-20"]
