"""The ``consult-desk`` command: no subcommand starts the desktop app; subcommands run headless."""

from __future__ import annotations

import argparse
import errno
import getpass
import json
import math
import os
import re
import secrets
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import NoReturn

from consult_desk import __version__
from consult_desk.config import ENV_DB, ENV_PASSWORD, database_url
from consult_desk.db.copy import copy_database
from consult_desk.db.engine import Database, sqlite_path, storage_error
from consult_desk.db.migrate import SchemaState
from consult_desk.domain.businesses import BusinessQuery
from consult_desk.domain.errors import DomainError, SchemaError
from consult_desk.domain.fiscal import (
    fiscal_year,
    fiscal_year_range,
    japan_time,
    japan_today,
    parse_date,
)
from consult_desk.domain.import_values import COLUMNS as IMPORT_COLUMNS
from consult_desk.domain.import_values import ImportKind, known_columns
from consult_desk.domain.messages import message_for
from consult_desk.domain.permissions import SETUP, Action, Kind, Principal, Role
from consult_desk.services.backups import BackupService
from consult_desk.services.businesses import BusinessService
from consult_desk.services.demo import DEMO_STAFF, DemoService
from consult_desk.services.exports import (
    EXPORTS,
    ExportFormat,
    ExportService,
    TargetExists,
    TargetUnwritable,
)
from consult_desk.services.imports import PERMISSION_KINDS as IMPORT_PERMISSION_KINDS
from consult_desk.services.imports import (
    ImportFileError,
    ImportOptions,
    ImportRejected,
    ImportResult,
    ImportService,
    ProgressCallback,
    UndoRefused,
)
from consult_desk.services.maintenance import MaintenanceService
from consult_desk.services.reference import ReferenceService, plan_as_json
from consult_desk.services.report_files import ReportFileService, ReportFormat
from consult_desk.services.reporting import ReportingService
from consult_desk.services.settings import SettingsService
from consult_desk.services.staff import NewStaff, StaffService

MAX_DEMO_BUSINESSES = 1_000_000
MAX_DEMO_PER_BUSINESS = 100


class UserError(Exception):
    """A problem the user can fix: printed as one Japanese line, exit status 2."""


# argparse's own messages (its gettext msgids) in Japanese; see JapaneseArgumentParser.
_ARGPARSE_JA = {
    "argument %(argument_name)s: %(message)s": "%(argument_name)s: %(message)s",
    "unrecognized arguments: %s": "解釈できない引数があります: %s",
    "the following arguments are required: %s": "次の指定が必要です: %s",
    "one of the arguments %s is required": "%s のどれかを指定してください",
    "invalid choice: %(value)r (choose from %(choices)s)": (
        "%(value)r は指定できません（指定できるのは %(choices)s）"
    ),
    "unknown parser %(parser_name)r (choices: %(choices)s)": (
        "%(parser_name)r は指定できません（指定できるのは %(choices)s）"
    ),
    "invalid %(type)s value: %(value)r": "%(value)r は値として読み取れません",
    "expected one argument": "値を1つ指定してください",
    "expected at most one argument": "値は1つまでです",
    "expected at least one argument": "値を1つ以上指定してください",
    "expected %s argument": "値を%s個指定してください",
    "expected %s arguments": "値を%s個指定してください",
    "ambiguous option: %(option)s could match %(matches)s": (
        "%(option)s がどのオプションか決められません（候補: %(matches)s）"
    ),
    "not allowed with argument %s": "%s と同時には指定できません",
    "ignored explicit argument %r": "%r は指定できません（このオプションは値を取りません）",
    "unexpected option string: %s": "%s はここでは指定できません",
}
_JAPANESE = re.compile("[\u3040-\u30ff\u4e00-\u9fff]")


def _argparse_ja(message: str) -> str:
    return _ARGPARSE_JA.get(message, message)


def _argparse_nja(singular: str, plural: str, n: int) -> str:
    return _argparse_ja(singular if n == 1 else plural)


@contextmanager
def _argparse_in_japanese() -> Iterator[None]:
    module = vars(argparse)
    saved = module["_"], module["ngettext"]
    module["_"], module["ngettext"] = _argparse_ja, _argparse_nja
    try:
        yield
    finally:
        module["_"], module["ngettext"] = saved


class JapaneseArgumentParser(argparse.ArgumentParser):
    """Mistakes on the command line are one Japanese line too.

    argparse builds its messages with ``gettext``; while parsing, its ``_``/``ngettext`` are
    pointed at the table above, and a message that still has no Japanese in it is left out.
    """

    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> argparse.Namespace:
        with _argparse_in_japanese():
            return super().parse_args(args, namespace)

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        with _argparse_in_japanese():  # subcommands' parsers are entered here
            return super().parse_known_args(args, namespace)

    def error(self, message: str) -> NoReturn:
        detail = message.strip() if _JAPANESE.search(message) else ""
        self.exit(
            2,
            f"エラー: {detail or 'コマンドの指定が正しくありません'}。"
            f"使い方は {self.prog} --help で確認できます。\n",
        )


