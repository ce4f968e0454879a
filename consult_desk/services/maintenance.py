"""Database upkeep: schema state, upgrade, backup and a health check."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from consult_desk.db.engine import Database
from consult_desk.db.migrate import (
    SchemaState,
    backup_sqlite,
    current_revision,
    head_revision,
    open_or_upgrade,
    schema_state,
)
from consult_desk.services import audit


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One line of ``db check``: what was checked, whether it passed, and what was found."""

    name: str
    ok: bool
    detail: str = ""


class MaintenanceService:
    def __init__(self, db: Database) -> None:
        self._db = db

    def state(self) -> SchemaState:
        return schema_state(self._db.engine)

    @property
    def is_sqlite(self) -> bool:
        return self._db.dialect == "sqlite"

    def upgrade(self, *, allow_upgrade: bool = True) -> Path | None:
        """Bring the database to this build's schema (backing up an SQLite file first)."""
        return open_or_upgrade(self._db.engine, allow_upgrade=allow_upgrade)

    def backup(self, target: Path | None = None) -> Path:
        return backup_sqlite(self._db.engine, target, label="manual")

    def check(self) -> list[CheckResult]:
        results = []
        state = self.state()
        revision = current_revision(self._db.engine) or "-"
        results.append(
            CheckResult(
                "スキーマ",
                state is SchemaState.CURRENT,
                f"{revision}（この版: {head_revision()}、状態: {state.value}）",
            )
        )
        if state is not SchemaState.CURRENT:
            return results
        if self._db.dialect == "sqlite":
            with self._db.engine.connect() as connection:
                rows = connection.exec_driver_sql("PRAGMA integrity_check").scalars().all()
                results.append(CheckResult("整合性", rows == ["ok"], "; ".join(rows[:5])))
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                results.append(
                    CheckResult(
                        "外部キー", not broken, f"{len(broken)} 件の不整合" if broken else ""
                    )
                )
        with self._db.read() as session:
            chain = audit.verify_chain(session)
        results.append(
            CheckResult(
                "監査ログ",
                chain.first_broken_id is None,
                f"{chain.entries} 件"
                + (f"、ID {chain.first_broken_id} で改ざんを検出" if chain.first_broken_id else ""),
            )
        )
        return results
