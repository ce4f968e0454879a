"""Imports of businesses, consultations and loan cases from CSV / xlsx (``consult-desk import``
and the import wizard).

The wizard's path is ``read`` → ``preview`` (encoding, column mapping, every row error, counts)
→ the user fixes the mapping or the file → ``run`` (with progress) → ``ImportResult``;
``batches`` lists past imports and ``undo`` takes one back.

- Files: CSV in UTF-8 (with or without BOM) or CP932 / Shift_JIS, told apart automatically, or
  the first sheet of an xlsx. The first row is the header; columns may come in any order, a
  column that matches nothing is an error unless the mapping names its column (or ignores it).
- Every row is checked with the same rules as the forms (``business_errors``,
  ``consultation_errors``, ``new_case_errors`` and ``check_case_step``); cells are read by
  ``domain/import_values.py``. Names are matched to records by 法人番号, else by the normalised
  name; an ambiguous or missing match is a row error, never a guess. Staff, banks and funds
  unknown by name are errors listing the known names, unless ``create_missing`` adds them.
- All or nothing by default: any error and nothing is written (``ImportRejected`` lists every
  error); ``skip_invalid`` writes the valid rows and saves the others, with their reasons, to a
  CSV beside the input; ``dry_run`` checks everything and writes nothing at all.
- One import is one transaction and one ``import_batch``, audited once ("import": kind, file,
  counts, created master records). Rows are inserted in bulk after validation. A business
  updated by ``update`` gets an audit entry of its own (its history can restore the old
  version); ``undo`` removes what the batch added, refusing while later records depend on it.
"""

from __future__ import annotations

import codecs
import csv
import gc
import io
import json
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, delete, func, insert, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consult_desk.db.base import Base, utcnow
from consult_desk.db.dialect import business_index_filled_after
from consult_desk.db.engine import Database
from consult_desk.db.models import (
    AuditLog,
    Bank,
    ConsultationChannel,
    ConsultationInitiative,
    ConsultationTopic,
    ConsultationTopicLink,
    ImportBatch,
    JsicMajor,
    LoanCase,
    LoanCaseEvent,
    LoanProgram,
    Staff,
    Town,
)
from consult_desk.db.models import Business as BusinessModel
from consult_desk.db.models import Consultation as ConsultationModel
from consult_desk.domain.businesses import BusinessInput
from consult_desk.domain.consultations import ConsultationInput
from consult_desk.domain.corporate_number import corporate_number_error
from consult_desk.domain.errors import DomainError, FieldError, NotFound
from consult_desk.domain.fiscal import japan_today
from consult_desk.domain.import_values import (
    BUSINESS_KINDS,
    COLUMNS,
    LOAN_STATES,
    RESIDENCES,
    CellError,
    Choices,
    HeaderMapping,
    ImportKind,
    LoanDates,
    PlannedStep,
    RowError,
    choice_key,
    clean_cell,
    known_columns,
    known_names,
    map_header,
    parse_corporate_number_cell,
    parse_count_cell,
    parse_date_cell,
    parse_minutes_cell,
    parse_text_cell,
    parse_yen_cell,
    plan_loan_history,
    split_topics,
)
from consult_desk.domain.loans import ELIGIBILITY_FIELDS, STEPS, LoanCaseInput, LoanState, StepInput
from consult_desk.domain.loans import StepName as LoanStep
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.domain.text import digits_only, normalize_lines
from consult_desk.reports.tabular import Column, write_csv
from consult_desk.services import audit, records
from consult_desk.services.businesses import INPUT_FIELDS as BUSINESS_FIELDS
from consult_desk.services.businesses import apply_business, business_errors
from consult_desk.services.consultations import apply_consultation, consultation_errors
from consult_desk.services.exports import TargetExists, _write_replacing
from consult_desk.services.loans import (
    check_case_step,
    new_case_errors,
    open_case,
    step_changes,
)

RECORD_KIND = "import_batch"
CHUNK = 2000  # rows per bulk INSERT and per IN (...) lookup
PROGRESS_EVERY = 250  # rows between two progress calls
SAMPLE_ROWS = 20  # rows the preview shows
MAX_MASTER_NAME = 100  # the name columns of staff, banks and funds
ENCODING_LABELS = {
    "utf-8-sig": "UTF-8（BOM付き）",
    "utf-8": "UTF-8",
    "cp932": "Shift_JIS（CP932）",
    "xlsx": "Excel（xlsx）",
}
# The permission kind of each import kind; running needs CREATE on it, undoing DELETE.
PERMISSION_KINDS = {
    ImportKind.BUSINESSES: Kind.BUSINESS,
    ImportKind.CONSULTATIONS: Kind.CONSULTATION,
    ImportKind.LOANS: Kind.LOAN,
}
# What each kind's records are called in the audit trail, and the tables rows go to.
_RECORD_KINDS = {
    ImportKind.BUSINESSES: "business",
    ImportKind.CONSULTATIONS: "consultation",
    ImportKind.LOANS: "loan_case",
}
_TABLES: dict[ImportKind, type[Any]] = {
    ImportKind.BUSINESSES: BusinessModel,
    ImportKind.CONSULTATIONS: ConsultationModel,
    ImportKind.LOANS: LoanCase,
}
# Children removed together with their batch's rows (never "later records").
_OWNED_CHILDREN = {
    ImportKind.BUSINESSES: (),
    ImportKind.CONSULTATIONS: (ConsultationTopicLink, ConsultationInitiative),
    ImportKind.LOANS: (LoanCaseEvent,),
}
# Master records an import may create (``create_missing``): the audit record kind, the
# permission that creating one needs, and the label the summary shows.
_MASTERS: dict[str, tuple[type[Any], Kind, Action, str]] = {
    "staff": (Staff, Kind.STAFF, Action.ADMINISTER, "職員"),
    "bank": (Bank, Kind.MASTER, Action.CREATE, "金融機関"),
    "loan_program": (LoanProgram, Kind.MASTER, Action.CREATE, "資金種別"),
}
# Rules of a loan step that need what an import file does not carry (the 診断士's name, the
# eligibility checklist, letter numbers, coaching interviews): they are left to the case form.
_LOAN_RULES_NOT_IN_FILE = frozenset(
    {
        ("interviewer", "required"),
        ("referral_number", "required"),
        ("nominal_rate", "required"),
        ("term_months", "required"),
        ("grace_months", "required"),
        ("step", "loan.coaching_needed"),
        *((name, "required") for name in ELIGIBILITY_FIELDS),
    }
)

ProgressCallback = Callable[[int, int], None]


# --- what callers get ------------------------------------------------------------------------


class ImportFileError(DomainError):
    """The file cannot be read as a table (encoding, format, no header)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code
        self.detail = detail


class ImportRejected(DomainError):
    """All or nothing: some rows (or the header) are wrong, so nothing was written."""

    code = "import.rejected"

    def __init__(self, errors: Sequence[RowError], total_rows: int, invalid_rows: int) -> None:
        super().__init__(f"{len(errors)} errors in {invalid_rows} of {total_rows} rows")
        self.errors = tuple(errors)
        self.total_rows = total_rows
        self.invalid_rows = invalid_rows


class UndoRefused(DomainError):
    """The batch cannot be taken back (later records depend on it, or it was edited since)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class SourceRow:
    number: int  # the row as a spreadsheet numbers it (the header is row 1)
    cells: tuple[str, ...]  # as many as the header has columns


