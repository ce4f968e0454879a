"""``consult-desk report …``: every report in PDF, xlsx or JSON, the format from the file name,
periods typed in 和暦 too, Japanese errors, and a warning for characters the font lacks."""

import json
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from consult_desk.cli import main
from consult_desk.db.engine import Database
from consult_desk.domain.businesses import BusinessInput
from consult_desk.domain.fiscal import fiscal_year, fiscal_year_range, japan_today
from consult_desk.domain.permissions import SETUP
from consult_desk.services.businesses import BusinessService


@pytest.fixture
def base(db: Database, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The command line on a database without accounts (set-up runs without signing in)."""
    monkeypatch.delenv("CONSULT_DESK_DB", raising=False)
    db.dispose()
    return ["--db", str(db_path), "report"]


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def _business(db: Database, name: str, number: str = "") -> int:
    return BusinessService(db, SETUP).add(BusinessInput(name=name, corporate_number=number))


@pytest.mark.parametrize("suffix", ["pdf", "xlsx", "json"])
def test_the_format_comes_from_the_file_name(
    base: list[str], out: Path, suffix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    target = out / f"月次.{suffix}"

    assert main([*base, "monthly", "2026-10", "-o", str(target)]) == 0

    head = target.read_bytes()[:4]
    assert head == {"pdf": b"%PDF", "xlsx": b"PK\x03\x04", "json": b"{\n  "}[suffix]
    assert "2026年10月の月次報告を書き出しました" in capsys.readouterr().out


def test_fiscal_year_as_xlsx_has_a_sheet_per_section(base: list[str], out: Path) -> None:
    target = out / "年度.xlsx"

    assert main([*base, "fiscal-year", "2026", "-o", str(target), "--format", "xlsx"]) == 0

    workbook = load_workbook(target)
    assert len(workbook.sheetnames) > 1
    assert workbook.worksheets[0]["A1"].value.startswith("年度報告")


def test_an_unclear_or_contradicting_format_is_refused(
    base: list[str], out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain, pdf = out / "report", out / "report.pdf"

    assert main([*base, "monthly", "2026-10", "-o", str(plain)]) == 2
    assert "--format pdf" in capsys.readouterr().err
    assert main([*base, "monthly", "2026-10", "-o", str(pdf), "--format", "json"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "一致しません" in err
    assert main([*base, "monthly", "2026-10", "-o", str(plain), "--format", "pdf"]) == 0
    assert plain.read_bytes().startswith(b"%PDF")
    assert not pdf.exists()


def test_an_existing_file_needs_force(
    base: list[str], out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = out / "m.pdf"
    target.write_bytes(b"keep")

    assert main([*base, "monthly", "2026-10", "-o", str(target)]) == 2
    assert "--force" in capsys.readouterr().err
    assert target.read_bytes() == b"keep"
    assert main([*base, "monthly", "2026-10", "-o", str(target), "--force"]) == 0
    assert target.read_bytes().startswith(b"%PDF")


def test_initiative_defaults_to_this_fiscal_year_to_date(base: list[str], out: Path) -> None:
    target = out / "施策.json"
    today = japan_today()

    assert main([*base, "initiative", "1-1-1", "-o", str(target)]) == 0

    data = json.loads(target.read_text(encoding="utf-8"))
    first, _ = fiscal_year_range(fiscal_year(today))
    assert data["period"] == {"from": first.isoformat(), "to": today.isoformat()}
    assert data["initiative"]["code"] == "1-1-1"


def test_periods_may_be_typed_in_wareki(base: list[str], out: Path) -> None:
    target = out / "一覧.json"

    code = main(
        [*base, "overview", "--from", "R8.4.1", "--to", "令和8年10月31日", "-o", str(target)]
    )

    assert code == 0
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["period"] == {"from": "2026-04-01", "to": "2026-10-31"}
    assert data["report"] == "initiative_overview"


def test_a_period_ending_before_it_starts_is_refused(
    base: list[str], out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = out / "x.pdf"

    code = main([*base, "initiative", "1-1-1", "--from", "2026-10-01", "--to", "2026-09-30",
                 "-o", str(target)])  # fmt: skip

    assert code == 2
    assert "--to" in capsys.readouterr().err
    assert not target.exists()


def test_an_unknown_initiative_is_a_japanese_error(
    base: list[str], out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = out / "x.pdf"

    assert main([*base, "initiative", "9-9-9", "-o", str(target)]) == 2

    err = capsys.readouterr().err
    assert err.startswith("エラー: ") and "施策" in err and err.count("\n") == 1
    assert not target.exists()


def test_a_business_is_found_by_its_corporate_number(
    base: list[str], db: Database, out: Path
) -> None:
    business_id = _business(db, "国税庁", "7000012050002")
    by_number, by_id = out / "a.json", out / "b.json"

    assert main([*base, "business", "7000-0120-50002", "-o", str(by_number)]) == 0
    assert main([*base, "business", str(business_id), "-o", str(by_id)]) == 0

    assert json.loads(by_number.read_text(encoding="utf-8"))["business"]["name"] == "国税庁"
    assert by_number.read_text(encoding="utf-8") == by_id.read_text(encoding="utf-8")


@pytest.mark.parametrize("key", ["999", "9180301018772", "1180301018772", "12-34", "abc"])
def test_an_unknown_business_is_a_japanese_error(
    base: list[str], out: Path, key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    target = out / "k.pdf"

    assert main([*base, "business", key, "-o", str(target)]) == 2

    err = capsys.readouterr().err
    assert err.startswith("エラー: ") and err.count("\n") == 1
    assert "事業者" in err or "法人番号" in err
    assert not target.exists()


def test_characters_outside_the_font_are_warned_about(
    base: list[str], db: Database, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    business_id = _business(db, "𠮷野商店")
    target = out / "karte.pdf"

    assert main([*base, "business", str(business_id), "-o", str(target)]) == 0

    captured = capsys.readouterr()
    assert target.read_bytes().startswith(b"%PDF")  # written all the same
    assert "〓" in captured.err and "𠮷" in captured.err
    assert "事業者カルテを書き出しました" in captured.out


def test_a_period_given_only_its_start_ends_today(base: list[str], out: Path) -> None:
    """The default period ends today in Japan even when --from alone is given."""
    target = out / "x.json"
    start = japan_today().replace(day=1)

    assert main([*base, "overview", "--from", start.isoformat(), "-o", str(target)]) == 0

    period = json.loads(target.read_text(encoding="utf-8"))["period"]
    assert period["from"] == start.isoformat()
    assert date.fromisoformat(period["to"]) == japan_today()
