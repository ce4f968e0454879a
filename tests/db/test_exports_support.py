"""Exports of dispatches, street support and subsidies on a demo database: CSV for Excel,
xlsx, the period, permissions, one audit entry, rows read a chunk at a time."""

import csv
import json
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from openpyxl import load_workbook
from sqlalchemy import select

from consult_desk.db.engine import Database
from consult_desk.db.models import AuditLog, Staff
from consult_desk.domain.dispatch import DispatchQuery, DispatchState
from consult_desk.domain.errors import ValidationError
from consult_desk.domain.permissions import SETUP, PermissionDenied, Principal, Role
from consult_desk.domain.streets import SupportQuery
from consult_desk.domain.subsidies import ApplicationQuery, SubsidyState, SubsidyTarget
from consult_desk.reports.tabular import Column
from consult_desk.services import exports
from consult_desk.services.demo import DemoService
from consult_desk.services.dispatch import DispatchService
from consult_desk.services.exports import (
    DISPATCH_COLUMNS,
    EXPORTS,
    STREET_SUPPORT_COLUMNS,
    SUBSIDY_COLUMNS,
    ExportFormat,
    ExportService,
)
from consult_desk.services.streets import StreetService
from consult_desk.services.subsidies import SubsidyService

ANCHOR = date(2026, 11, 30)
# kind → (columns, table, the date column the period filters on, its header)
KINDS: dict[str, tuple[tuple[Column, ...], str, str, str]] = {
    "dispatches": (DISPATCH_COLUMNS, "expert_dispatch", "applied_on", "申請日"),
    "street-support": (STREET_SUPPORT_COLUMNS, "street_support", "supported_on", "支援日"),
    "subsidies": (SUBSIDY_COLUMNS, "subsidy_application", "applied_on", "申請日"),
}