@dataclass(frozen=True, slots=True)
class SourceTable:
    """A file read as text cells: the header and the non-blank data rows."""

    path: Path
    encoding: str  # a key of ENCODING_LABELS
    header: tuple[str, ...]
    rows: tuple[SourceRow, ...]
    # Rows with more cells than the header has columns: (row, the first extra cell).
    overflow: tuple[tuple[int, str], ...] = ()

    @property
    def encoding_label(self) -> str:
        return ENCODING_LABELS[self.encoding]


@dataclass(frozen=True, slots=True)
class ImportOptions:
    dry_run: bool = False  # check everything, write nothing
    skip_invalid: bool = False  # write the valid rows; the others go to a CSV beside the file
    update: bool = False  # businesses: overwrite an existing one (same 法人番号) with the row
    create_missing: bool = False  # add unknown staff / banks / funds as new master records
    mapping: Mapping[str, str] | None = None  # file column → known column, or IGNORE ("")
    today: date | None = None  # the day "future" is judged against (default: Japan's today)


@dataclass(frozen=True, slots=True)
class CreatedMaster:
    kind: str  # "staff" / "bank" / "loan_program"
    name: str
    id: int | None  # None in a preview or a dry run (nothing was kept)

    @property
    def label(self) -> str:
        return _MASTERS[self.kind][3]


@dataclass(frozen=True, slots=True)
class ImportPreview:
    """What an import of the file would do, without doing it.

    ``mapping`` gives, in file order, the known column each file column fills ("" for none);
    ``unknown_columns`` and ``missing_columns`` are header errors (also in ``errors``, row 1).
    ``errors`` holds every problem, header and rows. Counts: ``new_rows`` would be added,
    ``existing_rows`` match a business already registered (skipped, or updated with
    ``update``), ``invalid_rows`` have at least one error.
    """

    kind: ImportKind
    file_name: str
    encoding: str
    encoding_label: str
    header: tuple[str, ...]
    mapping: dict[str, str]
    unknown_columns: tuple[str, ...]
    missing_columns: tuple[str, ...]
    known_columns: tuple[str, ...]
    required_columns: tuple[str, ...]
    sample: tuple[tuple[str, ...], ...]
    errors: tuple[RowError, ...]
    skipped: tuple[RowError, ...]  # existing businesses left alone (a notice, not an error)
    total_rows: int
    new_rows: int
    existing_rows: int
    invalid_rows: int
    would_create: tuple[CreatedMaster, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True, slots=True)
class ImportResult:
    kind: ImportKind
    file_name: str
    encoding: str
    batch_id: int | None  # None for a dry run
    dry_run: bool
    total_rows: int
    added: int
    updated: int
    skipped: int  # existing businesses left alone
    rejected: int  # invalid rows left out (with skip_invalid)
    created: tuple[CreatedMaster, ...]
    rejected_path: Path | None  # the CSV of the rejected rows, beside the input
    errors: tuple[RowError, ...]  # the rejected rows' errors
    notices: tuple[RowError, ...]  # the skipped rows and why


@dataclass(frozen=True, slots=True)
class UndoResult:
    batch_id: int
    kind: ImportKind
    removed: int
    removed_masters: tuple[CreatedMaster, ...]
    kept_masters: tuple[CreatedMaster, ...]  # created by the batch, used by later records
    updated_kept: int  # businesses the batch updated: not reverted (their history can)


@dataclass(frozen=True, slots=True)
class BatchInfo:
    id: int
    kind: ImportKind
    file_name: str
    imported_at: datetime
    staff_name: str
    row_count: int
    undone_at: datetime | None


# --- reading files ---------------------------------------------------------------------------


