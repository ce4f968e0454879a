"""ImportService on real SQLite files: the fixtures of tests/data/import, all or nothing,
--skip-invalid, --update, --create-missing, the loan history a row rebuilds, undo, and random
cells that must only ever give row errors."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from consult_desk.db.engine import Database
from consult_desk.db.models import (
    AuditLog,
    Bank,
    Business,
    Consultation,
    ConsultationTopic,
    ConsultationTopicLink,
    ImportBatch,
    LoanCase,
    LoanCaseEvent,
    LoanProgram,
    Staff,
)
from consult_desk.domain.businesses import BusinessInput, BusinessQuery
from consult_desk.domain.consultations import ConsultationInput
from consult_desk.domain.errors import NotFound
from consult_desk.domain.fiscal import japan_today
from consult_desk.domain.import_values import COLUMNS, ImportKind
from consult_desk.domain.loans import LoanState, StepInput, StepName
from consult_desk.domain.messages import MESSAGES
from consult_desk.domain.permissions import PermissionDenied, Principal, Role
from consult_desk.services.businesses import BusinessService
from consult_desk.services.consultations import ConsultationService
from consult_desk.services.imports import (
    REJECTED_COLUMN,
    ImportFileError,
    ImportOptions,
    ImportRejected,
    ImportService,
    UndoRefused,
)
from consult_desk.services.loans import LoanService
from consult_desk.services.reference import ReferenceService
from tests.loan_setup import make_loan_world

DATA = Path(__file__).resolve().parent.parent / "data" / "import"
TODAY = date(2026, 11, 30)  # after every date of the fixtures


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """The fixtures copied (a rejected-rows file is written beside its input)."""
    folder = tmp_path / "files"
    shutil.copytree(DATA, folder)
    return folder


@pytest.fixture
def service(db: Database, admin: Principal, staff_id: int) -> ImportService:
    return ImportService(db, admin)


def options(**given: object) -> ImportOptions:
    return ImportOptions(today=TODAY, **given)  # type: ignore[arg-type]


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as out:
        csv.writer(out).writerows(rows)
    return path


def count(db: Database, model: type) -> int:
    with db.read() as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def audit_entries(db: Database, action: str) -> list[AuditLog]:
    with db.read() as session:
        return list(
            session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))
        )


def business_id(db: Database, number: str) -> int:
    with db.read() as session:
        found = session.execute(
            select(Business.id).where(Business.corporate_number == number)
        ).scalar_one()
        return int(found)


@pytest.fixture
def businesses(service: ImportService, files: Path) -> int:
    """The clean CP932 businesses, imported; returns the batch id."""
    result = service.run("businesses", files / "businesses_cp932.csv", options())
    assert result.batch_id is not None
    return result.batch_id


@pytest.fixture
def twins(db: Database, admin: Principal) -> None:
    """Two businesses with the same name: a name alone cannot tell them apart."""
    for _ in range(2):
        BusinessService(db, admin).add(BusinessInput(name="千代田商店", kind="sole_proprietor"))


# --- clean files ------------------------------------------------------------------------------


def test_clean_cp932_businesses_are_imported_as_typed(
    service: ImportService, files: Path, db: Database
) -> None:
    source = files / "businesses_cp932.csv"
    preview = service.preview("businesses", source, today=TODAY)
    assert (preview.encoding, preview.ok, preview.new_rows) == ("cp932", True, 5)
    assert preview.mapping["法人番号"] == "法人番号"
    assert preview.sample[0][0] == "株式会社神田青果"

    result = service.run("businesses", source, options())

    assert (result.added, result.rejected, result.skipped) == (5, 0, 0)
    with db.read() as session:
        kanda = session.execute(
            select(Business).where(Business.corporate_number == "8010001034567")
        ).scalar_one()
        assert (kanda.capital, kanda.employees, kanda.founded_on) == (
            5_000_000,
            12,
            date(2019, 5, 1),
        )
        assert (kanda.jsic_major, kanda.area, kanda.representative_residence) == (
            "I",
            "神田地域",
            "resident",
        )
        assert kanda.import_batch_id == result.batch_id
        iwamoto = session.execute(
            select(Business).where(Business.name == "合同会社岩本町ソフト")
        ).scalar_one()
        # Full-width digits and a full-width hyphen, normalised; 「情報通信業」 is JSIC G.
        assert (iwamoto.corporate_number, iwamoto.postal_code, iwamoto.jsic_major) == (
            "9010401012345",
            "1010032",
            "G",
        )
        assert (iwamoto.capital, iwamoto.founded_on) == (3_000_000, date(2018, 7, 15))
        marunouchi = session.execute(
            select(Business).where(Business.corporate_number == "1010001087654")
        ).scalar_one()
        assert (marunouchi.capital, marunouchi.founded_on) == (10_000_000, date(2010, 4, 1))
        shop = session.execute(select(Business).where(Business.name == "麹町食堂")).scalar_one()
        assert (shop.kind, shop.founded_on, shop.employees) == (
            "sole_proprietor",
            date(2021, 10, 1),
            2,
        )
        batch = session.get(ImportBatch, result.batch_id)
        assert batch is not None and (batch.kind, batch.row_count) == ("businesses", 5)
    [entry] = audit_entries(db, "import")
    changes = json.loads(entry.changes)
    assert (entry.record_kind, entry.record_id) == ("import_batch", result.batch_id)
    assert changes["file"] == [None, "businesses_cp932.csv"]
    assert changes["added"] == [None, 5]
    assert changes["rows"] == [None, 5]


@pytest.mark.sqlite_only  # reads the SQLite file itself
def test_imported_businesses_are_found_by_the_search_box(
    service: ImportService, businesses: int, db: Database, admin: Principal
) -> None:
    """The search index is filled for the batch in one statement; its trigger is back."""
    found = BusinessService(db, admin).page(BusinessQuery(text="神田青果"))
    assert [row.name for row in found] == ["株式会社神田青果"]
    BusinessService(db, admin).add(BusinessInput(name="神田青果店", kind="sole_proprietor"))
    again = BusinessService(db, admin).page(BusinessQuery(text="神田青果"))
    assert len(again) == 2
    connection = sqlite3.connect(str(db.engine.url.database))
    try:
        names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        # The index matches the table row for row (raises "database disk image is malformed"
        # otherwise), after the import and after its undo.
        fts_check = "INSERT INTO business_fts(business_fts, rank) VALUES ('integrity-check', 1)"
        connection.execute(fts_check)
        connection.commit()
        service.undo(businesses)
        connection.execute(fts_check)
    finally:
        connection.close()
    assert "business_fts_ai" in names


def test_utf8_bom_consultations_find_businesses_staff_and_topics(
    service: ImportService, businesses: int, files: Path, db: Database, admin: Principal
) -> None:
    source = files / "consultations_utf8_bom.csv"

    result = service.run("consultations", source, options())

    assert (result.added, result.encoding) == (3, "utf-8-sig")
    with db.read() as session:
        rows = session.execute(
            select(Consultation, Business.name, Staff.name)
            .join(Business, Business.id == Consultation.business_id)
            .join(Staff, Staff.id == Consultation.staff_id)
            .order_by(Consultation.consulted_on)
        ).all()
        assert [(c.consulted_on, name, staff, c.minutes) for c, name, staff in rows] == [
            (date(2026, 10, 1), "株式会社神田青果", "佐藤 花子", 60),
            (date(2026, 10, 2), "麹町食堂", "佐藤 花子", 90),
            (date(2026, 10, 5), "有限会社丸の内印刷", admin.name, 30),  # blank: the importer
        ]
        first = rows[0][0]
        assert (first.due_on, first.next_action) == (date(2026, 10, 15), "必要書類を持参")
        links = session.execute(
            select(ConsultationTopic.name, ConsultationTopicLink.is_primary)
            .join(ConsultationTopicLink, ConsultationTopicLink.topic_id == ConsultationTopic.id)
            .where(ConsultationTopicLink.consultation_id == first.id)
        ).all()
        assert sorted(links) == [("補助金・給付金等の施策活用", False), ("資金繰り・融資", True)]
    # The service reads them as the form does (initiatives from the primary topic).
    shown = ConsultationService(db, admin).get(first.id)
    assert shown.initiative_codes == ("1-2-1",)


@pytest.fixture
def loan_world(db: Database, businesses: int) -> object:
    return make_loan_world(db)


def test_xlsx_loans_rebuild_each_case_history_from_its_dates(
    service: ImportService, loan_world: object, files: Path, db: Database
) -> None:
    result = service.run("loans", files / "loans.xlsx", options())

    assert (result.added, result.encoding) == (4, "xlsx")
    with db.read() as session:
        cases = session.scalars(select(LoanCase).order_by(LoanCase.id)).all()
        assert [c.status for c in cases] == ["INQUIRY", "REFERRAL_ISSUED", "EXECUTED", "REPAID"]
        inquiry, referred, executed, repaid = cases
        assert (inquiry.received_on, inquiry.requested_amount) == (date(2026, 9, 1), 3_000_000)
        assert (referred.referred_on, referred.referral_amount) == (date(2026, 9, 8), 3_000_000)
        # The terms in force at referral are copied onto the case (a 区民 representative).
        assert (referred.nominal_rate, referred.subsidy_rate) == (Decimal("2.1"), Decimal("1.6"))
        assert (executed.executed_on, executed.executed_amount) == (date(2026, 8, 25), 5_000_000)
        assert executed.borrower_rate == Decimal("1.5")  # 2.1 − 0.6 (一般)
        assert (repaid.closed_on, repaid.close_reason) == (date(2026, 10, 30), "繰上完済")
        assert all(c.import_batch_id == result.batch_id for c in cases)
        events = session.execute(
            select(LoanCaseEvent.to_status, LoanCaseEvent.occurred_on, LoanCaseEvent.data)
            .where(LoanCaseEvent.case_id == repaid.id)
            .order_by(LoanCaseEvent.id)
        ).all()
    assert [(e.to_status, e.occurred_on) for e in events] == [
        ("INQUIRY", date(2026, 6, 1)),
        ("RECEIVED", date(2026, 6, 1)),
        ("WARD_REVIEW", date(2026, 6, 1)),
        ("REFERRAL_ISSUED", date(2026, 6, 8)),
        ("BANK_REVIEW", date(2026, 6, 8)),
        ("EXECUTED", date(2026, 6, 19)),
        ("REPAYING", date(2026, 6, 19)),
        ("REPAID", date(2026, 10, 30)),
    ]
    assert all(json.loads(e.data)["import_batch"] == result.batch_id for e in events)


# --- all or nothing ----------------------------------------------------------------------------


def _problems(rejected: ImportRejected) -> set[tuple[int, str, str]]:
    return {(e.row, e.column, e.code) for e in rejected.errors}


def test_a_messy_consultation_file_names_every_problem_and_writes_nothing(
    service: ImportService, businesses: int, twins: None, files: Path, db: Database
) -> None:
    before = (count(db, ImportBatch), count(db, AuditLog))

    with pytest.raises(ImportRejected) as caught:
        service.run("consultations", files / "consultations_messy.csv", options())

    assert _problems(caught.value) == {
        (1, "備考", "import.unknown_column"),
        (2, "法人番号", "corporate_number.check_digit"),
        (3, "相談日", "import.date_impossible"),
        (4, "相談方法", "import.unknown_channel"),
        (5, "所要時間", "minutes.range"),
        (6, "事業者名", "import.business_ambiguous"),
        (7, "相談日", "required"),
    }
    assert caught.value.invalid_rows == 6
    unknown = next(e for e in caught.value.errors if e.code == "import.unknown_channel")
    assert (unknown.value, "窓口" in unknown.reason) == ("FAX", True)
    assert all(e.reason and "エラーが発生しました" not in e.reason for e in caught.value.errors)
    assert count(db, Consultation) == 0
    assert (count(db, ImportBatch), count(db, AuditLog)) == before


def test_a_messy_business_file_names_every_problem_and_writes_nothing(
    service: ImportService, files: Path, db: Database
) -> None:
    with pytest.raises(ImportRejected) as caught:
        service.run("businesses", files / "businesses_messy.csv", options())

    assert _problems(caught.value) == {
        (1, "代表者携帯", "import.unknown_column"),
        (2, "法人番号", "corporate_number.check_digit"),
        (3, "設立日", "import.date_impossible"),
        (4, "資本金", "negative"),
        (5, "事業者名", "required"),
    }
    assert count(db, Business) == 0


def test_a_messy_loan_file_names_every_problem_and_writes_nothing(
    service: ImportService, loan_world: object, twins: None, files: Path, db: Database
) -> None:
    with pytest.raises(ImportRejected) as caught:
        service.run("loans", files / "loans_messy.csv", options())

    assert _problems(caught.value) == {
        (1, "メモ", "import.unknown_column"),
        (2, "法人番号", "corporate_number.check_digit"),
        (3, "受付日", "import.date_impossible"),
        (4, "申込額", "loan.amount_positive"),
        (5, "事業者名", "import.business_ambiguous"),
        (6, "受付日", "required"),
        (7, "あっせん書交付日", "import.loan_date_required"),
        (7, "実行日", "import.loan_date_required"),
    }
    assert count(db, LoanCase) == 0


def test_the_unknown_column_can_be_mapped_or_left_out(
    service: ImportService, files: Path, tmp_path: Path, db: Database
) -> None:
    source = write_csv(
        tmp_path / "renamed.csv",
        [["会社名", "メモ", "資本金"], ["株式会社千代田", "電話あり", "100万円"]],
    )
    preview = service.preview("businesses", source, today=TODAY)
    assert (preview.unknown_columns, preview.missing_columns) == (("会社名", "メモ"), ("事業者名",))

    mapping = {"会社名": "事業者名", "メモ": ""}
    assert service.preview("businesses", source, mapping, today=TODAY).ok
    result = service.run("businesses", source, options(mapping=mapping))

    assert result.added == 1
    with db.read() as session:
        assert session.execute(select(Business.name, Business.capital)).one() == (
            "株式会社千代田",
            1_000_000,
        )


def test_a_file_that_is_no_table_is_refused(service: ImportService, tmp_path: Path) -> None:
    binary = tmp_path / "photo.csv"
    binary.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(ImportFileError) as caught:
        service.preview("businesses", binary)
    assert caught.value.code in MESSAGES
    old_excel = tmp_path / "old.xls"
    old_excel.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    with pytest.raises(ImportFileError, match=r"import\.xls"):
        service.preview("businesses", old_excel)
    empty = tmp_path / "empty.csv"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match=r"import\.empty"):
        service.preview("businesses", empty)


def test_a_dry_run_checks_everything_and_writes_nothing(
    service: ImportService, files: Path, db: Database
) -> None:
    result = service.run("businesses", files / "businesses_cp932.csv", options(dry_run=True))

    assert (result.batch_id, result.added, result.dry_run) == (None, 5, True)
    assert (count(db, Business), count(db, ImportBatch), count(db, AuditLog)) == (0, 0, 0)


# --- skip invalid, update ---------------------------------------------------------------------


def test_skip_invalid_writes_the_valid_rows_and_saves_the_others_beside_the_file(
    service: ImportService, businesses: int, twins: None, files: Path, db: Database
) -> None:
    source = files / "consultations_messy.csv"
    mapping = {"備考": ""}

    result = service.run("consultations", source, options(skip_invalid=True, mapping=mapping))

    assert (result.added, result.rejected) == (0, 6)
    assert result.rejected_path == files / "consultations_messy_取込エラー.csv"
    with result.rejected_path.open(encoding="utf-8-sig", newline="") as saved:
        rows = list(csv.reader(saved))
    assert rows[0][-1] == REJECTED_COLUMN
    assert rows[0][:-1] == next(csv.reader((files / "consultations_messy.csv").open()))
    assert [row[7] for row in rows[1:]] == [
        "法人番号の誤り",
        "存在しない日付",
        "未登録の相談方法",
        "負の所要時間",
        "同名の事業者",
        "相談日が空欄",
    ]
    assert "存在しない日付" in rows[2][-1] or "日付" in rows[2][-1]
    [entry] = [e for e in audit_entries(db, "import") if e.record_id == result.batch_id]
    assert json.loads(entry.changes)["rejected"] == [None, 6]


def test_skip_invalid_keeps_the_good_rows_of_a_mixed_file(
    service: ImportService, businesses: int, files: Path, tmp_path: Path, db: Database
) -> None:
    source = write_csv(
        tmp_path / "mixed.csv",
        [
            ["相談日", "事業者名", "相談方法", "担当者"],
            ["2026-10-01", "麹町食堂", "窓口", "佐藤 花子"],
            ["2026-10-02", "麹町食堂", "伝書鳩", "佐藤 花子"],
            ["2026-10-03", "麹町食堂", "訪問", "佐藤 花子"],
        ],
    )
    result = service.run("consultations", source, options(skip_invalid=True))

    assert (result.added, result.rejected) == (2, 1)
    assert [e.row for e in result.errors] == [3]
    assert count(db, Consultation) == 2
    second = service.run("consultations", source, options(skip_invalid=True))
    assert second.rejected_path is not None and second.rejected_path.name.endswith("_2.csv")


def test_existing_businesses_are_skipped_unless_update_is_given(
    service: ImportService, businesses: int, tmp_path: Path, db: Database
) -> None:
    source = write_csv(
        tmp_path / "again.csv",
        [
            ["事業者名", "法人番号", "資本金", "従業員数", "電話番号"],
            ["株式会社神田青果（新）", "8010001034567", "800万円", "", ""],
            ["千代田新興株式会社", "", "100万円", "4", ""],
        ],
    )
    kanda = business_id(db, "8010001034567")

    skipped = service.run("businesses", source, options())
    assert (skipped.added, skipped.skipped, skipped.updated) == (1, 1, 0)
    assert [n.code for n in skipped.notices] == ["import.existing_skipped"]
    with db.read() as session:
        assert session.get(Business, kanda).name == "株式会社神田青果"  # type: ignore[union-attr]

    updated = service.run("businesses", source, options(update=True))

    assert (updated.added, updated.updated) == (1, 1)
    with db.read() as session:
        business = session.get(Business, kanda)
        assert business is not None
        # Given cells overwrite; blank ones keep what was stored.
        assert (business.name, business.capital, business.employees) == (
            "株式会社神田青果(新)",  # stored NFKC-normalised, as the form stores it
            8_000_000,
            12,
        )
        assert business.phone == "03-3291-0001"
    history = [e for e in audit_entries(db, "update") if e.record_id == kanda]
    assert json.loads(history[-1].changes)["capital"] == [5_000_000, 8_000_000]


def test_update_needs_the_right_to_edit_and_a_duplicate_in_the_file_is_an_error(
    db: Database, businesses: int, tmp_path: Path
) -> None:
    manager = _principal(db, Role.MANAGER)
    source = write_csv(
        tmp_path / "twice.csv",
        [["事業者名", "法人番号"], ["一", "2010003054321"], ["二", "2-0100-0305-4321"]],
    )
    with pytest.raises(PermissionDenied):
        ImportService(db, manager).run("businesses", source, options(update=True))
    admin = _principal(db, Role.ADMIN)
    with pytest.raises(ImportRejected) as caught:
        ImportService(db, admin).run("businesses", source, options())
    assert _problems(caught.value) == {(3, "法人番号", "import.duplicate_in_file")}


# --- master records ---------------------------------------------------------------------------


def test_unknown_staff_banks_and_funds_list_the_known_names_or_are_created(
    service: ImportService, loan_world: object, tmp_path: Path, db: Database
) -> None:
    source = write_csv(
        tmp_path / "new_masters.csv",
        [
            ["受付日", "法人番号", "資金種別", "金融機関", "申込額"],
            ["2026-10-01", "8010001034567", "小口資金", "千代田信用組合", "100万円"],
            ["2026-10-02", "8010001034567", "小口資金", "千代田信用組合", "50万円"],
        ],
    )
    with pytest.raises(ImportRejected) as caught:
        service.run("loans", source, options())
    bank = next(e for e in caught.value.errors if e.code == "import.unknown_bank")
    assert "みずほ銀行" in bank.reason and "朝日信用金庫" in bank.reason

    result = service.run("loans", source, options(create_missing=True))

    assert result.added == 2
    assert sorted((m.kind, m.name) for m in result.created) == [
        ("bank", "千代田信用組合"),
        ("loan_program", "小口資金"),
    ]
    with db.read() as session:
        assert session.execute(select(func.count()).select_from(Bank)).scalar_one() == 3
    undone = service.undo(result.batch_id or 0)
    assert (undone.removed, len(undone.removed_masters)) == (2, 2)
    with db.read() as session:
        names = set(session.scalars(select(LoanProgram.name)))
    assert "小口資金" not in names


def test_a_new_member_of_staff_is_created_only_with_create_missing(
    service: ImportService, businesses: int, tmp_path: Path, db: Database
) -> None:
    source = write_csv(
        tmp_path / "staff.csv",
        [
            ["相談日", "事業者名", "相談方法", "担当者"],
            ["2026-10-01", "麹町食堂", "窓口", "新井 一"],
        ],
    )
    with pytest.raises(ImportRejected) as caught:
        service.run("consultations", source, options())
    [error] = caught.value.errors
    assert error.code == "import.unknown_staff" and "佐藤 花子" in error.reason

    result = service.run("consultations", source, options(create_missing=True))

    [created] = result.created
    with db.read() as session:
        staff = session.get(Staff, created.id)
        assert staff is not None
        # An entry in the register, not an account: no password, no role.
        assert (staff.name, staff.password_hash, staff.roles) == ("新井 一", None, [])


def test_create_missing_needs_the_right_to_add_master_records(
    db: Database, businesses: int, tmp_path: Path
) -> None:
    officer = _principal(db, Role.LOAN_OFFICER)
    source = write_csv(tmp_path / "x.csv", [["受付日", "法人番号"], ["2026-10-01", "1"]])
    with pytest.raises(PermissionDenied):
        ImportService(db, officer).run("loans", source, options(create_missing=True))


# --- loans: status and dates ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "problems"),
    [
        (
            {"状態": "受付", "実行日": "2026-09-20"},
            {(2, "実行日", "import.loan_date_unused")},
        ),
        (
            {"状態": "完済", "あっせん書交付日": "2026-09-08", "実行日": "2026-09-20"},
            {(2, "終了日", "import.loan_date_required")},
        ),
        (
            # The letter cannot be handed over before 3 business days after receipt.
            {"状態": "あっせん書交付", "あっせん書交付日": "2026-09-02"},
            {(2, "あっせん書交付日", "loan.referral_too_early")},
        ),
        (
            {"状態": "融資実行", "あっせん書交付日": "2026-09-08", "実行日": "2026-09-04"},
            {(2, "実行日", "loan.before_current_status")},
        ),
        (
            {
                "状態": "融資実行",
                "あっせん書交付日": "2026-09-08",
                "実行日": "2026-09-20",
                "実行額": "400万円",
            },
            {(2, "実行額", "loan.above_referral")},
        ),
        (
            {"状態": "取下げ", "終了日": "2026-09-03"},
            {(2, "理由", "required")},
        ),
        ({"状態": "審査中"}, {(2, "状態", "import.invalid_choice")}),
    ],
)
def test_a_status_its_dates_do_not_support_is_a_row_error(
    service: ImportService,
    loan_world: object,
    tmp_path: Path,
    cells: dict[str, str],
    problems: set[tuple[int, str, str]],
) -> None:
    row = {
        "受付日": "2026-09-01",
        "法人番号": "8010001034567",
        "資金種別": "営業資金",
        "金融機関": "みずほ銀行",
        "申込額": "300万円",
        "実行額": "300万円",
    } | cells
    source = write_csv(tmp_path / "loan.csv", [list(row), list(row.values())])

    with pytest.raises(ImportRejected) as caught:
        service.run("loans", source, options())

    assert _problems(caught.value) == problems


def test_later_rows_see_the_cases_of_earlier_ones(
    service: ImportService, loan_world: object, tmp_path: Path
) -> None:
    """口数: the fund allows two referred loans at a time; the third row is refused."""
    header = ["受付日", "法人番号", "資金種別", "金融機関", "申込額", "状態", "あっせん書交付日"]
    row = ["2026-09-01", "8010001034567", "営業資金", "みずほ銀行", "100万円", "あっせん書交付"]
    source = write_csv(
        tmp_path / "three.csv",
        [header, [*row, "2026-09-08"], [*row, "2026-09-09"], [*row, "2026-09-10"]],
    )
    with pytest.raises(ImportRejected) as caught:
        service.run("loans", source, options())
    assert _problems(caught.value) == {(4, "状態", "loan.too_many_loans")}


# --- undo -------------------------------------------------------------------------------------


def test_undo_removes_exactly_what_the_batch_added(
    service: ImportService, businesses: int, files: Path, db: Database, admin: Principal
) -> None:
    kept = BusinessService(db, admin).add(
        BusinessInput(name="既存の事業者", kind="sole_proprietor")
    )
    consultations = service.run("consultations", files / "consultations_utf8_bom.csv", options())

    undone = service.undo(consultations.batch_id or 0)

    assert undone.removed == 3
    assert (count(db, Consultation), count(db, ConsultationTopicLink)) == (0, 0)
    service.undo(businesses)
    with db.read() as session:
        assert list(session.scalars(select(Business.id))) == [kept]
        batch = session.get(ImportBatch, businesses)
        assert batch is not None and batch.undone_at is not None
    assert BusinessService(db, admin).page(BusinessQuery(text="神田青果")) == []
    [entry, _] = audit_entries(db, "import_undo")
    assert json.loads(entry.changes)["removed"] == [None, 3]
    with pytest.raises(UndoRefused) as again:
        service.undo(businesses)
    assert again.value.code == "import.already_undone"
    with pytest.raises(NotFound):
        service.undo(999)


def test_undo_is_refused_while_a_later_consultation_uses_an_imported_business(
    service: ImportService, businesses: int, db: Database, admin: Principal, staff_id: int
) -> None:
    channel = ReferenceService(db).channels()[0].id
    ConsultationService(db, admin).add(
        ConsultationInput(
            consulted_on=japan_today() - timedelta(days=1),
            channel_id=int(channel),
            staff_id=staff_id,
            business_id=business_id(db, "8010001034567"),
        )
    )
    with pytest.raises(UndoRefused) as caught:
        service.undo(businesses)
    assert (caught.value.code, caught.value.detail) == ("import.undo_dependents", "相談記録 1件")
    assert count(db, Business) == 5


def test_undo_is_refused_after_an_imported_record_was_edited(
    service: ImportService, businesses: int, db: Database, admin: Principal
) -> None:
    kanda = business_id(db, "8010001034567")
    shown = BusinessService(db, admin).get(kanda)
    BusinessService(db, admin).update_summary(kanda, shown.version, "引継ぎメモ")
    with pytest.raises(UndoRefused) as caught:
        service.undo(businesses)
    assert caught.value.code == "import.undo_changed"


def test_undo_is_refused_after_a_step_on_an_imported_loan(
    service: ImportService, loan_world: object, files: Path, db: Database, admin: Principal
) -> None:
    result = service.run("loans", files / "loans.xlsx", options())
    loans = LoanService(db, admin)
    with db.read() as session:
        case_id = session.execute(
            select(LoanCase.id).where(LoanCase.status == LoanState.INQUIRY.value)
        ).scalar_one()
    loans.advance(
        case_id,
        loans.get(case_id).version,
        StepInput(StepName.RECEIVE, date(2026, 9, 2), interviewer="山田"),
        today=TODAY,
    )
    with pytest.raises(UndoRefused) as caught:
        service.undo(result.batch_id or 0)
    assert caught.value.code in ("import.undo_changed", "import.undo_dependents")
    assert count(db, LoanCase) == 4


def test_undo_of_loans_removes_cases_and_history(
    service: ImportService, loan_world: object, files: Path, db: Database
) -> None:
    result = service.run("loans", files / "loans.xlsx", options())
    service.undo(result.batch_id or 0)
    assert (count(db, LoanCase), count(db, LoanCaseEvent)) == (0, 0)


def test_batches_list_past_imports_newest_first_a_page_at_a_time(
    service: ImportService, businesses: int, files: Path
) -> None:
    second = service.run("consultations", files / "consultations_utf8_bom.csv", options())
    listed = service.batches()
    assert [(b.id, b.kind) for b in listed] == [
        (second.batch_id, ImportKind.CONSULTATIONS),
        (businesses, ImportKind.BUSINESSES),
    ]
    assert [b.id for b in service.batches(limit=1, before_id=second.batch_id)] == [businesses]
    assert [b.id for b in service.batches("businesses")] == [businesses]
    assert listed[0].file_name == "consultations_utf8_bom.csv"


# --- permissions and progress -----------------------------------------------------------------


def _principal(db: Database, role: Role) -> Principal:
    with db.write() as session:
        member = Staff(login=f"{role.value}-user", name=role.label)
        session.add(member)
        session.flush()
        from consult_desk.db.models import StaffRole

        member.roles.append(StaffRole(role=role.value))
        session.flush()
        return Principal(member.id, member.login, member.name, frozenset({role}))


@pytest.mark.parametrize(
    ("role", "kind", "allowed"),
    [
        (Role.CONSULTANT, "businesses", True),
        (Role.CONSULTANT, "consultations", True),
        (Role.CONSULTANT, "loans", False),
        (Role.LOAN_OFFICER, "loans", True),
        (Role.MANAGER, "businesses", False),
        (Role.AUDITOR, "consultations", False),
    ],
)
def test_who_may_import_what(
    db: Database, files: Path, role: Role, kind: str, allowed: bool
) -> None:
    principal = _principal(db, role)
    source = files / "businesses_cp932.csv"
    if allowed:
        ImportService(db, principal).preview(kind, source, today=TODAY)
    else:
        with pytest.raises(PermissionDenied):
            ImportService(db, principal).preview(kind, source, today=TODAY)


def test_progress_reaches_its_total_and_an_exception_from_it_stops_the_import(
    service: ImportService, files: Path, db: Database
) -> None:
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        seen.append((done, total))

    service.run("businesses", files / "businesses_cp932.csv", options(), progress)

    assert seen and seen[-1] == (10, 10)
    assert all(done <= total for done, total in seen)

    class Cancelled(Exception):
        pass

    def cancel(done: int, total: int) -> None:
        raise Cancelled

    with pytest.raises(Cancelled):
        service.run(
            "businesses",
            files / "businesses_messy.csv",
            options(mapping={"代表者携帯": ""}, skip_invalid=True),
            cancel,
        )
    assert count(db, ImportBatch) == 1
    assert not (files / "businesses_messy_取込エラー.csv").exists()


# --- random cells: row errors, never a crash ---------------------------------------------------

# Random text, and values of every column's kind, so that rows get past the first checks.
cells = st.one_of(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        max_size=30,
    ),
    st.sampled_from(
        [
            "",
            "2026-10-01",
            "令和8年2月31日",
            "R8.9.8",
            "500万円",
            "-1",
            "0",
            "1時間",
            "8010001034567",
            "1-0100-0108-7654",
            "麹町食堂",
            "窓口",
            "創業、IT・DX",
            "佐藤 花子",
            "営業資金",
            "みずほ銀行",
            "融資実行",
            "完済",
            "法人",
            "個人事業主",
            "I",
            "区民",
            "=1+1",
            "'-3",
        ]
    ),
)


@pytest.fixture
def random_world(
    db: Database, admin: Principal, staff_id: int, files: Path, tmp_path: Path
) -> Iterator[Path]:
    make_loan_world(db)
    ImportService(db, admin).run("businesses", files / "businesses_cp932.csv", options())
    yield tmp_path


@pytest.mark.parametrize("kind", list(ImportKind))
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_random_strings_in_every_column_give_row_errors_never_a_crash(
    db: Database, admin: Principal, random_world: Path, kind: ImportKind, data: st.DataObject
) -> None:
    header = [c.name for c in COLUMNS[kind]]
    rows = data.draw(
        st.lists(
            st.lists(cells, min_size=len(header), max_size=len(header)), min_size=1, max_size=4
        )
    )
    source = write_csv(random_world / f"random-{kind.value}.csv", [header, *rows])
    service = ImportService(db, admin)

    preview = service.preview(kind.value, source, today=TODAY)
    try:
        result = service.run(kind.value, source, options(skip_invalid=True))
    except ImportRejected as refused:  # with skip_invalid only a file without rows is refused
        assert not result_rows(source)
        assert [e.code for e in refused.errors] == ["import.no_rows"]
        return

    for error in (*preview.errors, *result.errors):
        assert error.row >= 2, error
        assert error.code in MESSAGES, error
    assert result.added + result.rejected + result.skipped == len(result_rows(source))
    if result.rejected_path is not None:
        result.rejected_path.unlink()


def result_rows(source: Path) -> list[list[str]]:
    with source.open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.reader(handle)][1:]
    return [row for row in rows if any(cell.strip() for cell in row)]


@pytest.mark.sqlite_only  # reads the SQLite file itself
def test_a_preview_only_reads_so_other_desks_can_save_meanwhile(
    service: ImportService, files: Path, db: Database
) -> None:
    other = sqlite3.connect(str(db.engine.url.database), timeout=0.1)
    try:
        other.execute("BEGIN IMMEDIATE")  # someone is saving right now
        preview = service.preview("businesses", files / "businesses_cp932.csv", today=TODAY)
        dry = service.run(
            "businesses", files / "businesses_messy.csv", options(dry_run=True, skip_invalid=True)
        )
    finally:
        other.rollback()
        other.close()
    assert (preview.new_rows, dry.added, dry.rejected, dry.rejected_path) == (5, 0, 4, None)
    assert not list(files.glob("*取込エラー*"))


def test_a_dry_run_with_create_missing_tells_what_it_would_create(
    service: ImportService, loan_world: object, tmp_path: Path, db: Database
) -> None:
    source = write_csv(
        tmp_path / "new_fund.csv",
        [["受付日", "法人番号", "資金種別"], ["2026-10-01", "8010001034567", "小口資金"]],
    )
    preview = service.preview("loans", source, create_missing=True, today=TODAY)

    assert [(m.kind, m.name, m.id) for m in preview.would_create] == [
        ("loan_program", "小口資金", None)
    ]
    assert (preview.new_rows, count(db, LoanProgram), count(db, LoanCase)) == (1, 2, 0)


def test_a_business_in_the_trash_is_neither_skipped_nor_updated_nor_found(
    service: ImportService, businesses: int, tmp_path: Path, db: Database, admin: Principal
) -> None:
    kanda = business_id(db, "8010001034567")
    BusinessService(db, admin).delete(kanda, BusinessService(db, admin).get(kanda).version)
    again = write_csv(
        tmp_path / "again.csv", [["事業者名", "法人番号"], ["株式会社神田青果", "8010001034567"]]
    )
    with pytest.raises(ImportRejected) as caught:
        service.run("businesses", again, options(update=True))
    assert _problems(caught.value) == {(2, "法人番号", "import.existing_in_trash")}

    consultation = write_csv(
        tmp_path / "c.csv",
        [["相談日", "法人番号", "相談方法"], ["2026-10-01", "8010001034567", "窓口"]],
    )
    with pytest.raises(ImportRejected) as found:
        service.run("consultations", consultation, options())
    assert _problems(found.value) == {(2, "法人番号", "import.business_number_not_found")}
