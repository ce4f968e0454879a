"""Save the first pages of every report kind, on a fresh demo database, to docs/reports/.

Run: .venv/bin/python scripts/report_pages.py   (needs pdftoppm from poppler-utils)

The demo data, the date it is anchored on, the reader (demo-manager) and the time printed in
the footer are fixed, so the pictures stay the same from run to run. Each PDF is also left in
/tmp/consult-desk-report-pages/ for a look at every page.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import case, exists, func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from consult_desk.db.engine import Database
from consult_desk.db.migrate import upgrade_to_head
from consult_desk.db.models import (
    Business,
    Consultation,
    ExpertDispatch,
    LoanCase,
    Staff,
    SubsidyApplication,
)
from consult_desk.domain.fiscal import JST, fiscal_year
from consult_desk.domain.permissions import SETUP, Principal, Role
from consult_desk.reports.document import RenderOptions
from consult_desk.services.demo import DemoService
from consult_desk.services.report_files import ReportFormat, render_report
from consult_desk.services.reporting import ReportingService

OUT = Path(__file__).resolve().parent.parent / "docs" / "reports"
WORK = Path("/tmp/consult-desk-report-pages")
ANCHOR = date(2026, 11, 28)  # the demo's "today"
GENERATED = datetime(2026, 11, 30, 10, 0, tzinfo=JST)
READER = "demo-manager"  # 管理職: sees every amount, no internal notes on the カルテ
INITIATIVE = "1-2-1"  # 資金繰りの支援: consultations and loans
DPI = "60"


def _principal(db: Database, login: str) -> Principal:
    with db.read() as session:
        staff = session.execute(select(Staff).where(Staff.login == login)).scalar_one()
        return Principal(
            staff.id, staff.login, staff.name, frozenset(Role(r.role) for r in staff.roles)
        )


def _busiest_business(db: Database) -> int:
    """The business with the most kinds of record (loan case, dispatch, subsidy application),
    then the most consultations: the fullest カルテ. Ties go to the smallest id."""
    b = Business

    def has(model: type[LoanCase | ExpertDispatch | SubsidyApplication]) -> Any:
        return case((exists().where(model.business_id == b.id), 1), else_=0)

    consultations = select(func.count()).where(Consultation.business_id == b.id).scalar_subquery()
    kinds = has(LoanCase) + has(ExpertDispatch) + has(SubsidyApplication)
    with db.read() as session:
        found = session.execute(
            select(b.id).order_by(kinds.desc(), consultations.desc(), b.id).limit(1)
        ).scalar_one()
    return int(found)


def main() -> int:
    if shutil.which("pdftoppm") is None:
        raise SystemExit("pdftoppm (poppler-utils) is needed")
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    OUT.mkdir(parents=True, exist_ok=True)
    db = Database(f"sqlite:///{WORK / 'demo.sqlite'}")
    upgrade_to_head(db.engine)
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    DemoService(db, SETUP, hasher).fill(seed=1, businesses=300, anchor=ANCHOR)
    reader = _principal(db, READER)
    service = ReportingService(db, reader)
    options = RenderOptions(generated_at=GENERATED, generated_by=reader.name)
    this_year = fiscal_year(ANCHOR)
    year_start = date(this_year, 4, 1)
    # The last complete month and 年度 before the anchor; the 年度 so far for the initiatives.
    month = (ANCHOR.year, ANCHOR.month - 1) if ANCHOR.month > 1 else (ANCHOR.year - 1, 12)
    reports: dict[str, tuple[object, int]] = {  # file stem → report, pages to keep
        "monthly": (service.monthly(*month), 2),
        "fiscal-year": (service.fiscal_year(this_year - 1), 2),
        "business": (service.business(str(_busiest_business(db))), 2),
        "initiative": (service.initiative(INITIATIVE, year_start, ANCHOR), 2),
        "overview": (service.initiative_overview(year_start, ANCHOR), 1),
    }
    for old in OUT.glob("*.png"):
        old.unlink()
    for stem, (report, pages) in reports.items():
        rendered = render_report(report, ReportFormat.PDF, options)
        if rendered.missing:
            print(f"note: {stem}: characters the font lacks: {' '.join(rendered.missing)}")
        pdf = WORK / f"{stem}.pdf"
        pdf.write_bytes(rendered.data)
        for page in range(1, pages + 1):
            first_last = ["-f", str(page), "-l", str(page), "-singlefile"]
            target = str(OUT / f"{stem}-{page}")
            subprocess.run(
                ["pdftoppm", "-png", "-r", DPI, *first_last, str(pdf), target], check=True
            )
        print(pdf)
    for png in sorted(OUT.glob("*.png")):
        print(png)
    db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
