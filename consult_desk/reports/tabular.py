"""Tables to files: CSV that Excel opens as it is, and xlsx written row by row.

Both writers take the rows as an iterable and never hold more than one row, so an export of
any size streams from the database to the file. Values by column kind: ``TEXT`` str, ``INTEGER``
and ``YEN`` int, ``DATE`` date, ``RATE`` Decimal (percent); None is an empty cell.
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

# Excel and LibreOffice run a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_SHEET_TITLE = 31  # Excel's limit
_SHEET_FORBIDDEN = str.maketrans({c: "＿" for c in "[]:*?/\\"})
_FORMATS = {
    "date": "yyyy-mm-dd",
    "yen": "#,##0",
    "rate": "0.00##",
    "integer": "0",
}


class ColumnKind(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    YEN = "yen"
    DATE = "date"
    RATE = "rate"


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    kind: ColumnKind = ColumnKind.TEXT
    width: int | None = None  # in Excel's character units; None: fit the title


def display_width(text: str) -> int:
    """Columns the text takes in a spreadsheet: full-width characters count as two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, str):
        # A leading apostrophe keeps Excel from running a typed "=…" as a formula.
        return "'" + value if value.startswith(_FORMULA_START) else value
    return str(value)


def write_csv(path: Path, headers: Sequence[Column], rows: Iterable[Sequence[object]]) -> int:
    """UTF-8 with BOM (Excel then reads the Japanese right), CRLF line ends; returns rows."""
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([c.title for c in headers])
        for row in rows:
            writer.writerow([_csv_value(v) for v in row])
            count += 1
    return count


def sheet_title(text: str) -> str:
    """A title Excel accepts: no []:*?/\\ and at most 31 characters."""
    return text.translate(_SHEET_FORBIDDEN)[:MAX_SHEET_TITLE] or "Sheet1"


def write_xlsx(
    path: Path, title: str, headers: Sequence[Column], rows: Iterable[Sequence[object]]
) -> int:
    """One sheet, written row by row: bold frozen header, dates as dates, yen as #,##0."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title(title))
    sheet.freeze_panes = "A2"
    for n, column in enumerate(headers, start=1):
        width = column.width or display_width(column.title) + 2
        sheet.column_dimensions[get_column_letter(n)].width = max(width, 6)
    bold = Font(bold=True)
    header = []
    for column in headers:
        cell = WriteOnlyCell(sheet, value=column.title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    formats = [_FORMATS.get(c.kind.value) for c in headers]
    count = 0
    for row in rows:
        cells: list[object] = []
        for value, number_format in zip(row, formats, strict=True):
            if value is None:
                cells.append(None)
            elif isinstance(value, str):
                if value.startswith("="):
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.data_type = "s"  # typed text, never a formula
                    cells.append(cell)
                else:
                    cells.append(value)
            elif number_format is not None:
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = number_format
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
        count += 1
    workbook.save(path)
    return count
