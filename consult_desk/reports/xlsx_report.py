"""A ``Document`` as an xlsx workbook: one sheet per section, figures as real numbers and dates.

Each sheet starts with the report's header block (title, subject, period, 「取扱注意」, who made
it and when), then the section's blocks one under another: tables with a bold header row,
counts and yen as ``#,##0``, dates as Excel dates shown in 和暦 (or 西暦 when asked). A chart's
figures appear as a table (the chart itself is left to the PDF).

The file depends only on the document and the options: the workbook's created / modified
times and every zip entry's time are ``options.generated_at``.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache

from openpyxl import Workbook
from openpyxl.cell import Cell as SheetCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from consult_desk.reports.document import (
    Block,
    Cell,
    Chart,
    Column,
    Document,
    Facts,
    RenderOptions,
    Section,
    Text,
)
from consult_desk.reports.document import Table as TableBlock
from consult_desk.reports.pdf import NONE_TEXT, generated_text, period_text
from consult_desk.reports.tabular import display_width, sheet_title

NUMBER_FORMAT = "#,##0"
WESTERN_DATE_FORMAT = "yyyy/mm/dd"
# Excel's Japanese-calendar format (LCID 0411): 令和8年10月1日.
WAREKI_DATE_FORMAT = '[$-411]ggge"年"m"月"d"日"'
FONT_NAME = "BIZ UDPゴシック"  # shown when installed; Excel falls back to its own otherwise
TABLE_WIDTH = 96  # characters across a table's columns, shared out by Column.weight
MAX_COLUMN_WIDTH = 60
HEADER_ROWS = 5  # title, period, mark, made by, blank

_THIN = Side(style="thin", color="808080")
_MEDIUM = Side(style="medium", color="1A1A1A")
_GRID = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="E4E8ED")
_LABEL_FILL = PatternFill("solid", fgColor="F1F3F5")


@cache
def _font(*, bold: bool = False, size: float = 10, color: str = "1A1A1A") -> Font:
    return Font(name=FONT_NAME, bold=bold, size=size, color=color)


def _unique_titles(headings: list[str]) -> list[str]:
    """Sheet names Excel accepts (≤31 characters, no []:*?/\\), unique ignoring case."""
    used: set[str] = set()
    titles = []
    for n, heading in enumerate(headings, start=1):
        base = sheet_title(" ".join(heading.split()) or f"シート{n}").strip("'") or f"シート{n}"
        title, suffix = base, 2
        while title.casefold() in used:
            tail = f"（{suffix}）"
            title = base[: 31 - len(tail)] + tail
            suffix += 1
        used.add(title.casefold())
        titles.append(title)
    return titles


@dataclass
class _Widths:
    """Each column's width so far: the widest of what the blocks asked for."""

    columns: dict[int, float]

    def want(self, column: int, width: float) -> None:
        self.columns[column] = min(max(self.columns.get(column, 0), width), MAX_COLUMN_WIDTH)


