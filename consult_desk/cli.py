"""The ``consult-desk`` command: no subcommand starts the desktop app; subcommands run headless."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path

from consult_desk import __version__
from consult_desk.config import ENV_DB, database_url
from consult_desk.db.engine import Database, sqlite_path
from consult_desk.db.migrate import SchemaState
from consult_desk.domain.businesses import BusinessQuery
from consult_desk.domain.errors import DomainError
from consult_desk.domain.messages import message_for
from consult_desk.services.businesses import BusinessService
from consult_desk.services.demo import DEMO_STAFF, DemoService
from consult_desk.services.maintenance import MaintenanceService
from consult_desk.services.reference import ReferenceService, plan_as_json

MAX_DEMO_BUSINESSES = 1_000_000
MAX_DEMO_PER_BUSINESS = 100


class UserError(Exception):
    """A problem the user can fix: printed as one Japanese line, exit status 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    db = commands.add_parser("db", help="データベースの更新・バックアップ・点検")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_commands.add_parser("upgrade", help="スキーマを最新にする（SQLite は事前にバックアップ）")
    backup = db_commands.add_parser("backup", help="バックアップを作る")
    backup.add_argument(
        "--to", type=Path, metavar="FILE", help="保存先（既定: DB と同じ場所の backups/）"
    )
    db_commands.add_parser("check", help="整合性・外部キー・スキーマ・監査ログを点検する")

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
    demo.add_argument(
        "--consultations-per-business", type=float, default=3.0, help=argparse.SUPPRESS
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
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


def _run(args: argparse.Namespace, url: str) -> int:
    _check_arguments(args, url)
    db: Database | None = None
    try:
        db = Database(url)
        return _dispatch(args, db)
    except DomainError as exc:
        raise UserError(message_for(exc.code)) from exc
    except OSError as exc:
        raise UserError(f"データベースのファイルを開けません: {exc.strerror or exc}") from exc
    finally:
        if db is not None:
            db.dispose()


def _check_arguments(args: argparse.Namespace, url: str) -> None:
    """Refuse what cannot work before anything is created on disk."""
    path = sqlite_path(url)
    needs_file = args.command == "db" and args.db_command in ("backup", "check")
    if needs_file and path is not None and not path.exists():
        raise UserError(
            f"データベースがありません: {path}（新しく作るときは consult-desk db upgrade）"
        )
    if args.command == "demo":
        per_business = args.consultations_per_business
        if not 0 <= args.businesses <= MAX_DEMO_BUSINESSES:
            raise UserError(f"事業者の数は0〜{MAX_DEMO_BUSINESSES:,}で指定してください。")
        if not (math.isfinite(per_business) and 0 <= per_business <= MAX_DEMO_PER_BUSINESS):
            raise UserError(
                f"1事業者あたりの相談数は0〜{MAX_DEMO_PER_BUSINESS}で指定してください。"
            )


def _dispatch(args: argparse.Namespace, db: Database) -> int:
    maintenance = MaintenanceService(db)
    if args.command == "db":
        if args.db_command == "upgrade":
            before = maintenance.state()
            backup = maintenance.upgrade()
            if before is SchemaState.CURRENT:
                print("データベースはすでに最新です。")
            else:
                print("データベースを最新の形式にしました。")
            if backup:
                print(f"更新前のバックアップ: {backup}")
            return 0
        if args.db_command == "backup":
            _require_current(maintenance)
            print(f"バックアップを作成しました: {maintenance.backup(args.to)}")
            return 0
        results = maintenance.check()
        for result in results:
            mark = "OK " if result.ok else "NG "
            print(f"{mark}{result.name}" + (f": {result.detail}" if result.detail else ""))
        return 0 if all(r.ok for r in results) else 1

    # Every other command works on a database at this build's schema; a new file is built.
    _open(maintenance)
    if args.command == "initiatives":
        return _initiatives(db, as_json=args.json)
    if args.command == "demo":
        if args.if_empty and BusinessService(db).count(BusinessQuery(archived=None)):
            print("事業者がすでに登録されているため、デモデータは追加しませんでした。")
            return 0
        return _demo(
            db,
            seed=args.seed,
            businesses=args.businesses,
            per_business=args.consultations_per_business,
        )
    raise AssertionError(args.command)


def _require_current(maintenance: MaintenanceService) -> None:
    state = maintenance.state()
    if state is SchemaState.EMPTY:
        raise UserError(
            "データベースがまだありません。先に consult-desk db upgrade を実行してください。"
        )


def _open(maintenance: MaintenanceService) -> None:
    backup = maintenance.upgrade()
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


def _demo(db: Database, *, seed: int, businesses: int, per_business: float) -> int:
    summary = DemoService(db).fill(
        seed=seed, businesses=businesses, consultations_per_business=per_business
    )
    print(
        f"デモデータを作成しました: 職員 {summary.staff} 名、事業者 {summary.businesses:,} 件、"
        f"相談 {summary.consultations:,} 件"
    )
    print("デモ用職員: " + "、".join(f"{name}（{login}）" for login, name, _, _ in DEMO_STAFF))
    print(summary.password_note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
