"""``consult-desk export``, run in-process through ``cli.main`` on a demo database."""

import csv
import errno
import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from consult_desk.cli import main
from consult_desk.domain.import_values import ImportKind, known_columns
from consult_desk.domain.messages import message_for
from consult_desk.services import exports
from consult_desk.services.exports import EXPORTS, LOAN_COLUMNS

PASSWORD = "demo-password-for-export-tests"
HEADERS = [c.title for c in LOAN_COLUMNS]

Run = tuple[int, str, str]


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONSULT_DESK_DB", raising=False)  # never a developer's own database
    monkeypatch.setenv("CONSULT_DESK_PASSWORD", PASSWORD)


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One demo database for the module (the demo takes a moment); each test copies it."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    code = main(["--db", str(path), "demo", "--businesses", "150", f"--password={PASSWORD}"])
    assert code == 0
    yield path


@pytest.fixture
def demo_db(demo_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "desk.sqlite"
    path.write_bytes(demo_template.read_bytes())
    return path


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path, user: str = "demo-admin") -> Run:
    capsys.readouterr()
    try:
        code = main(["--user", user, *(str(a) for a in argv)])
    except SystemExit as exc:  # argparse refuses the command line itself
        code = int(exc.code or 0)
    got = capsys.readouterr()
    return code, got.out, got.err


def assert_user_error(result: Run, message: str | None = None) -> str:
    code, out, err = result
    assert code == 2
    assert "Traceback" not in out + err
    assert out == ""
    [line] = err.splitlines()
    assert line.startswith("エラー: ")
    if message is not None:
        assert line == f"エラー: {message}"
    return line


def query(path: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as source:
        return list(csv.reader(source))


def test_export_loans_as_csv(capsys: pytest.CaptureFixture[str], demo_db: Path, out: Path) -> None:
    target = out / "loans.csv"

    code, stdout, err = run(
        capsys, "--db", demo_db, "export", "loans", "--format", "csv", "-o", target
    )

    assert (code, err) == (0, "")
    [(cases,)] = query(demo_db, "SELECT count(*) FROM loan_case")
    assert stdout == f"融資あっせん案件を {cases:,} 件書き出しました: {target}\n"
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    header, *rows = read_csv(target)
    assert header == HEADERS
    assert len(rows) == cases
    assert [r[0] for r in rows] == [
        str(day) for (day,) in query(demo_db, "SELECT received_on FROM loan_case ORDER BY 1")
    ]
    assert query(
        demo_db,
        "SELECT count(*) FROM audit_log WHERE action = 'export' AND record_kind = 'loan_case'",
    ) == [(1,)]


def test_the_format_follows_the_file_name_and_the_period_filters(
    capsys: pytest.CaptureFixture[str], demo_db: Path, out: Path
) -> None:
    target = out / "2025.xlsx"

    code, stdout, err = run(
        capsys,
        "--db",
        demo_db,
        "export",
        "loans",
        "-o",
        target,
        "--from",
        "令和7年4月1日",
        "--to",
        "2026/3/31",
    )

    assert (code, err) == (0, "")
    [(expected,)] = query(
        demo_db,
        "SELECT count(*) FROM loan_case WHERE received_on BETWEEN '2025-04-01' AND '2026-03-31'",
    )
    assert f" {expected:,} 件" in stdout
    sheet = load_workbook(target, read_only=True).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    assert len(rows) == expected + 1
    received = [r[0] for r in rows[1:]]
    assert all(
        r is not None and "2025-04-01" <= r.date().isoformat() <= "2026-03-31" for r in received
    )


def test_an_existing_file_needs_force(
    capsys: pytest.CaptureFixture[str], demo_db: Path, out: Path
) -> None:
    target = out / "loans.csv"
    target.write_text("前の出力", encoding="utf-8")

    assert_user_error(
        run(capsys, "--db", demo_db, "export", "loans", "-o", target),
        "出力先のファイルがすでにあります。上書きするときは --force を指定してください。",
    )
    assert target.read_text(encoding="utf-8") == "前の出力"

    code, _, err = run(capsys, "--db", demo_db, "export", "loans", "-o", target, "--force")
    assert (code, err) == (0, "")
    assert read_csv(target)[0] == HEADERS
    assert [p.name for p in out.iterdir()] == ["loans.csv"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("-o", "{out}/loans.txt"), "--format"),
        (("-o", "{out}/loans.csv", "--from", "2026-04-01", "--to", "2026-03-31"), "--to"),
        (("-o", "{out}/missing/loans.csv"), "/missing/loans.csv（フォルダが存在しないか"),
        (("-o", "{out}/loans.csv", "--from", "四月一日"), "日付として読み取れません"),
        (("-o", "{out}/loans.csv", "--format", "pdf"), "--format: 'pdf' は指定できません"),
        (("-o", "{out}/loans.xlsx", "--format", "csv"), "拡張子（.xlsx）と --format csv が"),
        (("-o", "{out}/loans.csv", "--format", "xlsx"), "拡張子（.csv）と --format xlsx が"),
        (
            (
                "-o",
                "{out}",
            ),
            "出力先がフォルダです。ファイル名を指定してください。",
        ),
        (("-o", "{out}", "--format", "csv"), "出力先がフォルダです。"),
        (("-o", "{out}/loans.csv", "--bogus"), "解釈できない引数があります: --bogus"),
        (("-o",), "-o/--output: 値を1つ指定してください"),
        ((), "次の指定が必要です: -o/--output"),
    ],
)
def test_mistakes_are_one_japanese_line(
    capsys: pytest.CaptureFixture[str],
    demo_db: Path,
    out: Path,
    args: tuple[str, ...],
    fragment: str,
) -> None:
    argv = [a.replace("{out}", str(out)) for a in args]
    code, stdout, err = run(capsys, "--db", demo_db, "export", "loans", *argv)

    assert code == 2
    assert stdout == "" and "Traceback" not in err
    [line] = err.splitlines()
    assert line.startswith("エラー: ") and fragment in line
    assert list(out.iterdir()) == []


