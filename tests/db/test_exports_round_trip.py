"""Exports of businesses, consultations and loan cases in the import's columns: what each file
holds, the period and the list's filter, who may export what, and the round trip export →
import into an empty database → export, which must give the same file."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from consult_desk.db.engine import Database
from consult_desk.db.models import (
    AuditLog,
    Bank,
    ConsultationChannel,
    ConsultationTopic,
    LoanProgram,
    LoanProgramTerms,
    Staff,
    StaffRole,
)
from consult_desk.domain.businesses import BusinessInput, BusinessQuery
from consult_desk.domain.consultations import ConsultationInput, ConsultationQuery
from consult_desk.domain.errors import ValidationError
from consult_desk.domain.fiscal import japan_today
from consult_desk.domain.import_values import ImportKind, known_columns
from consult_desk.domain.loans import LoanCaseInput, LoanQuery, LoanState, StepInput, StepName
from consult_desk.domain.permissions import PermissionDenied, Principal, Role
from consult_desk.services import exports
from consult_desk.services.businesses import BusinessService
from consult_desk.services.consultations import ConsultationService
from consult_desk.services.exports import EXPORTS, ExportFormat, ExportService
from consult_desk.services.imports import ImportOptions, ImportService
from consult_desk.services.loans import LoanService
from tests.engines import TestDatabases

TODAY = date(2026, 11, 30)
KINDS = ("businesses", "consultations", "loans")  # in the order an import needs them
HOME_ADDRESS = "東京都千代田区神田錦町9-9-9 自宅"
HOME_PHONE = "090-0000-1111"


# --- two databases with the same reference data and staff -----------------------------------


@dataclass(frozen=True)
class Desk:
    db: Database
    admin: Principal
    consultant: Principal
    staff: dict[str, int]  # login → id
    program_id: int
    banks: dict[str, int]
    channels: dict[str, int]
    topics: dict[str, int]


def _member(session: Session, login: str, name: str, role: Role) -> Principal:
    staff = Staff(login=login, name=name)
    staff.roles.append(StaffRole(role=role.value))
    session.add(staff)
    session.flush()
    return Principal(staff.id, login, name, frozenset({role}))


def make_desk(db: Database) -> Desk:
    """The masters a desk sets up before any record: staff, a fund with terms, banks (the
    consultation channels and topics come with the migrations)."""
    with db.write() as session:
        admin = _member(session, "admin", "管理 太郎", Role.ADMIN)
        consultant = _member(session, "sato", "佐藤 花子", Role.CONSULTANT)
        yamada = _member(session, "yamada", "山田 一郎", Role.LOAN_OFFICER)
        program = LoanProgram(name="営業資金")
        session.add(program)
        session.flush()
        session.add(
            LoanProgramTerms(
                program_id=program.id,
                valid_from=date(2026, 4, 1),
                limit_amount=10_000_000,
                max_term_months=84,
                max_grace_months=12,
                nominal_rate=Decimal("2.1"),
                subsidy_rate_resident=Decimal("1.6"),
                subsidy_rate_general=Decimal("0.6"),
                max_concurrent_loans=2,
            )
        )
        banks = [Bank(name="みずほ銀行"), Bank(name="朝日信用金庫")]
        session.add_all(banks)
        session.flush()
        channels = dict(
            session.execute(select(ConsultationChannel.name, ConsultationChannel.id)).all()
        )
        topics = dict(session.execute(select(ConsultationTopic.name, ConsultationTopic.id)).all())
        return Desk(
            db=db,
            admin=admin,
            consultant=consultant,
            staff={p.login: p.staff_id for p in (admin, consultant, yamada) if p.staff_id},
            program_id=program.id,
            banks={b.name: b.id for b in banks},
            channels={str(k): int(v) for k, v in channels.items()},
            topics={str(k): int(v) for k, v in topics.items()},
        )


@dataclass(frozen=True)
class Records:
    kanda: int  # a corporation with every field
    kojimachi: int  # a sole proprietor (no 法人番号: found by name)
    marunouchi: int  # archived
    trashed: int
    consultations: int  # not in the trash
    loans: int


def fill(desk: Desk) -> Records:
    """Varied records: full-width input, blank optional fields, several topics, loans in
    many states (executed, declined, withdrawn before and after the guarantee, on hold …)."""
    admin = desk.admin
    businesses = BusinessService(desk.db, admin)

    def business(**given: object) -> int:
        return businesses.add(BusinessInput(**given), today=TODAY)  # type: ignore[arg-type]

    kanda = business(
        name="株式会社神田青果",
        name_kana="カンダセイカ",
        corporate_number="８０１０００１０３４５６７",  # full width: stored as digits
        kind="corporation",
        jsic_major="I",
        postal_code="101-0054",
        address="千代田区神田錦町１－２－３",
        phone="03-3291-0001",
        email="info@kanda-seika.example.jp",
        representative_name="神田　太郎",
        representative_residence="resident",
        representative_address=HOME_ADDRESS,
        representative_phone=HOME_PHONE,
        capital=5_000_000,
        employees=12,
        founded_on=date(2019, 5, 1),
        in_ward_since=date(2019, 5, 1),
    )
    kojimachi = business(
        name="麹町食堂",
        name_kana="コウジマチショクドウ",
        kind="sole_proprietor",
        jsic_major="M",
        postal_code="1020083",
        representative_name="麹 花子",
        representative_residence="general",
        employees=2,
    )
    business(name="神保町古書店", kind="prospective")  # nearly everything blank
    plus = business(name="+プラス合同会社", kind="corporation", phone="+81-3-0000-0000")
    marunouchi = business(
        name="有限会社丸の内印刷",
        corporate_number="1010001087654",
        kind="corporation",
        jsic_major="E",
        capital=10_000_000,
    )
    trashed = business(name="削除済み商店", kind="sole_proprietor")

    consultations = ConsultationService(desk.db, admin)
    c, t, s = desk.channels, desk.topics, desk.staff
    consultations.add(
        ConsultationInput(
            consulted_on=date(2026, 10, 1),
            channel_id=c["窓口"],
            staff_id=s["sato"],
            business_id=kanda,
            minutes=60,
            topic_ids=(t["資金繰り・融資"], t["補助金・給付金等の施策活用"]),
            summary="運転資金の相談\n２行目は全角",
            advice="制度融資を案内",
            next_action="必要書類を持参",
            due_on=date(2026, 10, 15),
        ),
        today=TODAY,
    )
    consultations.add(
        ConsultationInput(
            consulted_on=date(2026, 10, 2),
            channel_id=c["オンライン"],
            staff_id=s["yamada"],
            business_id=kojimachi,
            topic_ids=(t["創業"],),
            summary="=SUM(A1) と書かれた計画書",  # typed text that looks like a formula
        ),
        today=TODAY,
    )
    consultations.add(
        ConsultationInput(
            consulted_on=date(2026, 10, 5),
            channel_id=c["電話"],
            staff_id=s["sato"],
            business_id=marunouchi,
            minutes=30,
            # The primary topic is not the first in the list's order: it is written first.
            topic_ids=(t["IT・DX"], t["販路拡大・マーケティング"], t["その他"]),
            primary_topic_id=t["販路拡大・マーケティング"],
        ),
        today=TODAY,
    )
    archived = consultations.add(
        ConsultationInput(
            consulted_on=date(2026, 9, 1),
            channel_id=c["訪問"],
            staff_id=s["sato"],
            business_id=plus,
        ),
        today=TODAY,
    )
    consultations.archive(archived, consultations.get(archived).version)
    gone = consultations.add(
        ConsultationInput(
            consulted_on=date(2026, 9, 2),
            channel_id=c["窓口"],
            staff_id=s["sato"],
            business_id=kanda,
            summary="ごみ箱の相談",
        ),
        today=TODAY,
    )
    consultations.delete(gone, consultations.get(gone).version)

    loans = fill_loans(desk, kanda=kanda, kojimachi=kojimachi, plus=plus)
    businesses.archive(marunouchi, businesses.get(marunouchi).version)
    businesses.delete(trashed, businesses.get(trashed).version)
    return Records(kanda, kojimachi, marunouchi, trashed, consultations=4, loans=loans)


_ELIGIBLE = {
    "eligible_in_ward_year": True,
    "eligible_head_office": True,
    "eligible_taxes_paid": True,
    "eligible_no_virtual_office": True,
    "eligible_industry_covered": True,
}


def fill_loans(desk: Desk, *, kanda: int, kojimachi: int, plus: int) -> int:
    service = LoanService(desk.db, desk.admin)
    mizuho, asahi = desk.banks["みずほ銀行"], desk.banks["朝日信用金庫"]

    def case(business_id: int, received: date, amount: int | None, *steps: StepInput) -> None:
        case_id = service.add(
            LoanCaseInput(business_id, desk.program_id, received, requested_amount=amount),
            today=TODAY,
        )
        for step in steps:
            service.advance(case_id, service.get(case_id).version, step, today=TODAY)

    def received(on: date) -> list[StepInput]:
        return [
            StepInput(StepName.RECEIVE, on, interviewer="診断士 甲"),
            StepInput(StepName.START_REVIEW, on, **_ELIGIBLE),  # type: ignore[arg-type]
        ]

    def refer(on: date, amount: int, bank: int) -> StepInput:
        return StepInput(
            StepName.REFER,
            on,
            referral_number=f"R8-{on:%m%d}",
            referral_amount=amount,
            bank_id=bank,
        )

    def execute(on: date, amount: int) -> StepInput:
        return StepInput(
            StepName.EXECUTE,
            on,
            executed_amount=amount,
            term_months=60,
            grace_months=6,
            nominal_rate=Decimal("2.1"),
        )

    d = date
    # 相談: only asked, with the bank already chosen.
    service.add(
        LoanCaseInput(
            kanda, desk.program_id, d(2026, 9, 1), requested_amount=3_000_000, bank_id=mizuho
        ),
        today=TODAY,
    )
    # Executed through the guarantee corporation, now repaying.
    case(
        kanda,
        d(2026, 6, 1),
        5_000_000,
        *received(d(2026, 6, 1)),
        refer(d(2026, 6, 10), 5_000_000, mizuho),
        StepInput(StepName.BANK_RECEIVED, d(2026, 6, 11)),
        StepInput(StepName.TO_CGC, d(2026, 6, 12)),
        StepInput(StepName.GUARANTEE, d(2026, 6, 20), approved_amount=4_500_000),
        execute(d(2026, 6, 30), 4_500_000),
        StepInput(StepName.START_REPAYING, d(2026, 7, 31)),
    )
    # Refused by the ward after a hold.
    case(
        kanda,
        d(2026, 7, 1),
        2_000_000,
        *received(d(2026, 7, 1)),
        StepInput(StepName.HOLD, d(2026, 7, 3), reason="決算書が足りない"),
        StepInput(StepName.REFUSE, d(2026, 7, 20), reason="税の滞納があるため"),
    )
    # Declined by the bank.
    case(
        kojimachi,
        d(2026, 7, 1),
        1_000_000,
        *received(d(2026, 7, 1)),
        refer(d(2026, 7, 10), 1_000_000, asahi),
        StepInput(StepName.BANK_RECEIVED, d(2026, 7, 13)),
        StepInput(StepName.DECLINE_BANK, d(2026, 7, 20), reason="業況不振"),
    )
    # Executed by the bank alone and repaid early.
    case(
        kojimachi,
        d(2026, 8, 3),
        None,
        *received(d(2026, 8, 3)),
        refer(d(2026, 8, 10), 800_000, asahi),
        StepInput(StepName.BANK_RECEIVED, d(2026, 8, 11)),
        execute(d(2026, 8, 25), 800_000),
        StepInput(StepName.START_REPAYING, d(2026, 9, 25)),
        StepInput(StepName.REPAY, d(2026, 10, 30), reason="繰上完済"),
    )
    # Withdrawn before referral.
    case(
        kojimachi,
        d(2026, 9, 1),
        600_000,
        StepInput(StepName.WITHDRAW, d(2026, 9, 3), reason="自己資金で対応"),
    )
    # Withdrawn after the guarantee: the 承諾額 stays on the case.
    case(
        plus,
        d(2026, 8, 3),
        3_000_000,
        *received(d(2026, 8, 3)),
        refer(d(2026, 8, 10), 3_000_000, mizuho),
        StepInput(StepName.BANK_RECEIVED, d(2026, 8, 11)),
        StepInput(StepName.TO_CGC, d(2026, 8, 12)),
        StepInput(StepName.GUARANTEE, d(2026, 8, 20), approved_amount=2_500_000),
        StepInput(StepName.WITHDRAW, d(2026, 8, 28), reason="他の資金で対応"),
    )
    # On hold: the reason it was put on hold is its 理由.
    case(
        plus,
        d(2026, 10, 1),
        1_500_000,
        *received(d(2026, 10, 1)),
        StepInput(StepName.HOLD, d(2026, 10, 5), reason="見積書の不足"),
    )
    return 8


@pytest.fixture
def source(db: Database) -> tuple[Desk, Records]:
    desk = make_desk(db)
    return desk, fill(desk)


@pytest.fixture
def target(databases: TestDatabases, tmp_path: Path) -> Iterator[Desk]:
    """Another database, empty but for the same reference data and staff."""
    folder = tmp_path / "target"
    folder.mkdir()
    url = databases.fresh(folder)
    database = Database(url)
    try:
        yield make_desk(database)
    finally:
        database.dispose()
        databases.drop(url)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as source_file:
        return list(csv.reader(source_file))


def as_dicts(path: Path) -> list[dict[str, str]]:
    header, *rows = read_csv(path)
    return [dict(zip(header, row, strict=True)) for row in rows]


def sheet_rows(path: Path) -> list[tuple[object, ...]]:
    workbook = load_workbook(path, read_only=True)
    try:
        sheet = workbook.worksheets[0]
        rows = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
    width = len(rows[0])  # a read-only sheet may end a row at its last value
    return [row + (None,) * (width - len(row)) for row in rows]


def exported(db: Database, record_kind: str) -> list[dict[str, list[object]]]:
    with db.read() as session:
        return [
            json.loads(changes)
            for changes in session.scalars(
                select(AuditLog.changes)
                .where(AuditLog.action == "export", AuditLog.record_kind == record_kind)
                .order_by(AuditLog.id)
            )
        ]


# --- the round trip ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(ExportFormat))
def test_an_export_imports_into_an_empty_database_and_exports_the_same(
    source: tuple[Desk, Records], target: Desk, out: Path, fmt: ExportFormat
) -> None:
    desk, records = source
    first, second = out / "first", out / "second"
    first.mkdir()
    second.mkdir()
    counts = {"businesses": 5, "consultations": records.consultations, "loans": records.loans}
    for kind in KINDS:
        result = ExportService(desk.db, desk.admin).export(
            kind, first / f"{kind}.{fmt}", fmt, today=TODAY
        )
        assert result.rows == counts[kind]

    importer = ImportService(target.db, target.admin)
    for kind in KINDS:
        imported = importer.run(kind, first / f"{kind}.{fmt}", ImportOptions(today=TODAY))
        assert (kind, imported.added, imported.rejected, imported.errors) == (
            kind,
            counts[kind],
            0,
            (),
        )
        assert imported.created == ()  # every name was known: no new staff, bank or fund
    for kind in KINDS:
        ExportService(target.db, target.admin).export(
            kind, second / f"{kind}.{fmt}", fmt, today=TODAY
        )

    for kind in KINDS:
        before, after = first / f"{kind}.{fmt}", second / f"{kind}.{fmt}"
        if fmt is ExportFormat.CSV:
            assert after.read_bytes() == before.read_bytes(), kind
        else:
            assert sheet_rows(after) == sheet_rows(before), kind
            assert len(sheet_rows(after)) == counts[kind] + 1


def test_a_csv_export_imports_as_xlsx_would(
    source: tuple[Desk, Records], target: Desk, out: Path
) -> None:
    """The two formats carry the same values: CSV in, xlsx out gives the xlsx of the source."""
    desk, _ = source
    for kind in KINDS:
        ExportService(desk.db, desk.admin).export(kind, out / f"{kind}.csv", ExportFormat.CSV)
        ExportService(desk.db, desk.admin).export(kind, out / f"{kind}.xlsx", ExportFormat.XLSX)
        ImportService(target.db, target.admin).run(
            kind, out / f"{kind}.csv", ImportOptions(today=TODAY)
        )
        again = out / f"{kind}-again.xlsx"
        ExportService(target.db, target.admin).export(kind, again, ExportFormat.XLSX)
        assert sheet_rows(again) == sheet_rows(out / f"{kind}.xlsx"), kind


# --- what the files hold -----------------------------------------------------------------------


def test_the_columns_are_the_imports() -> None:
    for kind in KINDS:
        assert [c.title for c in EXPORTS[kind].columns] == list(known_columns(ImportKind(kind)))


def test_businesses_are_written_as_the_import_reads_them(
    source: tuple[Desk, Records], out: Path
) -> None:
    desk, _ = source
    target_file = out / "businesses.csv"

    ExportService(desk.db, desk.admin).export("businesses", target_file, ExportFormat.CSV)

    rows = {row["事業者名"]: row for row in as_dicts(target_file)}
    # By name (the list's order: the reading, else the name); archived ones too, never the
    # trash. A leading "+" is kept from Excel's formulas by an apostrophe the import drops.
    assert list(rows) == [
        "'+プラス合同会社",
        "株式会社神田青果",
        "麹町食堂",
        "有限会社丸の内印刷",
        "神保町古書店",
    ]
    assert rows["株式会社神田青果"] == {
        "事業者名": "株式会社神田青果",
        "フリガナ": "カンダセイカ",
        "法人番号": "8010001034567",
        "事業者区分": "法人",
        "業種": "卸売業，小売業",
        "郵便番号": "101-0054",
        "所在地": "千代田区神田錦町1-2-3",
        "電話番号": "03-3291-0001",
        "メール": "info@kanda-seika.example.jp",
        "代表者名": "神田 太郎",
        "代表者区分": "区民",
        "資本金": "5000000",
        "従業員数": "12",
        "設立日": "2019-05-01",
    }
    assert (rows["麹町食堂"]["事業者区分"], rows["麹町食堂"]["代表者区分"]) == (
        "個人事業主",
        "一般",
    )
    assert set(rows["神保町古書店"].values()) == {"神保町古書店", "創業予定者", ""}
    assert rows["'+プラス合同会社"]["電話番号"] == "'+81-3-0000-0000"
    # The representative's home is not among the columns, for any role.
    text = target_file.read_text(encoding="utf-8-sig")
    assert HOME_ADDRESS not in text and HOME_PHONE not in text


def test_consultations_name_their_topics_primary_first(
    source: tuple[Desk, Records], out: Path
) -> None:
    desk, _ = source
    target_file = out / "consultations.xlsx"

    result = ExportService(desk.db, desk.admin).export(
        "consultations", target_file, ExportFormat.XLSX
    )

    assert result.rows == 4  # the archived one too, the one in the trash not
    header, *rows = sheet_rows(target_file)
    found = [dict(zip(header, row, strict=True)) for row in rows]
    assert [r["相談日"] for r in found] == [
        datetime(2026, 9, 1),
        datetime(2026, 10, 1),
        datetime(2026, 10, 2),
        datetime(2026, 10, 5),
    ]
    archived, first, second, third = found
    assert archived["事業者名"] == "+プラス合同会社"  # xlsx: typed text, no apostrophe
    assert first["相談分野"] == "資金繰り・融資、補助金・給付金等の施策活用"
    assert third["相談分野"] == "販路拡大・マーケティング、IT・DX、その他"
    assert (first["法人番号"], first["担当者"], first["所要時間"]) == (
        "8010001034567",
        "佐藤 花子",
        60,
    )
    assert first["相談内容"] == "運転資金の相談\n2行目は全角"
    assert (first["次回対応"], first["対応期限"]) == ("必要書類を持参", datetime(2026, 10, 15))
    assert (second["法人番号"], second["所要時間"], second["助言内容"]) == (None, None, None)
    assert second["相談内容"] == "=SUM(A1) と書かれた計画書"


def test_a_prospective_founders_consultation_names_the_founder(
    source: tuple[Desk, Records], out: Path
) -> None:
    desk, _ = source
    ConsultationService(desk.db, desk.admin).add(
        ConsultationInput(
            consulted_on=date(2026, 11, 2),
            channel_id=desk.channels["窓口"],
            staff_id=desk.staff["sato"],
            prospect_name="開業 予定子",
        ),
        today=TODAY,
    )
    target_file = out / "consultations.csv"

    ExportService(desk.db, desk.admin).export("consultations", target_file, ExportFormat.CSV)

    last = as_dicts(target_file)[-1]
    assert (last["相談日"], last["事業者名"], last["法人番号"]) == ("2026-11-02", "開業 予定子", "")


def test_loans_write_the_dates_and_reasons_the_import_rebuilds_them_from(
    source: tuple[Desk, Records], out: Path
) -> None:
    desk, _ = source
    target_file = out / "loans.csv"

    ExportService(desk.db, desk.admin).export("loans", target_file, ExportFormat.CSV)

    rows = as_dicts(target_file)
    by_state = {row["状態"]: row for row in rows}
    assert [row["受付日"] for row in rows] == sorted(row["受付日"] for row in rows)
    assert by_state["書類不備で保留"]["理由"] == "見積書の不足"  # on hold: why
    assert by_state["あっせん不可"]["理由"] == "税の滞納があるため"
    assert by_state["あっせん不可"]["終了日"] == "2026-07-20"
    repaying = by_state["返済中"]
    assert (repaying["あっせん書交付日"], repaying["実行日"], repaying["終了日"]) == (
        "2026-06-10",
        "2026-06-30",
        "",
    )
    assert (repaying["承諾額"], repaying["実行額"], repaying["期間(月)"]) == (
        "4500000",
        "4500000",
        "60",
    )
    withdrawn = [row for row in rows if row["状態"] == "取下げ"]
    assert {(row["あっせん書交付日"], row["承諾額"]) for row in withdrawn} == {
        ("", ""),
        ("2026-08-10", "2500000"),
    }
    assert by_state["相談"]["金融機関"] == "みずほ銀行"


# --- the period and the list's filter -----------------------------------------------------------


def test_the_period_of_businesses_is_the_day_they_were_registered(
    source: tuple[Desk, Records], out: Path
) -> None:
    desk, _ = source
    service = ExportService(desk.db, desk.admin)
    today = japan_today()

    assert service.export("businesses", out / "a.csv", ExportFormat.CSV, today, today).rows == 5
    tomorrow = today + timedelta(days=1)
    assert service.export("businesses", out / "b.csv", ExportFormat.CSV, tomorrow).rows == 0
    yesterday = today - timedelta(days=1)
    assert service.export("businesses", out / "c.csv", ExportFormat.CSV, None, yesterday).rows == 0


def test_the_period_of_consultations_and_loans_is_their_main_date(
    source: tuple[Desk, Records], out: Path
) -> None:
    desk, _ = source
    service = ExportService(desk.db, desk.admin)

    october = service.export(
        "consultations", out / "c.csv", ExportFormat.CSV, date(2026, 10, 1), date(2026, 10, 2)
    )
    assert [r["相談日"] for r in as_dicts(out / "c.csv")] == ["2026-10-01", "2026-10-02"]
    assert october.rows == 2
    service.export("loans", out / "l.csv", ExportFormat.CSV, date(2026, 8, 1), date(2026, 8, 31))
    assert [r["受付日"] for r in as_dicts(out / "l.csv")] == ["2026-08-03", "2026-08-03"]
    assert exported(desk.db, "loan_case")[-1]["period"] == [None, "2026-08-01〜2026-08-31"]


def test_the_lists_filter_narrows_each_kind_and_is_audited(
    source: tuple[Desk, Records], out: Path
) -> None:
    desk, records = source
    service = ExportService(desk.db, desk.admin)

    sole = service.export(
        "businesses",
        out / "b.csv",
        ExportFormat.CSV,
        query=BusinessQuery(kind="sole_proprietor"),
    )
    assert sole.rows == 1 and as_dicts(out / "b.csv")[0]["事業者名"] == "麹町食堂"
    # The list's default query leaves the archived out, as the list does.
    assert (
        service.export("businesses", out / "a.csv", ExportFormat.CSV, query=BusinessQuery()).rows
        == 4
    )
    assert (
        service.export(
            "businesses", out / "t.csv", ExportFormat.CSV, query=BusinessQuery(text="神田")
        ).rows
        == 1
    )

    by_staff = ConsultationQuery(staff_id=desk.staff["sato"], archived=None)
    service.export("consultations", out / "c.csv", ExportFormat.CSV, query=by_staff)
    assert [r["担当者"] for r in as_dicts(out / "c.csv")] == ["佐藤 花子"] * 3
    topic = ConsultationQuery(topic_id=desk.topics["創業"])
    service.export("consultations", out / "t2.csv", ExportFormat.CSV, query=topic)
    assert [r["事業者名"] for r in as_dicts(out / "t2.csv")] == ["麹町食堂"]

    ended = LoanQuery(
        states=frozenset({LoanState.WITHDRAWN, LoanState.DECLINED_BANK}),
        business_id=records.kojimachi,
    )
    service.export("loans", out / "l.csv", ExportFormat.CSV, date(2026, 7, 1), query=ended)
    assert [r["状態"] for r in as_dicts(out / "l.csv")] == ["金融機関謝絶", "取下げ"]
    assert exported(desk.db, "loan_case")[-1] == {
        "rows": [None, 2],
        "period": [None, "2026-07-01〜"],
        "format": [None, "csv"],
        "file": [None, "l.csv"],
        "filter": [
            None,
            {"states": ["DECLINED_BANK", "WITHDRAWN"], "business_id": records.kojimachi},
        ],
    }
    assert exported(desk.db, "business")[0]["filter"] == [None, {"kind": "sole_proprietor"}]


def test_a_query_of_another_kind_is_refused(source: tuple[Desk, Records], out: Path) -> None:
    desk, _ = source
    service = ExportService(desk.db, desk.admin)

    with pytest.raises(TypeError):
        service.export("loans", out / "x.csv", ExportFormat.CSV, query=BusinessQuery())
    with pytest.raises(ValidationError) as reversed_period:
        service.export(
            "consultations", out / "x.csv", ExportFormat.CSV, date(2026, 10, 2), date(2026, 10, 1)
        )
    assert reversed_period.value.codes() == {"date_to": "period.reversed"}
    assert list(out.iterdir()) == []
    assert exported(desk.db, "loan_case") == exported(desk.db, "consultation") == []


def test_overdue_loans_follow_the_pipelines_days(source: tuple[Desk, Records], out: Path) -> None:
    """保留 counts as overdue after 14 days (the default); the case went on hold on 10/5."""
    desk, _ = source
    service = ExportService(desk.db, desk.admin)
    overdue = LoanQuery(overdue_only=True)

    assert (
        service.export(
            "loans", out / "a.csv", ExportFormat.CSV, query=overdue, today=date(2026, 10, 18)
        ).rows
        == 0
    )
    assert (
        service.export(
            "loans", out / "b.csv", ExportFormat.CSV, query=overdue, today=date(2026, 10, 19)
        ).rows
        == 1
    )
    assert as_dicts(out / "b.csv")[0]["状態"] == "書類不備で保留"


# --- who may export what -------------------------------------------------------------------------


def test_a_consultant_exports_businesses_and_consultations_but_not_loans(
    source: tuple[Desk, Records], out: Path
) -> None:
    desk, _ = source
    service = ExportService(desk.db, desk.consultant)
    assert not desk.consultant.sees_personal_data

    businesses = service.export("businesses", out / "b.csv", ExportFormat.CSV)
    consultations = service.export("consultations", out / "c.csv", ExportFormat.CSV)

    assert (businesses.rows, consultations.rows) == (5, 4)
    admin_copy = out / "admin.csv"
    ExportService(desk.db, desk.admin).export("businesses", admin_copy, ExportFormat.CSV)
    # Nothing the lists mask is among the columns: the same file for both roles.
    assert (out / "b.csv").read_bytes() == admin_copy.read_bytes()
    assert HOME_ADDRESS not in (out / "b.csv").read_text(encoding="utf-8-sig")
    with pytest.raises(PermissionDenied):
        service.export("loans", out / "l.csv", ExportFormat.CSV)
    assert not (out / "l.csv").exists()
    assert len(exported(desk.db, "business")) == 2
    assert exported(desk.db, "loan_case") == []


def test_an_auditor_may_read_but_not_export(source: tuple[Desk, Records], out: Path) -> None:
    desk, _ = source
    with desk.db.write() as session:
        auditor = _member(session, "kansa", "監査 一子", Role.AUDITOR)
    for kind in KINDS:
        with pytest.raises(PermissionDenied):
            ExportService(desk.db, auditor).export(kind, out / f"{kind}.csv", ExportFormat.CSV)
    assert list(out.iterdir()) == []


def test_masked_loan_amounts_are_left_empty(
    source: tuple[Desk, Records], out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from consult_desk.domain import permissions

    monkeypatch.setattr(
        permissions, "SEES_LOAN_AMOUNTS", permissions.SEES_LOAN_AMOUNTS - {Role.MANAGER}
    )
    desk, _ = source
    with desk.db.write() as session:
        manager = _member(session, "bucho", "部長 一郎", Role.MANAGER)

    ExportService(desk.db, manager).export("loans", out / "l.csv", ExportFormat.CSV)

    rows = as_dicts(out / "l.csv")
    assert {row[name] for row in rows for name in exports.LOAN_AMOUNT_COLUMNS} == {""}
    assert {row["状態"] for row in rows} >= {"返済中", "取下げ"}  # the rest is there


def test_rows_stream_a_chunk_at_a_time(
    source: tuple[Desk, Records], out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks of two rows: the topics and hold reasons are read per chunk, none is lost."""
    desk, _ = source
    whole = out / "whole"
    whole.mkdir()
    for kind in KINDS:
        ExportService(desk.db, desk.admin).export(kind, whole / f"{kind}.csv", ExportFormat.CSV)
    monkeypatch.setattr(exports, "CHUNK", 2)
    for kind in KINDS:
        chunked = out / f"{kind}.csv"
        ExportService(desk.db, desk.admin).export(kind, chunked, ExportFormat.CSV)
        assert chunked.read_bytes() == (whole / f"{kind}.csv").read_bytes(), kind


def test_progress_is_told_and_an_exception_from_it_stops_the_export(
    source: tuple[Desk, Records], out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk, _ = source
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 3)
    service = ExportService(desk.db, desk.admin)
    told: list[int] = []

    result = service.export("loans", out / "l.xlsx", ExportFormat.XLSX, progress=told.append)

    assert told == [3, 6, result.rows] and result.rows == 8

    def cancel(rows: int) -> None:
        raise KeyboardInterrupt  # the user's 中止

    with pytest.raises(KeyboardInterrupt):
        service.export("consultations", out / "c.csv", ExportFormat.CSV, progress=cancel)
    assert [p.name for p in out.iterdir()] == ["l.xlsx"]  # no file, no temporary one
    assert exported(desk.db, "consultation") == []
