"""Report timings on a big demo database: each report built, laid out and rendered end to end.

Run on demand (never part of the test suite):

    .venv/bin/python benchmarks/reports.py [PATH] [--runs 5]

PATH (default ``/tmp/consult-desk-bench.sqlite``, the database of ``benchmarks/lists.py``) is
built with ``lists.build`` (100,000 businesses, 1,000,000 consultations, anchored on
2026-11-28) when it does not exist, and brought to the newest schema otherwise (a migration may
have added indexes since it was built). Every figure is the median of ``--runs`` timed calls
after one untimed warm-up call and one timed "cold" call, as the signed-in set-up account
(every amount visible). The cold call starts with no closed month's counts stored
(``report_month`` emptied, as after a write to every month); the calls after it read the
counts it stored.
"End to end" is what the 帳票 page and ``consult-desk report`` do: ``ReportingService`` builds
the report's data, ``render_report`` lays it out and draws the PDF (or dumps the JSON); writing
the file is left out. Targets (issue 7): 月次報告 PDF < 3 s, 年度報告 PDF < 10 s; the other
figures are for information. Results go to stdout as a Markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pypdfium2
from sqlalchemy import delete

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.lists import ANCHOR, build, machine
from consult_desk.db.engine import Database
from consult_desk.db.migrate import upgrade_to_head
from consult_desk.db.models import ReportMonth
from consult_desk.domain.fiscal import JST, fiscal_year
from consult_desk.domain.permissions import SETUP
from consult_desk.reports.document import RenderOptions
from consult_desk.services.report_files import ReportFormat, render_report
from consult_desk.services.reporting import ReportingService

MONTHLY_S = 3.0
FISCAL_YEAR_S = 10.0
INITIATIVE = "1-2-2"  # 経営相談: the initiative most demo consultations count for
OPTIONS = RenderOptions(generated_at=datetime(2026, 11, 30, 9, 0, tzinfo=JST), generated_by="計測")


@dataclass
class Figure:
    name: str
    target_s: float | None
    cold_s: float  # the first call, no month's counts stored
    median_s: float
    min_s: float  # the least disturbed run: on a shared machine, the best estimate of the cost
    data_s: float  # median time of building the report's data alone
    size: str  # pages of a PDF, bytes of a JSON file

    @property
    def verdict(self) -> str:
        if self.target_s is None:
            return ""
        return "ok" if self.median_s < self.target_s else "**MISS**"


def _timed(call: Callable[[], object], runs: int) -> tuple[float, float, float, object]:
    """(first call's seconds, median seconds, fastest seconds, last result)."""
    started = time.perf_counter()
    result = call()
    first = time.perf_counter() - started
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
    return first, statistics.median(times), min(times), result


def forget_counts(db: Database) -> None:
    """Empty the stored months' counts (services/report_cache.py): the next report counts all."""
    with db.write() as session:
        session.execute(delete(ReportMonth))


def measure(
    db: Database,
    name: str,
    target_s: float | None,
    report: Callable[[], object],
    fmt: ReportFormat,
    runs: int,
) -> Figure:
    def end_to_end() -> bytes:
        return render_report(report(), fmt, OPTIONS).data

    end_to_end()  # untimed: imports, fonts and the file's pages loaded, as in a running app
    forget_counts(db)
    cold, median, fastest, data = _timed(end_to_end, runs)
    _, data_median, _, _ = _timed(report, runs)
    assert isinstance(data, bytes)
    if fmt is ReportFormat.PDF:
        size = f"{len(pypdfium2.PdfDocument(data))} pages"
    else:
        size = f"{len(data) / 1000:,.0f} kB"
    return Figure(name, target_s, cold, median, fastest, data_median, size)


def figures(db: Database, runs: int) -> Iterator[Figure]:
    service = ReportingService(db, SETUP)
    year = fiscal_year(ANCHOR) - 1  # the last complete 年度 of the demo data
    first, last = date(year, 4, 1), date(year + 1, 3, 31)
    month = (ANCHOR.year, ANCHOR.month - 1) if ANCHOR.month > 1 else (ANCHOR.year - 1, 12)
    march = (year + 1, 3)  # the 月次報告 with the longest 年度累計 (twelve months)
    pdf, json = ReportFormat.PDF, ReportFormat.JSON
    cases: list[tuple[str, float | None, Callable[[], object], ReportFormat]] = [
        (
            f"月次報告 {month[0]}-{month[1]:02d}: PDF",
            MONTHLY_S,
            lambda: service.monthly(*month),
            pdf,
        ),
        (
            f"月次報告 {march[0]}-{march[1]:02d} (年度末): PDF",
            MONTHLY_S,
            lambda: service.monthly(*march),
            pdf,
        ),
        (f"年度報告 {year}: PDF", FISCAL_YEAR_S, lambda: service.fiscal_year(year), pdf),
        (f"月次報告 {month[0]}-{month[1]:02d}: JSON", None, lambda: service.monthly(*month), json),
        (f"年度報告 {year}: JSON", None, lambda: service.fiscal_year(year), json),
        (
            f"施策別実績一覧 {year}: PDF",
            None,
            lambda: service.initiative_overview(first, last),
            pdf,
        ),
        (
            f"施策別実績 {INITIATIVE} {year}: PDF",
            None,
            lambda: service.initiative(INITIATIVE, first, last),
            pdf,
        ),
    ]
    for name, target, report, fmt in cases:
        yield measure(db, name, target, report, fmt, runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default="/tmp/consult-desk-bench.sqlite", type=Path)
    parser.add_argument("--businesses", type=int, default=100_000)
    parser.add_argument("--per-business", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    if not args.path.exists():
        build(args.path, args.businesses, args.per_business)
    db = Database(f"sqlite:///{args.path}")
    upgrade_to_head(db.engine)  # e.g. the report indexes of migration 0007
    with db.engine.connect() as connection:
        counts = [
            connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()
            for table in ("business", "consultation")
        ]
    print(f"- Machine: {machine()}")
    print(
        f"- Data: {counts[0]:,} businesses, {counts[1]:,} consultations;"
        f" file {args.path.stat().st_size / 1e6:,.0f} MB ({args.path})"
    )
    print(f"- Each figure: median of {args.runs} runs after a warm-up and a cold run")
    print()
    print("| report | output | cold s | median s | min s | of which data s | target s | |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for f in figures(db, args.runs):
        target = f"< {f.target_s:.0f}" if f.target_s is not None else "—"
        print(
            f"| {f.name} | {f.size} | {f.cold_s:.2f} | {f.median_s:.2f} | {f.min_s:.2f} |"
            f" {f.data_s:.2f} |"
            f" {target} | {f.verdict} |",
            flush=True,
        )
    db.dispose()


if __name__ == "__main__":
    main()
