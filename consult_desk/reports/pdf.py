"""A ``Document`` as an A4 PDF: the bundled font only, embedded as a subset, byte-reproducible.

Every page carries the title, the subject and the period with a boxed 「取扱注意」 mark at the top,
and 「X / Y ページ」 with who made it and when at the bottom. Tables split across pages with
their header row repeated; numbers are right-aligned with thousands separators; charts are
drawn with ``reportlab.graphics`` in the same font, in colours that still read when printed in
greyscale.

A character the font cannot draw (e.g. 𠮷) is printed as 「〓」 and listed in
``RenderedPdf.missing``, so the caller can warn instead of letting a box slip into a report.

The output depends on nothing but the document and the options: ``invariant=True`` fixes the
document id, and the creation date written into the file is ``options.generated_at``.
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.validators import Auto
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    LongTable,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import HRFlowable

from consult_desk.domain.fiscal import format_date
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
from consult_desk.reports.fonts import FONT, FONT_BOLD, missing_glyphs, register_japanese_font

REPLACEMENT = "〓"  # 下駄記号: the printers' mark for a character the type case lacks
NONE_TEXT = "—"
PERIOD_DASH = "〜"

# Page geometry (points).
MARGIN_X = 18 * mm
MARGIN_TOP = 30 * mm  # the header sits above the frame
MARGIN_BOTTOM = 20 * mm

# Colours: dark ink, thin grey rules, and fills light enough to photocopy.
INK = colors.HexColor("#1A1A1A")
MUTED = colors.HexColor("#555555")
RULE = colors.HexColor("#8C8C8C")
HEADER_FILL = colors.HexColor("#E4E8ED")
LABEL_FILL = colors.HexColor("#F1F3F5")
TOTAL_FILL = colors.HexColor("#F1F3F5")
GRID = colors.HexColor("#D5D5D5")
# Series colours step through clearly different greys when printed in black and white.
SERIES_COLOURS = (
    colors.HexColor("#1F3A5F"),  # dark navy
    colors.HexColor("#9DB4D0"),  # light blue
    colors.HexColor("#5C7FA8"),  # mid blue
    colors.HexColor("#D9D9D9"),  # pale grey
    colors.HexColor("#3F3F3F"),  # charcoal
)
SERIES_DASHES: tuple[tuple[float, ...] | None, ...] = (None, (4, 2), (1, 1.5), (6, 2, 1, 2), None)
SERIES_MARKERS = ("FilledCircle", "FilledSquare", "FilledDiamond", "FilledTriangle", "Circle")

BODY_SIZE = 9.5
CELL_SIZE = 8.5


@dataclass(frozen=True, slots=True)
class RenderedPdf:
    data: bytes
    missing: tuple[str, ...]  # characters the font lacks, sorted; printed as 〓


def render_pdf(doc: Document, options: RenderOptions) -> RenderedPdf:
    """The document as PDF bytes, and the characters that had to be replaced."""
    register_japanese_font()
    lacking = missing_glyphs("".join(_texts(doc, options)))
    missing = tuple(sorted(ch for ch in lacking if not _dropped(ch)))
    renderer = _Renderer(doc, options, missing)
    return RenderedPdf(renderer.build(), missing)


# -- text ---------------------------------------------------------------------------------------


def _dropped(ch: str) -> bool:
    """Controls, format characters and variation selectors: not printed, not reported."""
    code = ord(ch)
    return (
        0xFE00 <= code <= 0xFE0F
        or 0xE0100 <= code <= 0xE01EF
        or unicodedata.category(ch) in ("Cc", "Cf")
    )


def _texts(doc: Document, options: RenderOptions) -> Iterator[str]:
    """Every piece of text the PDF prints (for the font check)."""
    yield from (doc.title, doc.subject, options.generated_by, options.confidential_mark)
    for section in doc.sections:
        yield section.heading
        for block in section.blocks:
            yield block.title
            if isinstance(block, TableBlock):
                yield block.empty_text
                yield from (c.title for c in block.columns)
                yield from (v for row in block.rows for v in row if isinstance(v, str))
            elif isinstance(block, Facts):
                for label, value in block.items:
                    yield label
                    if isinstance(value, str):
                        yield value
            elif isinstance(block, Text):
                yield block.text
            else:
                yield block.unit
                yield from block.categories
                yield from (s.name for s in block.series)


class _Cleaner:
    """Makes text printable: lacking characters → 〓, variation selectors and controls dropped."""

    def __init__(self, missing: Iterable[str]) -> None:
        table: dict[int, str | None] = {ord(ch): REPLACEMENT for ch in missing}
        self._table = table

    def __call__(self, text: str) -> str:
        text = text.translate(self._table).replace("\t", " ")
        return "".join(ch for ch in text if ch == "\n" or not _dropped(ch))

    def markup(self, text: str) -> str:
        """Paragraph markup of plain text: XML-escaped, line breaks kept."""
        lines = self(text.replace("\r\n", "\n").replace("\r", "\n")).split("\n")
        return "<br/>".join(escape(line) for line in lines)


def format_cell(value: Cell, *, western: bool) -> str:
    """A cell as printed: 1,234,567 / 和暦 or 西暦 dates / — for nothing."""
    if value is None:
        return NONE_TEXT
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, date):
        return format_date(value, western=western)
    return value


def period_text(period_from: date | None, period_to: date | None, *, western: bool) -> str:
    """「令和8年10月1日〜令和8年10月31日」; one open end is left blank; "" for no period."""
    if period_from is None and period_to is None:
        return ""
    start = format_date(period_from, western=western)
    end = format_date(period_to, western=western)
    return f"{start}{PERIOD_DASH}{end}"


def generated_text(moment: datetime, *, western: bool) -> str:
    return f"{format_date(moment.date(), western=western)} {moment.hour}:{moment.minute:02d}"


# -- styles -------------------------------------------------------------------------------------


def _style(name: str, parent: ParagraphStyle | None = None, **values: Any) -> ParagraphStyle:
    if parent is not None:
        return ParagraphStyle(name, parent=parent, **values)
    base: dict[str, Any] = {
        "fontName": FONT,
        "fontSize": BODY_SIZE,
        "leading": BODY_SIZE * 1.55,
        "textColor": INK,
        "wordWrap": "CJK",
        "bulletFontName": FONT,
    }
    return ParagraphStyle(name, **{**base, **values})


SECTION = _style(
    "section", fontName=FONT_BOLD, fontSize=12, leading=16, spaceBefore=12, spaceAfter=2
)
BLOCK_TITLE = _style(
    "block", fontName=FONT_BOLD, fontSize=9.5, leading=13, spaceBefore=8, spaceAfter=3
)
BODY = _style("body", spaceAfter=4)
CELL = _style("cell", fontSize=CELL_SIZE, leading=CELL_SIZE * 1.35)
CELL_RIGHT = _style("cell_right", parent=CELL, alignment=TA_RIGHT)
EMPTY = _style("empty", parent=CELL, alignment=TA_LEFT, textColor=MUTED)


@dataclass(frozen=True, slots=True)
class _CellStyles:
    """A table's paragraph styles and cell padding (points, top and bottom).

    A one-line row is as tall as the leading plus the padding, so a dense table needs a
    tighter leading as well as less padding: the leading alone is most of the row."""

    plain: ParagraphStyle
    right: ParagraphStyle
    bold: ParagraphStyle
    bold_right: ParagraphStyle
    head: ParagraphStyle
    padding: tuple[float, float]

    @classmethod
    def make(cls, name: str, leading: float, padding: tuple[float, float]) -> _CellStyles:
        plain = _style(f"{name}_cell", fontSize=CELL_SIZE, leading=CELL_SIZE * leading)
        bold = _style(f"{name}_bold", parent=plain, fontName=FONT_BOLD)
        return cls(
            plain=plain,
            right=_style(f"{name}_right", parent=plain, alignment=TA_RIGHT),
            bold=bold,
            bold_right=_style(f"{name}_bold_right", parent=bold, alignment=TA_RIGHT),
            head=_style(f"{name}_head", parent=bold, alignment=TA_CENTER),
            padding=padding,
        )

    def pick(self, *, bold: bool, right: bool) -> ParagraphStyle:
        if bold:
            return self.bold_right if right else self.bold
        return self.right if right else self.plain


# Rows of 17 pt; a dense table's (``Table.dense``) one-line rows are about 14 pt.
REGULAR_CELLS = _CellStyles.make("regular", 1.35, (2.5, 3.0))
DENSE_CELLS = _CellStyles.make("dense", 1.2, (1.5, 2.0))


# -- page decoration ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _PageText:
    title: str
    subject: str
    period: str
    mark: str
    generated: str


def _fit(text: str, font: str, size: float, width: float, smallest: float) -> tuple[str, float]:
    """Shrink ``text`` down to ``smallest`` points to fit ``width``, then cut it with …."""
    while size > smallest and stringWidth(text, font, size) > width:
        size -= 0.5
    if stringWidth(text, font, size) <= width:
        return text, size
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…", size


def _decorate(canvas: Canvas, page: int, pages: int, text: _PageText) -> None:
    width, height = canvas._pagesize
    left, right = MARGIN_X, width - MARGIN_X
    canvas.saveState()
    canvas.setFillColor(INK)

    # 取扱注意: a boxed mark at the top right.
    mark_size = 10.5
    mark_w = stringWidth(text.mark, FONT_BOLD, mark_size) + 12
    mark_h = mark_size + 8
    mark_top = height - 10 * mm
    canvas.setLineWidth(1)
    canvas.setStrokeColor(INK)
    canvas.rect(right - mark_w, mark_top - mark_h, mark_w, mark_h, stroke=1, fill=0)
    canvas.setFont(FONT_BOLD, mark_size)
    canvas.drawCentredString(right - mark_w / 2, mark_top - mark_h + 5.2, text.mark)

    # Title and subject on one line, the period below.
    room = right - mark_w - 6 * mm - left
    title_size = 14.0
    baseline = height - 15 * mm
    title, title_size = _fit(text.title, FONT_BOLD, title_size, room * 0.6, 10)
    canvas.setFont(FONT_BOLD, title_size)
    canvas.drawString(left, baseline, title)
    title_w = stringWidth(title, FONT_BOLD, title_size)
    if text.subject:
        subject, subject_size = _fit(text.subject, FONT, 12, room - title_w - 10, 8)
        canvas.setFont(FONT, subject_size)
        canvas.drawString(left + title_w + 10, baseline, subject)
    if text.period:
        canvas.setFont(FONT, 9)
        canvas.setFillColor(MUTED)
        canvas.drawString(left, baseline - 6 * mm, f"対象期間　{text.period}")
    rule_y = height - 24 * mm
    canvas.setStrokeColor(INK)
    canvas.setLineWidth(0.8)
    canvas.line(left, rule_y, right, rule_y)
    canvas.setLineWidth(0.3)
    canvas.line(left, rule_y - 1.6, right, rule_y - 1.6)

    # Footer: who made it and when, and the page.
    foot_y = 12 * mm
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.4)
    canvas.line(left, foot_y + 4 * mm, right, foot_y + 4 * mm)
    canvas.setFillColor(MUTED)
    canvas.setFont(FONT, 8)
    generated, _ = _fit(text.generated, FONT, 8, (right - left) * 0.7, 8)
    canvas.drawString(left, foot_y, generated)
    canvas.setFillColor(INK)
    canvas.setFont(FONT, 9)
    canvas.drawRightString(right, foot_y, f"{page} / {pages} ページ")
    canvas.restoreState()


def _pdf_date(moment: datetime) -> str:
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"D:{moment:%Y%m%d%H%M%S}{sign}{hours:02d}'{rest:02d}'"


def _canvas_maker(text: _PageText, created: str) -> Callable[..., Canvas]:
    class _PagedCanvas(Canvas):
        """Holds every page back until the end, so each can say 「X / Y ページ」."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []
            self.setDateFormatter(lambda *_: created)  # not the clock: output is invariant

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                _decorate(self, number, total, text)
                Canvas.showPage(self)
            Canvas.save(self)

    return _PagedCanvas


