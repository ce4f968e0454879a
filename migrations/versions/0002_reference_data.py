"""reference data: the plan catalogue, JSIC, towns, channels, topics, loan statuses

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28

Loads migrations/data/0002/*.json (a frozen copy of resources/reference/ at this revision).
The data stays editable master data afterwards.
"""

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tracked() -> list[sa.ColumnClause[Any]]:
    return [
        sa.column("created_at", sa.DateTime),
        sa.column("updated_at", sa.DateTime),
        sa.column("version", sa.Integer),
    ]


def _stamped(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with the created/updated stamps (naive UTC, as the app stores them) and version 1."""
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    return [dict(row, created_at=now, updated_at=now, version=1) for row in rows]


def _load(name: str) -> Any:
    # This revision's own copy of the data: later edits of resources/reference/ must not
    # change what 0002 inserts on a new database (they arrive as migrations of their own).
    folder = Path(__file__).resolve().parent.parent / "data" / "0002"
    return json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))


basic_policy = sa.table(
    "basic_policy",
    *_tracked(),
    sa.column("id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("title", sa.String),
    sa.column("description", sa.Text),
    sa.column("sort_order", sa.Integer),
)
policy = sa.table(
    "policy",
    *_tracked(),
    sa.column("id", sa.Integer),
    sa.column("basic_policy_id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("title", sa.String),
    sa.column("description", sa.Text),
    sa.column("summary", sa.Text),
    sa.column("sort_order", sa.Integer),
)
initiative = sa.table(
    "initiative",
    *_tracked(),
    sa.column("id", sa.Integer),
    sa.column("policy_id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("title", sa.String),
    sa.column("description", sa.Text),
    sa.column("owners_note", sa.String),
    sa.column("sort_order", sa.Integer),
)
initiative_owner = sa.table(
    "initiative_owner",
    sa.column("initiative_id", sa.Integer),
    sa.column("position", sa.Integer),
    sa.column("name", sa.String),
)
jsic_major = sa.table(
    "jsic_major", *_tracked(), sa.column("code", sa.String), sa.column("name", sa.String)
)
town = sa.table(
    "town",
    *_tracked(),
    sa.column("name", sa.String),
    sa.column("kana", sa.String),
    sa.column("postal_code", sa.String),
    sa.column("area", sa.String),
    sa.column("sort_order", sa.Integer),
)
channel = sa.table(
    "consultation_channel",
    *_tracked(),
    sa.column("name", sa.String),
    sa.column("sort_order", sa.Integer),
    sa.column("active", sa.Boolean),
)
topic = sa.table(
    "consultation_topic",
    *_tracked(),
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("initiative_id", sa.Integer),
    sa.column("sort_order", sa.Integer),
    sa.column("active", sa.Boolean),
)
loan_status = sa.table(
    "loan_status",
    *_tracked(),
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("terminal", sa.Boolean),
    sa.column("sort_order", sa.Integer),
)
support_kind = sa.table(
    "support_kind",
    *_tracked(),
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("initiative_id", sa.Integer),
    sa.column("sort_order", sa.Integer),
    sa.column("active", sa.Boolean),
)


def _insert(table: sa.TableClause, rows: list[dict[str, Any]]) -> None:
    tracked = "version" in table.c  # editable master data carries stamps and a version
    op.bulk_insert(table, _stamped(rows) if tracked else rows)


def upgrade() -> None:
    plan = _load("plan")
    initiative_ids: dict[str, int] = {}
    basic_rows, policy_rows, initiative_rows, owner_rows = [], [], [], []
    next_policy_id = next_initiative_id = 1
    for b, basic in enumerate(plan["basic_policies"], start=1):
        basic_rows.append(
            {
                "id": b,
                "code": basic["code"],
                "title": basic["title"],
                "description": basic.get("description", ""),
                "sort_order": b,
            }
        )
        for p, pol in enumerate(basic["policies"], start=1):
            policy_rows.append(
                {
                    "id": next_policy_id,
                    "basic_policy_id": b,
                    "code": pol["code"],
                    "title": pol["title"],
                    "description": pol.get("description", ""),
                    "summary": pol.get("summary", ""),
                    "sort_order": p,
                }
            )
            for i, ini in enumerate(pol["initiatives"], start=1):
                initiative_ids[ini["code"]] = next_initiative_id
                initiative_rows.append(
                    {
                        "id": next_initiative_id,
                        "policy_id": next_policy_id,
                        "code": ini["code"],
                        "title": ini["title"],
                        "description": ini.get("description", ""),
                        "owners_note": ini.get("owners_note", ""),
                        "sort_order": i,
                    }
                )
                owner_rows += [
                    {"initiative_id": next_initiative_id, "position": n, "name": owner}
                    for n, owner in enumerate(ini["owners"], start=1)
                ]
                next_initiative_id += 1
            next_policy_id += 1
    _insert(basic_policy, basic_rows)
    _insert(policy, policy_rows)
    _insert(initiative, initiative_rows)
    _insert(initiative_owner, owner_rows)

    _insert(jsic_major, [{"code": j["code"], "name": j["name"]} for j in _load("jsic")])
    _insert(town, [dict(t, sort_order=n) for n, t in enumerate(_load("towns"), start=1)])
    consultation = _load("consultation")
    _insert(
        channel,
        [
            {"name": name, "sort_order": n, "active": True}
            for n, name in enumerate(consultation["channels"], start=1)
        ],
    )
    _insert(
        topic,
        [
            {
                "code": t["code"],
                "name": t["name"],
                "initiative_id": initiative_ids[t["initiative"]],
                "sort_order": n,
                "active": True,
            }
            for n, t in enumerate(consultation["topics"], start=1)
        ],
    )
    _insert(
        loan_status,
        [
            {"code": s["code"], "name": s["name"], "terminal": s["terminal"], "sort_order": n}
            for n, s in enumerate(_load("loan_statuses"), start=1)
        ],
    )
    _insert(
        support_kind,
        [
            {
                "code": k["code"],
                "name": k["name"],
                "initiative_id": initiative_ids[k["initiative"]],
                "sort_order": n,
                "active": True,
            }
            for n, k in enumerate(_load("support_kinds"), start=1)
        ],
    )

    # The plan rows were inserted with explicit ids: move PostgreSQL's sequences past them.
    if op.get_bind().dialect.name == "postgresql":
        for table in ("basic_policy", "policy", "initiative"):
            op.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT MAX(id) FROM {table}) + 1, false)"
                )
            )


def downgrade() -> None:
    # Only reference rows that no record uses can go: on SQLite the foreign-key check after the
    # downgrade (db/migrate.py) refuses and rolls back; PostgreSQL refuses at once.
    for table in (
        "support_kind",
        "loan_status",
        "consultation_topic",
        "consultation_channel",
        "town",
        "jsic_major",
        "initiative_owner",
        "initiative",
        "policy",
        "basic_policy",
    ):
        op.execute(sa.text(f"DELETE FROM {table}"))
