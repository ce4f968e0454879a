"""Crash safety and two writers (issue 3): SIGKILL loses nothing acknowledged, and two
processes writing the same file at once see no lock error and lose no update."""

import subprocess
import sys
from pathlib import Path

import pytest

from consult_desk.db.engine import Database
from consult_desk.domain.businesses import BusinessInput, BusinessQuery
from consult_desk.domain.permissions import Principal
from consult_desk.services.businesses import BusinessService
from tests.harness.crash import run_harness

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


def test_two_processes_writing_at_once_see_no_lock_error(
    db: Database, db_path: Path, admin: Principal
) -> None:
    children = [_writer("add", db_path, prefix, 150) for prefix in ("left", "right")]

    outcomes = [child.communicate(timeout=120) for child in children]

    assert [child.returncode for child in children] == [0, 0], outcomes
    assert all("locked" not in err for _, err in outcomes)
    assert BusinessService(db, admin).count(BusinessQuery()) == 300


def test_two_processes_editing_one_record_lose_no_update(
    db: Database, db_path: Path, admin: Principal
) -> None:
    service = BusinessService(db, admin)
    business_id = service.add(BusinessInput(name="共有カウンター", employees=0))
    children = [_writer("count", db_path, business_id, 60) for _ in range(2)]

    outcomes = [child.communicate(timeout=120) for child in children]

    assert [child.returncode for child in children] == [0, 0], outcomes
    assert service.get(business_id).input.employees == 120  # every increment kept