# -- blocks -------------------------------------------------------------------------------------


def _widths(
    columns: tuple[Column, ...], needs: list[float], figures: list[bool], total: float
) -> list[float]:
    """Shares of ``total`` by ``Column.weight``, widened where a figure or a code would wrap.

    ``needs`` is each column's narrowest width that keeps its numbers, dates and codes
    (「1-2-1」, a phone number) on one line. A text column is widened to its need; number and
    date columns share the rest: those that need more get it, the others stay even among
    themselves. What they lack is taken from the text columns (at most half of each).
    """
    weights = [max(c.weight, 0.01) for c in columns]
    unit = total / sum(weights)
    widths = [w * unit for w in weights]
    fixed = [i for i, f in enumerate(figures) if f]  # numbers and dates
    text = [i for i, f in enumerate(figures) if not f]
    floors = {i: max(needs[i], widths[i] / 2) for i in text}
    for i in text:
        widths[i] = max(widths[i], needs[i])
    if not fixed:
        return widths
    budget = total - sum(widths[i] for i in text)
    lacking = sum(needs[i] for i in fixed) - budget
    if lacking > 0:
        spare = {i: max(widths[i] - floors[i], 0.0) for i in text}
        room = sum(spare.values())
        take = min(lacking, room)
        for i, slack in spare.items():
            widths[i] -= take * slack / room if room else 0.0
        budget += take
    if sum(needs[i] for i in fixed) >= budget:  # cannot fit: in proportion to their needs
        scale = budget / sum(needs[i] for i in fixed)
        for i in fixed:
            widths[i] = needs[i] * scale
        return widths
    # Even out: the share per unit of weight ``level`` with Σ max(need, level·weight) = budget.
    low, high = 0.0, budget / min(weights[i] for i in fixed)
    for _ in range(50):
        level = (low + high) / 2
        if sum(max(needs[i], level * weights[i]) for i in fixed) > budget:
            high = level
        else:
            low = level
    for i in fixed:
        widths[i] = max(needs[i], low * weights[i])
    return widths


