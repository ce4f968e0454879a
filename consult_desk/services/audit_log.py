"""The audit viewer: filter, page and export the audit trail (auditors and administrators)."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, func, select

from consult_desk.db.engine import Database
from consult_desk.db.models import AuditLog, Staff
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.services import audit

JST = timedelta(hours=9)
ACTION_LABELS = {
    "create": "登録",
    "update": "更新",
    "archive": "アーカイブ",
    "unarchive": "アーカイブ解除",
    "delete": "削除",
    "restore": "ごみ箱から復元",
    "restore_version": "以前の版に戻す",
    "transition": "状態変更",
    "undo": "状態変更の取消し",
    "sign_in": "サインイン",
    "sign_in_failed": "サインイン失敗",
    "sign_in_refused": "サインイン拒否（待機中）",
    "password_change": "パスワード変更",
    "password_change_failed": "パスワード変更失敗",
    "password_reset": "パスワード再設定",
    "export": "出力",
    "print": "印刷・PDF",
    "import": "取込",
    "import_undo": "取込の取消し",
    "backup": "バックアップ",
    "restore_backup": "バックアップから復元",
}

RECORD_KIND_LABELS = {
    "import_batch": "取込",
    "business": "事業者",
    "consultation": "相談記録",
    "staff": "職員",
    "setting": "設定",
    "backup": "バックアップ",
    "audit_log": "監査ログ",
    "demo": "デモデータ",
    "loan_case": "融資あっせん",
    "loan_program": "資金種別",
    "loan_terms": "融資条件",
    "bank": "金融機関",
    "bank_branch": "金融機関の支店",
    "safety_net": "セーフティネット認定",
    "expert": "専門家",
    "expert_dispatch": "専門家派遣",
    "dispatch_visit": "派遣の訪問記録",
    "dispatch_program": "派遣制度",
    "dispatch_terms": "派遣制度の年度条件",
    "street_association": "商店街",
    "street_membership": "商店街の会員数",
    "street_support": "商店街支援記録",
    "street_event": "商店街イベント",
    "support_kind": "支援の種類",
    "subsidy_application": "補助金申請",
    "subsidy_program": "補助金制度",
    "subsidy_terms": "補助金制度の条件",
}


@dataclass(frozen=True, slots=True)
class AuditQuery:
    date_from: date | None = None  # Japan dates, inclusive
    date_to: date | None = None
    staff_id: int | None = None
    action: str | None = None
    record_kind: str | None = None


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: int
    occurred_at: datetime
    staff_name: str
    action: str
    record_kind: str
    record_id: int | None
    changes: dict[str, Any] = field(compare=False)


def _utc_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC) - JST


def _conditions(query: AuditQuery) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if query.date_from:
        found.append(AuditLog.occurred_at >= _utc_start(query.date_from))
    if query.date_to:
        found.append(AuditLog.occurred_at < _utc_start(query.date_to + timedelta(days=1)))
    if query.staff_id is not None:
        found.append(AuditLog.staff_id == query.staff_id)
    if query.action:
        found.append(AuditLog.action == query.action)
    if query.record_kind:
        found.append(AuditLog.record_kind == query.record_kind)
    return found


class AuditLogService:
    """Read-only access to the trail; there is no way to change an entry through the app."""

    def __init__(self, db: Database, principal: Principal) -> None:
        self._db = db
        self._principal = principal

    def page(
        self, query: AuditQuery, after: AuditRow | None = None, limit: int = 200
    ) -> list[AuditRow]:
        self._principal.require(Kind.AUDIT, Action.READ)
        stmt = (
            select(AuditLog, Staff.name)
            .outerjoin(Staff, Staff.id == AuditLog.staff_id)
            .where(*_conditions(query))
            .order_by(AuditLog.id.desc())
            .limit(limit)
        )
        if after is not None:
            stmt = stmt.where(AuditLog.id < after.id)
        with self._db.read() as session:
            return [
                AuditRow(
                    entry.id,
                    entry.occurred_at,
                    name or "",
                    entry.action,
                    entry.record_kind,
                    entry.record_id,
                    json.loads(entry.changes),
                )
                for entry, name in session.execute(stmt)
            ]

    def count(self, query: AuditQuery) -> int:
        self._principal.require(Kind.AUDIT, Action.READ)
        stmt = select(func.count()).select_from(AuditLog).where(*_conditions(query))
        with self._db.read() as session:
            return session.execute(stmt).scalar_one()

    def export_csv(self, query: AuditQuery, target: Path) -> int:
        """Write the filtered trail as CSV (UTF-8 with BOM, so Excel opens it); returns rows."""
        self._principal.require(Kind.AUDIT, Action.EXPORT)
        rows = 0
        with target.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["ID", "日時", "職員", "操作", "対象", "対象ID", "変更内容"])
            after = None
            while page := self.page(query, after=after, limit=1000):
                for row in page:
                    writer.writerow(
                        [
                            row.id,
                            (row.occurred_at + JST).strftime("%Y-%m-%d %H:%M:%S"),
                            row.staff_name,
                            ACTION_LABELS.get(row.action, row.action),
                            row.record_kind,
                            row.record_id or "",
                            json.dumps(row.changes, ensure_ascii=False),
                        ]
                    )
                rows += len(page)
                after = page[-1]
        with self._db.write() as session:
            audit.record(
                session,
                self._principal.staff_id,
                "export",
                "audit_log",
                None,
                {"rows": [None, rows], "file": [None, target.name]},
            )
        return rows
