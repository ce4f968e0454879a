"""Crash safety and two writers (issues 3 and 9): SIGKILL loses nothing acknowledged, and two
processes writing the same database at once (an SQLite file, or PostgreSQL with --db-url) see
no lock error, lose no update and overwrite nothing silently."""

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from consult_desk.db.engine import Database
from consult_desk.db.models import AuditLog, LoanCase
from consult_desk.domain.businesses import BusinessInput, BusinessQuery
from consult_desk.domain.loans import LoanCaseInput, LoanState
from consult_desk.domain.permissions import Principal
from consult_desk.services.businesses import BusinessService
from consult_desk.services.loans import LoanService
from tests.harness.crash import run_harness
from tests.loan_setup import make_loan_world

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _writer(*args: str | Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.harness.writers", *map(str, args)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_killed_writers_lose_no_acknowledged_write(db: Database, db_path: Path) -> None:
    db.dispose()

    result = run_harness(db_path, min_runs=10, min_writes=500)

    assert result.acknowledged >= 500
    assert result.integrity_failures == 0
    assert result.lost == 0
    assert result.half_applied == 0


def test_two_processes_writing_at_once_see_no_lock_error(db: Database, admin: Principal) -> None:
    children = [_writer("add", db.url, prefix, 150) for prefix in ("left", "right")]

    outcomes = [child.communicate(timeout=120) for child in children]

    assert [child.returncode for child in children] == [0, 0], outcomes
    assert all("locked" not in err for _, err in outcomes)
    assert BusinessService(db, admin).count(BusinessQuery()) == 300


def test_two_processes_editing_one_record_lose_no_update(db: Database, admin: Principal) -> None:
    service = BusinessService(db, admin)
    business_id = service.add(BusinessInput(name="共有カウンター", employees=0))
    children = [_writer("count", db.url, business_id, 60) for _ in range(2)]

    outcomes = [child.communicate(timeout=120) for child in children]

    assert [child.returncode for child in children] == [0, 0], outcomes
    assert service.get(business_id).input.employees == 120  # every increment kept


def _race(mode: str, db: Database, tmp_path: Path, ids: list[int]) -> dict[str, list[str]]:
    """Two users open the same records, then both save at once; their printed outcomes."""
    go = tmp_path / "go"
    joined = ",".join(map(str, ids))
    children = {tag: _writer(mode, db.url, go, tag, joined) for tag in ("left", "right")}
    for child in children.values():  # both have read every record's version
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
    go.touch()
    outcomes = {tag: child.communicate(timeout=120) for tag, child in children.items()}
    assert [c.returncode for c in children.values()] == [0, 0], outcomes
    return {tag: out.split() for tag, (out, _) in outcomes.items()}


def _results(lines: list[str]) -> dict[int, str]:
    return {int(i): outcome for outcome, i in zip(lines[::2], lines[1::2], strict=True)}


def test_two_users_saving_the_same_businesses_at_once_one_gets_the_conflict(
    db: Database, admin: Principal, tmp_path: Path
) -> None:
    service = BusinessService(db, admin)
    ids = [service.add(BusinessInput(name=f"共有{n}", summary="元のメモ")) for n in range(12)]

    printed = _race("race-business", db, tmp_path, ids)

    left, right = _results(printed["left"]), _results(printed["right"])
    with db.read() as session:
        updates = session.execute(
            select(AuditLog.record_id, func.count())
            .where(AuditLog.record_kind == "business", AuditLog.action == "update")
            .group_by(AuditLog.record_id)
        ).all()
    for business_id in ids:
        # Exactly one save per business; the other user was told, not silently overwritten.
        assert sorted([left[business_id], right[business_id]]) == ["conflict", "ok"]
        winner = "left" if left[business_id] == "ok" else "right"
        current = service.get(business_id)
        assert current.input.summary == f"{winner} が編集"
        assert current.version == 2
    assert dict(updates) == dict.fromkeys(ids, 1)


def test_two_officers_taking_the_same_loan_step_at_once_record_it_once(
    db: Database, admin: Principal, tmp_path: Path
) -> None:
    world = make_loan_world(db)
    loans = LoanService(db, admin)
    ids = [
        loans.add(
            LoanCaseInput(
                business_id=world.business_id,
                program_id=world.program_id,
                received_on=date(2026, 11, 16),
                requested_amount=1_000_000 + n,
                purpose="運転資金",
            ),
            today=date(2026, 11, 30),
        )
        for n in range(8)
    ]

    printed = _race("race-loan", db, tmp_path, ids)

    left, right = _results(printed["left"]), _results(printed["right"])
    for case_id in ids:
        assert sorted([left[case_id], right[case_id]]) == ["conflict", "ok"]
        case = loans.get(case_id)
        assert case.version == 2
        received = [e for e in loans.history(case_id) if e.to_state is LoanState.RECEIVED]
        assert len(received) == 1
    with db.read() as session:
        receipts = session.execute(
            select(LoanCase.id, LoanCase.interviewer).where(LoanCase.id.in_(ids))
        ).all()
        audited = session.execute(
            select(func.count()).where(
                AuditLog.record_kind == "loan_case", AuditLog.action == "transition"
            )
        ).scalar_one()
    for case_id, interviewer in receipts:
        assert interviewer == ("left" if left[case_id] == "ok" else "right")
    assert audited == len(ids)


def test_two_processes_editing_random_businesses_overwrite_nothing_silently(
    db: Database, admin: Principal
) -> None:
    """R8: every save's audit entry must start from what the save before it left; a save
    based on a stale read would show up as a gap in this chain."""
    service = BusinessService(db, admin)
    ids = [service.add(BusinessInput(name=f"共有{n}", summary="最初")) for n in range(4)]
    joined = ",".join(map(str, ids))
    children = [
        _writer("edit", db.url, tag, seed, 40, joined) for tag, seed in (("left", 1), ("right", 2))
    ]

    outcomes = [child.communicate(timeout=180) for child in children]

    assert [child.returncode for child in children] == [0, 0], outcomes
    assert all(out.startswith("saved 40 ") for out, _ in outcomes), outcomes
    with db.read() as session:
        entries = session.execute(
            select(AuditLog.record_id, AuditLog.changes)
            .where(AuditLog.record_kind == "business", AuditLog.action == "update")
            .order_by(AuditLog.id)
        ).all()
    assert len(entries) == 80  # every acknowledged save, and nothing else
    summary = dict.fromkeys(ids, "最初")
    for record_id, changes in entries:
        before, after = json.loads(changes)["summary"]
        assert before == summary[record_id]  # based on the latest save, not a stale read
        summary[record_id] = after
    for business_id in ids:
        assert service.get(business_id).input.summary == summary[business_id]