class _SheetWriter:
    def __init__(self, sheet: Worksheet, doc: Document, options: RenderOptions) -> None:
        self.sheet = sheet
        self.doc = doc
        self.options = options
        self.row = 1
        self.widths = _Widths({})
        self.freeze: str | None = None

    # -- cells --

    def _put(self, column: int, value: object, **style: object) -> SheetCell:
        cell: SheetCell = self.sheet.cell(row=self.row, column=column)
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters: not in xlsx
        cell.value = value
        cell.font = style.pop("font", _font())
        for name, setting in style.items():
            setattr(cell, name, setting)
        return cell

    def _value(self, column: int, value: Cell, *, numeric: bool, bold: bool = False) -> None:
        font = _font(bold=bold)
        top = Alignment(vertical="top")
        if value is None:
            align = "right" if numeric else "left"
            self._put(
                column, NONE_TEXT, font=font, alignment=Alignment(horizontal=align, vertical="top")
            )
        elif isinstance(value, bool):
            self._put(column, "はい" if value else "いいえ", font=font, alignment=top)
        elif isinstance(value, int):
            self._put(column, value, font=font, number_format=NUMBER_FORMAT, alignment=top)
        elif isinstance(value, date):
            form = WESTERN_DATE_FORMAT if self.options.western_dates else WAREKI_DATE_FORMAT
            day = value if not isinstance(value, datetime) else value.date()
            self._put(column, day, font=font, number_format=form, alignment=top)
        else:
            cell = self._put(
                column, value, font=font, alignment=Alignment(wrap_text=True, vertical="top")
            )
            if value.startswith("="):
                cell.data_type = "s"  # typed text, never a formula

    # -- header --

    def header(self, heading: str) -> None:
        doc, options = self.doc, self.options
        western = options.western_dates
        title = "　".join(filter(None, (doc.title, doc.subject)))
        self._put(1, title, font=_font(bold=True, size=14))
        self.row += 1
        period = period_text(doc.period_from, doc.period_to, western=western)
        if period:
            self._put(1, f"対象期間　{period}", font=_font(color="555555"))
        self.row += 1
        mark = self._put(1, options.confidential_mark, font=_font(bold=True, size=11))
        mark.border = Border(left=_MEDIUM, right=_MEDIUM, top=_MEDIUM, bottom=_MEDIUM)
        mark.alignment = Alignment(horizontal="center")
        self.row += 1
        made = f"作成: {generated_text(options.generated_at, western=western)}　"
        self._put(1, made + options.generated_by, font=_font(size=9, color="555555"))
        self.row += 2
        self._put(1, heading, font=_font(bold=True, size=12))
        self.row += 2
        self.widths.want(1, display_width(options.confidential_mark) + 4)

    # -- blocks --

    def block(self, block: Block, *, only_table: bool) -> None:
        if block.title:
            self._put(1, block.title, font=_font(bold=True))
            self.row += 1
        if isinstance(block, TableBlock):
            self._table(block.columns, block.rows, block.total_row, block.empty_text, only_table)
        elif isinstance(block, Facts):
            self._facts(block)
        elif isinstance(block, Text):
            self._text(block)
        else:
            self._chart(block)
        self.row += 1  # a blank row between blocks

    def _table(
        self,
        columns: tuple[Column, ...],
        rows: tuple[tuple[Cell, ...], ...],
        total_row: bool,
        empty_text: str,
        freeze: bool,
    ) -> None:
        weights = sum(max(c.weight, 0.01) for c in columns)
        for n, column in enumerate(columns, start=1):
            self._put(
                n,
                column.title,
                font=_font(bold=True),
                fill=_HEAD_FILL,
                border=_GRID,
                alignment=Alignment(horizontal="center", vertical="center", wrap_text=True),
            )
            share = TABLE_WIDTH * max(column.weight, 0.01) / weights
            self.widths.want(n, max(share, display_width(column.title) + 2, 8))
        if freeze:
            self.freeze = f"A{self.row + 1}"
        self.row += 1
        if not rows:
            self.note(empty_text)
            return
        for index, row in enumerate(rows, start=1):
            bold = total_row and index == len(rows)
            for n, (value, column) in enumerate(zip(row, columns, strict=True), start=1):
                self._value(n, value, numeric=column.numeric, bold=bold)
                cell = self.sheet.cell(row=self.row, column=n)
                cell.border = _GRID
                if bold:
                    cell.border = Border(left=_THIN, right=_THIN, top=_MEDIUM, bottom=_THIN)
                    cell.fill = _LABEL_FILL
                if isinstance(value, int | date) and value is not None:
                    shown = f"{value:,}" if isinstance(value, int) else "令和10年12月31日"
                    self.widths.want(n, display_width(shown) + 3)
            self.row += 1

    def _facts(self, block: Facts) -> None:
        if not block.items:
            self._put(1, NONE_TEXT)
            self.row += 1
            return
        label_width = max(display_width(label) for label, _ in block.items) + 2
        self.widths.want(1, max(label_width, 12))
        self.widths.want(2, 24)
        for label, value in block.items:
            self._put(1, label, fill=_LABEL_FILL, border=_GRID)
            self._value(2, value, numeric=isinstance(value, int))
            self.sheet.cell(row=self.row, column=2).border = _GRID
            self.row += 1

    def _text(self, block: Text) -> None:
        for line in block.text.replace("\r\n", "\n").split("\n"):
            if line:
                self._put(1, "'" + line if line.startswith("=") else line)
            self.row += 1

    def _chart(self, block: Chart) -> None:
        columns = (
            Column("区分", weight=2),
            *(Column(f"{s.name}（{block.unit}）", numeric=True) for s in block.series),
        )
        rows = tuple(
            (category, *(s.values[n] if n < len(s.values) else None for s in block.series))
            for n, category in enumerate(block.categories)
        )
        self._table(columns, rows, False, "グラフにするデータがありません。", False)

    def note(self, text: str) -> None:
        self._put(1, text, font=_font(color="555555"))
        self.row += 1

    def finish(self) -> None:
        for column, width in self.widths.columns.items():
            self.sheet.column_dimensions[get_column_letter(column)].width = round(width, 1)
        self.sheet.freeze_panes = self.freeze or f"A{HEADER_ROWS + 1}"
        setup = self.sheet.page_setup
        setup.paperSize = self.sheet.PAPERSIZE_A4
        setup.orientation = "landscape" if self.doc.landscape else "portrait"
        setup.fitToWidth = 1
        setup.fitToHeight = 0
        self.sheet.sheet_properties.pageSetUpPr.fitToPage = True
        self.sheet.print_title_rows = f"1:{HEADER_ROWS}"
        self.sheet.oddFooter.right.text = "&P / &N ページ"


def render_xlsx(doc: Document, options: RenderOptions) -> bytes:
    """The document as xlsx bytes (reproducible for the same document and options)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    sections = doc.sections or (Section(doc.title, ()),)
    for title, section in zip(_unique_titles([s.heading for s in sections]), sections, strict=True):
        writer = _SheetWriter(workbook.create_sheet(title), doc, options)
        writer.header(section.heading)
        blocks = section.blocks
        only_table = len(blocks) == 1 and isinstance(blocks[0], TableBlock)
        for block in blocks:
            writer.block(block, only_table=only_table)
        if not blocks:
            writer.note("記載する内容はありません。")
        writer.finish()
    moment = _utc(options.generated_at)
    properties = workbook.properties
    properties.title = " ".join(filter(None, (doc.title, doc.subject)))
    properties.creator = options.generated_by
    properties.lastModifiedBy = options.generated_by
    properties.created = moment
    properties.modified = moment
    out = io.BytesIO()
    # ExcelWriter rather than Workbook.save: save() stamps "modified" with the clock.
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).write_data()
    return _fixed_zip_times(out.getvalue(), options.generated_at)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _fixed_zip_times(data: bytes, moment: datetime) -> bytes:
    """The same archive with every entry dated ``moment`` (zip stores the clock's time)."""
    stamp = (max(moment.year, 1980), moment.month, moment.day, moment.hour, moment.minute, 0)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = entry.external_attr
            target.writestr(info, source.read(entry.filename))
    return out.getvalue()