_CODE = re.compile(r"[0-9A-Za-z][0-9A-Za-z.\-/]*[0-9A-Za-z]")  # 1-2-1, 03-4754-3439, R8.4.1
MAX_CODE_WIDTH = 90.0


def _unbroken_width(text: str) -> float:
    """Width of a cell that must not wrap, with the cell's padding."""
    return stringWidth(text, FONT_BOLD, CELL_SIZE) + 8 + 2


CONTINUED = "（続き）"


def _continued_labels(block: TableBlock) -> list[str | None]:
    """Per table row (the header first): the name a row shows when a page starts with it.

    A row whose first cell is "" continues the group above it (a bank and its figures); if a
    page break falls inside the group, the new page's first row says 「みずほ銀行（続き）」
    instead of leaving the reader without the group's name. A total row is no continuation."""
    labels: list[str | None] = [None]
    group: str | None = None
    for n, row in enumerate(block.rows, start=1):
        first = row[0] if row else None
        if first == "" and not (block.total_row and n == len(block.rows)):
            labels.append(f"{group}{CONTINUED}" if group else None)
        else:
            group = first if isinstance(first, str) and first else None
            labels.append(None)
    return labels


class _GroupedTable(Table):
    """A table that names a group again on the page its rows continue on (see above)."""

    continued: list[str | None]
    continued_style: ParagraphStyle

    def split(self, width: float, height: float) -> list[Flowable]:
        parts: list[Flowable] = super().split(width, height)
        labels = getattr(self, "continued", None)
        if len(parts) != 2 or not labels:
            return parts
        first, rest = parts
        assert isinstance(first, _GroupedTable) and isinstance(rest, _GroupedTable)
        head = int(self.repeatRows)
        start = len(self._cellvalues) - (len(rest._cellvalues) - head)
        for part, part_labels in ((first, labels[:start]), (rest, labels[:head] + labels[start:])):
            part.continued = part_labels
            part.continued_style = self.continued_style
        label = labels[start] if start < len(labels) else None
        if label is not None:
            rest._cellvalues[head] = [
                Paragraph(escape(label), self.continued_style),
                *rest._cellvalues[head][1:],
            ]
            heights = list(rest._argH)
            heights[head] = None  # the name may take more lines than the row had
            rest._argH = heights
        return parts


