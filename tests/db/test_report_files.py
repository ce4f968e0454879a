"""Reports written as files: the same figures in PDF, xlsx and JSON, written atomically, never
over an existing file unless asked, audited once, and only for those allowed to print."""

import io
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from consult_desk.db.engine import Database
from consult_desk.db.models import AuditLog
from consult_desk.domain.businesses import BusinessInput
from consult_desk.domain.fiscal import japan_today
from consult_desk.domain.permissions import PermissionDenied, Principal
from consult_desk.domain.report_figures import PeriodReport
from consult_desk.services import report_files
from consult_desk.services.businesses import BusinessService
from consult_desk.services.exports import TargetExists, TargetUnwritable
from consult_desk.services.report_files import ReportFileService, ReportFormat
from consult_desk.services.reporting import ReportingService, to_json
from consult_desk.services.settings import SettingsService
from tests.engines import TestDatabases
from tests.report_setup import demo_on, demo_principal

poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils missing")


@pytest.fixture
def demo(databases: TestDatabases, tmp_path: Path) -> Iterator[Database]:
    folder = tmp_path / "db"  # the tests' files go beside it, in tmp_path
    folder.mkdir()
    database = demo_on(databases, folder)
    yield database
    database.dispose()
    databases.release(database.url)


def _manager(db: Database) -> Principal:
    return demo_principal(db, "demo-manager")


def _month(db: Database, principal: Principal) -> PeriodReport:
    today = japan_today()
    return ReportingService(db, principal).monthly(today.year, today.month)


def _prints(db: Database) -> list[dict[str, Any]]:
    with db.read() as session:
        rows = session.execute(
            select(AuditLog.changes).where(AuditLog.action == "print").order_by(AuditLog.id)
        ).scalars()
        return [{k: v[1] for k, v in json.loads(row).items()} for row in rows]


def _pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@poppler
def test_the_pdf_shows_the_figures_of_the_json(demo: Database, tmp_path: Path) -> None:
    manager = _manager(demo)
    report = _month(demo, manager)
    files = ReportFileService(demo, manager)

    pdf = files.write(report, tmp_path / "月次報告.pdf", ReportFormat.PDF)
    data = json.loads(files.render(report, ReportFormat.JSON).data)
    text = _pdf_text(pdf.path)

    assert data == json.loads(json.dumps(to_json(report)))
    assert pdf.missing == ()
    assert "月次報告" in text and "取扱注意" in text and "相談方法別" in text
    for channel, count in data["consultations"]["by_channel"].items():
        assert re.search(rf"^\s*{re.escape(channel)}\s+{count:,}\s", text, re.MULTILINE), channel
    amount = data["fiscal_year_to_date"]["loans"]["executed"]["amount"]
    assert amount and f"{amount:,}" in text  # the manager sees loan amounts


def test_xlsx_and_json_files_hold_the_same_figures(demo: Database, tmp_path: Path) -> None:
    manager = _manager(demo)
    report = _month(demo, manager)
    files = ReportFileService(demo, manager)

    xlsx = files.write(report, tmp_path / "m.xlsx", ReportFormat.XLSX)
    written = files.write(report, tmp_path / "m.json", ReportFormat.JSON)

    data = json.loads(written.path.read_text(encoding="utf-8"))
    assert data["report"] == "monthly"
    cells = {
        (row[0], row[1])
        for sheet in load_workbook(io.BytesIO(xlsx.path.read_bytes())).worksheets
        for row in sheet.iter_rows(values_only=True)
        if len(row) > 1
    }
    for channel, count in data["consultations"]["by_channel"].items():
        assert (channel, count) in cells


def test_every_report_kind_can_be_written_in_every_format(demo: Database, tmp_path: Path) -> None:
    manager = _manager(demo)
    service = ReportingService(demo, manager)
    today = japan_today()
    first = (
        today.replace(month=4, day=1)
        if today.month >= 4
        else today.replace(year=today.year - 1, month=4, day=1)
    )
    reports = {
        "monthly": _month(demo, manager),
        "fiscal_year": service.fiscal_year(first.year),
        "business": service.business("1"),
        "initiative": service.initiative("1-1-1", first, today),
        "initiative_overview": service.initiative_overview(first, today),
    }
    files = ReportFileService(demo, manager)

    for name, report in reports.items():
        for fmt in ReportFormat:
            written = files.write(report, tmp_path / f"{name}.{fmt.value}", fmt)
            head = written.path.read_bytes()[:4]
            assert head == {"pdf": b"%PDF", "xlsx": b"PK\x03\x04", "json": b"{\n  "}[fmt.value]

    entries = _prints(demo)
    assert [e["report"] for e in entries] == [n for n in reports for _ in ReportFormat]
    assert {e["business_id"] for e in entries if e["report"] == "business"} == {1}
    assert {e["initiative"] for e in entries if e["report"] == "initiative"} == {"1-1-1"}
    assert all("period" not in e for e in entries if e["report"] == "business")


def _fiscal_year_start() -> date:
    today = japan_today()
    return date(today.year if today.month >= 4 else today.year - 1, 4, 1)


def _pdf_pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    match = re.search(r"^Pages:\s+(\d+)", info.stdout, re.MULTILINE)
    assert match is not None
    return int(match[1])