def read_table(path: Path) -> SourceTable:
    """Read a CSV (UTF-8 with or without BOM, else CP932) or an xlsx's first sheet."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFileError("import.unreadable", str(path)) from exc
    if data.startswith(b"PK\x03\x04"):
        records_ = _xlsx_rows(path)
        encoding = "xlsx"
    elif data.startswith(b"\xd0\xcf\x11\xe0"):  # the old binary Excel format
        raise ImportFileError("import.xls")
    else:
        text, encoding = _decode(data)
        records_ = _csv_rows(text)
    return _table(path, encoding, records_)


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ImportFileError("import.encoding")
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise ImportFileError("import.encoding") from exc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932"), "cp932"
    except UnicodeDecodeError as exc:
        raise ImportFileError("import.encoding") from exc


def _csv_rows(text: str) -> list[list[str]]:
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise ImportFileError("import.unreadable", str(exc)) from exc


def _xlsx_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _xlsx_rows(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook  # only when an xlsx is read

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError("import.unreadable", str(exc)) from exc
    try:
        if not workbook.worksheets:
            return []
        sheet = workbook.worksheets[0]
        return [[_xlsx_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ImportFileError("import.unreadable", str(exc)) from exc
    finally:
        workbook.close()


def _table(path: Path, encoding: str, raw: list[list[str]]) -> SourceTable:
    numbered = [(n, [clean_cell(c) for c in row]) for n, row in enumerate(raw, start=1)]
    numbered = [(n, cells) for n, cells in numbered if any(cells)]
    if not numbered:
        raise ImportFileError("import.empty")
    (header_row, header), *data = numbered
    if header_row != 1:
        data = [(n - header_row + 1, cells) for n, cells in data]
    while header and not header[-1]:
        header.pop()
    width = len(header)
    for n, title in enumerate(header):  # an untitled column holding values must be named
        if not title and any(n < len(cells) and cells[n] for _, cells in data):
            header[n] = f"（{n + 1}列目・見出しなし）"
    rows: list[SourceRow] = []
    overflow: list[tuple[int, str]] = []
    for number, cells in data:
        extra = [c for c in cells[width:] if c]
        if extra:
            overflow.append((number, extra[0]))
        padded = (cells + [""] * width)[:width]
        rows.append(SourceRow(number, tuple(padded)))
    return SourceTable(path, encoding, tuple(header), tuple(rows), tuple(overflow))


# --- the service -----------------------------------------------------------------------------


class _Rollback(Exception):
    """Leaves a write transaction without keeping anything (previews and dry runs)."""


class ImportService:
    def __init__(self, db: Database, principal: Principal) -> None:
        self._db = db
        self._principal = principal

    def read(self, path: Path) -> SourceTable:
        """The file as a table of text cells (no record is touched: no permission needed)."""
        return read_table(path)

    def preview(
        self,
        kind: str,
        path: Path,
        mapping: Mapping[str, str] | None = None,
        *,
        update: bool = False,
        create_missing: bool = False,
        today: date | None = None,
    ) -> ImportPreview:
        """Everything an import would meet, nothing written: the detected encoding, the column
        mapping, the first rows, every row error and the counts."""
        import_kind = ImportKind(kind)
        self._principal.require(PERMISSION_KINDS[import_kind], Action.CREATE)
        options = ImportOptions(
            dry_run=True, update=update, create_missing=create_missing, mapping=mapping, today=today
        )
        with _without_cycle_collection():
            table = read_table(path)
            outcome = self._process(import_kind, table, options, None)
        header_mapping = map_header(import_kind, table.header, mapping)
        return ImportPreview(
            kind=import_kind,
            file_name=path.name,
            encoding=table.encoding,
            encoding_label=table.encoding_label,
            header=table.header,
            mapping=header_mapping.as_dict(table.header),
            unknown_columns=header_mapping.unknown,
            missing_columns=header_mapping.missing,
            known_columns=known_columns(import_kind),
            required_columns=tuple(c.name for c in COLUMNS[import_kind] if c.required),
            sample=tuple(row.cells for row in table.rows[:SAMPLE_ROWS]),
            errors=outcome.errors,
            skipped=outcome.notices,
            total_rows=len(table.rows),
            new_rows=outcome.added,
            existing_rows=outcome.existing,
            invalid_rows=outcome.invalid_rows,
            would_create=outcome.created,
        )

    def run(
        self,
        kind: str,
        path: Path,
        options: ImportOptions | None = None,
        progress: ProgressCallback | None = None,
    ) -> ImportResult:
        """Import the file as one transaction and one batch.

        Raises ``ImportRejected`` (nothing written) when the header is wrong, or a row is and
        ``skip_invalid`` is off. ``progress(done, total)`` is called as rows are checked and
        written (``done`` runs up to ``total`` twice the row count: checking, then writing);
        an exception raised from it stops the import and nothing is written.
        """
        import_kind = ImportKind(kind)
        options = options or ImportOptions()
        self._require_run(import_kind, options)
        with _without_cycle_collection():
            table = read_table(path)
            outcome = self._process(import_kind, table, options, progress)
        return ImportResult(
            kind=import_kind,
            file_name=path.name,
            encoding=table.encoding,
            batch_id=outcome.batch_id,
            dry_run=options.dry_run,
            total_rows=len(table.rows),
            added=outcome.added,
            updated=outcome.updated,
            skipped=outcome.skipped,
            rejected=outcome.invalid_rows,
            created=outcome.created,
            rejected_path=outcome.rejected_path,
            errors=outcome.errors,
            notices=outcome.notices,
        )

    def undo(self, batch_id: int) -> UndoResult:
        """Remove exactly what a batch added (its rows, their links and history, and master
        records it created that nothing else uses). Refused while a later record depends on
        one of them, or one was changed after the import; nothing is removed then."""
        with self._db.read() as session:
            batch = session.get(ImportBatch, batch_id)
            if batch is None:
                raise NotFound(f"import batch {batch_id}")
            import_kind = ImportKind(batch.kind)
        self._principal.require(PERMISSION_KINDS[import_kind], Action.DELETE)
        with self._db.write() as session:
            batch = session.get(ImportBatch, batch_id)
            if batch is None:
                raise NotFound(f"import batch {batch_id}")
            if batch.undone_at is not None:
                raise UndoRefused("import.already_undone")
            return self._undo(session, batch, import_kind)

    def batches(
        self, kind: str | None = None, *, before_id: int | None = None, limit: int = 50
    ) -> list[BatchInfo]:
        """Past imports, newest first; page on with the last one's id as ``before_id``. Without
        ``kind``, the kinds the principal may read."""
        kinds = [ImportKind(kind)] if kind else list(ImportKind)
        if kind:
            self._principal.require(PERMISSION_KINDS[kinds[0]], Action.READ)
        kinds = [k for k in kinds if self._principal.can(PERMISSION_KINDS[k], Action.READ)]
        b = ImportBatch
        stmt = (
            select(b, Staff.name)
            .outerjoin(Staff, Staff.id == b.staff_id)
            .where(b.kind.in_([k.value for k in kinds]))
            .order_by(b.id.desc())
            .limit(limit)
        )
        if before_id is not None:
            stmt = stmt.where(b.id < before_id)
        with self._db.read() as session:
            return [
                BatchInfo(
                    id=batch.id,
                    kind=ImportKind(batch.kind),
                    file_name=batch.file_name,
                    imported_at=batch.imported_at,
                    staff_name=name or "",
                    row_count=batch.row_count,
                    undone_at=batch.undone_at,
                )
                for batch, name in session.execute(stmt)
            ]

    # --- processing -----------------------------------------------------------------------

    def _require_run(self, kind: ImportKind, options: ImportOptions) -> None:
        permission = PERMISSION_KINDS[kind]
        self._principal.require(permission, Action.CREATE)
        if kind is ImportKind.LOANS:
            self._principal.require(permission, Action.TRANSITION)  # the rebuilt history
        if options.update:
            self._principal.require(permission, Action.EDIT)
        if options.create_missing:
            for master in _masters_of(kind):
                _, master_kind, action, _ = _MASTERS[master]
                self._principal.require(master_kind, action)

    def _process(
        self,
        kind: ImportKind,
        table: SourceTable,
        options: ImportOptions,
        progress: ProgressCallback | None,
    ) -> _Outcome:
        header = map_header(kind, table.header, options.mapping)
        header_errors = _header_errors(kind, table, header)
        context = _Context(
            kind=kind,
            table=table,
            header=header,
            options=options,
            today=options.today or japan_today(),
            actor_id=self._principal.staff_id,
            stamp=utcnow(),
            progress=progress,
            header_errors=bool(header_errors),
        )
        # A check that writes nothing reads: other desks can go on saving meanwhile. Loans
        # are checked by walking each case through its steps, and new master records are
        # created before the rows that name them are checked, so those always write (and
        # a dry run then rolls back).
        context.writing = not options.dry_run or kind is ImportKind.LOANS or options.create_missing
        transaction = self._db.write() if context.writing else self._db.read()
        try:
            with transaction as session:
                context.session = session
                outcome = _Importer.for_kind(context).process()
                outcome.errors = (*header_errors, *outcome.errors)
                if progress is not None:
                    progress(context.total, context.total)
                rejecting = bool(header_errors) or (
                    bool(outcome.errors) and not options.skip_invalid
                )
                if rejecting or options.dry_run:
                    context.result = outcome
                    raise _Rollback
                self._finish(context, outcome)
                return outcome
        except _Rollback:
            kept = context.result
            assert kept is not None
            kept.batch_id = None
            if options.dry_run:
                kept.created = tuple(replace(m, id=None) for m in kept.created)
                return kept
            raise ImportRejected(kept.errors, len(table.rows), kept.invalid_rows) from None
        except BaseException:
            if context.rejected_path is not None:
                context.rejected_path.unlink(missing_ok=True)
            raise

    def _finish(self, context: _Context, outcome: _Outcome) -> None:
        """Record the batch in the audit trail, and save the rejected rows beside the file."""
        session = context.session
        assert session is not None and context.batch is not None
        batch = context.batch
        batch.row_count = outcome.added
        if outcome.rejected_rows:
            context.rejected_path = _write_rejected(context.table, outcome)
            outcome.rejected_path = context.rejected_path
        changes: dict[str, Any] = {
            "kind": [None, context.kind.value],
            "file": [None, context.table.path.name],
            "rows": [None, len(context.table.rows)],
            "added": [None, outcome.added],
            "updated": [None, outcome.updated],
            "skipped": [None, outcome.skipped],
            "rejected": [None, outcome.invalid_rows],
        }
        if outcome.created:
            changes["created"] = [
                None,
                [{"kind": m.kind, "id": m.id, "name": m.name} for m in outcome.created],
            ]
        if outcome.rejected_path is not None:
            changes["rejected_file"] = [None, outcome.rejected_path.name]
        records.flush(session)
        audit.record(session, context.actor_id, "import", RECORD_KIND, batch.id, changes)

    # --- undo -----------------------------------------------------------------------------

    def _undo(self, session: Session, batch: ImportBatch, kind: ImportKind) -> UndoResult:
        table = _TABLES[kind]
        ids_of_batch = select(table.id).where(table.import_batch_id == batch.id)
        stamp = batch.imported_at  # every row of the batch was stamped with it
        changed = session.execute(
            select(func.count())
            .select_from(table)
            .where(table.import_batch_id == batch.id, table.updated_at != stamp)
        ).scalar_one()
        if changed:
            raise UndoRefused("import.undo_changed", f"{changed}件")
        owned = _OWNED_CHILDREN[kind]
        if kind is ImportKind.LOANS:
            later = [
                event_id
                for event_id, data in session.execute(
                    select(LoanCaseEvent.id, LoanCaseEvent.data).where(
                        LoanCaseEvent.case_id.in_(ids_of_batch)
                    )
                )
                if json.loads(data).get("import_batch") != batch.id
            ]
            if later:
                raise UndoRefused("import.undo_dependents", f"案件の手続き {len(later)}件")
        for label, count in _dependents(session, table, ids_of_batch, owned):
            raise UndoRefused("import.undo_dependents", f"{label} {count}件")
        for child in owned:
            key = _parent_key(child, table)
            session.execute(delete(child).where(key.in_(ids_of_batch)))
        removed = session.execute(
            select(func.count()).select_from(table).where(table.import_batch_id == batch.id)
        ).scalar_one()
        session.execute(delete(table).where(table.import_batch_id == batch.id))
        removed_masters, kept_masters = _remove_created_masters(session, batch.id)
        updated = _batch_changes(session, batch.id).get("updated", [None, 0])[1] or 0
        batch.undone_at = utcnow()
        records.flush(session)
        audit.record(
            session,
            self._principal.staff_id,
            "import_undo",
            RECORD_KIND,
            batch.id,
            {
                "kind": [None, kind.value],
                "file": [None, batch.file_name],
                "removed": [None, removed],
                "removed_masters": [None, [m.name for m in removed_masters]],
            },
        )
        return UndoResult(
            batch.id, kind, removed, tuple(removed_masters), tuple(kept_masters), int(updated)
        )


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Pause Python's cycle collector while a file is checked and written.

    An import keeps every row it has read (hundreds of thousands of small objects) until it
    ends; the collector would walk them again and again for nothing (a fifth of the time of
    100,000 rows). Reference counting still frees everything else; the collector's previous
    state is restored at the end, whatever happens.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# --- shared state of one import --------------------------------------------------------------


@dataclass
class _Outcome:
    added: int = 0
    updated: int = 0
    skipped: int = 0
    existing: int = 0
    errors: tuple[RowError, ...] = ()
    notices: tuple[RowError, ...] = ()
    rejected_rows: dict[int, list[RowError]] = field(default_factory=dict)
    created: tuple[CreatedMaster, ...] = ()
    batch_id: int | None = None
    rejected_path: Path | None = None

    @property
    def invalid_rows(self) -> int:
        return len(self.rejected_rows)


@dataclass
class _Context:
    kind: ImportKind
    table: SourceTable
    header: HeaderMapping
    options: ImportOptions
    today: date
    actor_id: int | None
    stamp: datetime
    progress: ProgressCallback | None
    session: Session | None = None
    batch: ImportBatch | None = None
    result: _Outcome | None = None
    rejected_path: Path | None = None
    done: int = 0
    header_errors: bool = False
    writing: bool = True  # the session may write (else a read-only check)

    @property
    def inserting(self) -> bool:
        """Whether checked rows are written: not in a dry run, and not when the import will be
        refused anyway (a header error, or a row error without ``skip_invalid``)."""
        return self.writing and not self.options.dry_run and not self.header_errors

    def tick(self, rows: int = 1) -> None:
        self.done += rows
        if self.progress is not None and (
            self.done % PROGRESS_EVERY < rows or self.done >= self.total
        ):
            self.progress(min(self.done, self.total), self.total)

    @property
    def total(self) -> int:
        return 2 * len(self.table.rows)


def _header_errors(kind: ImportKind, table: SourceTable, header: HeaderMapping) -> list[RowError]:
    found = [RowError(1, title, title, "import.unknown_column") for title in header.unknown]
    found += [RowError(1, name, name, "import.duplicate_column") for name in header.duplicates]
    found += [RowError(1, name, "", "import.missing_column") for name in header.missing]
    if not table.rows:
        found.append(RowError(0, "", "", "import.no_rows"))
    return found


class _Row:
    """One data row: its cells by known column, and the errors found so far."""

    def __init__(self, context: _Context, source: SourceRow) -> None:
        self.number = source.number
        self.source = source
        self.cells: dict[str, str] = {}
        self.file_columns: dict[str, str] = {}
        for title, target, cell in zip(
            context.table.header, context.header.columns, source.cells, strict=True
        ):
            if target:
                self.cells[target] = cell
                self.file_columns[target] = title
        self.errors: list[RowError] = []

    def cell(self, name: str) -> str:
        return self.cells.get(name, "")

    def error(self, column: str, code: str, detail: str = "") -> None:
        self.errors.append(
            RowError(
                self.number,
                self.file_columns.get(column, column),
                self.cell(column),
                code,
                detail,
            )
        )

    def read(self, column: str, parse: Callable[[str], Any]) -> Any:
        """The cell parsed; a CellError becomes a row error and the value None."""
        try:
            return parse(self.cell(column))
        except CellError as exc:
            self.error(column, exc.code, exc.detail)
            return None


class _Importer:
    """What every kind shares: the batch, master records, errors, the rejected file."""

    def __init__(self, context: _Context) -> None:
        self.context = context
        assert context.session is not None
        self.session: Session = context.session
        self.outcome = _Outcome()
        self._masters: dict[str, dict[str, list[int]]] = {}  # kind → name key → ids
        self._created: list[CreatedMaster] = []
        self._known_names: dict[str, str] = {}
        self._field_columns = {c.field: c.name for c in COLUMNS[context.kind]}

    @staticmethod
    def for_kind(context: _Context) -> _Importer:
        importer: type[_Importer] = {
            ImportKind.BUSINESSES: _BusinessImporter,
            ImportKind.CONSULTATIONS: _ConsultationImporter,
            ImportKind.LOANS: _LoanImporter,
        }[context.kind]
        return importer(context)

    def process(self) -> _Outcome:
        context = self.context
        if context.writing:
            context.batch = ImportBatch(
                kind=context.kind.value,
                file_name=context.table.path.name[:300],
                imported_at=context.stamp,
                staff_id=context.actor_id,
                row_count=0,
            )
            self.session.add(context.batch)
            self.session.flush()
            self.outcome.batch_id = context.batch.id
        if not context.header.missing:
            rows = [_Row(context, source) for source in context.table.rows]
            overflow = dict(context.table.overflow)
            for row in rows:
                if row.number in overflow:  # the row is refused, whatever else it holds
                    row.errors.append(
                        RowError(row.number, "", overflow[row.number], "import.too_many_cells")
                    )
            self.import_rows(rows)
        self.outcome.created = tuple(self._created)
        self.outcome.errors = tuple(
            error
            for number in sorted(self.outcome.rejected_rows)
            for error in self.outcome.rejected_rows[number]
        )
        return self.outcome

    def import_rows(self, rows: list[_Row]) -> None:
        raise NotImplementedError

    # --- helpers for the kinds ---

    def stamps(self) -> dict[str, Any]:
        """What every row a batch inserts carries: the batch, who and when, version 1."""
        context = self.context
        assert context.batch is not None
        return {
            "import_batch_id": context.batch.id,
            "created_at": context.stamp,
            "updated_at": context.stamp,
            "created_by_id": context.actor_id,
            "updated_by_id": context.actor_id,
            "version": 1,
        }

    def reject(self, row: _Row) -> None:
        self.outcome.rejected_rows[row.number] = list(row.errors)

    def inserting(self) -> bool:
        """Whether the checked rows are to be written now (see ``_Context.inserting``)."""
        return self.context.inserting and (
            not self.outcome.rejected_rows or self.context.options.skip_invalid
        )

    def field_errors(
        self, row: _Row, errors: Iterable[FieldError], columns: Mapping[str, str]
    ) -> None:
        """Service errors as row errors, in the file's column for each field."""
        for error in errors:
            column = columns.get(error.field) or self._field_columns.get(error.field, "")
            row.error(column, error.code)

    def master(self, master: str, row: _Row, column: str) -> int | None:
        """The id of the staff member / bank / fund the cell names; unknown names are an
        error, or a new record with ``create_missing``."""
        text = row.cell(column)
        if not text.strip():
            return None
        model = _MASTERS[master][0]
        known = self._master_names(master, model)
        key = choice_key(text)
        ids = known.get(key, [])
        if len(ids) == 1:
            return ids[0]
        if len(ids) > 1:
            row.error(column, f"import.ambiguous_{master}")
            return None
        if not self.context.options.create_missing:
            row.error(column, f"import.unknown_{master}", self._known(master, model))
            return None
        name = parse_text_cell(text)
        if len(name) > MAX_MASTER_NAME:
            row.error(column, "too_long")
            return None
        new_id = self._create_master(master, model, name)
        known[key] = [new_id]
        return new_id

    def _master_names(self, master: str, model: type[Any]) -> dict[str, list[int]]:
        if master not in self._masters:
            found: dict[str, list[int]] = defaultdict(list)
            for record_id, name in self.session.execute(select(model.id, model.name)):
                found[choice_key(name)].append(record_id)
            if model is Staff:  # a login names its member of staff too
                for record_id, login in self.session.execute(select(Staff.id, Staff.login)):
                    if record_id not in found[choice_key(login)]:
                        found[choice_key(login)].append(record_id)
            self._masters[master] = found
        return self._masters[master]

    def _known(self, master: str, model: type[Any]) -> str:
        """「指定できるのは …」: the active records' names (read once per import)."""
        if master not in self._known_names:
            stmt = select(model.name).where(model.active).order_by(model.id)
            self._known_names[master] = known_names(self.session.scalars(stmt))
        return self._known_names[master]

    def _create_master(self, master: str, model: type[Any], name: str) -> int:
        actor = self.context.actor_id
        values: dict[str, Any] = {"name": name, "created_by_id": actor, "updated_by_id": actor}
        if model is Staff:
            assert self.context.batch is not None
            values["login"] = f"import-{self.context.batch.id}-{len(self._created) + 1}"
        record = model(**values)
        self.session.add(record)
        self.session.flush()
        audit.record(
            self.session,
            actor,
            "create",
            master,
            record.id,
            {"name": [None, name], "by": [None, "import"]},
        )
        self._created.append(CreatedMaster(master, name, record.id))
        return int(record.id)