class _GroupedLongTable(_GroupedTable, LongTable):
    pass


@dataclass(frozen=True, slots=True)
class _Arranged:
    flowables: list[Flowable]
    short: bool  # kept on one page


class _Renderer:
    def __init__(self, doc: Document, options: RenderOptions, missing: tuple[str, ...]) -> None:
        self.doc = doc
        self.options = options
        self.clean = _Cleaner(missing)
        self.pagesize = landscape(A4) if doc.landscape else A4
        self.width = self.pagesize[0] - 2 * MARGIN_X

    def build(self) -> bytes:
        western = self.options.western_dates
        text = _PageText(
            title=self.clean(self.doc.title),
            subject=self.clean(self.doc.subject),
            period=period_text(self.doc.period_from, self.doc.period_to, western=western),
            mark=self.clean(self.options.confidential_mark),
            generated=self.clean(
                f"作成: {generated_text(self.options.generated_at, western=western)}"
                f"　{self.options.generated_by}"
            ),
        )
        out = io.BytesIO()
        template = BaseDocTemplate(
            out,
            pagesize=self.pagesize,
            leftMargin=MARGIN_X,
            rightMargin=MARGIN_X,
            topMargin=MARGIN_TOP,
            bottomMargin=MARGIN_BOTTOM,
            title=" ".join(filter(None, (text.title, text.subject))),
            author=self.clean(self.options.generated_by),
            subject=text.period,
            creator="consult-desk",
            invariant=True,
            initialFontName=FONT,
            lang="ja-JP",
        )
        frame = Frame(
            MARGIN_X,
            MARGIN_BOTTOM,
            self.width,
            self.pagesize[1] - MARGIN_TOP - MARGIN_BOTTOM,
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
            id="body",
        )
        template.addPageTemplates([PageTemplate(id="page", frames=[frame])])
        story = list(self._story())
        template.build(
            story,
            canvasmaker=_canvas_maker(text, _pdf_date(self.options.generated_at)),
        )
        return out.getvalue()

    def _story(self) -> Iterator[Flowable]:
        first = True
        if not self.doc.sections:
            yield Paragraph("記載する内容はありません。", BODY)
        for section in self.doc.sections:
            if section.new_page and not first:
                yield PageBreak()
            elif not first:
                yield CondPageBreak(45 * mm)  # a heading never sits alone at a page's foot
            yield from self._section(section)
            first = False

    def _section(self, section: Section) -> Iterator[Flowable]:
        heading: list[Flowable] = [
            Paragraph(self.clean.markup(section.heading), SECTION),
            HRFlowable(width="100%", thickness=0.8, color=INK, spaceBefore=1, spaceAfter=4),
        ]
        blocks = [self._block(block) for block in section.blocks]
        if blocks and blocks[0].short:
            # A short first block stays on the page of its heading (KeepTogethers must not
            # nest: ReportLab then breaks the page before them).
            yield KeepTogether([*heading, *blocks[0].flowables])
            blocks = blocks[1:]
        else:
            yield from heading
        for block in blocks:
            if block.short:
                yield KeepTogether(block.flowables)
            else:
                yield CondPageBreak(35 * mm)  # a title never ends a page
                yield from block.flowables

    def _block(self, block: Block) -> _Arranged:
        if isinstance(block, TableBlock):
            return self._table(block)
        if isinstance(block, Facts):
            return self._facts(block)
        if isinstance(block, Text):
            return self._text(block)
        return self._chart(block)

    def _arranged(self, title: str, body: list[Flowable], *, short: bool) -> _Arranged:
        """A block under its title: kept on one page when short, else split where it falls."""
        if title:
            # Not keepWithNext: ReportLab would wrap a long block in a KeepTogether, which
            # always starts a new page; CondPageBreak keeps the title off a page's foot.
            body = [Paragraph(self.clean.markup(title), BLOCK_TITLE), *body]
        return _Arranged(body, short)

    def _cell(self, value: Cell, styles: _CellStyles, *, numeric: bool, bold: bool) -> Paragraph:
        text = self.clean.markup(format_cell(value, western=self.options.western_dates))
        right = numeric or (isinstance(value, int) and not isinstance(value, bool))
        return Paragraph(text, styles.pick(bold=bold, right=right))

    def _table(self, block: TableBlock) -> _Arranged:
        columns = block.columns
        styles = DENSE_CELLS if block.dense else REGULAR_CELLS
        head = [Paragraph(self.clean.markup(c.title), styles.head) for c in columns]
        rows: list[list[Any]] = [head]
        last = len(block.rows)
        for n, row in enumerate(block.rows, start=1):
            bold = block.total_row and n == last
            rows.append(
                [
                    self._cell(value, styles, numeric=column.numeric, bold=bold)
                    for value, column in zip(row, columns, strict=True)
                ]
            )
        commands: list[tuple[Any, ...]] = [
            *_FRAME,
            ("LINEAFTER", (0, 0), (-2, -1), 0.35, RULE),
            ("LINEBELOW", (1, 0), (-1, -1), 0.35, RULE),
            *_group_rules(block.rows),
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
            ("TOPPADDING", (0, 0), (-1, -1), styles.padding[0]),
            ("BOTTOMPADDING", (0, 0), (-1, -1), styles.padding[1]),
        ]
        if not block.rows:
            empty = Paragraph(self.clean.markup(block.empty_text), EMPTY)
            rows.append([empty] + [""] * (len(columns) - 1))
            commands.append(("SPAN", (0, 1), (-1, 1)))
        elif block.total_row:
            commands += [
                ("BACKGROUND", (0, -1), (-1, -1), TOTAL_FILL),
                ("LINEABOVE", (0, -1), (-1, -1), 0.9, INK),
            ]
        western = self.options.western_dates
        # A short numeric header ("12月", "前年同月") stays on one line too.
        needs = [min(_unbroken_width(c.title), 48.0) if c.numeric else 0.0 for c in columns]
        figures = [c.numeric for c in columns]
        for row in block.rows:
            for n, value in enumerate(row):
                if isinstance(value, str):
                    for word in _CODE.findall(value):  # codes and phone numbers do not break
                        needs[n] = max(needs[n], min(_unbroken_width(word), MAX_CODE_WIDTH))
                elif value is not None:
                    figures[n] = True
                    needs[n] = max(needs[n], _unbroken_width(format_cell(value, western=western)))
        kind = _GroupedLongTable if len(rows) > 60 else _GroupedTable
        table = kind(
            rows,
            colWidths=_widths(columns, needs, figures, self.width),
            repeatRows=1,
            style=TableStyle(commands),
            hAlign="LEFT",
        )
        table.continued = _continued_labels(block)
        table.continued_style = styles.plain
        short = len(rows) <= (16 if self.doc.landscape else 26)  # else split where it falls
        return self._arranged(block.title, [table, Spacer(1, 6)], short=short)

    def _facts(self, block: Facts) -> _Arranged:
        western = self.options.western_dates
        numeric = bool(block.items) and all(isinstance(v, int) or v is None for _, v in block.items)
        rows = [
            [
                Paragraph(self.clean.markup(label), CELL),
                Paragraph(
                    self.clean.markup(format_cell(value, western=western)),
                    CELL_RIGHT if numeric else CELL,
                ),
            ]
            for label, value in block.items
        ]
        if not rows:
            return self._arranged(block.title, [Paragraph(NONE_TEXT, BODY)], short=True)
        width = self.width * (0.6 if numeric else 1.0)
        widths = [width * 0.55, width * 0.45] if numeric else [width * 0.28, width * 0.72]
        table = Table(
            rows,
            colWidths=widths,
            style=TableStyle([*_GRID, ("BACKGROUND", (0, 0), (0, -1), LABEL_FILL)]),
            hAlign="LEFT",
        )
        return self._arranged(block.title, [table, Spacer(1, 6)], short=len(rows) <= 20)

    def _text(self, block: Text) -> _Arranged:
        paragraphs: list[Flowable] = [
            Paragraph(self.clean.markup(part), BODY)
            for part in block.text.replace("\r\n", "\n").split("\n\n")
            if part.strip()
        ]
        if not paragraphs:
            paragraphs = [Paragraph(NONE_TEXT, BODY)]
        return self._arranged(block.title, paragraphs, short=len(paragraphs) <= 3)

    def _chart(self, block: Chart) -> _Arranged:
        if not block.categories or not any(s.values for s in block.series):
            empty = Paragraph("グラフにするデータがありません。", EMPTY)
            return self._arranged(block.title, [empty], short=True)
        drawing = _ChartDrawer(block, self.clean, self.width).draw()
        return self._arranged(block.title, [drawing, Spacer(1, 6)], short=True)


