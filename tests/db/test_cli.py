"""The ``consult-desk`` command line, run in-process through ``cli.main`` on real SQLite files.

One test starts a subprocess (``python -m consult_desk --version``); everything else calls
``main([...])`` and reads the files it wrote with the plain ``sqlite3`` module.
"""

import hashlib
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from consult_desk import __version__
from consult_desk.cli import main
from consult_desk.db.engine import Database
from consult_desk.db.migrate import head_revision, upgrade_to_head
from consult_desk.domain.corporate_number import is_valid_corporate_number
from consult_desk.domain.fiscal import fiscal_year, fiscal_year_range
from consult_desk.domain.messages import message_for
from consult_desk.services import demo as demo_module

PLAN_JSON = Path(__file__).resolve().parents[2] / "resources" / "reference" / "plan.json"

Run = tuple[int, str, str]


@pytest.fixture(autouse=True)
def _no_database_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every test passes --db (or sets the variable itself); a developer's own setting must
    # never point a test at a real database.
    monkeypatch.delenv("CONSULT_DESK_DB", raising=False)
    # Commands on a database with accounts run as the demo administrator (see run()).
    monkeypatch.setenv("CONSULT_DESK_PASSWORD", DEMO_PASSWORD)


DEMO_PASSWORD = "demo-password-for-tests"


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> Run:
    """main() as the demo administrator; ``demo`` gets a known password instead of a random
    one. Set-up commands ignore --user while no account exists."""
    capsys.readouterr()  # drop anything printed before
    args = [str(a) for a in argv]
    if "--user" not in args:
        args = ["--user", "demo-admin", *args]
    if "demo" in args:
        args.append(f"--password={DEMO_PASSWORD}")
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def assert_user_error(result: Run, message: str | None = None) -> str:
    """Exit 2, one Japanese line on stderr, nothing on stdout, no traceback anywhere."""
    code, out, err = result
    assert code == 2
    assert "Traceback" not in out + err
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("エラー: ")
    if message is not None:
        assert lines[0] == f"エラー: {message}"
    return lines[0]