# --- businesses ------------------------------------------------------------------------------


class _BusinessImporter(_Importer):
    def import_rows(self, rows: list[_Row]) -> None:
        session, context = self.session, self.context
        majors = session.execute(select(JsicMajor.code, JsicMajor.name)).all()
        jsic = Choices(
            {**{code: code for code, _ in majors}, **{name: code for code, name in majors}},
            "import.unknown_jsic",
            listed=(),
        )
        # Held here so that the session's identity map keeps them for every row's checks.
        self._towns = session.scalars(select(Town)).all()
        towns = {town.postal_code: town.id for town in self._towns}
        # Cells that cannot be read are left out of the value, which is checked all the same,
        # so a row's every problem is listed at once.
        values = [(row, self._value(row, jsic, towns)) for row in rows]
        trashed: set[int] = set()
        existing = _existing_by_number(
            session, {v.corporate_number for _, v in values if v.corporate_number}, trashed
        )
        new_rows: list[BusinessInput] = []
        seen: dict[str, int] = {}
        for row, value in values:
            context.tick()
            number = value.corporate_number
            if number and number in seen:
                row.error("法人番号", "import.duplicate_in_file", f"{seen[number]}行目")
            elif number:
                seen[number] = row.number
            existing_id = existing.get(number) if number else None
            if existing_id in trashed:
                row.error("法人番号", "import.existing_in_trash")
            if existing_id is not None and not row.errors:
                self.outcome.existing += 1
                if context.options.update:
                    self._update(row, value, existing_id)
                else:
                    self.outcome.skipped += 1
                    self.outcome.notices += (
                        RowError(
                            row.number,
                            row.file_columns.get("法人番号", "法人番号"),
                            number,
                            "import.existing_skipped",
                        ),
                    )
                continue
            errors = business_errors(
                session,
                value,
                today=context.today,
                exclude_id=existing_id,
                number_owner=existing.get,
            )
            self.field_errors(row, errors, _BUSINESS_FIELD_COLUMNS)
            if row.errors:
                self.reject(row)
                continue
            new_rows.append(value)
        context.done = len(rows)
        if self.inserting():
            self._insert([self._insert_values(value) for value in new_rows])
        else:
            self.outcome.added = len(new_rows)

    @staticmethod
    def _value(row: _Row, jsic: Choices[str], towns: Mapping[str, int]) -> BusinessInput:
        values: dict[str, Any] = {
            "name": parse_text_cell(row.cell("事業者名")),
            "name_kana": parse_text_cell(row.cell("フリガナ")),
            "corporate_number": row.cell("法人番号"),  # normalised by the value itself
            "address": parse_text_cell(row.cell("所在地")),
            "phone": parse_text_cell(row.cell("電話番号")),
            "email": parse_text_cell(row.cell("メール")),
            "representative_name": parse_text_cell(row.cell("代表者名")),
            "postal_code": row.cell("郵便番号"),
            "capital": row.read("資本金", parse_yen_cell),
            "employees": row.read("従業員数", parse_count_cell),
            "founded_on": row.read("設立日", parse_date_cell),
        }
        if row.cell("事業者区分").strip():
            values["kind"] = row.read("事業者区分", BUSINESS_KINDS.match)
        if row.cell("業種").strip():
            values["jsic_major"] = row.read("業種", jsic.match)
        if row.cell("代表者区分").strip():
            values["representative_residence"] = row.read("代表者区分", RESIDENCES.match)
        # A Chiyoda postal code names its town (each town has its own): the area follows.
        values["town_id"] = towns.get(digits_only(values["postal_code"]))
        return BusinessInput(**{k: v for k, v in values.items() if v is not None}).normalized()

    def _insert_values(self, value: BusinessInput) -> dict[str, Any]:
        """The row ``apply_business`` makes of the value, as plain column values: it only
        sets attributes, so a plain namespace takes them (an ORM object per row would triple
        the time of 100,000 rows)."""
        business = SimpleNamespace()
        apply_business(self.session, cast(BusinessModel, business), value)
        state = vars(business)
        row = {name: state[name] for name in _BUSINESS_COLUMNS}
        return row | self.stamps() | {"archived": False}

    def _insert(self, new_rows: list[dict[str, Any]]) -> None:
        assert self.context.batch is not None
        with business_index_filled_after(self.session, self.context.batch.id):
            for start in range(0, len(new_rows), CHUNK):
                chunk = new_rows[start : start + CHUNK]
                # Core's executemany (the ORM's bulk insert splits a chunk by NULL pattern).
                self.session.execute(insert(_core_table(BusinessModel)), chunk)
                self.outcome.added += len(chunk)
                self.context.tick(len(chunk))

    def _update(self, row: _Row, value: BusinessInput, business_id: int) -> None:
        """Overwrite an existing business with the row's non-blank cells (``update``)."""
        session, context = self.session, self.context
        business = session.get(BusinessModel, business_id)
        assert business is not None
        stored_values: dict[str, Any] = {
            name: (
                getattr(business, name)
                if getattr(business, name) is not None
                else BusinessInput.__dataclass_fields__[name].default
            )
            for name in BUSINESS_FIELDS
        }
        stored = BusinessInput(**stored_values)
        given = {
            f.name: getattr(value, f.name)
            for f in fields(BusinessInput)
            if _BUSINESS_FIELD_COLUMNS.get(f.name, "") in row.cells
            and row.cells[_BUSINESS_FIELD_COLUMNS[f.name]].strip()
        }
        if "postal_code" in given:
            given["town_id"] = value.town_id
            given["area"] = None
        merged = replace(stored, **given).normalized()
        errors = business_errors(session, merged, today=context.today, exclude_id=business_id)
        if errors:
            self.field_errors(row, errors, _BUSINESS_FIELD_COLUMNS)
            self.reject(row)
            return
        self.outcome.updated += 1
        if not context.inserting:
            return
        before = _business_snapshot(business)
        with session.no_autoflush:
            apply_business(session, business, merged)
        business.updated_by_id = context.actor_id
        business.updated_at = utcnow()
        records.flush(session)
        changes = audit.diff(before, _business_snapshot(business))
        if changes:
            audit.record(session, context.actor_id, "update", "business", business_id, changes)