def _group_rules(rows: tuple[tuple[Cell, ...], ...]) -> list[tuple[Any, ...]]:
    """The first column's rules between rows: none above a row whose first cell is "" (it
    continues the group above, e.g. a bank and its figures), so a group reads as one cell."""
    commands: list[tuple[Any, ...]] = []
    for n in range(len(rows)):
        follows = n + 1 < len(rows) and rows[n + 1][0] == ""
        if not follows:  # table row n + 1 (after the header) is ruled below
            commands.append(("LINEBELOW", (0, n + 1), (0, n + 1), 0.35, RULE))
    return commands


_FRAME: tuple[tuple[Any, ...], ...] = (
    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ("FONTNAME", (0, 0), (-1, -1), FONT),
    ("BOX", (0, 0), (-1, -1), 0.8, INK),
    ("TOPPADDING", (0, 0), (-1, -1), 2.5),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ("LEFTPADDING", (0, 0), (-1, -1), 4),
    ("RIGHTPADDING", (0, 0), (-1, -1), 4),
)
_GRID = (*_FRAME, ("INNERGRID", (0, 0), (-1, -1), 0.35, RULE))


# -- charts -------------------------------------------------------------------------------------


def _nice_step(top: float, ticks: int = 5) -> int:
    """A 1, 2 or 5 × 10ⁿ step giving about ``ticks`` intervals up to ``top`` (at least 1)."""
    if top <= 0:
        return 1
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return max(int(factor * power), 1)
    return max(int(10 * power), 1)


