"""``consult-desk import``, run in-process through ``cli.main`` on real SQLite files."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from consult_desk.cli import main
from consult_desk.db.engine import Database
from consult_desk.domain.messages import message_for
from consult_desk.domain.permissions import Role
from consult_desk.services.staff import NewStaff, StaffService
from tests.loan_setup import make_loan_world

DATA = Path(__file__).resolve().parent.parent / "data" / "import"
PASSWORD = "import-tests-password-1"

Run = tuple[int, str, str]


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONSULT_DESK_DB", raising=False)  # never a developer's own database
    monkeypatch.setenv("CONSULT_DESK_PASSWORD", PASSWORD)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    folder = tmp_path / "files"
    shutil.copytree(DATA, folder)
    return folder


@pytest.fixture
def desk(tmp_path: Path, migrated_template: Path) -> Path:
    """A database with no account yet (commands run as the set-up administrator), the loan
    fund and banks, and 佐藤 花子 for the consultations."""
    path = tmp_path / "desk.sqlite"
    shutil.copyfile(migrated_template, path)
    db = Database(f"sqlite:///{path}")
    make_loan_world(db)
    db.dispose()
    return path


def run(capsys: pytest.CaptureFixture[str], desk: Path, *argv: str | Path) -> Run:
    capsys.readouterr()
    try:
        code = main(["--db", str(desk), *(str(a) for a in argv)])
    except SystemExit as exc:  # argparse refuses the command line itself
        code = int(exc.code or 0)
    got = capsys.readouterr()
    return code, got.out, got.err


def query(path: Path, sql: str) -> list[tuple[object, ...]]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def test_a_clean_file_is_imported_and_the_summary_says_how_to_undo(
    capsys: pytest.CaptureFixture[str], desk: Path, files: Path
) -> None:
    code, out, err = run(capsys, desk, "import", "businesses", files / "businesses_cp932.csv")

    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "事業者を 5 件取り込みました（取込番号 1、businesses_cp932.csv）。"
        "更新 0 件、見送り 0 件、取り込めなかった行 0 件。",
        "取り消すときは: consult-desk import undo 1",
    ]
    assert query(desk, "SELECT COUNT(*) FROM business WHERE import_batch_id = 1") == [(5,)]


def test_every_error_is_listed_and_nothing_is_written(
    capsys: pytest.CaptureFixture[str], desk: Path, files: Path
) -> None:
    code, out, err = run(capsys, desk, "import", "businesses", files / "businesses_messy.csv")

    assert (code, out) == (1, "")
    lines = err.splitlines()
    assert lines[:5] == [
        "1行目 代表者携帯「代表者携帯」: " + message_for("import.unknown_column"),
        "2行目 法人番号「8010001034568」: " + message_for("corporate_number.check_digit"),
        "3行目 設立日「2021-02-31」: " + message_for("import.date_impossible"),
        "4行目 資本金「-500万円」: " + message_for("negative"),
        "5行目 事業者名: " + message_for("required"),
    ]
    assert lines[-2].startswith("列の読み替えは --map '列名=項目'")
    assert lines[-1] == (
        "エラー: 5 件の問題があるため、何も取り込みませんでした（4 行のうち 4 行）。"
    )
    assert query(desk, "SELECT COUNT(*) FROM business") == [(1,)]  # the loan world's own
    assert query(desk, "SELECT COUNT(*) FROM import_batch") == [(0,)]


def test_skip_invalid_and_map_import_the_good_rows_and_save_the_others(
    capsys: pytest.CaptureFixture[str], desk: Path, files: Path
) -> None:
    code, out, err = run(
        capsys,
        desk,
        "import",
        "businesses",
        files / "businesses_messy.csv",
        "--skip-invalid",
        "--map",
        "代表者携帯=",
    )

    assert code == 0
    rejected = files / "businesses_messy_取込エラー.csv"
    assert f"取り込めなかった行（理由付き）: {rejected}" in out.splitlines()
    assert rejected.exists()
    assert "取り込めなかった行 4 件" in out
    assert len(err.splitlines()) == 4


def test_a_dry_run_reports_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], desk: Path, files: Path
) -> None:
    code, out, _ = run(
        capsys, desk, "import", "businesses", files / "businesses_cp932.csv", "--dry-run"
    )
    assert code == 0
    assert out.startswith("確認のみ（--dry-run）: 事業者 5 行のうち、取り込める行 5")
    assert query(desk, "SELECT COUNT(*) FROM import_batch") == [(0,)]


def test_update_skip_and_the_notice_for_each_existing_business(
    capsys: pytest.CaptureFixture[str], desk: Path, files: Path
) -> None:
    source = files / "businesses_cp932.csv"
    run(capsys, desk, "import", "businesses", source)

    code, out, _ = run(capsys, desk, "import", "businesses", source)
    assert code == 0
    assert sum("同じ法人番号の事業者が登録済み" in line for line in out.splitlines()) == 3
    assert "見送り 3 件" in out

    code, out, _ = run(capsys, desk, "import", "businesses", source, "--update")
    assert code == 0
    assert "更新 3 件" in out


def test_loans_from_an_xlsx_and_undo_of_the_batch(
    capsys: pytest.CaptureFixture[str], desk: Path, files: Path
) -> None:
    run(capsys, desk, "import", "businesses", files / "businesses_cp932.csv")
    code, out, err = run(capsys, desk, "import", "loans", files / "loans.xlsx")
    assert (code, err) == (0, "")
    assert "融資あっせん案件を 4 件取り込みました（取込番号 2" in out

    code, out, _ = run(capsys, desk, "import", "list")
    assert code == 0
    assert [line.split("\t")[0] for line in out.splitlines()] == ["2", "1"]

    code, out, _ = run(capsys, desk, "import", "undo", "2")
    assert (code, out.splitlines()[0]) == (
        0,
        "取込 2 を取り消しました: 融資あっせん案件 4 件を削除。",
    )
    assert query(desk, "SELECT COUNT(*) FROM loan_case") == [(0,)]

    code, out, err = run(capsys, desk, "import", "undo", "2")
    assert (code, err.strip()) == (2, "エラー: " + message_for("import.already_undone"))


def test_undo_is_refused_while_later_records_depend_on_the_batch(
    capsys: pytest.CaptureFixture[str], desk: Path, files: Path
) -> None:
    run(capsys, desk, "import", "businesses", files / "businesses_cp932.csv")
    run(capsys, desk, "import", "loans", files / "loans.xlsx")

    code, _, err = run(capsys, desk, "import", "undo", "1")

    assert code == 2
    assert err.strip() == (
        "エラー: " + message_for("import.undo_dependents") + "（融資あっせん案件 4件）"
    )


def test_consultations_with_create_missing_list_the_new_master_records(
    capsys: pytest.CaptureFixture[str], desk: Path, files: Path
) -> None:
    run(capsys, desk, "import", "businesses", files / "businesses_cp932.csv")
    source = files / "consultations_utf8_bom.csv"

    code, _, err = run(capsys, desk, "import", "consultations", source)
    assert code == 1
    assert "2行目 担当者「佐藤 花子」: 登録されていない担当者です。（登録がありません）" in err

    code, _, err = run(capsys, desk, "import", "consultations", source, "--create-missing")
    assert code == 1  # the set-up administrator is nobody: a blank 担当者 stays an error
    assert "4行目 担当者: " + message_for("required") in err.splitlines()

    code, out, _ = run(
        capsys, desk, "import", "consultations", source, "--create-missing", "--skip-invalid"
    )
    assert code == 0
    assert "新しく登録したマスタ: 職員「佐藤 花子」" in out


def test_mistakes_on_the_command_line_are_one_japanese_line(
    capsys: pytest.CaptureFixture[str], desk: Path, files: Path, tmp_path: Path
) -> None:
    code, _, err = run(capsys, desk, "import", "streets", files / "x.csv")
    assert code == 2 and err.startswith("エラー: ") and "Traceback" not in err

    code, _, err = run(capsys, desk, "import", "businesses", tmp_path / "missing.csv")
    assert (code, err.strip()) == (2, "エラー: " + message_for("import.unreadable"))

    code, _, err = run(
        capsys, desk, "import", "businesses", files / "businesses_cp932.csv", "--map", "a=b"
    )
    assert code == 2 and "--map の項目「b」はありません" in err

    code, _, err = run(capsys, tmp_path / "none.sqlite", "import", "list")
    assert code == 2 and "データベースがありません" in err


def test_a_consultant_may_import_businesses_but_not_loans(
    capsys: pytest.CaptureFixture[str], desk: Path, files: Path
) -> None:
    db = Database(f"sqlite:///{desk}")
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    staff = StaffService(db, hasher)
    admin = staff.add_first_admin(NewStaff("admin", "管理 太郎", (Role.ADMIN,), PASSWORD))
    staff.add(admin, NewStaff("sato", "佐藤 花子", (Role.CONSULTANT,), PASSWORD))
    db.dispose()

    code, out, _ = run(
        capsys, desk, "--user", "sato", "import", "businesses", files / "businesses_cp932.csv"
    )
    assert code == 0 and "5 件取り込みました" in out
    code, _, err = run(capsys, desk, "--user", "sato", "import", "loans", files / "loans.xlsx")
    assert (code, err.strip()) == (2, "エラー: " + message_for("permission.denied"))
    code, _, err = run(capsys, desk, "--user", "sato", "import", "undo", "1")
    assert (code, err.strip()) == (2, "エラー: " + message_for("permission.denied"))
    # A blank 担当者 is the one importing.
    code, out, _ = run(
        capsys,
        desk,
        "--user",
        "sato",
        "import",
        "consultations",
        files / "consultations_utf8_bom.csv",
    )
    assert code == 0
    assert query(
        desk,
        "SELECT COUNT(*) FROM consultation JOIN staff ON staff.id = consultation.staff_id"
        " WHERE staff.login = 'sato'",
    ) == [(3,)]