_BUSINESS_FIELD_COLUMNS = {
    **{c.field: c.name for c in COLUMNS[ImportKind.BUSINESSES]},
    "town_id": "郵便番号",
    "area": "郵便番号",
}
_BUSINESS_COLUMNS = (*BUSINESS_FIELDS, "area", "sme_status", "sort_key", "search_text")


def _core_table(model: type[Any]) -> Table:
    """A model's table, for Core's executemany (plain rows, one statement per chunk)."""
    return cast(Table, model.__table__)


def _business_snapshot(business: BusinessModel) -> dict[str, Any]:
    return {name: getattr(business, name) for name in (*BUSINESS_FIELDS, "area", "sme_status")}


def _existing_by_number(
    session: Session, numbers: set[str], trashed: set[int] | None = None
) -> dict[str, int]:
    """The businesses holding these 法人番号 (those in the trash too: the number stays taken);
    the ids of those in the trash are added to ``trashed``."""
    found: dict[str, int] = {}
    ordered = sorted(numbers)
    b = BusinessModel
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        stmt = select(b.id, b.corporate_number, b.deleted_at).where(b.corporate_number.in_(chunk))
        for business_id, number, deleted_at in session.execute(stmt):
            if number is not None:
                found[number] = business_id
            if deleted_at is not None and trashed is not None:
                trashed.add(business_id)
    return found