MAX_BAR = 26.0  # points: a few categories still get slim bars


def _group_spacing(band: float, bars: int) -> float:
    """The gap between groups, in ReportLab's bar units (a bar is 10, bars 1 apart)."""
    bar_units = bars * 10 + (bars - 1)
    needed = band * 10 / MAX_BAR - bar_units  # the gap that keeps each bar ≤ MAX_BAR wide
    return max(6 if bars > 1 else 10, needed)


def _drawing(width: float, height: float) -> Drawing:
    drawing = Drawing(width, height)
    drawing.initialFontName = FONT  # else the renderer starts in Helvetica (not embedded)
    drawing.initialFontSize = 8
    return drawing


class _ChartDrawer:
    HEIGHT = 62 * mm

    def __init__(self, block: Chart, clean: _Cleaner, width: float) -> None:
        self.block = block
        self.clean = clean
        self.width = width
        values = [v for s in block.series for v in s.values]
        self.unit = clean(block.unit)
        self.divisor = 1
        if self.unit == "円" and max(values, default=0) >= 10_000_000:
            self.unit, self.divisor = "千円", 1000  # 12,345千円 reads better than 12,345,000
        self.low = min([0, *(v // self.divisor for v in values)])
        top = max([0, *(-(-v // self.divisor) for v in values)])
        self.step = _nice_step(max(top - self.low, 1))
        self.top = self.step * max(math.ceil(top / self.step), 1)
        if self.low < 0:
            self.low = -self.step * math.ceil(-self.low / self.step)

    def _order(self, chart: Any) -> list[int]:
        """Series indexes in drawing order: a horizontal chart draws its groups bottom-up,
        so its series are reversed to read top-down like the legend."""
        order = list(range(len(self.block.series)))
        return order[::-1] if isinstance(chart, HorizontalBarChart) else order

    def _data(self, chart: Any) -> list[tuple[float, ...]]:
        count = len(self.block.categories)
        return [
            tuple(v / self.divisor for v in self.block.series[n].values[:count])
            for n in self._order(chart)
        ]

    def _label(self, value: float) -> str:
        return f"{round(value):,}"

    def draw(self) -> Drawing:
        block = self.block
        categories = [self.clean(c) for c in block.categories]
        names = [self.clean(s.name) or f"系列{n}" for n, s in enumerate(block.series, start=1)]
        label_size = 7.5
        widest = max(stringWidth(c, FONT, label_size) for c in categories)
        band = (self.width - 60) / len(categories)
        # Bars whose labels would not fit under them lie on their side, labels on the left.
        horizontal = block.kind == "bar" and widest > 0.95 * band
        legend_rows = 1 if len(names) > 1 else 0
        value_w = max(stringWidth(self._label(v), FONT, label_size) for v in (self.low, self.top))
        if horizontal:
            height = max(self.HEIGHT, len(categories) * len(names) * 9 + 40) + legend_rows * 14
            return self._horizontal(categories, names, widest, height, label_size)
        rotate = widest > 0.95 * band
        bottom = (widest * 0.6 + 14 if rotate else 16) + legend_rows * 20
        height = self.HEIGHT + (bottom - 16)
        drawing = _drawing(self.width, height)
        left = max(value_w + 14, widest * 0.82 - band / 2 + 4 if rotate else 0)
        chart: VerticalBarChart | HorizontalLineChart
        if block.kind == "bar":
            chart = VerticalBarChart()
            chart.barSpacing = 1
        else:
            chart = HorizontalLineChart()
            chart.joinedLines = 1
        chart.x, chart.y = left, bottom
        chart.width = self.width - left - 4
        if isinstance(chart, VerticalBarChart):
            chart.groupSpacing = _group_spacing(chart.width / len(categories), len(names))
        chart.height = height - bottom - 18
        chart.data = self._data(chart)
        axis = chart.categoryAxis
        axis.categoryNames = categories
        axis.labels.fontName = FONT
        axis.labels.fontSize = label_size
        axis.labels.fillColor = INK
        if rotate:
            axis.labels.angle = 35
            axis.labels.boxAnchor = "ne"
            axis.labels.dx = 2
            axis.labels.dy = -2
        else:
            axis.labels.boxAnchor = "n"
            axis.labels.dy = -3
        axis.strokeColor = INK
        axis.strokeWidth = 0.6
        axis.tickDown = 2
        axis.labelAxisMode = "low"  # under the plot even when values go below zero
        self._value_axis(chart.valueAxis, label_size)
        self._style_series(chart)
        drawing.add(chart)
        drawing.add(
            String(
                2,
                height - 10,
                f"（{self.unit}）",
                fontName=FONT,
                fontSize=label_size,
                fillColor=MUTED,
            )
        )
        if legend_rows:
            drawing.add(self._legend(chart, names, left, 6))
        return drawing

    def _horizontal(
        self, categories: list[str], names: list[str], widest: float, height: float, size: float
    ) -> Drawing:
        drawing = _drawing(self.width, height)
        legend_h = 20 if len(names) > 1 else 0
        left = min(widest + 8, self.width * 0.4)
        chart = HorizontalBarChart()
        chart.x, chart.y = left, 16 + legend_h
        chart.width = self.width - left - 30
        chart.height = height - chart.y - 16
        chart.data = self._data(chart)
        chart.groupSpacing = 4
        chart.barSpacing = 0.5
        axis = chart.categoryAxis
        axis.categoryNames = categories
        axis.reverseDirection = 1  # the first category at the top, as in the table
        axis.labels.fontName = FONT
        axis.labels.fontSize = size
        axis.labels.fillColor = INK
        axis.labels.boxAnchor = "e"
        axis.labels.dx = -3
        axis.strokeColor = INK
        axis.strokeWidth = 0.6
        axis.tickLeft = 2
        axis.labelAxisMode = "low"
        self._value_axis(chart.valueAxis, size)
        self._style_series(chart)
        drawing.add(chart)
        drawing.add(
            String(
                self.width - 2,
                height - 10,
                f"（{self.unit}）",
                fontName=FONT,
                fontSize=size,
                fillColor=MUTED,
                textAnchor="end",
            )
        )
        if legend_h:
            drawing.add(self._legend(chart, names, left, 6))
        return drawing

    def _value_axis(self, axis: Any, size: float) -> None:
        axis.valueMin = self.low
        axis.valueMax = self.top
        axis.valueStep = self.step
        axis.labels.fontName = FONT
        axis.labels.fontSize = size
        axis.labels.fillColor = INK
        axis.labelTextFormat = self._label
        axis.strokeColor = INK
        axis.strokeWidth = 0.6
        axis.visibleGrid = 1
        axis.gridStrokeColor = GRID
        axis.gridStrokeWidth = 0.4

    def _style_series(self, chart: Any) -> None:
        line = isinstance(chart, HorizontalLineChart)
        for position, n in enumerate(self._order(chart)):
            colour = SERIES_COLOURS[n % len(SERIES_COLOURS)]
            if line:
                style = chart.lines[position]
                style.strokeColor = colour if n != 3 else colors.HexColor("#7F7F7F")
                style.strokeWidth = 1.6
                style.strokeDashArray = SERIES_DASHES[n % len(SERIES_DASHES)]
                marker = makeMarker(SERIES_MARKERS[n % len(SERIES_MARKERS)])
                marker.size = 4.5
                marker.fillColor = style.strokeColor
                marker.strokeColor = style.strokeColor
                style.symbol = marker
            else:
                bar = chart.bars[position]
                bar.fillColor = colour
                bar.strokeColor = INK
                bar.strokeWidth = 0.3

    def _legend(self, chart: Any, names: list[str], x: float, y: float) -> Legend:
        legend = Legend()
        legend.x, legend.y = x, y
        legend.boxAnchor = "w"
        legend.fontName = FONT
        legend.fontSize = 7.5
        legend.fillColor = INK
        legend.strokeWidth = 0.3
        legend.strokeColor = INK
        legend.dx = legend.dy = 7
        legend.dxTextSpace = 4
        legend.columnMaximum = 1
        legend.deltax = max(stringWidth(n, FONT, 7.5) for n in names) + 34
        legend.alignment = "right"
        if isinstance(chart, HorizontalLineChart):
            for n, name in enumerate(names):
                chart.lines[n].name = name
            legend.colorNamePairs = Auto(chart=chart)  # line and marker samples
            legend.dx = 18
        else:
            legend.colorNamePairs = [
                (SERIES_COLOURS[n % len(SERIES_COLOURS)], name) for n, name in enumerate(names)
            ]
        return legend