def query(path: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def copy_current(template: Path, path: Path) -> Path:
    """A database at this build's schema (the session's migrated template, copied)."""
    shutil.copyfile(template, path)
    return path


# --- initiatives -----------------------------------------------------------------------------


def _expected_initiative(item: dict[str, Any]) -> dict[str, Any]:
    expected = {"code": item["code"], "title": item["title"], "owners": item["owners"]}
    if "owners_note" in item:  # only where the plan has one (4-1-1: 「、他」)
        expected["owners_note"] = item["owners_note"]
    return expected


def _expected_plan() -> list[dict[str, Any]]:
    plan = json.loads(PLAN_JSON.read_text(encoding="utf-8"))
    return [
        {
            "code": basic["code"],
            "title": basic["title"],
            "policies": [
                {
                    "code": policy["code"],
                    "title": policy["title"],
                    "initiatives": [_expected_initiative(item) for item in policy["initiatives"]],
                }
                for policy in basic["policies"]
            ],
        }
        for basic in plan["basic_policies"]
    ]


def _initiatives(plan: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [i for b in plan for p in b["policies"] for i in p["initiatives"]]


def test_initiatives_json_reproduces_the_plan(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, "--db", tmp_path / "desk.sqlite", "initiatives", "--json")

    assert code == 0
    assert err == ""
    got = json.loads(out)
    expected = _expected_plan()
    assert got == expected  # order, codes, titles, owners, owners_note only where the plan has it
    assert len(got) == 4
    assert sum(len(b["policies"]) for b in got) == 11
    items = _initiatives(got)
    assert len(items) == 24
    assert len({i["code"] for i in items}) == 24
    assert [i["code"] for i in items if "owners_note" in i] == [
        i["code"] for i in _initiatives(expected) if "owners_note" in i
    ]
    assert all(i["owners"] for i in items)
    # The command built the new file on the way (initiatives opens like the app does).
    assert query(tmp_path / "desk.sqlite", "SELECT version_num FROM alembic_version") == [
        (head_revision(),)
    ]


def test_initiatives_text_lists_every_title_with_its_owners(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, migrated_template: Path
) -> None:
    path = copy_current(migrated_template, tmp_path / "desk.sqlite")

    code, out, err = run(capsys, "--db", path, "initiatives")

    assert code == 0
    assert err == ""
    lines = out.splitlines()
    expected = _expected_plan()
    for basic in expected:
        assert f"基本方針{basic['code']} {basic['title']}" in lines
        for policy in basic["policies"]:
            assert f"  個別方針{policy['code']} {policy['title']}" in lines
            for item in policy["initiatives"]:
                [line] = [x for x in lines if x.startswith(f"    {item['code']} ")]
                assert f"{item['code']} {item['title']}（所管: " in line
                for owner in item["owners"]:
                    assert owner in line
                if "owners_note" in item:
                    assert item["owners_note"] in line
    assert len(lines) == 4 + 11 + 24


# --- demo ------------------------------------------------------------------------------------


def _demo_contents(path: Path) -> dict[str, Any]:
    return {
        "names": query(path, "SELECT name FROM business ORDER BY id"),
        "numbers": query(path, "SELECT corporate_number FROM business ORDER BY id"),
        "consultations": query(
            path,
            "SELECT b.id, count(c.id) FROM business b"
            " LEFT JOIN consultation c ON c.business_id = b.id GROUP BY b.id ORDER BY b.id",
        ),
    }


def test_demo_is_deterministic_for_a_seed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    first, second, other = (tmp_path / f"{n}.sqlite" for n in ("a", "b", "c"))

    results = [
        run(capsys, "--db", first, "demo", "--seed", "7", "--businesses", "40"),
        run(capsys, "--db", second, "demo", "--seed", "7", "--businesses", "40"),
        run(capsys, "--db", other, "demo", "--seed", "8", "--businesses", "40"),
    ]

    assert [code for code, _, _ in results] == [0, 0, 0]
    a, b, c = (_demo_contents(p) for p in (first, second, other))
    assert len(a["names"]) == 40
    assert a == b
    assert sum(n for _, n in a["consultations"]) > 0
    assert a["names"] != c["names"]
    assert results[0][1] == results[1][1]  # the same summary, too


def test_demo_data_is_valid_and_the_summary_names_the_counts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "desk.sqlite"

    code, out, err = run(capsys, "--db", path, "demo", "--seed", "7", "--businesses", "40")

    assert code == 0
    assert err == ""
    businesses = query(path, "SELECT count(*) FROM business")[0][0]
    consultations = query(path, "SELECT count(*) FROM consultation")[0][0]
    staff = query(path, "SELECT count(*) FROM staff")[0][0]
    assert businesses == 40
    assert consultations > 0
    match = re.search(r"職員 (\d+) 名、事業者 ([\d,]+) 件、相談 ([\d,]+) 件", out)
    assert match, out
    assert int(match[1]) == staff == len(demo_module.DEMO_STAFF)
    assert int(match[2].replace(",", "")) == businesses
    assert int(match[3].replace(",", "")) == consultations

    numbers = [n for (n,) in query(path, "SELECT corporate_number FROM business") if n]
    assert numbers  # 70 % of demo businesses are corporations
    assert all(is_valid_corporate_number(n) for n in numbers)
    assert len(set(numbers)) == len(numbers)

    towns = dict(query(path, "SELECT id, postal_code FROM town"))
    for town_id, postal_code in query(path, "SELECT town_id, postal_code FROM business"):
        assert town_id in towns
        assert postal_code == towns[town_id]

    today = date.today()
    start, _ = fiscal_year_range(fiscal_year(today) - 1)
    days = [date.fromisoformat(d) for (d,) in query(path, "SELECT consulted_on FROM consultation")]
    assert len(days) == consultations
    assert all(start <= d <= today for d in days), (start, min(days), max(days))
    assert [d for d in days if d.weekday() >= 5] == []

    # Every consultation belongs to a demo business and has a primary topic and an initiative.
    assert query(
        path,
        "SELECT count(*) FROM consultation c WHERE NOT EXISTS"
        " (SELECT 1 FROM consultation_topic_link l WHERE l.consultation_id = c.id"
        " AND l.is_primary)",
    ) == [(0,)]
    assert query(path, "SELECT count(*) FROM consultation_initiative") == [(consultations,)]


def test_demo_never_uses_a_weekend_when_the_period_starts_on_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo_module, "japan_today", lambda: date(2024, 5, 1))
    path = tmp_path / "desk.sqlite"

    # Many consultations per business so that the first two days of the period are drawn.
    code, _, _ = run(
        capsys, "--db", path, "demo", "--businesses", "20", "--consultations-per-business", "100"
    )

    assert code == 0
    days = [date.fromisoformat(d) for (d,) in query(path, "SELECT consulted_on FROM consultation")]
    assert min(days) >= date(2023, 4, 1)
    assert max(days) <= date(2024, 5, 1)
    assert [d for d in days if d.weekday() >= 5] == []


def test_demo_with_a_negative_count_is_a_user_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, migrated_template: Path
) -> None:
    path = copy_current(migrated_template, tmp_path / "desk.sqlite")

    assert_user_error(run(capsys, "--db", path, "demo", "--businesses", "-1"))

    assert query(path, "SELECT count(*) FROM business") == [(0,)]
    assert query(path, "SELECT count(*) FROM staff") == [(0,)]
    assert query(path, "SELECT count(*) FROM audit_log") == [(0,)]


