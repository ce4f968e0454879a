"""Database upkeep: schema state, upgrade, backup and a health check."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from consult_desk.db import dialect
from consult_desk.db.engine import Database
from consult_desk.db.migrate import (
    SchemaState,
    backup_sqlite,
    current_revision,
    head_revision,
    open_or_upgrade,
    pending_revisions,
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

    def pending(self) -> list[str]:
        """The revisions an upgrade would apply, oldest first, as 'id: message'."""
        return pending_revisions(self._db.engine)

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
        with self._db.engine.connect() as connection:
            checked = dialect.integrity_check(connection)
            if checked is not None:  # SQLite: the file and its links
                lines, broken = checked
                results.append(CheckResult("整合性", lines == ["ok"], "; ".join(lines[:5])))
                results.append(
                    CheckResult("外部キー", not broken, f"{broken} 件の不整合" if broken else "")
                )
            collation = dialect.collation(connection)
            if collation is not None:  # PostgreSQL: sort order and text search as on SQLite
                results.append(
                    CheckResult(
                        "照合順序",
                        collation in dialect.BYTE_ORDER_COLLATIONS,
                        collation
                        if collation in dialect.BYTE_ORDER_COLLATIONS
                        else f"{collation}（並び順が SQLite と異なります。C を推奨）",
                    )
                )
                trigram = dialect.trigram_search(connection)
                detail = {
                    "missing": "pg_trgm が未導入です",
                    "no_japanese": "LC_CTYPE が日本語を文字と扱いません（索引が効きません）",
                }.get(trigram or "", "")
                results.append(CheckResult("全文検索（pg_trgm）", trigram == "ok", detail))
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