def _parser() -> argparse.ArgumentParser:
    parser = JapaneseArgumentParser(
        prog="consult-desk",
        description="千代田区 中小企業支援窓口の相談・案件管理。"
        "サブコマンドなしでアプリを起動します。",
    )
    parser.add_argument("--version", action="version", version=f"consult-desk {__version__}")
    parser.add_argument(
        "--db",
        metavar="PATH_OR_URL",
        help=f"データベースのファイルまたは URL（既定: 環境変数 {ENV_DB}、"
        "なければユーザーのデータフォルダ）",
    )
    parser.add_argument(
        "--user",
        metavar="LOGIN",
        help=f"この職員としてサインインして実行する（パスワードは環境変数 {ENV_PASSWORD} か入力）",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    db = commands.add_parser("db", help="データベースの更新・バックアップ・点検")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = db_commands.add_parser(
        "upgrade",
        help="スキーマを最新にする（SQLite は事前にバックアップ、PostgreSQL は確認のうえ）",
    )
    upgrade.add_argument(
        "--yes",
        action="store_true",
        help="PostgreSQL: サーバー側のバックアップ（pg_dump）済みとして確認なしで更新する",
    )
    backup = db_commands.add_parser("backup", help="バックアップを作る")
    backup.add_argument(
        "--to", type=Path, metavar="FILE", help="保存先（既定: DB と同じ場所の backups/）"
    )
    db_commands.add_parser("check", help="整合性・外部キー・スキーマ・監査ログを点検する")
    restore = db_commands.add_parser("restore", help="バックアップから復元する（管理者）")
    restore.add_argument("file", type=Path, metavar="FILE", help="復元するバックアップファイル")
    copy = db_commands.add_parser(
        "copy",
        help="データベース全体を別のデータベースへ移す（SQLite から PostgreSQL へ、件数と"
        "チェックサムで検証）",
    )
    copy.add_argument(
        "--from", dest="source", required=True, metavar="SOURCE", help="コピー元（ファイルか URL）"
    )
    copy.add_argument(
        "--to", dest="target", required=True, metavar="TARGET", help="コピー先（空の DB の URL）"
    )

    staff = commands.add_parser("staff", help="職員アカウントの管理")
    staff_commands = staff.add_subparsers(dest="staff_command", metavar="ACTION", required=True)
    add = staff_commands.add_parser(
        "add", help="職員を登録する（アカウントがまだ無いときは最初の管理者をサインインなしで）"
    )
    add.add_argument("login", metavar="LOGIN", help="ログイン名（半角英数字）")
    add.add_argument("--name", required=True, help="氏名")
    add.add_argument("--kana", default="", help="フリガナ")
    add.add_argument(
        "--role",
        action="append",
        required=True,
        choices=[r.value for r in Role],
        help="役割（複数指定可）: " + "、".join(f"{r.value}={r.label}" for r in Role),
    )
    add.add_argument(
        "--password-stdin",
        action="store_true",
        required=True,
        help="パスワードを標準入力の1行目から読む",
    )
    staff_commands.add_parser("list", help="職員の一覧（管理者）")
    reset = staff_commands.add_parser("reset-password", help="パスワードを再設定する（管理者）")
    reset.add_argument("login", metavar="LOGIN")
    reset.add_argument(
        "--password-stdin",
        action="store_true",
        required=True,
        help="新しいパスワードを標準入力の1行目から読む",
    )
    passwd = staff_commands.add_parser(
        "passwd", help="自分のパスワードを変更する（--user と現在のパスワードが必要）"
    )
    passwd.add_argument(
        "--password-stdin",
        action="store_true",
        required=True,
        help="新しいパスワードを標準入力の1行目から読む",
    )

    initiatives = commands.add_parser("initiatives", help="産業振興基本計画の施策体系を表示する")
    initiatives.add_argument("--json", action="store_true", help="JSON で出力する")

    demo = commands.add_parser("demo", help="デモ用のデータを作る（決定的）")
    demo.add_argument("--seed", type=int, default=1, help="乱数の種（既定: 1）")
    demo.add_argument("--businesses", type=int, default=300, help="事業者の数（既定: 300）")
    demo.add_argument(
        "--if-empty",
        action="store_true",
        help="事業者がすでに登録されていれば何もしない（実データに混ぜないため）",
    )
    demo.add_argument("--password", help=argparse.SUPPRESS)  # for scripts and tests
    demo.add_argument(
        "--consultations-per-business", type=float, default=3.0, help=argparse.SUPPRESS
    )

    export = commands.add_parser(
        "export",
        help="データを CSV または Excel（xlsx）に書き出す",
        description="データを CSV または Excel（xlsx）に書き出す。事業者・相談記録・融資あっせん"
        "案件は取込（consult-desk import）と同じ列名で書き出すので、そのまま取り込める。",
    )
    export.add_argument(
        "kind",
        choices=list(EXPORTS),
        metavar="KIND",
        help="書き出すデータ: "
        + "、".join(f"{name}={s.label}（期間は{s.period}）" for name, s in EXPORTS.items()),
    )
    export.add_argument(
        "--format",
        choices=[f.value for f in ExportFormat],
        help="形式（既定: 出力ファイルの拡張子から。csv は Excel で開ける BOM 付き UTF-8。"
        "ただし csv の法人番号は Excel で指数表示になるため、Excel で見るなら xlsx）",
    )
    export.add_argument("-o", "--output", type=Path, required=True, metavar="FILE", help="出力先")
    export.add_argument(
        "--from", dest="date_from", type=_date, metavar="DATE", help="期間の始め（この日を含む）"
    )
    export.add_argument(
        "--to", dest="date_to", type=_date, metavar="DATE", help="期間の終わり（この日を含む）"
    )
    export.add_argument(
        "--force", action="store_true", help="出力先に同名のファイルがあれば上書きする"
    )

    _add_import_parser(commands)

    report = commands.add_parser(
        "report", help="帳票（事業者カルテ・施策別実績・月次報告・年度報告）を PDF などで作る"
    )
    report_commands = report.add_subparsers(dest="report_command", metavar="REPORT", required=True)
    business = report_commands.add_parser("business", help="事業者カルテ（1事業者の記録すべて）")
    business.add_argument(
        "business", metavar="ID_OR_法人番号", help="事業者の ID、または法人番号（13桁）"
    )
    business.add_argument(
        "--notes", action="store_true", help="内部メモも載せる（外に出す帳票には付けない）"
    )
    initiative = report_commands.add_parser("initiative", help="施策別実績（主な取組み1つ）")
    initiative.add_argument(
        "code", metavar="CODE", help="施策の番号（例: 1-1-1。一覧は consult-desk initiatives）"
    )
    overview = report_commands.add_parser("overview", help="施策別実績一覧（全施策）")
    for sub in (initiative, overview):
        sub.add_argument(
            "--from",
            dest="date_from",
            type=_date,
            metavar="DATE",
            help="期間の始め（この日を含む。既定: 終わりの日が属する年度の4月1日）",
        )
        sub.add_argument(
            "--to",
            dest="date_to",
            type=_date,
            metavar="DATE",
            help="期間の終わり（この日を含む。既定: 今日）",
        )
    monthly = report_commands.add_parser("monthly", help="月次報告")
    monthly.add_argument("month", type=_month, metavar="YYYY-MM", help="対象の月（例: 2026-11）")
    fiscal = report_commands.add_parser("fiscal-year", help="年度報告（4月〜翌年3月）")
    fiscal.add_argument(
        "year", type=_fiscal_year, metavar="YYYY", help="年度（4月が属する年。例: 2026）"
    )
    for sub in (business, initiative, overview, monthly, fiscal):
        sub.add_argument("-o", "--output", type=Path, required=True, metavar="FILE", help="出力先")
        sub.add_argument(
            "--format",
            choices=[f.value for f in ReportFormat],
            help="形式（既定: 出力ファイルの拡張子から。pdf は印刷用、xlsx は Excel、"
            "json はデータ）",
        )
        sub.add_argument(
            "--force", action="store_true", help="出力先に同名のファイルがあれば上書きする"
        )
    return parser


def _month(text: str) -> tuple[int, int]:
    """A month typed as 2026-11 or 2026/11."""
    match = re.fullmatch(r"([0-9]{4})[-/]([0-9]{1,2})", text.strip(), re.ASCII)
    if match is None or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1900:
        raise argparse.ArgumentTypeError(f"月は YYYY-MM で指定してください: {text}")
    return int(match[1]), int(match[2])


def _fiscal_year(text: str) -> int:
    if re.fullmatch(r"[0-9]{4}", text.strip(), re.ASCII) is None or int(text) < 1900:
        raise argparse.ArgumentTypeError(f"年度は西暦4桁で指定してください: {text}")
    return int(text)


def _date(text: str) -> date:
    """A date typed on the command line: 2026-04-01, 2026/4/1, R8.4.1, 令和8年4月1日 …"""
    try:
        return parse_date(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日付として読み取れません: {text}") from None


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.db is not None and not args.db.strip():
        print("エラー: --db に空の値は指定できません。", file=sys.stderr)
        return 2
    url = database_url(args.db)
    if args.command is None:
        from consult_desk.app import run_gui  # Qt is imported only when a window is wanted

        return run_gui(url)
    try:
        return _run(args, url)
    except UserError as exc:
        print(f"エラー: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Python's recipe: stop writing to the closed pipe without a second error at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _run(args: argparse.Namespace, url: str) -> int:
    _check_arguments(args, url)
    db: Database | None = None
    try:
        if args.command == "db" and args.db_command == "copy":  # two databases, not --db
            return _copy(args.source, args.target)
        db = Database(url)
        return _dispatch(args, db)
    except DomainError as exc:
        raise UserError(message_for(exc.code)) from exc
    except BrokenPipeError:
        raise  # the reader went away (e.g. "| head"): not the database's fault
    except OSError as exc:
        raise UserError(
            f"ファイルを開けません: {exc.filename or ''} {exc.strerror or exc}"
        ) from exc
    except Exception as exc:
        if (known := storage_error(exc)) is not None:
            raise UserError(message_for(known.code)) from exc
        raise
    finally:
        if db is not None:
            db.dispose()


def _check_arguments(args: argparse.Namespace, url: str) -> None:
    """Refuse what cannot work before anything is created on disk."""
    path = sqlite_path(url)
    needs_file = args.command in ("export", "report", "import") or (
        args.command == "db" and args.db_command in ("backup", "check", "restore")
    )
    if needs_file and path is not None and not path.exists():
        raise UserError(
            f"データベースがありません: {path}（新しく作るときは consult-desk db upgrade）"
        )
    if args.command == "export":
        _check_export(args)
    if args.command == "report":
        _check_report(args)
    if args.command == "demo":
        per_business = args.consultations_per_business
        if not 0 <= args.businesses <= MAX_DEMO_BUSINESSES:
            raise UserError(f"事業者の数は0〜{MAX_DEMO_BUSINESSES:,}で指定してください。")
        if not (math.isfinite(per_business) and 0 <= per_business <= MAX_DEMO_PER_BUSINESS):
            raise UserError(
                f"1事業者あたりの相談数は0〜{MAX_DEMO_PER_BUSINESS}で指定してください。"
            )


def _check_export(args: argparse.Namespace) -> None:
    target: Path = args.output
    if target.is_dir():
        raise UserError("出力先がフォルダです。ファイル名を指定してください。")
    if not target.parent.is_dir():
        raise UserError(_unwritable(target))
    formats = {f.value for f in ExportFormat}
    suffix = target.suffix.lower().lstrip(".")
    if args.format is None:
        if suffix not in formats:
            raise UserError("形式を --format csv または --format xlsx で指定してください。")
        args.format = suffix
    elif suffix in formats and suffix != args.format:
        raise UserError(
            f"ファイル名の拡張子（.{suffix}）と --format {args.format} が一致しません。"
        )
    if args.date_from and args.date_to and args.date_from > args.date_to:
        raise UserError("期間の終わり（--to）が始まり（--from）より前です。")
    if target.exists() and not args.force:
        raise UserError(_TARGET_EXISTS)


def _check_report(args: argparse.Namespace) -> None:
    target: Path = args.output
    if target.is_dir():
        raise UserError("出力先がフォルダです。ファイル名を指定してください。")
    if not target.parent.is_dir():
        raise UserError(_unwritable(target))
    formats = [f.value for f in ReportFormat]
    suffix = target.suffix.lower().lstrip(".")
    if args.format is None:
        if suffix not in formats:
            raise UserError(
                "形式を --format pdf、--format xlsx、--format json のどれかで指定してください。"
            )
        args.format = suffix
    elif suffix in formats and suffix != args.format:
        raise UserError(
            f"ファイル名の拡張子（.{suffix}）と --format {args.format} が一致しません。"
        )
    if args.report_command in ("initiative", "overview"):
        today = japan_today()
        if args.date_to is None:
            args.date_to = today
        if args.date_from is None:
            args.date_from = fiscal_year_range(fiscal_year(args.date_to))[0]
        if args.date_from > args.date_to:
            raise UserError("期間の終わり（--to）が始まり（--from）より前です。")
    if target.exists() and not args.force:
        raise UserError(_TARGET_EXISTS)


def _unwritable(target: Path, error: OSError | None = None) -> str:
    if error is not None and error.errno in (errno.ENOSPC, errno.EDQUOT):
        reason = "ディスクの空きが足りません"
    else:
        reason = "フォルダが存在しないか、権限がありません"
    return f"書き込めません: {target}（{reason}）"


_TARGET_EXISTS = "出力先のファイルがすでにあります。上書きするときは --force を指定してください。"


def _dispatch(args: argparse.Namespace, db: Database) -> int:
    maintenance = MaintenanceService(db)
    if args.command == "db":
        if args.db_command == "upgrade":
            # No sign-in: an older schema may not even have the accounts' columns yet, and the
            # upgrade backs the file up first (on PostgreSQL the server's credentials guard it).
            before = maintenance.state()
            if not maintenance.is_sqlite and before is SchemaState.NEEDS_UPGRADE:
                _confirm_server_upgrade(maintenance, confirmed=args.yes)
            backup = maintenance.upgrade()
            if before is SchemaState.CURRENT:
                print("データベースはすでに最新です。")
            else:
                print("データベースを最新の形式にしました。")
            if backup:
                print(f"更新前のバックアップ: {backup}")
            return 0
        _require_current(maintenance)
        if args.db_command == "backup":
            backups = _backups(db, _sign_in(args, db, Kind.BACKUP, Action.ADMINISTER))
            made = backups.copy_to(args.to) if args.to else backups.make("manual")
            print(f"バックアップを作成しました: {made}")
            return 0
        if args.db_command == "restore":
            principal = _sign_in(args, db, Kind.BACKUP, Action.ADMINISTER)
            replaced = _backups(db, principal).restore(args.file)
            print(f"復元しました。置き換える前のデータベースは保存してあります: {replaced}")
            return 0
        _sign_in(args, db, Kind.AUDIT, Action.READ)
        results = maintenance.check()
        for result in results:
            mark = "OK " if result.ok else "NG "
            print(f"{mark}{result.name}" + (f": {result.detail}" if result.detail else ""))
        return 0 if all(r.ok for r in results) else 1

    # Every other command works on a database at this build's schema; a new file is built.
    _open(maintenance)
    if args.command == "initiatives":  # the published plan: no sign-in needed
        return _initiatives(db, as_json=args.json)
    if args.command == "staff":
        return _staff(args, db)
    if args.command == "demo":
        principal = _sign_in(args, db, Kind.MASTER, Action.ADMINISTER)
        if args.if_empty and BusinessService(db, principal).count(BusinessQuery(archived=None)):
            print("事業者がすでに登録されているため、デモデータは追加しませんでした。")
            return 0
        return _demo(
            db,
            principal,
            seed=args.seed,
            businesses=args.businesses,
            per_business=args.consultations_per_business,
            password=args.password,
        )
    if args.command == "import":
        return _import(args, db)
    if args.command == "export":
        return _export(args, db)
    if args.command == "report":
        return _report(args, db)
    raise AssertionError(args.command)


def _export(args: argparse.Namespace, db: Database) -> int:
    source = EXPORTS[args.kind]
    principal = _sign_in(args, db, source.kind, Action.EXPORT)
    try:
        result = ExportService(db, principal).export(
            args.kind,
            args.output,
            ExportFormat(args.format),
            args.date_from,
            args.date_to,
            overwrite=args.force,
        )
    except TargetExists as exc:  # appeared while the rows were being written
        raise UserError(_TARGET_EXISTS) from exc
    except TargetUnwritable as exc:
        raise UserError(_unwritable(args.output, exc.error)) from exc
    print(f"{source.label}を {result.rows:,} 件書き出しました: {result.path}")
    if not principal.sees_loan_amounts and source.kind is Kind.LOAN:
        print("金額の列は、閲覧の権限がないため空欄です。")
    return 0


def _report(args: argparse.Namespace, db: Database) -> int:
    principal = _sign_in(args, db, Kind.REPORT, Action.PRINT)
    service = ReportingService(db, principal)
    report: object
    if args.report_command == "business":
        report = service.business(args.business, include_notes=args.notes)
        label = "事業者カルテ"
    elif args.report_command == "initiative":
        report = service.initiative(args.code, args.date_from, args.date_to)
        label = f"施策 {args.code} の施策別実績"
    elif args.report_command == "overview":
        report = service.initiative_overview(args.date_from, args.date_to)
        label = "施策別実績一覧"
    elif args.report_command == "monthly":
        year, month = args.month
        report = service.monthly(year, month)
        label = f"{year}年{month}月の月次報告"
    else:
        report = service.fiscal_year(args.year)
        label = f"{args.year}年度の年度報告"
    fmt = ReportFormat(args.format)
    try:
        written = ReportFileService(db, principal).write(
            report, args.output, fmt, overwrite=args.force
        )
    except TargetExists as exc:  # appeared while the figures were being counted
        raise UserError(_TARGET_EXISTS) from exc
    except TargetUnwritable as exc:
        raise UserError(_unwritable(args.output, exc.error)) from exc
    print(f"{label}を書き出しました: {written.path}")
    if written.missing:
        print(
            "注意: フォントにない文字があるため、〓 で印字しました: " + " ".join(written.missing),
            file=sys.stderr,
        )
    if not principal.sees_loan_amounts:
        blank = "空欄（null）" if fmt is ReportFormat.JSON else "「—」"
        print(f"融資の金額は、閲覧の権限がないため{blank}です。")
    return 0


def _backups(db: Database, principal: Principal) -> BackupService:
    """Backups in the folder set in 設定 (default: ``backups`` beside the database)."""
    return BackupService(db, principal, folder=SettingsService(db, principal).backup_folder())


def _sign_in(args: argparse.Namespace, db: Database, kind: Kind, action: Action) -> Principal:
    """The principal a command runs as: set-up while no account exists, else --user."""
    staff = StaffService(db)
    if not staff.has_accounts():
        return SETUP
    if not args.user:
        raise UserError(
            f"この操作にはサインインが必要です。--user LOGIN を指定してください"
            f"（パスワードは環境変数 {ENV_PASSWORD} か入力で）。"
        )
    principal = staff.sign_in(args.user, _password(f"{args.user} のパスワード: "))
    principal.require(kind, action)
    return principal


def _password(prompt: str) -> str:
    if given := os.environ.get(ENV_PASSWORD):
        return given
    if not sys.stdin.isatty():
        raise UserError(f"パスワードがありません。環境変数 {ENV_PASSWORD} で渡してください。")
    return getpass.getpass(prompt)


def _read_new_password() -> str:
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise UserError("標準入力からパスワードを読めませんでした。")
    return line


def _staff(args: argparse.Namespace, db: Database) -> int:
    service = StaffService(db)
    if args.staff_command == "add":
        new = NewStaff(
            login=args.login,
            name=args.name,
            name_kana=args.kana,
            roles=tuple(Role(r) for r in args.role),
            password=_read_new_password(),
        )
        if not service.has_accounts():
            service.add_first_admin(new)
            print(f"最初の管理者 {new.login} を登録しました。")
        else:
            principal = _sign_in(args, db, Kind.STAFF, Action.ADMINISTER)
            service.add(principal, new)
            print(f"職員 {new.login} を登録しました。")
        return 0
    if args.staff_command == "passwd":
        principal = _sign_in(args, db, Kind.MASTER, Action.READ)
        service.change_password(principal, _password("現在のパスワード: "), _read_new_password())
        print("パスワードを変更しました。")
        return 0
    principal = _sign_in(args, db, Kind.STAFF, Action.ADMINISTER)
    members = service.list(principal)
    if args.staff_command == "list":
        for member in members:
            roles = "・".join(r.label for r in member.roles)
            state = "" if member.active else "（停止中）"
            print(f"{member.login}\t{member.name}\t{roles}{state}")
        return 0
    target = next((m for m in members if m.login == args.login), None)
    if target is None:
        raise UserError(f"職員 {args.login} は登録されていません。")
    service.reset_password(principal, target.id, _read_new_password())
    print(f"{target.login} のパスワードを再設定しました。")
    return 0


def _confirm_server_upgrade(maintenance: MaintenanceService, *, confirmed: bool) -> None:
    """PostgreSQL: name the pending revisions; go on after a server-side backup only."""
    print("この版で適用される更新:")
    for line in maintenance.pending():
        print(f"  {line}")
    print(
        "更新の前に、サーバー側でバックアップを取ってください（例: pg_dump -Fc -f "
        "consult_desk-更新前.dump DB名）。" + message_for("postgresql.guide")
    )
    if confirmed:
        return
    if not sys.stdin.isatty():
        raise UserError("確認のため --yes を付けて実行してください（バックアップ済みの場合）。")
    answer = input("バックアップは済みましたか？ 更新を始めるには yes と入力: ").strip().lower()
    if answer not in ("yes", "y"):
        raise UserError("更新を取りやめました。データベースは変更していません。")


def _copy(source: str, target: str) -> int:
    """``db copy``: every table into a new database, verified by counts and checksums."""
    source_url, target_url = database_url(source), database_url(target)
    path = sqlite_path(source_url)
    if path is not None and not path.exists():
        raise UserError(f"コピー元のデータベースがありません: {path}")

    def show(table: str, rows: int) -> None:
        print(f"{table}: {rows:,} 行", file=sys.stderr, flush=True)

    try:
        results = copy_database(source_url, target_url, progress=show)
    except SchemaError as exc:
        detail = f"（{exc}）" if exc.code in ("copy.row_refused", "copy.mismatch") else ""
        raise UserError(message_for(exc.code) + detail) from exc
    for result in results:
        print(f"OK {result.name}: {result.target_rows:,} 行 sha256 {result.target_checksum[:16]}")
    total = sum(result.target_rows for result in results)
    print(f"{len(results)} 表、{total:,} 行をコピーし、件数とチェックサムが一致しました。")
    return 0


def _require_current(maintenance: MaintenanceService) -> None:
    state = maintenance.state()
    if state is SchemaState.EMPTY:
        raise UserError(
            "データベースがまだありません。先に consult-desk db upgrade を実行してください。"
        )


def _open(maintenance: MaintenanceService) -> None:
    # Only `db upgrade` may upgrade a PostgreSQL database; an SQLite file is backed up first.
    try:
        backup = maintenance.upgrade(allow_upgrade=maintenance.is_sqlite)
    except SchemaError as exc:
        if exc.code != "schema.needs_upgrade":
            raise
        pending = "".join(f"\n  {line}" for line in str(exc).splitlines())
        raise UserError(
            message_for("schema.needs_upgrade_postgresql")
            + pending
            + "\n"
            + message_for("postgresql.guide")
        ) from exc
    if backup:
        print(f"データベースを更新しました（更新前のバックアップ: {backup}）", file=sys.stderr)


def _initiatives(db: Database, *, as_json: bool) -> int:
    plan = ReferenceService(db).plan()
    if as_json:
        print(json.dumps(plan_as_json(plan), ensure_ascii=False, indent=2))
        return 0
    for basic in plan:
        print(f"基本方針{basic.code} {basic.title}")
        for policy in basic.policies:
            print(f"  個別方針{policy.code} {policy.title}")
            for initiative in policy.initiatives:
                owners = "、".join((*initiative.owners, *filter(None, [initiative.owners_note])))
                print(f"    {initiative.code} {initiative.title}（所管: {owners}）")
    return 0


def _demo(
    db: Database,
    principal: Principal,
    *,
    seed: int,
    businesses: int,
    per_business: float,
    password: str | None,
) -> int:
    password = password or secrets.token_urlsafe(9)
    summary = DemoService(db, principal).fill(
        seed=seed,
        businesses=businesses,
        consultations_per_business=per_business,
        password=password,
    )
    print(
        f"デモデータを作成しました: 職員 {summary.staff} 名、事業者 {summary.businesses:,} 件、"
        f"相談 {summary.consultations:,} 件、融資あっせん {summary.loan_cases:,} 件、"
        f"セーフティネット認定 {summary.certifications:,} 件、専門家 {summary.experts} 名、"
        f"専門家派遣 {summary.dispatches:,} 件、商店街 {summary.associations} 団体"
        f"（支援記録 {summary.street_supports:,} 件、イベント {summary.street_events:,} 件）、"
        f"補助金申請 {summary.subsidy_applications:,} 件"
    )
    print(
        "デモ用職員（ログイン名）: "
        + "、".join(f"{login}（{name}）" for login, name, _, _ in DEMO_STAFF)
    )
    print(f"デモ用職員のパスワード（全員共通・ここにだけ表示します）: {password}")
    print("デモ用のアカウントです。実際の業務データには使わないでください。")
    return 0


# --- import (取込) ---------------------------------------------------------------------------


def _add_import_parser(commands: argparse._SubParsersAction[JapaneseArgumentParser]) -> None:
    imports = commands.add_parser(
        "import",
        help="CSV（UTF-8 / Shift_JIS）または Excel（xlsx）から取り込む。取消しは import undo",
    )
    kinds = imports.add_subparsers(dest="import_command", metavar="KIND", required=True)
    for kind in ImportKind:
        columns = "、".join(
            f"{c.name}（必須）" if c.required else c.name for c in IMPORT_COLUMNS[kind]
        )
        sub = kinds.add_parser(kind.value, help=f"{kind.label}を取り込む（列: {columns}）")
        sub.add_argument(
            "file", type=Path, metavar="FILE", help="取り込むファイル（1行目は見出し）"
        )
        sub.add_argument("--dry-run", action="store_true", help="確認だけして何も書き込まない")
        sub.add_argument(
            "--skip-invalid",
            action="store_true",
            help="正しい行だけ取り込み、取り込めない行は理由を付けて元のファイルの隣に"
            " CSV で保存する（既定: 1行でも誤りがあれば何も取り込まない）",
        )
        if kind is ImportKind.BUSINESSES:
            sub.add_argument(
                "--update",
                action="store_true",
                help="同じ法人番号の事業者が登録済みなら、空欄でない列で上書きする（既定: 見送る）",
            )
        if kind is not ImportKind.BUSINESSES:
            sub.add_argument(
                "--create-missing",
                action="store_true",
                help="未登録の担当者・金融機関・資金種別を新しく登録する（管理者）",
            )
        sub.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="列名=項目",
            help="ファイルの列をどの項目として読むか（例: --map '会社名=事業者名'）。"
            "「列名=」でその列を取り込まない。複数指定可",
        )
    undo = kinds.add_parser("undo", help="取込を取り消す（その取込で追加した記録を削除する）")
    undo.add_argument(
        "batch_id", type=int, metavar="BATCH_ID", help="取込番号（import list で確認）"
    )
    listing = kinds.add_parser("list", help="取込の履歴（新しい順）")
    listing.add_argument("--kind", choices=[k.value for k in ImportKind], help="この種類の取込だけ")
    listing.add_argument("--limit", type=int, default=50, help="表示する件数（既定: 50）")


def _import_mapping(kind: ImportKind, given: Sequence[str]) -> dict[str, str]:
    known = known_columns(kind)
    mapping: dict[str, str] = {}
    for item in given:
        source, found, target = item.partition("=")
        if not found or not source.strip():
            raise UserError(f"--map は「列名=項目」の形で指定してください: {item}")
        target = target.strip()
        if target and target not in known:
            raise UserError(
                f"--map の項目「{target}」はありません（指定できるのは {'、'.join(known)}）。"
            )
        mapping[source.strip()] = target
    return mapping


def _import(args: argparse.Namespace, db: Database) -> int:
    if args.import_command == "undo":
        # Any member of staff may ask; the service checks the right for the batch's kind.
        principal = _sign_in(args, db, Kind.MASTER, Action.READ)
        try:
            undone = ImportService(db, principal).undo(args.batch_id)
        except UndoRefused as exc:
            detail = f"（{exc.detail}）" if exc.detail else ""
            raise UserError(message_for(exc.code) + detail) from exc
        print(
            f"取込 {undone.batch_id} を取り消しました: "
            f"{undone.kind.label} {undone.removed:,} 件を削除。"
        )
        if undone.removed_masters:
            names = "、".join(f"{m.label}「{m.name}」" for m in undone.removed_masters)
            print(f"取込で登録したマスタも削除しました: {names}")
        if undone.kept_masters:
            names = "、".join(f"{m.label}「{m.name}」" for m in undone.kept_masters)
            print(f"ほかの記録が使っているため残したマスタ: {names}")
        if undone.updated_kept:
            print(
                f"この取込で更新した {undone.updated_kept:,} 件は元に戻していません"
                "（各事業者の履歴から以前の版に戻せます）。"
            )
        return 0
    if args.import_command == "list":
        principal = _sign_in(args, db, Kind.MASTER, Action.READ)
        for batch in ImportService(db, principal).batches(args.kind, limit=max(args.limit, 1)):
            when = japan_time(batch.imported_at).strftime("%Y-%m-%d %H:%M")
            mark = "（取消済み）" if batch.undone_at else ""
            print(
                f"{batch.id}\t{when}\t{batch.kind.label}\t{batch.row_count:,}件\t"
                f"{batch.file_name}\t{batch.staff_name}{mark}"
            )
        return 0
    kind = ImportKind(args.import_command)
    principal = _sign_in(args, db, IMPORT_PERMISSION_KINDS[kind], Action.CREATE)
    options = ImportOptions(
        dry_run=args.dry_run,
        skip_invalid=args.skip_invalid,
        update=getattr(args, "update", False),
        create_missing=getattr(args, "create_missing", False),
        mapping=_import_mapping(kind, args.map),
    )
    progress = _import_progress() if sys.stderr.isatty() else None
    try:
        result = ImportService(db, principal).run(kind.value, args.file, options, progress)
    except ImportRejected as exc:
        _clear_progress(progress)
        for error in exc.errors:
            print(error.line(), file=sys.stderr)
        if any(e.code == "import.unknown_column" for e in exc.errors):
            print(
                "列の読み替えは --map '列名=項目'、取り込まない列は --map '列名=' で指定できます。",
                file=sys.stderr,
            )
        rows = (
            f"（{exc.total_rows:,} 行のうち {exc.invalid_rows:,} 行）" if exc.invalid_rows else ""
        )
        print(
            f"エラー: {len(exc.errors):,} 件の問題があるため、何も取り込みませんでした{rows}。",
            file=sys.stderr,
        )
        return 1
    except ImportFileError as exc:
        raise UserError(message_for(exc.code)) from exc
    _clear_progress(progress)
    return _import_summary(kind, result)


def _import_summary(kind: ImportKind, result: ImportResult) -> int:
    for notice in result.notices:
        print(notice.line())
    if result.dry_run:
        for error in result.errors:
            print(error.line(), file=sys.stderr)
        print(
            f"確認のみ（--dry-run）: {kind.label} {result.total_rows:,} 行のうち、"
            f"取り込める行 {result.added:,}、更新 {result.updated:,}、見送り {result.skipped:,}、"
            f"誤りのある行 {result.rejected:,}。何も書き込んでいません。"
        )
        if result.created:
            names = "、".join(f"{m.label}「{m.name}」" for m in result.created)
            print(f"実行すると新しく登録するマスタ: {names}")
        return 1 if result.errors else 0
    print(
        f"{kind.label}を {result.added:,} 件取り込みました（取込番号 {result.batch_id}、"
        f"{result.file_name}）。更新 {result.updated:,} 件、見送り {result.skipped:,} 件、"
        f"取り込めなかった行 {result.rejected:,} 件。"
    )
    if result.created:
        names = "、".join(f"{m.label}「{m.name}」" for m in result.created)
        print(f"新しく登録したマスタ: {names}")
    if result.rejected_path is not None:
        for error in result.errors:
            print(error.line(), file=sys.stderr)
        print(f"取り込めなかった行（理由付き）: {result.rejected_path}")
    print(f"取り消すときは: consult-desk import undo {result.batch_id}")
    return 0


def _import_progress() -> ProgressCallback:
    def show(done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        print(f"\r取込中… {percent}%", end="", file=sys.stderr, flush=True)

    return show


def _clear_progress(progress: ProgressCallback | None) -> None:
    if progress is not None:
        print("\r" + " " * 20 + "\r", end="", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