# --- db upgrade / check / backup -------------------------------------------------------------


def test_db_upgrade_builds_a_new_file_then_says_it_is_current(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "sub" / "desk.sqlite"

    code, out, err = run(capsys, "--db", path, "db", "upgrade")

    assert (code, out, err) == (0, "データベースを最新の形式にしました。\n", "")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert query(path, "SELECT version_num FROM alembic_version") == [(head_revision(),)]
    assert query(path, "SELECT count(*) FROM initiative") == [(24,)]
    assert not (path.parent / "backups").exists()  # nothing to back up in a new file

    code, out, err = run(capsys, "--db", path, "db", "check")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "OK スキーマ",
        "OK 整合性",
        "OK 外部キー",
        "OK 監査ログ",
    ]
    assert f"{head_revision()}（この版: {head_revision()}、状態: current）" in lines[0]

    code, out, err = run(capsys, "--db", path, "db", "upgrade")
    assert (code, out, err) == (0, "データベースはすでに最新です。\n", "")
    assert not (path.parent / "backups").exists()


def test_db_upgrade_backs_up_an_older_file_first(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "old.sqlite"
    database = Database(f"sqlite:///{path}")
    upgrade_to_head(database.engine, "0001")
    database.dispose()

    code, out, err = run(capsys, "--db", path, "db", "upgrade")

    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "データベースを最新の形式にしました。"
    assert lines[1].startswith("更新前のバックアップ: ")
    backup = Path(lines[1].removeprefix("更新前のバックアップ: "))
    assert backup.parent == tmp_path / "backups"
    assert backup.name.startswith(f"old-pre-{head_revision()}-")
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert query(backup, "SELECT version_num FROM alembic_version") == [("0001",)]
    assert query(path, "SELECT version_num FROM alembic_version") == [(head_revision(),)]


def test_db_backup_writes_a_private_copy_under_backups(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "desk.sqlite"
    assert run(capsys, "--db", path, "demo", "--businesses", "3")[0] == 0

    code, out, err = run(capsys, "--db", path, "db", "backup")

    assert (code, err) == (0, "")
    assert out.startswith("バックアップを作成しました: ")
    backup = Path(out.strip().removeprefix("バックアップを作成しました: "))
    assert backup.parent == tmp_path / "backups"
    assert backup.name.startswith("desk-manual-")
    assert list((tmp_path / "backups").iterdir()) == [backup]
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert query(backup, "PRAGMA integrity_check") == [("ok",)]
    assert query(backup, "SELECT name FROM business ORDER BY id") == query(
        path, "SELECT name FROM business ORDER BY id"
    )


def test_db_backup_to_an_existing_file_is_a_user_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, migrated_template: Path
) -> None:
    path = copy_current(migrated_template, tmp_path / "desk.sqlite")
    target = tmp_path / "copies" / "desk-copy.sqlite"

    code, out, err = run(capsys, "--db", path, "db", "backup", "--to", target)
    assert (code, err) == (0, "")
    assert out == f"バックアップを作成しました: {target}\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    before = digest(target)

    result = run(capsys, "--db", path, "db", "backup", "--to", target)

    assert_user_error(result, message_for("backup.target_exists"))
    assert digest(target) == before
    assert query(target, "SELECT version_num FROM alembic_version") == [(head_revision(),)]


def test_db_backup_of_a_missing_file_is_a_user_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "nothing-here.sqlite"

    line = assert_user_error(run(capsys, "--db", path, "db", "backup"))

    assert "db upgrade" in line
    assert not (tmp_path / "backups").exists()


def test_db_check_detects_a_tampered_audit_entry(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "desk.sqlite"
    assert run(capsys, "--db", path, "demo", "--businesses", "3")[0] == 0
    code, out, _ = run(capsys, "--db", path, "db", "check")
    assert code == 0
    # The demo import, then the sign-in of the check itself.
    assert "OK 監査ログ: 2 件" in out.splitlines()
    [(entry_id, changes)] = query(path, "SELECT id, changes FROM audit_log WHERE action='import'")
    assert changes != "{}"

    connection = sqlite3.connect(path)
    with connection:
        connection.execute("UPDATE audit_log SET changes = '{}' WHERE id = ?", (entry_id,))
    connection.close()

    code, out, err = run(capsys, "--db", path, "db", "check")

    assert code == 1
    assert err == ""
    lines = out.splitlines()
    assert f"NG 監査ログ: {entry_id} 件、ID {entry_id} で改ざんを検出" in lines
    assert "OK 整合性: ok" in lines  # only the audit chain is broken


# --- databases this build must refuse --------------------------------------------------------


def test_a_database_from_a_newer_build_is_refused_untouched(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, migrated_template: Path
) -> None:
    path = copy_current(migrated_template, tmp_path / "desk.sqlite")
    connection = sqlite3.connect(path)
    with connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    before = digest(path)

    assert_user_error(run(capsys, "--db", path, "initiatives"), message_for("schema.too_new"))
    assert_user_error(run(capsys, "--db", path, "db", "upgrade"), message_for("schema.too_new"))
    code, out, _ = run(capsys, "--db", path, "db", "check")

    assert code == 1
    assert out.splitlines() == [f"NG スキーマ: 9999（この版: {head_revision()}、状態: too_new）"]
    assert digest(path) == before
    assert query(path, "SELECT version_num FROM alembic_version") == [("9999",)]
    assert not (tmp_path / "backups").exists()


def _foreign_file(path: Path) -> Path:
    connection = sqlite3.connect(path)
    with connection:
        connection.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        connection.execute("INSERT INTO notes (body) VALUES ('買い物リスト')")
    connection.close()
    return path


def test_a_foreign_sqlite_file_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _foreign_file(tmp_path / "notes.sqlite")

    line = assert_user_error(run(capsys, "--db", path, "initiatives"))
    assert line == "エラー: このファイルは consult-desk のデータベースではありません。"
    assert_user_error(
        run(capsys, "--db", path, "demo", "--businesses", "1"), message_for("schema.foreign")
    )
    assert_user_error(run(capsys, "--db", path, "db", "upgrade"), message_for("schema.foreign"))

    tables = {name for (name,) in query(path, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"notes"}
    assert query(path, "SELECT body FROM notes") == [("買い物リスト",)]


def test_a_refused_foreign_file_is_left_byte_for_byte(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _foreign_file(tmp_path / "notes.sqlite")
    before = digest(path)

    assert_user_error(run(capsys, "--db", path, "initiatives"))

    assert digest(path) == before
    assert query(path, "PRAGMA journal_mode") == [("delete",)]


def test_an_unusable_database_path_is_a_user_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    not_a_folder = tmp_path / "file.txt"
    not_a_folder.write_text("x", encoding="utf-8")

    assert_user_error(run(capsys, "--db", not_a_folder / "desk.sqlite", "initiatives"))


# --- where the database is -------------------------------------------------------------------


def test_the_environment_variable_replaces_db(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "from-env.sqlite"
    monkeypatch.setenv("CONSULT_DESK_DB", str(path))

    code, out, _ = run(capsys, "db", "upgrade")

    assert (code, out) == (0, "データベースを最新の形式にしました。\n")
    assert query(path, "SELECT version_num FROM alembic_version") == [(head_revision(),)]


def test_db_wins_over_the_environment_variable(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from_env, given = tmp_path / "from-env.sqlite", tmp_path / "given.sqlite"
    monkeypatch.setenv("CONSULT_DESK_DB", str(from_env))

    assert run(capsys, "--db", given, "db", "upgrade")[0] == 0

    assert given.exists()
    assert not from_env.exists()


def test_without_db_or_variable_the_user_data_folder_is_used(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if sys.platform != "linux":
        pytest.skip("XDG_DATA_HOME only moves the data folder on Linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))

    assert run(capsys, "db", "upgrade")[0] == 0

    path = tmp_path / "xdg" / "consult-desk" / "consult-desk.sqlite"
    assert query(path, "SELECT version_num FROM alembic_version") == [(head_revision(),)]


# --- the module entry point (the one subprocess) ---------------------------------------------


def test_python_m_consult_desk_prints_the_version(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CONSULT_DESK_DB"}

    done = subprocess.run(
        [sys.executable, "-m", "consult_desk", "--version"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=tmp_path,
        env=env,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout == f"consult-desk {__version__}\n"
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", __version__)
    assert list(tmp_path.iterdir()) == []  # --version opens no database


def test_demo_if_empty_leaves_a_filled_database_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "desk.sqlite"
    assert run(capsys, "--db", path, "demo", "--businesses", "5")[0] == 0
    before = sqlite3.connect(path).execute("SELECT count(*) FROM business").fetchone()

    code, out, _ = run(capsys, "--db", path, "demo", "--if-empty", "--businesses", "5")

    after = sqlite3.connect(path).execute("SELECT count(*) FROM business").fetchone()
    assert code == 0
    assert before == after == (5,)
    assert "追加しませんでした" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["frob"], "COMMAND: 'frob' は指定できません"),
        (["demo", "--seed", "abc"], "--seed: 'abc' は値として読み取れません"),
        (["initiatives", "--json", "extra"], "解釈できない引数があります: extra"),
        (["initiatives", "--json=yes"], "--json: 'yes' は指定できません"),
        (["staff", "add"], "次の指定が必要です: LOGIN, --name, --role, --password-stdin"),
        (["staff"], "次の指定が必要です: ACTION"),
        (["--db"], "--db: 値を1つ指定してください"),
    ],
)
def test_command_line_mistakes_are_one_japanese_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    [line] = err.splitlines()
    assert line.startswith(f"エラー: {message}") and line.endswith("--help で確認できます。")
    english = ("invalid", "choose from", "unrecognized", "required", "argument", "expected")
    assert not any(word in line for word in english)


def test_an_untranslated_argparse_message_falls_back_to_japanese(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from consult_desk.cli import JapaneseArgumentParser

    parser = JapaneseArgumentParser(prog="consult-desk")
    with pytest.raises(SystemExit):
        parser.error("something argparse says in English")
    assert capsys.readouterr().err == (
        "エラー: コマンドの指定が正しくありません。使い方は consult-desk --help で確認できます。\n"
    )


def test_argparse_is_left_untranslated_after_parsing() -> None:
    import argparse

    with pytest.raises(SystemExit):
        main(["frob"])
    translate = vars(argparse)["_"]
    assert translate("expected one argument") == "expected one argument"