class _BusinessFinder:
    """Businesses named by rows: by 法人番号, else by the normalised name (never a guess)."""

    def __init__(self, session: Session, rows: Sequence[_Row]) -> None:
        numbers = {parse_corporate_number_cell(r.cell("法人番号")) for r in rows} - {""}
        trashed: set[int] = set()
        by_number = _existing_by_number(session, numbers, trashed)
        self._by_number = {n: i for n, i in by_number.items() if i not in trashed}
        wanted = {choice_key(r.cell("事業者名")) for r in rows if r.cell("事業者名").strip()}
        self._by_name: dict[str, list[int]] = defaultdict(list)
        if wanted:
            b = BusinessModel
            result = session.execute(
                select(b.id, b.name).where(b.deleted_at.is_(None)).order_by(b.id),
                execution_options={"yield_per": 5000},
            )
            for business_id, name in result:
                key = choice_key(name)
                if key in wanted:
                    self._by_name[key].append(business_id)

    def find(self, row: _Row) -> int | None:
        number = parse_corporate_number_cell(row.cell("法人番号"))
        if number:
            if number in self._by_number:
                return self._by_number[number]
            code = corporate_number_error(number) or "import.business_number_not_found"
            row.error("法人番号", code)
            return None
        name = row.cell("事業者名")
        if not name.strip():
            return None  # the service's rule says what is missing
        ids = self._by_name.get(choice_key(name), [])
        if len(ids) == 1:
            return ids[0]
        row.error("事業者名", "import.business_ambiguous" if ids else "import.business_not_found")
        return None


# --- consultations ---------------------------------------------------------------------------