def test_a_missing_database_is_not_created(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, out: Path
) -> None:
    missing = tmp_path / "nothing.sqlite"

    line = assert_user_error(run(capsys, "--db", missing, "export", "loans", "-o", out / "x.csv"))

    assert "db upgrade" in line
    assert not missing.exists()
    assert list(out.iterdir()) == []


def test_a_consultant_may_not_export_loans(
    capsys: pytest.CaptureFixture[str], demo_db: Path, out: Path
) -> None:
    result = run(
        capsys, "--db", demo_db, "export", "loans", "-o", out / "x.csv", user="demo-consultant1"
    )

    assert_user_error(result, message_for("permission.denied"))
    assert list(out.iterdir()) == []
    assert query(demo_db, "SELECT count(*) FROM audit_log WHERE action = 'export'") == [(0,)]


def test_help_names_the_kinds(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["export", "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert "loans=融資あっせん案件" in text and "--force" in text


SUPPORT_KINDS = [
    ("dispatches", "専門家派遣", "expert_dispatch", "expert_dispatch"),
    ("street-support", "商店街支援記録", "street_support", "street_support"),
    ("subsidies", "補助金申請", "subsidy_application", "subsidy_application"),
]


@pytest.mark.parametrize(("kind", "label", "table", "record_kind"), SUPPORT_KINDS)
def test_export_support_kinds_as_a_consultant(
    capsys: pytest.CaptureFixture[str],
    demo_db: Path,
    out: Path,
    kind: str,
    label: str,
    table: str,
    record_kind: str,
) -> None:
    target = out / f"{kind}.csv"

    code, stdout, err = run(
        capsys, "--db", demo_db, "export", kind, "-o", target, user="demo-consultant1"
    )

    assert (code, err) == (0, "")
    [(count,)] = query(demo_db, f"SELECT count(*) FROM {table}")
    assert stdout == f"{label}を {count:,} 件書き出しました: {target}\n"
    header, *rows = read_csv(target)
    assert header == [c.title for c in EXPORTS[kind].columns]
    assert len(rows) == count > 0
    assert query(
        demo_db,
        "SELECT count(*) FROM audit_log WHERE action = 'export' AND record_kind = ?",
        record_kind,
    ) == [(1,)]


@pytest.mark.parametrize(("kind", "label", "table", "record_kind"), SUPPORT_KINDS)
def test_a_loan_officer_may_not_export_support_kinds(
    capsys: pytest.CaptureFixture[str],
    demo_db: Path,
    out: Path,
    kind: str,
    label: str,
    table: str,
    record_kind: str,
) -> None:
    result = run(capsys, "--db", demo_db, "export", kind, "-o", out / "x.xlsx", user="demo-loan")

    assert_user_error(result, message_for("permission.denied"))
    assert list(out.iterdir()) == []
    assert query(demo_db, "SELECT count(*) FROM audit_log WHERE action = 'export'") == [(0,)]


def test_support_kinds_export_to_xlsx_for_a_period(
    capsys: pytest.CaptureFixture[str], demo_db: Path, out: Path
) -> None:
    target = out / "subsidies.xlsx"

    code, stdout, err = run(
        capsys, "--db", demo_db, "export", "subsidies", "-o", target, "--from", "令和7年4月1日"
    )

    assert (code, err) == (0, "")
    [(expected,)] = query(
        demo_db, "SELECT count(*) FROM subsidy_application WHERE applied_on >= '2025-04-01'"
    )
    assert f"補助金申請を {expected:,} 件" in stdout
    sheet = load_workbook(target, read_only=True).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == expected + 1
    assert all(r[1] is not None and r[1].date().isoformat() >= "2025-04-01" for r in rows[1:])


def test_help_names_the_support_kinds(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    text = capsys.readouterr().out
    for kind, label, _, _ in SUPPORT_KINDS:
        assert f"{kind}={label}" in text.replace("\n", "").replace(" ", "")


@pytest.mark.parametrize(
    ("errno_code", "reason"),
    [
        (errno.EACCES, "フォルダが存在しないか、権限がありません"),
        (errno.ENOSPC, "ディスクの空きが足りません"),
    ],
)
def test_an_unwritable_target_names_the_users_file_and_leaves_nothing(
    capsys: pytest.CaptureFixture[str],
    demo_db: Path,
    out: Path,
    monkeypatch: pytest.MonkeyPatch,
    errno_code: int,
    reason: str,
) -> None:
    def broken(path: Path, headers: object, rows: object) -> int:
        path.write_text("half a file")
        raise OSError(errno_code, os.strerror(errno_code), str(path))

    monkeypatch.setattr(exports, "write_csv", broken)
    target = out / "loans.csv"

    result = run(capsys, "--db", demo_db, "export", "loans", "-o", target)

    assert_user_error(result, f"書き込めません: {target}（{reason}）")
    assert list(out.iterdir()) == []  # no temporary file either
    assert query(demo_db, "SELECT count(*) FROM audit_log WHERE action = 'export'") == [(0,)]


def test_format_may_name_a_file_without_a_known_suffix(
    capsys: pytest.CaptureFixture[str], demo_db: Path, out: Path
) -> None:
    code, _, err = run(
        capsys, "--db", demo_db, "export", "loans", "--format", "csv", "-o", out / "x.txt"
    )
    assert (code, err) == (0, "")
    assert read_csv(out / "x.txt")[0] == HEADERS


def test_help_tells_excel_users_to_choose_xlsx_for_the_corporate_number(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    text = "".join(capsys.readouterr().out.split())  # help lines wrap anywhere
    assert "法人番号" in text and "xlsx" in text


RECORD_KINDS = [
    ("businesses", "事業者", "business", "SELECT count(*) FROM business WHERE deleted_at IS NULL"),
    (
        "consultations",
        "相談記録",
        "consultation",
        "SELECT count(*) FROM consultation WHERE deleted_at IS NULL",
    ),
]


@pytest.mark.parametrize(("kind", "label", "record_kind", "count_sql"), RECORD_KINDS)
def test_export_businesses_and_consultations_in_the_imports_columns(
    capsys: pytest.CaptureFixture[str],
    demo_db: Path,
    out: Path,
    kind: str,
    label: str,
    record_kind: str,
    count_sql: str,
) -> None:
    target = out / f"{kind}.csv"

    code, stdout, err = run(
        capsys, "--db", demo_db, "export", kind, "--format", "csv", "-o", target
    )

    assert (code, err) == (0, "")
    [(count,)] = query(demo_db, count_sql)
    assert stdout == f"{label}を {count:,} 件書き出しました: {target}\n"
    header, *rows = read_csv(target)
    assert header == list(known_columns(ImportKind(kind)))
    assert len(rows) == count > 0
    assert query(
        demo_db,
        "SELECT count(*) FROM audit_log WHERE action = 'export' AND record_kind = ?",
        record_kind,
    ) == [(1,)]


def test_consultations_of_a_period_in_japanese_dates_as_a_consultant(
    capsys: pytest.CaptureFixture[str], demo_db: Path, out: Path
) -> None:
    target = out / "consultations.xlsx"

    code, stdout, err = run(
        capsys,
        "--db",
        demo_db,
        "export",
        "consultations",
        "-o",
        target,
        "--from",
        "令和7年4月1日",
        "--to",
        "R8.3.31",
        user="demo-consultant1",
    )

    assert (code, err) == (0, "")
    [(expected,)] = query(
        demo_db,
        "SELECT count(*) FROM consultation WHERE deleted_at IS NULL"
        " AND consulted_on BETWEEN '2025-04-01' AND '2026-03-31'",
    )
    assert f"相談記録を {expected:,} 件" in stdout
    sheet = load_workbook(target, read_only=True).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == expected + 1 > 1
    assert all(
        r[0] is not None and "2025-04-01" <= r[0].date().isoformat() <= "2026-03-31"
        for r in rows[1:]
    )
    [(changes,)] = query(
        demo_db, "SELECT changes FROM audit_log WHERE action = 'export' ORDER BY id DESC LIMIT 1"
    )
    assert json.loads(str(changes))["period"] == [None, "2025-04-01〜2026-03-31"]


def test_an_auditor_may_not_export_businesses(
    capsys: pytest.CaptureFixture[str], demo_db: Path, out: Path
) -> None:
    result = run(
        capsys, "--db", demo_db, "export", "businesses", "-o", out / "b.csv", user="demo-auditor"
    )

    assert_user_error(result, message_for("permission.denied"))
    assert list(out.iterdir()) == []


def test_help_names_every_list(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    text = "".join(capsys.readouterr().out.split())
    for kind in (
        "businesses",
        "consultations",
        "loans",
        "dispatches",
        "street-support",
        "subsidies",
    ):
        assert f"{kind}={EXPORTS[kind].label}（期間は{EXPORTS[kind].period}）" in text
