"""List, search and sort timings on a big demo database, through the services.

Run on demand (never part of the test suite):

    .venv/bin/python benchmarks/lists.py [PATH] [--businesses 100000] [--per-business 10]

PATH (default ``/tmp/consult-desk-bench.sqlite``) is built with DemoService when it does not
exist and reused otherwise (``--rebuild`` starts over). Every figure is the median of
``--runs`` timed calls after one untimed warm-up call; the warm-up's own time is shown too
(it includes filling SQLite's page cache for that query). Targets (issue 4): first page and
search under 100 ms, a sort under 300 ms. Results go to stdout as a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from consult_desk.db.engine import Database
from consult_desk.db.migrate import upgrade_to_head
from consult_desk.domain.businesses import BusinessQuery, BusinessSort
from consult_desk.domain.consultations import ConsultationQuery
from consult_desk.domain.permissions import SETUP
from consult_desk.services.businesses import BusinessService
from consult_desk.services.consultations import ConsultationService
from consult_desk.services.demo import DemoService

ANCHOR = date(2026, 11, 28)
PAGE = 200
FIRST_PAGE_MS = 100.0
SEARCH_MS = 100.0
SORT_MS = 300.0

# (what it exercises, typed text): rare and common words, indexed (3+) and LIKE (1–2).
BUSINESS_SEARCHES = (
    ("3+ chars, rare", "神田青果"),
    ("3+ chars, common, half-width kana", "ｼｮｳｼﾞ"),
    ("法人番号 digits", "0100010"),
    ("phone, typed with hyphens", "03-3264"),
    ("two words", "神田 ソフトウェア"),
    ("2 chars, common", "神田"),
    ("2 chars, rare", "青果"),
)
CONSULTATION_SEARCHES = (
    ("3+ chars, common", "資金繰り"),
    ("3+ chars, rare", "インボイス"),
    ("two words", "資金繰り 次回"),
    ("2 chars, common", "融資"),
    ("2 chars, rare", "商標"),
)


@dataclass
class Figure:
    name: str
    target_ms: float
    warmup_ms: float
    median_ms: float
    rows: int

    @property
    def verdict(self) -> str:
        return "ok" if self.median_ms < self.target_ms else "**MISS**"


def build(path: Path, businesses: int, per_business: float) -> float:
    """Create and fill the demo database; returns the seconds it took."""
    started = time.perf_counter()
    db = Database(f"sqlite:///{path}")
    upgrade_to_head(db.engine)
    summary = DemoService(db, SETUP).fill(
        businesses=businesses, consultations_per_business=per_business, anchor=ANCHOR
    )
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    seconds = time.perf_counter() - started
    print(
        f"built {path}: {summary.businesses:,} businesses, {summary.consultations:,}"
        f" consultations in {seconds:.1f} s",
        file=sys.stderr,
    )
    return seconds


def measure(name: str, target_ms: float, call: Callable[[], Any], runs: int) -> Figure:
    started = time.perf_counter()
    result = call()
    warmup = (time.perf_counter() - started) * 1000
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    rows = len(result) if isinstance(result, list) else int(result)
    return Figure(name, target_ms, warmup, statistics.median(times), rows)


def figures(db: Database, runs: int) -> list[Figure]:
    businesses = BusinessService(db, SETUP)
    consultations = ConsultationService(db, SETUP)
    found: list[Figure] = []

    def business(name: str, target: float, query: BusinessQuery, count: bool = False) -> None:
        found.append(measure(f"{name}: first page", target, lambda: businesses.page(query), runs))
        if count:
            found.append(measure(f"{name}: count", target, lambda: businesses.count(query), runs))

    def consultation(name: str, target: float, query: ConsultationQuery) -> None:
        found.append(
            measure(f"{name}: first page", target, lambda: consultations.page(query), runs)
        )
        found.append(measure(f"{name}: count", target, lambda: consultations.count(query), runs))

    business("business list", FIRST_PAGE_MS, BusinessQuery(), count=True)
    first = businesses.page(BusinessQuery())
    found.append(
        measure(
            "business list: next page (keyset)",
            FIRST_PAGE_MS,
            lambda: businesses.page(BusinessQuery(), after=first[-1]),
            runs,
        )
    )
    consultation("consultation list", FIRST_PAGE_MS, ConsultationQuery())
    for label, text in BUSINESS_SEARCHES:
        business(f"business search {label} 「{text}」", SEARCH_MS, BusinessQuery(text=text), True)
    for label, text in CONSULTATION_SEARCHES:
        consultation(
            f"consultation search {label} 「{text}」", SEARCH_MS, ConsultationQuery(text=text)
        )
    for sort in BusinessSort:
        for descending in (False, True):
            order = "descending" if descending else "ascending"
            query = BusinessQuery().sorted_by(sort, descending=descending)
            business(f"business sort by {sort.value} ({order})", SORT_MS, query)
    return found


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if "model name" in line)
    except (OSError, StopIteration):
        pass
    return (
        f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} CPUs,"
        f" Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default="/tmp/consult-desk-bench.sqlite", type=Path)
    parser.add_argument("--businesses", type=int, default=100_000)
    parser.add_argument("--per-business", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()

    if args.rebuild:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.path}{suffix}").unlink(missing_ok=True)
    build_seconds = None
    if not args.path.exists():
        build_seconds = build(args.path, args.businesses, args.per_business)

    db = Database(f"sqlite:///{args.path}")
    with db.engine.connect() as connection:
        counts = [
            connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()
            for table in ("business", "consultation")
        ]
    size_mb = args.path.stat().st_size / 1e6
    print(f"- Machine: {machine()}")
    print(
        f"- Data: {counts[0]:,} businesses, {counts[1]:,} consultations;"
        f" file {size_mb:,.0f} MB ({args.path})"
    )
    if build_seconds is not None:
        print(f"- Build (migrations + DemoService.fill): {build_seconds:.0f} s")
    print(f"- Each figure: median of {args.runs} runs after one warm-up run; page = {PAGE} rows")
    print()
    print("| measurement | rows | warm-up ms | median ms | target ms | |")
    print("|---|---:|---:|---:|---:|---|")
    for f in figures(db, args.runs):
        print(
            f"| {f.name} | {f.rows:,} | {f.warmup_ms:,.1f} | {f.median_ms:,.1f} |"
            f" < {f.target_ms:.0f} | {f.verdict} |"
        )
    db.dispose()


if __name__ == "__main__":
    main()