@pytest.fixture(scope="module")
def demo_template(
    tmp_path_factory: pytest.TempPathFactory, migrated_template: Path, fast_hasher: PasswordHasher
) -> Path:
    """One demo database for the module; each test works on a copy."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    shutil.copyfile(migrated_template, path)
    database = Database(f"sqlite:///{path}")
    try:
        DemoService(database, SETUP, fast_hasher).fill(seed=2, businesses=120, anchor=ANCHOR)
        with database.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        database.dispose()
    return path


@pytest.fixture
def demo_path(demo_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "desk.sqlite"
    shutil.copyfile(demo_template, path)
    return path


@pytest.fixture
def demo(demo_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{demo_path}")
    yield database
    database.dispose()


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def member(db: Database, login: str, role: Role) -> Principal:
    """A demo member of staff as the principal they sign in as."""
    with db.read() as session:
        staff = session.execute(select(Staff).where(Staff.login == login)).scalar_one()
        return Principal(staff.id, staff.login, staff.name, frozenset({role}))


def admin(db: Database) -> Principal:
    return member(db, "demo-admin", Role.ADMIN)


def query(path: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as source:
        return list(csv.reader(source))


def as_dicts(path: Path) -> list[dict[str, str]]:
    header, *rows = read_csv(path)
    return [dict(zip(header, row, strict=True)) for row in rows]


def audited(db: Database, record_kind: str) -> list[dict[str, list[object]]]:
    with db.read() as session:
        return [
            json.loads(changes)
            for changes in session.scalars(
                select(AuditLog.changes).where(
                    AuditLog.action == "export", AuditLog.record_kind == record_kind
                )
            )
        ]


@pytest.mark.parametrize("kind", list(KINDS))
def test_csv_has_a_bom_japanese_headers_and_every_record_in_date_order(
    demo: Database, demo_path: Path, out: Path, kind: str
) -> None:
    columns, table, day, _ = KINDS[kind]
    target = out / f"{kind}.csv"

    result = ExportService(demo, admin(demo)).export(kind, target, ExportFormat.CSV)

    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    header, *rows = read_csv(target)
    assert header == [c.title for c in columns]
    expected = [str(i) for (i,) in query(demo_path, f"SELECT id FROM {table} ORDER BY {day}, id")]
    assert result.rows == len(rows) == len(expected) > 0
    assert [r[0] for r in rows] == expected
    assert [p.name for p in out.iterdir()] == [target.name]
    [entry] = audited(demo, EXPORTS[kind].record_kind)
    assert entry == {
        "rows": [None, len(rows)],
        "period": [None, "〜"],
        "format": [None, "csv"],
        "file": [None, target.name],
    }


def test_dispatch_rows_carry_visits_fees_and_the_consultation(
    demo: Database, demo_path: Path, out: Path
) -> None:
    target = out / "dispatches.csv"
    ExportService(demo, admin(demo)).export("dispatches", target, ExportFormat.CSV)
    rows = {int(r["派遣番号"]): r for r in as_dicts(target)}
    service = DispatchService(demo, admin(demo))

    assert {r["状態"] for r in rows.values()} == {s.label for s in DispatchState}
    for dispatch_id, row in rows.items():
        view = service.get(dispatch_id)
        assert row["状態"] == view.state.label
        assert row["実施回数"] == str(view.visits)
        assert row["謝金合計"] == str(view.fee_total)  # the service's own fee rule
        assert row["承認回数"] == (
            "" if view.approved_visits is None else str(view.approved_visits)
        )
        visits = service.visits(dispatch_id)
        if visits:
            assert row["初回訪問日"] == visits[0].visited_on.isoformat()
            assert row["最終訪問日"] == visits[-1].visited_on.isoformat()
        assert row["相談記録番号"] == (
            "" if view.consultation_id is None else str(view.consultation_id)
        )
        assert row["専門家"] == view.expert_name and row["担当"] == view.staff_name
    linked = [r for r in rows.values() if r["相談記録番号"]]
    assert linked and all(r["相談日"] <= r["申請日"] for r in linked)
    assert any(r["謝金合計"] not in ("", "0") for r in rows.values())


def test_street_support_rows_name_their_events_and_universities(
    demo: Database, demo_path: Path, out: Path
) -> None:
    target = out / "street-support.csv"
    ExportService(demo, admin(demo)).export("street-support", target, ExportFormat.CSV)
    rows = {int(r["記録番号"]): r for r in as_dicts(target)}

    events = query(
        demo_path,
        "SELECT support_id, name, starts_on, ends_on, budget FROM street_event"
        " WHERE support_id IS NOT NULL ORDER BY support_id, starts_on, id",
    )
    assert events
    for support_id, name, starts_on, ends_on, budget in events:
        row = rows[int(str(support_id))]
        assert str(name) in row["イベント"].split("、")
        assert row["開始日"] <= str(starts_on) and str(ends_on) <= row["終了日"]
        assert int(row["予算"]) >= int(str(budget))
    university = [r for r in rows.values() if r["支援の種類"] == "大学連携"]
    assert university and all(r["大学"] and r["参加学生数"] for r in university)
    others = [r for r in rows.values() if r["支援の種類"] != "大学連携"]
    assert all(r["大学"] == "" for r in others)
    assert {r["取組み"] for r in rows.values()} <= {"2-1-1", "2-2-1", "2-2-2", "2-2-3"}


def test_subsidy_rows_show_the_applicant_and_the_amounts(demo: Database, out: Path) -> None:
    target = out / "subsidies.csv"
    ExportService(demo, admin(demo)).export("subsidies", target, ExportFormat.CSV)
    rows = as_dicts(target)
    service = SubsidyService(demo, admin(demo))

    assert {r["対象"] for r in rows} == {"事業者", "商店街"}
    assert {r["状態"] for r in rows} == {s.label for s in SubsidyState}
    for row in rows:
        view = service.get(int(row["申請番号"]))

        def cell(value: object) -> str:
            return "" if value is None else str(value)

        assert row["申請者"] == view.applicant_name
        assert row["補助金"] == view.program_name and row["状態"] == view.state.label
        assert row["年度"] == str(view.fiscal_year)
        assert row["対象イベント"] == view.event_name
        for header, value in (
            ("補助対象経費", view.eligible_cost),
            ("算定額", view.computed_amount),
            ("交付決定額", view.granted_amount),
            ("確定額", view.confirmed_amount),
            ("支払額", view.paid_amount),
            ("交付決定日", view.decided_on),
            ("実績報告期限", view.report_due_on),
            ("支払日", view.paid_on),
        ):
            assert row[header] == cell(value.isoformat() if isinstance(value, date) else value)


@pytest.mark.parametrize("kind", list(KINDS))
def test_xlsx_reopens_with_dates_and_a_frozen_bold_header(
    demo: Database, out: Path, kind: str
) -> None:
    columns, _, _, day_header = KINDS[kind]
    target = out / f"{kind}.xlsx"

    result = ExportService(demo, admin(demo)).export(kind, target, ExportFormat.XLSX)

    sheet = load_workbook(target).active
    assert sheet is not None
    assert sheet.title == EXPORTS[kind].label
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    assert header == [c.title for c in columns]
    assert all(c.font.b for c in sheet[1])
    assert sheet.max_row == result.rows + 1
    first = {h: c for h, c in zip(header, sheet[2], strict=True)}
    assert isinstance(first[day_header].value, datetime)
    assert first[day_header].number_format == "yyyy-mm-dd"
    yen = [c for c in columns if c.kind.value == "yen"]
    assert yen  # every kind has amounts, written as numbers
    for row in sheet.iter_rows(min_row=2):
        cells = dict(zip(header, row, strict=True))
        for column in yen:
            value = cells[column.title].value
            assert value is None or isinstance(value, int)


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_period_filters_on_the_kinds_own_date(
    demo: Database, demo_path: Path, out: Path, kind: str
) -> None:
    _, table, day, header = KINDS[kind]
    first, last = date(2026, 4, 1), date(2026, 9, 30)
    target = out / f"{kind}.csv"

    result = ExportService(demo, admin(demo)).export(kind, target, ExportFormat.CSV, first, last)

    [(expected,)] = query(
        demo_path, f"SELECT count(*) FROM {table} WHERE {day} BETWEEN ? AND ?", first, last
    )
    rows = as_dicts(target)
    assert result.rows == len(rows) == expected > 0
    assert all(first.isoformat() <= r[header] <= last.isoformat() for r in rows)
    [entry] = audited(demo, EXPORTS[kind].record_kind)
    assert entry["period"] == [None, "2026-04-01〜2026-09-30"]


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize(
    ("login", "role"), [("demo-loan", Role.LOAN_OFFICER), ("demo-auditor", Role.AUDITOR)]
)
def test_roles_that_only_read_may_not_export(
    demo: Database, out: Path, kind: str, login: str, role: Role
) -> None:
    principal = member(demo, login, role)

    with pytest.raises(PermissionDenied):
        ExportService(demo, principal).export(kind, out / "x.csv", ExportFormat.CSV)

    assert list(out.iterdir()) == []
    assert audited(demo, EXPORTS[kind].record_kind) == []


@pytest.mark.parametrize("kind", list(KINDS))
def test_consultants_and_managers_may_export(demo: Database, out: Path, kind: str) -> None:
    for login, role in (("demo-consultant1", Role.CONSULTANT), ("demo-manager", Role.MANAGER)):
        principal = member(demo, login, role)
        result = ExportService(demo, principal).export(kind, out / f"{login}.csv", ExportFormat.CSV)
        assert result.rows > 0
    assert len(audited(demo, EXPORTS[kind].record_kind)) == 2


@pytest.mark.parametrize("kind", list(KINDS))
def test_rows_are_the_same_whatever_the_chunk_size(
    demo: Database, out: Path, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The children (visits, events) are looked up per chunk: chunks of 1 and 7 rows must give
    # exactly the rows of one big chunk.
    service = ExportService(demo, admin(demo))
    whole = out / "whole.csv"
    service.export(kind, whole, ExportFormat.CSV)
    for size in (1, 7):
        monkeypatch.setattr(exports, "CHUNK", size)
        target = out / f"chunks-{size}.csv"
        service.export(kind, target, ExportFormat.CSV)
        assert read_csv(target) == read_csv(whole)


def test_the_lists_filter_gives_the_rows_the_list_shows(demo: Database, out: Path) -> None:
    """The GUI exports its list's current query: the same records as the list, oldest first,
    and the filter is in the audit entry."""
    principal = admin(demo)
    service = ExportService(demo, principal)
    today = ANCHOR + timedelta(days=1)
    dispatches = DispatchService(demo, principal)
    subsidies = SubsidyService(demo, principal)
    streets = StreetService(demo, principal)
    kind_id = streets.page_supports(SupportQuery(), limit=1)[0].kind_id
    cases: list[tuple[str, object, list[int]]] = [
        (
            "dispatches",
            DispatchQuery(states=frozenset({DispatchState.COMPLETED}), fiscal_year=2026),
            [
                r.id
                for r in dispatches.page(
                    DispatchQuery(states=frozenset({DispatchState.COMPLETED}), fiscal_year=2026),
                    limit=10_000,
                    today=today,
                )
            ],
        ),
        (
            "subsidies",
            ApplicationQuery(target=SubsidyTarget.STREET),
            [
                r.id
                for r in subsidies.page(
                    ApplicationQuery(target=SubsidyTarget.STREET), limit=10_000, today=today
                )
            ],
        ),
        (
            "street-support",
            SupportQuery(kind_id=kind_id),
            [r.id for r in streets.page_supports(SupportQuery(kind_id=kind_id), limit=10_000)],
        ),
    ]
    for kind, list_query, listed in cases:
        everything = len(all_ids(demo, kind))
        target = out / f"{kind}.csv"
        result = service.export(kind, target, ExportFormat.CSV, query=list_query, today=today)
        ids = [int(r[0]) for r in read_csv(target)[1:]]
        assert 0 < result.rows == len(ids) < everything, kind
        assert sorted(ids) == sorted(listed), kind
        assert audited(demo, EXPORTS[kind].record_kind)[-1]["filter"][1], kind


def all_ids(db: Database, kind: str) -> list[int]:
    service = ExportService(db, admin(db))
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "all.csv"
        service.export(kind, target, ExportFormat.CSV)
        return [int(r[0]) for r in read_csv(target)[1:]]


def test_overdue_reports_are_judged_against_the_day_given(demo: Database, out: Path) -> None:
    service = ExportService(demo, admin(demo))
    overdue = DispatchQuery(report_overdue=True)
    dispatches = DispatchService(demo, admin(demo))

    for day in (date(2026, 4, 1), ANCHOR + timedelta(days=400)):
        target = out / f"{day}.csv"
        result = service.export("dispatches", target, ExportFormat.CSV, query=overdue, today=day)
        assert result.rows == dispatches.count(overdue, today=day)
    assert result.rows > 0


def test_a_reversed_period_or_a_foreign_query_is_refused(demo: Database, out: Path) -> None:
    service = ExportService(demo, admin(demo))
    reversed_query = SupportQuery(date_from=date(2026, 5, 1), date_to=date(2026, 4, 1))

    with pytest.raises(ValidationError) as refused:
        service.export("street-support", out / "x.csv", ExportFormat.CSV, query=reversed_query)
    assert refused.value.codes() == {"date_to": "period.reversed"}
    visits = DispatchQuery(visited_from=date(2026, 5, 1), visited_to=date(2026, 4, 1))
    with pytest.raises(ValidationError) as refused:
        service.export("dispatches", out / "x.csv", ExportFormat.CSV, query=visits)
    assert refused.value.codes() == {"visited_to": "period.reversed"}
    grants = ApplicationQuery(granted_from=date(2026, 5, 1), granted_to=date(2026, 4, 1))
    with pytest.raises(ValidationError) as refused:
        service.export("subsidies", out / "x.csv", ExportFormat.CSV, query=grants)
    assert refused.value.codes() == {"granted_to": "period.reversed"}
    with pytest.raises(TypeError):
        service.export("subsidies", out / "x.csv", ExportFormat.CSV, query=DispatchQuery())
    assert list(out.iterdir()) == []