class _ConsultationImporter(_Importer):
    def import_rows(self, rows: list[_Row]) -> None:
        session, context = self.session, self.context
        finder = _BusinessFinder(session, rows)
        c, t = ConsultationChannel, ConsultationTopic
        channels = Choices(
            {
                name: cid
                for cid, name in session.execute(select(c.id, c.name).order_by(c.sort_order))
            },
            "import.unknown_channel",
        )
        topic_rows = session.execute(select(t.id, t.name, t.code).order_by(t.sort_order)).all()
        topics = Choices(
            {
                **{name: tid for tid, name, _ in topic_rows},
                **{code: tid for tid, _, code in topic_rows},
            },
            "import.unknown_topic",
            listed=[name for _, name, _ in topic_rows],
        )
        built: list[ConsultationModel] = []
        for row in rows:
            context.tick()
            value = self._value(row, finder, channels, topics)
            if value is None:
                self.reject(row)
                continue
            errors = consultation_errors(session, value, context.today)
            if errors:
                self.field_errors(row, errors, _CONSULTATION_FIELD_COLUMNS)
                self.reject(row)
                continue
            if not context.inserting:
                self.outcome.added += 1
                continue
            consultation = ConsultationModel()
            with session.no_autoflush:
                apply_consultation(session, consultation, value)
            built.append(consultation)
        context.done = len(rows)
        if self.inserting():
            self._insert(built)
        else:
            self.outcome.added += len(built)

    def _value(
        self,
        row: _Row,
        finder: _BusinessFinder,
        channels: Choices[int],
        topics: Choices[int],
    ) -> ConsultationInput | None:
        consulted_on = row.read("相談日", parse_date_cell)
        if consulted_on is None and not row.cell("相談日").strip():
            row.error("相談日", "required")
        business_id = finder.find(row)
        channel_id = None
        if row.cell("相談方法").strip():
            channel_id = row.read("相談方法", channels.match)
        else:
            row.error("相談方法", "required")
        topic_ids: list[int] = []
        for name in split_topics(row.cell("相談分野")):
            try:
                topic_ids.append(topics.match(name))
            except CellError as exc:
                column = row.file_columns.get("相談分野", "相談分野")
                row.errors.append(RowError(row.number, column, name, exc.code, exc.detail))
        staff_id = self.master("staff", row, "担当者")
        if not row.cell("担当者").strip():
            staff_id = self.context.actor_id  # as the form does: the one entering it
            if staff_id is None:
                row.error("担当者", "required")
        minutes = row.read("所要時間", parse_minutes_cell)
        due_on = row.read("対応期限", parse_date_cell)
        if row.errors:
            return None
        assert consulted_on is not None and channel_id is not None and staff_id is not None
        return ConsultationInput(
            consulted_on=consulted_on,
            channel_id=channel_id,
            staff_id=staff_id,
            business_id=business_id,
            minutes=minutes,
            topic_ids=tuple(topic_ids),
            summary=row.cell("相談内容"),
            advice=row.cell("助言内容"),
            next_action=row.cell("次回対応"),
            due_on=due_on,
        ).normalized()

    def _insert(self, built: list[ConsultationModel]) -> None:
        c = ConsultationModel
        columns = [col.key for col in c.__table__.columns if col.key != "id"]
        stamps = self.stamps()
        for start in range(0, len(built), CHUNK):
            chunk = built[start : start + CHUNK]
            values = []
            for consultation in chunk:
                state = inspect(consultation).dict
                row = {k: state.get(k) for k in columns} | stamps
                for name, default in _CONSULTATION_DEFAULTS.items():
                    if row[name] is None:
                        row[name] = default
                values.append(row)
            table = _core_table(c)
            ids = self.session.scalars(
                insert(table).returning(table.c.id, sort_by_parameter_order=True), values
            ).all()
            links = [
                {"consultation_id": cid, "topic_id": link.topic_id, "is_primary": link.is_primary}
                for cid, consultation in zip(ids, chunk, strict=True)
                for link in consultation.topics
            ]
            initiatives = [
                {"consultation_id": cid, "initiative_id": link.initiative_id}
                for cid, consultation in zip(ids, chunk, strict=True)
                for link in consultation.initiatives
            ]
            if links:
                self.session.execute(insert(_core_table(ConsultationTopicLink)), links)
            if initiatives:
                self.session.execute(insert(_core_table(ConsultationInitiative)), initiatives)
            self.outcome.added += len(chunk)
            self.context.tick(len(chunk))


_CONSULTATION_FIELD_COLUMNS = {
    **{c.field: c.name for c in COLUMNS[ImportKind.CONSULTATIONS]},
    "prospect_name": "事業者名",
    "primary_topic_id": "相談分野",
    "initiative_ids": "相談分野",
}
_CONSULTATION_DEFAULTS = {
    "done": False,
    "done_note": "",
    "archived": False,
    "prospect_name": "",
    "prospect_contact": "",
    "referrals": "",
}


# --- loans -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _LoanRow:
    """One loan row read: the new case, the status it reaches and the step values."""

    value: LoanCaseInput
    target: LoanState
    dates: LoanDates
    amounts: Mapping[str, int | None]
    term: int | None
    grace: int | None
    reason: str


class _LoanImporter(_Importer):
    """Each row opens a case and walks it to its status through the loan steps, each checked
    by ``check_case_step`` as the case form checks it. A row with an error is taken back (a
    savepoint), so later rows see exactly the cases that will be kept (口数, limits)."""

    def import_rows(self, rows: list[_Row]) -> None:
        session, context = self.session, self.context
        finder = _BusinessFinder(session, rows)
        for row in rows:
            context.tick()
            loan = self._read(row, finder)  # master records are created out of the savepoint
            added = False
            if loan is not None:
                savepoint = session.begin_nested()
                try:
                    added = self._write(row, loan)
                finally:
                    if added:
                        savepoint.commit()
                    else:
                        savepoint.rollback()
            if added:
                self.outcome.added += 1
            else:
                self.reject(row)
        context.done = context.total

    def _read(self, row: _Row, finder: _BusinessFinder) -> _LoanRow | None:
        received_on = row.read("受付日", parse_date_cell)
        if received_on is None and not row.cell("受付日").strip():
            row.error("受付日", "required")
        business_id = finder.find(row)
        if business_id is None and not row.errors and not row.cell("法人番号").strip():
            row.error("事業者名", "required")
        program_id = self.master("loan_program", row, "資金種別")
        if program_id is None and not row.cell("資金種別").strip():
            row.error("資金種別", "required")
        bank_id = self.master("bank", row, "金融機関")
        requested = row.read("申込額", parse_yen_cell)
        target = LoanState.INQUIRY
        if row.cell("状態").strip():
            target = row.read("状態", LOAN_STATES.match) or target
        dates = {name: row.read(column, parse_date_cell) for name, column in _LOAN_DATES.items()}
        amounts = {name: row.read(column, parse_yen_cell) for name, column in _LOAN_AMOUNTS.items()}
        term = row.read("期間(月)", parse_count_cell)
        grace = row.read("据置(月)", parse_count_cell)
        if row.errors:
            return None
        assert received_on is not None and business_id is not None and program_id is not None
        return _LoanRow(
            value=LoanCaseInput(
                business_id=business_id,
                program_id=program_id,
                received_on=received_on,
                requested_amount=requested,
                bank_id=bank_id,
            ),
            target=target,
            dates=LoanDates(
                received_on=received_on,
                referred_on=dates["referred_on"],
                executed_on=dates["executed_on"],
                closed_on=dates["closed_on"],
                guaranteed=amounts["approved_amount"] is not None,
            ),
            amounts=amounts,
            term=term,
            grace=grace,
            reason=normalize_lines(row.cell("理由")),
        )

    def _write(self, row: _Row, loan: _LoanRow) -> bool:
        session, context = self.session, self.context
        errors = new_case_errors(session, loan.value, context.today)
        if errors:
            self.field_errors(row, errors, _LOAN_FIELD_COLUMNS)
            return False
        program = session.get(LoanProgram, loan.value.program_id)
        assert program is not None
        plan = plan_loan_history(loan.target, loan.dates, is_startup=program.is_startup)
        for field_name, code in plan.problems:
            code = "import.loan_date_required" if code == "required" else code
            row.error(_LOAN_DATES[field_name], code, f"状態「{loan.target.label}」")
        if row.errors:
            return False
        assert context.batch is not None
        note = {"import_batch": context.batch.id}
        case = open_case(session, loan.value, context.actor_id, note=note)
        columns = dict(_LOAN_FIELD_COLUMNS)
        if "referral_amount" not in row.cells:
            columns["referral_amount"] = "申込額"
        for planned in plan.steps:
            step = self._step_input(planned, case, loan)
            findings = check_case_step(session, case, step, context.today)
            errors = [
                e for e in findings.errors if (e.field, e.code) not in _LOAN_RULES_NOT_IN_FILE
            ]
            if errors:
                columns["occurred_on"] = _LOAN_DATES.get(planned.date_field, "受付日")
                for error in errors:
                    if error.code == "loan.step_not_allowed":
                        row.error("状態", "import.loan_status_not_for_program")
                    elif error.field == "referral_amount" and error.code == "required":
                        row.error(columns["referral_amount"], "import.loan_referral_amount")
                    else:
                        self.field_errors(row, [error], columns)
                return False
            self._apply(case, step, findings.warnings, note)
        case.import_batch_id = context.batch.id
        case.created_at = context.stamp
        case.updated_at = context.stamp
        records.flush(session)
        return True

    @staticmethod
    def _step_input(planned: PlannedStep, case: LoanCase, loan: _LoanRow) -> StepInput:
        name = planned.step
        values: dict[str, Any] = {"reason": loan.reason}
        if name == LoanStep.REFER:
            referral = loan.amounts["referral_amount"] or loan.value.requested_amount
            values |= {"referral_amount": referral, "bank_id": loan.value.bank_id}
        elif name == LoanStep.GUARANTEE:
            values["approved_amount"] = loan.amounts["approved_amount"]
        elif name == LoanStep.EXECUTE:
            values |= {
                "executed_amount": loan.amounts["executed_amount"],
                "term_months": loan.term,
                "grace_months": loan.grace,
                "nominal_rate": case.nominal_rate,  # the terms copied at referral
            }
        step = STEPS[name]
        if "reason" not in (*step.required, *step.optional):
            values["reason"] = ""
        return StepInput(name, planned.occurred_on, **values)

    def _apply(
        self, case: LoanCase, step: StepInput, warnings: list[FieldError], note: dict[str, Any]
    ) -> None:
        session = self.session
        changes = step_changes(session, case, step)
        before = {name: _json_value(getattr(case, name)) for name in changes}
        with session.no_autoflush:
            for name, new in changes.items():
                setattr(case, name, new)
        records.flush(session)
        data = {
            "step": step.step.value,
            "values": {k: _json_value(v) for k, v in step.values().items()},
            "before": before,
            "warnings": [f"{w.field}:{w.code}" for w in warnings],
            **note,
        }
        session.add(
            LoanCaseEvent(
                case_id=case.id,
                kind="transition",
                from_status=before["status"],
                to_status=STEPS[step.step].target.value,
                occurred_on=step.occurred_on,
                staff_id=self.context.actor_id,
                reason=normalize_lines(step.reason),
                data=json.dumps(data, ensure_ascii=False),
            )
        )