@poppler
@pytest.mark.parametrize("login", ["demo-manager", "demo-consultant1"])
def test_the_initiative_overview_is_one_page_with_its_total(
    demo: Database, tmp_path: Path, login: str
) -> None:
    principal = demo_principal(demo, login)
    report = ReportingService(demo, principal).initiative_overview(
        _fiscal_year_start(), japan_today()
    )

    path = tmp_path / "一覧.pdf"
    path.write_bytes(ReportFileService(demo, principal).render(report, ReportFormat.PDF).data)

    assert len(report.rows) == 24
    assert _pdf_pages(path) == 1
    text = _pdf_text(path)
    assert "1-1-1" in text and "4-2-2" in text
    assert re.search(rf"^\s*合計\s+{report.totals.consultations:,}\s", text, re.MULTILINE)


@poppler
def test_the_fiscal_year_reports_initiative_page_holds_the_table_and_its_notes(
    demo: Database, tmp_path: Path
) -> None:
    consultant = demo_principal(demo, "demo-consultant1")  # one more note: amounts withheld
    report = ReportingService(demo, consultant).fiscal_year(_fiscal_year_start().year)
    path = tmp_path / "年度報告.pdf"
    path.write_bytes(ReportFileService(demo, consultant).render(report, ReportFormat.PDF).data)
    pages = _pdf_pages(path)

    last = subprocess.run(
        ["pdftotext", "-layout", "-f", str(pages), "-l", str(pages), str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    assert "施策別実績" in last and "1-1-1" in last and "4-2-2" in last
    assert re.search(r"^\s*合計\s", last, re.MULTILINE)
    assert "1回だけ数えます" in last and "閲覧の権限がない" in last


def test_an_existing_file_is_kept_unless_replacing_is_asked(demo: Database, tmp_path: Path) -> None:
    manager = _manager(demo)
    report = _month(demo, manager)
    files = ReportFileService(demo, manager)
    target = tmp_path / "m.pdf"
    target.write_bytes(b"the chief's copy")

    with pytest.raises(TargetExists):
        files.write(report, target, ReportFormat.PDF)
    assert target.read_bytes() == b"the chief's copy"
    assert _prints(demo) == []

    files.write(report, target, ReportFormat.PDF, overwrite=True)
    assert target.read_bytes().startswith(b"%PDF")
    assert sorted(tmp_path.glob("*m.pdf*")) == [target]  # no temporary file left behind


def test_an_unwritable_target_is_reported_and_nothing_is_audited(
    demo: Database, tmp_path: Path
) -> None:
    manager = _manager(demo)
    target = tmp_path / "no such folder" / "m.pdf"

    with pytest.raises(TargetUnwritable):
        ReportFileService(demo, manager).write(_month(demo, manager), target, ReportFormat.PDF)
    assert not target.parent.exists()
    assert _prints(demo) == []


def test_one_print_entry_names_the_report_period_format_and_file(
    demo: Database, tmp_path: Path
) -> None:
    manager = _manager(demo)
    report = _month(demo, manager)

    ReportFileService(demo, manager).write(report, tmp_path / "月次.xlsx", ReportFormat.XLSX)

    (entry,) = _prints(demo)
    assert entry == {
        "report": "monthly",
        "period": f"{report.period_from.isoformat()}〜{report.period_to.isoformat()}",
        "format": "xlsx",
        "file": "月次.xlsx",
    }


def test_a_file_nobody_could_trace_is_removed(
    demo: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manager = _manager(demo)
    report = _month(demo, manager)
    target = tmp_path / "m.pdf"

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("audit table locked")

    monkeypatch.setattr(report_files.audit, "record", broken)
    with pytest.raises(RuntimeError):
        ReportFileService(demo, manager).write(report, target, ReportFormat.PDF)
    assert not target.exists()


def test_printing_needs_the_right_to_print(demo: Database, tmp_path: Path) -> None:
    auditor = demo_principal(demo, "demo-auditor")  # may read reports, not print them
    report = _month(demo, auditor)
    files = ReportFileService(demo, auditor)

    assert files.render(report, ReportFormat.PDF).data.startswith(b"%PDF")  # a preview
    with pytest.raises(PermissionDenied):
        files.write(report, tmp_path / "m.pdf", ReportFormat.PDF)
    assert not (tmp_path / "m.pdf").exists()
    with pytest.raises(TypeError):
        files.render("not a report", ReportFormat.PDF)


@poppler
def test_western_dates_follow_the_setting(demo: Database, tmp_path: Path) -> None:
    manager = _manager(demo)
    report = _month(demo, manager)
    files = ReportFileService(demo, manager)
    first = report.period_from

    wareki = _pdf_text(files.write(report, tmp_path / "w.pdf", ReportFormat.PDF).path)
    SettingsService(demo, demo_principal(demo, "demo-admin")).set_western_dates(True)
    western = _pdf_text(files.write(report, tmp_path / "s.pdf", ReportFormat.PDF).path)

    assert SettingsService(demo, manager).western_dates()
    assert f"{first:%Y/%m/%d}〜" not in wareki and "令和" in wareki.split("\n")[1]
    assert f"{first:%Y/%m/%d}〜" in western
    with pytest.raises(PermissionDenied):
        SettingsService(demo, manager).set_western_dates(False)


def test_characters_outside_the_font_are_returned(demo: Database, tmp_path: Path) -> None:
    admin = demo_principal(demo, "demo-admin")
    business_id = BusinessService(demo, admin).add(BusinessInput(name="𠮷野商店"))
    report = ReportingService(demo, admin).business(str(business_id))

    written = ReportFileService(demo, admin).write(report, tmp_path / "k.pdf", ReportFormat.PDF)
    as_json = ReportFileService(demo, admin).write(report, tmp_path / "k.json", ReportFormat.JSON)

    assert written.missing == ("𠮷",)
    assert as_json.missing == ()
    assert "𠮷野商店" in as_json.path.read_text(encoding="utf-8")  # the data keeps the name
