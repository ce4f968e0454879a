"""Reports as files: one report's data → PDF, xlsx or JSON, written safely and audited.

- ``REPORT_KINDS`` maps each report's dataclass to its name, its JSON function and its layout
  (report → ``reports.document.Document``). JSON is written from the dataclass itself; PDF and
  xlsx are drawn from the layout, so every figure is the same in every format. A new report is
  one entry there.
- ``render`` gives the bytes (for a preview); ``write`` writes them beside the target and
  renames the file into place (a failed write never leaves half a file, an existing file is
  replaced only when asked), then audits one "print" entry. Printing needs Action.PRINT on
  Kind.REPORT; the report itself was read with Action.READ by the service that built it.
- Dates are 和暦 unless 設定 says 西暦 (``SettingsService.western_dates``). A PDF names who made
  it and when (Japan time); characters the font lacks are printed as 〓 and returned in
  ``WrittenReport.missing`` so the caller can say so.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from consult_desk.db.engine import Database
from consult_desk.domain.fiscal import JST
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.domain.report_figures import FiscalYearReport, PeriodReport
from consult_desk.domain.report_records import (
    BusinessReport,
    InitiativeOverview,
    InitiativeReport,
)
from consult_desk.reports import layout_period, layout_records
from consult_desk.reports.document import Document, RenderOptions
from consult_desk.reports.pdf import render_pdf
from consult_desk.reports.xlsx_report import render_xlsx
from consult_desk.services import audit
from consult_desk.services.exports import TargetExists, TargetUnwritable, _write_replacing
from consult_desk.services.report_business import business_json
from consult_desk.services.report_initiatives import initiative_json, overview_json
from consult_desk.services.reporting import to_json as period_json
from consult_desk.services.settings import SettingsService


class ReportFormat(StrEnum):
    PDF = "pdf"
    XLSX = "xlsx"
    JSON = "json"


@dataclass(frozen=True, slots=True)
class ReportKind:
    name: str  # as audited and in the JSON's "report" key
    to_json: Callable[[Any], dict[str, Any]]
    layout: Callable[[Any], Document]
    details: Callable[[Any], dict[str, Any]]  # what the audit entry names besides the period


def _no_details(_: Any) -> dict[str, Any]:
    return {}


REPORT_KINDS: dict[type, ReportKind] = {
    PeriodReport: ReportKind("monthly", period_json, layout_period.monthly_document, _no_details),
    FiscalYearReport: ReportKind(
        "fiscal_year", period_json, layout_period.fiscal_year_document, _no_details
    ),
    BusinessReport: ReportKind(
        "business",
        business_json,
        layout_records.business_document,
        lambda r: {"business_id": r.profile.id},
    ),
    InitiativeReport: ReportKind(
        "initiative",
        initiative_json,
        layout_records.initiative_document,
        lambda r: {"initiative": r.initiative.code},
    ),
    InitiativeOverview: ReportKind(
        "initiative_overview", overview_json, layout_records.overview_document, _no_details
    ),
}


@dataclass(frozen=True, slots=True)
class RenderedReport:
    data: bytes
    missing: tuple[str, ...]  # characters the PDF's font lacks (printed as 〓); () otherwise


@dataclass(frozen=True, slots=True)
class WrittenReport:
    path: Path
    missing: tuple[str, ...]


def report_kind(report: object) -> ReportKind:
    """The registry entry of ``report`` (TypeError for something that is no report)."""
    try:
        return REPORT_KINDS[type(report)]
    except KeyError:
        raise TypeError(f"not a report: {type(report).__name__}") from None


def render_report(report: object, fmt: ReportFormat, options: RenderOptions) -> RenderedReport:
    """The report's file contents in ``fmt`` (pure: no database, no permission check)."""
    kind = report_kind(report)
    if fmt is ReportFormat.JSON:
        text = json.dumps(kind.to_json(report), ensure_ascii=False, indent=2) + "\n"
        return RenderedReport(text.encode("utf-8"), ())
    document = kind.layout(report)
    if fmt is ReportFormat.PDF:
        pdf = render_pdf(document, options)
        return RenderedReport(pdf.data, pdf.missing)
    return RenderedReport(render_xlsx(document, options), ())


def _period(report: object) -> str | None:
    first, last = getattr(report, "period_from", None), getattr(report, "period_to", None)
    if first is None or last is None:
        return None
    return f"{first.isoformat()}〜{last.isoformat()}"


def _audit_changes(report: object) -> dict[str, Any]:
    """What a "print" audit entry says about the report: its kind, period and subject."""
    kind = report_kind(report)
    changes: dict[str, Any] = {"report": [None, kind.name]}
    if (period := _period(report)) is not None:
        changes["period"] = [None, period]
    changes.update({key: [None, value] for key, value in kind.details(report).items()})
    return changes


class ReportFileService:
    def __init__(self, db: Database, principal: Principal) -> None:
        self._db = db
        self._principal = principal

    def options(self) -> RenderOptions:
        """Who is making the file and when (Japan time), and the 和暦/西暦 setting."""
        self._principal.require(Kind.REPORT, Action.READ)
        return RenderOptions(
            generated_at=datetime.now(JST).replace(second=0, microsecond=0),
            generated_by=self._principal.name,
            western_dates=SettingsService(self._db, self._principal).western_dates(),
        )

    def render(
        self, report: object, fmt: ReportFormat, options: RenderOptions | None = None
    ) -> RenderedReport:
        """The file's bytes and the characters the font lacks, e.g. for a preview (nothing is
        written or audited)."""
        self._principal.require(Kind.REPORT, Action.READ)
        return render_report(report, fmt, options or self.options())

    def record_print(self, report: object, pages: int) -> None:
        """Audit ``pages`` pages of ``report`` sent to a printer, like a saved file."""
        self._principal.require(Kind.REPORT, Action.PRINT)
        changes = _audit_changes(report)
        changes["format"] = [None, "printer"]
        changes["pages"] = [None, pages]
        with self._db.write() as session:
            audit.record(session, self._principal.staff_id, "print", "report", None, changes)

    def write(
        self, report: object, target: Path, fmt: ReportFormat, *, overwrite: bool = False
    ) -> WrittenReport:
        """Write ``report`` to ``target`` in ``fmt`` (atomically) and audit one "print" entry."""
        self._principal.require(Kind.REPORT, Action.PRINT)
        report_kind(report)  # refuses what is not a report before anything is written
        if target.exists() and not overwrite:
            raise TargetExists(str(target))
        rendered = render_report(report, fmt, self.options())

        def write(path: Path) -> int:
            path.write_bytes(rendered.data)
            return 1

        try:
            _write_replacing(target, overwrite, write)
        except OSError as exc:
            raise TargetUnwritable(target, exc) from exc
        changes = _audit_changes(report)
        changes["format"] = [None, fmt.value]
        changes["file"] = [None, target.name]
        try:
            with self._db.write() as session:
                audit.record(session, self._principal.staff_id, "print", "report", None, changes)
        except BaseException:
            target.unlink(missing_ok=True)  # a report nobody can trace must not stay behind
            raise
        return WrittenReport(target, rendered.missing)