_LOAN_DATES = {"referred_on": "あっせん書交付日", "executed_on": "実行日", "closed_on": "終了日"}
_LOAN_AMOUNTS = {
    "executed_amount": "実行額",
    "referral_amount": "あっせん額",
    "approved_amount": "承諾額",
}
_LOAN_FIELD_COLUMNS = {
    **{c.field: c.name for c in COLUMNS[ImportKind.LOANS]},
    "step": "状態",
    "branch_id": "金融機関",
    "nominal_rate": "状態",
}


def _json_value(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


# --- after the import ------------------------------------------------------------------------


def _masters_of(kind: ImportKind) -> tuple[str, ...]:
    return {
        ImportKind.BUSINESSES: (),
        ImportKind.CONSULTATIONS: ("staff",),
        ImportKind.LOANS: ("bank", "loan_program"),
    }[kind]


REJECTED_COLUMN = "取込エラー"


def _write_rejected(table: SourceTable, outcome: _Outcome) -> Path:
    """The rejected rows as they were, with their reasons, beside the input file."""
    by_number = {row.number: row for row in table.rows}
    columns = [Column(title) for title in (*table.header, REJECTED_COLUMN)]
    rows = [
        (
            *by_number[number].cells,
            " / ".join(f"{e.column or '行'}: {e.reason}" for e in outcome.rejected_rows[number]),
        )
        for number in sorted(outcome.rejected_rows)
        if number in by_number
    ]
    stem = table.path.stem
    for attempt in range(1, 1000):
        suffix = "" if attempt == 1 else f"_{attempt}"
        target = table.path.with_name(f"{stem}_取込エラー{suffix}.csv")
        if target.exists():
            continue
        try:
            _write_replacing(target, False, lambda path: write_csv(path, columns, rows))
        except TargetExists:
            continue
        except OSError as exc:  # a read-only folder, a full disk: the import is not kept
            raise ImportFileError("import.rejected_unwritable", str(target.parent)) from exc
        return target
    raise ImportFileError("import.rejected_unwritable", str(table.path.parent))


def _batch_changes(session: Session, batch_id: int) -> dict[str, Any]:
    changes = session.execute(
        select(AuditLog.changes)
        .where(
            AuditLog.action == "import",
            AuditLog.record_kind == RECORD_KIND,
            AuditLog.record_id == batch_id,
        )
        .order_by(AuditLog.id)
        .limit(1)
    ).scalar()
    return json.loads(changes) if changes else {}


def _parent_key(child: type[Any], table: type[Any]) -> Any:
    for column_ in child.__table__.columns:
        for key in column_.foreign_keys:
            if key.column.table is table.__table__:
                return getattr(child, column_.key)
    raise AssertionError(f"{child} has no key to {table}")


def _dependents(
    session: Session, table: type[Any], ids: Any, owned: Sequence[type[Any]]
) -> Iterator[tuple[str, int]]:
    """Rows of other tables that point at the batch's rows (a later consultation on an
    imported business, a loan case on it, …): (table, count) for each that has some."""
    owned_tables = {child.__table__ for child in owned}
    for other in Base.metadata.sorted_tables:
        if other in owned_tables:
            continue
        for column_ in other.columns:
            if not any(key.column.table is table.__table__ for key in column_.foreign_keys):
                continue
            if other is table.__table__ and column_.key == "id":
                continue
            condition: ColumnElement[bool] = column_.in_(ids)
            count = session.execute(
                select(func.count()).select_from(other).where(condition)
            ).scalar_one()
            if count:
                yield _TABLE_LABELS.get(other.name, other.name), int(count)


_TABLE_LABELS = {
    "consultation": "相談記録",
    "loan_case": "融資あっせん案件",
    "safety_net_certification": "セーフティネット認定",
    "expert_dispatch": "専門家派遣",
    "subsidy_application": "補助金申請",
    "loan_case_event": "案件の手続き",
    "consultation_topic_link": "相談分野",
}


def _remove_created_masters(
    session: Session, batch_id: int
) -> tuple[list[CreatedMaster], list[CreatedMaster]]:
    created = _batch_changes(session, batch_id).get("created", [None, []])[1] or []
    removed: list[CreatedMaster] = []
    kept: list[CreatedMaster] = []
    for entry in created:
        master = CreatedMaster(entry["kind"], entry["name"], entry["id"])
        model = _MASTERS[master.kind][0]
        record = session.get(model, master.id)
        if record is None:
            continue
        savepoint = session.begin_nested()
        try:
            session.delete(record)
            session.flush()
        except IntegrityError:
            savepoint.rollback()
            kept.append(master)
        else:
            savepoint.commit()
            removed.append(master)
    return removed, kept
