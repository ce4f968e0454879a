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
from consult_desk.db.engine import Database, sqlite_path, storage_error
from consult_desk.db.migrate import SchemaState
from consult_desk.domain.businesses import BusinessQuery
from consult_desk.domain.errors import DomainError
from consult_desk.domain.fiscal import parse_date
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
from consult_desk.services.maintenance import MaintenanceService
from consult_desk.services.reference import ReferenceService, plan_as_json
from consult_desk.services.reporting import FiscalYearReport, PeriodReport, ReportingService
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
    db_commands.add_parser("upgrade", help="スキーマを最新にする（SQLite は事前にバックアップ）")
    backup = db_commands.add_parser("backup", help="バックアップを作る")
    backup.add_argument(
        "--to", type=Path, metavar="FILE", help="保存先（既定: DB と同じ場所の backups/）"
    )
    db_commands.add_parser("check", help="整合性・外部キー・スキーマ・監査ログを点検する")
    restore = db_commands.add_parser("restore", help="バックアップから復元する（管理者）")
    restore.add_argument("file", type=Path, metavar="FILE", help="復元するバックアップファイル")

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

    export = commands.add_parser("export", help="データを CSV または Excel（xlsx）に書き出す")
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

    report = commands.add_parser("report", help="帳票（月次報告・年度報告）を作る")
    report_commands = report.add_subparsers(dest="report_command", metavar="REPORT", required=True)
    monthly = report_commands.add_parser("monthly", help="月次報告")
    monthly.add_argument("month", type=_month, metavar="YYYY-MM", help="対象の月（例: 2026-11）")
    fiscal = report_commands.add_parser("fiscal-year", help="年度報告（4月〜翌年3月）")
    fiscal.add_argument(
        "year", type=_fiscal_year, metavar="YYYY", help="年度（4月が属する年。例: 2026）"
    )
    for sub in (monthly, fiscal):
        sub.add_argument("-o", "--output", type=Path, required=True, metavar="FILE", help="出力先")
        sub.add_argument(
            "--format",
            choices=REPORT_FORMATS,
            default="json",
            help="形式（既定: json。pdf と xlsx は準備中）",
        )
        sub.add_argument(
            "--force", action="store_true", help="出力先に同名のファイルがあれば上書きする"
        )
    return parser


REPORT_FORMATS = ["json", "pdf", "xlsx"]


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
    needs_file = args.command in ("export", "report") or (
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
    if args.format != "json":
        raise UserError(
            f"{args.format} 形式の帳票はまだ作れません。いまは --format json だけが使えます。"
        )
    target: Path = args.output
    if target.is_dir():
        raise UserError("出力先がフォルダです。ファイル名を指定してください。")
    if not target.parent.is_dir():
        raise UserError(_unwritable(target))
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
    if args.report_command == "monthly":
        year, month = args.month
        report: PeriodReport | FiscalYearReport = service.monthly(year, month)
        label = f"{year}年{month}月の月次報告"
    else:
        report = service.fiscal_year(args.year)
        label = f"{args.year}年度の年度報告"
    try:
        path = service.write_json(report, args.output, overwrite=args.force)
    except TargetExists as exc:  # appeared while the figures were being counted
        raise UserError(_TARGET_EXISTS) from exc
    except TargetUnwritable as exc:
        raise UserError(_unwritable(args.output, exc.error)) from exc
    print(f"{label}を書き出しました: {path}")
    if not principal.sees_loan_amounts:
        print("融資の金額は、閲覧の権限がないため空欄（null）です。")
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


def _require_current(maintenance: MaintenanceService) -> None:
    state = maintenance.state()
    if state is SchemaState.EMPTY:
        raise UserError(
            "データベースがまだありません。先に consult-desk db upgrade を実行してください。"
        )


def _open(maintenance: MaintenanceService) -> None:
    # Only `db upgrade` may upgrade a PostgreSQL database; an SQLite file is backed up first.
    backup = maintenance.upgrade(allow_upgrade=maintenance.is_sqlite)
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


if __name__ == "__main__":
    sys.exit(main())
