"""Crash harness: kill a writing child with SIGKILL at random moments, then check the file.

``python -m tests.harness.crash --runs 200`` prints the figures recorded in
docs/reliability.md; the test suite runs a smaller number of kills.
"""

import argparse
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class CrashResult:
    runs: int = 0
    acknowledged: int = 0  # writes the child reported as committed
    present: int = 0  # rows found afterwards
    lost: int = 0  # acknowledged but missing: must stay 0
    half_applied: int = 0  # a row without its audit entry (or the reverse): must stay 0
    integrity_failures: int = 0


def _kill_once(path: Path, run: int, rng: random.Random) -> list[int]:
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.harness.writers", "crash", str(path), f"run{run}"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert child.stdout is not None
    if child.stdout.readline().strip() != "ready":
        child.kill()
        raise RuntimeError("writer did not start")
    deadline = time.monotonic() + rng.uniform(0.05, 0.6)
    acknowledged = []
    os.set_blocking(child.stdout.fileno(), False)
    while time.monotonic() < deadline:
        line = child.stdout.readline()
        if line.strip().isdigit():
            acknowledged.append(int(line))
        elif not line:
            time.sleep(0.001)
    child.send_signal(signal.SIGKILL)
    child.wait()
    # Whatever the child printed before it died was committed before it was printed.
    os.set_blocking(child.stdout.fileno(), True)
    acknowledged += [int(line) for line in child.stdout.read().split() if line.isdigit()]
    return acknowledged


def run_harness(path: Path, *, min_runs: int, min_writes: int, seed: int = 1) -> CrashResult:
    rng = random.Random(seed)
    result = CrashResult()
    acknowledged: list[int] = []
    while result.runs < min_runs or len(acknowledged) < min_writes:
        acknowledged += _kill_once(path, result.runs, rng)
        result.runs += 1
        if result.runs > 50 * max(min_runs, 1):
            break
    connection = sqlite3.connect(path)
    try:
        if connection.execute("PRAGMA integrity_check").fetchone() != ("ok",):
            result.integrity_failures += 1
        present = {row[0] for row in connection.execute("SELECT id FROM business")}
        audited = {
            row[0]
            for row in connection.execute(
                "SELECT record_id FROM audit_log WHERE action = 'create' "
                "AND record_kind = 'business'"
            )
        }
    finally:
        connection.close()
    result.acknowledged = len(acknowledged)
    result.present = len(present)
    result.lost = len(set(acknowledged) - present)
    result.half_applied = len(present ^ audited)
    return result


def main() -> int:
    from consult_desk.db.engine import Database
    from consult_desk.db.migrate import upgrade_to_head

    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--db", type=Path, default=Path("/tmp/consult-desk-crash.sqlite"))
    args = parser.parse_args()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{args.db}{suffix}").unlink(missing_ok=True)
    database = Database(f"sqlite:///{args.db}")
    upgrade_to_head(database.engine)
    database.dispose()
    started = time.monotonic()
    result = run_harness(args.db, min_runs=args.runs, min_writes=0)
    print(f"{result} in {time.monotonic() - started:.0f} s")
    return 0 if not (result.lost or result.half_applied or result.integrity_failures) else 1


if __name__ == "__main__":
    sys.exit(main())
