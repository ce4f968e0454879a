"""The neutral shape every report is laid out in before it becomes a PDF or an xlsx file.

A report's frozen dataclass (``services.reporting``) is turned into a ``Document`` by a pure
layout function (``reports.layouts``); the PDF and xlsx renderers draw only ``Document``s, and
the JSON file is written from the dataclass itself. So every figure in every format comes from
the same object, and a renderer never formats a figure differently from another.

Cells keep their Python type until the renderer: ``int`` is a count or yen (right-aligned with
thousands separators), ``date`` is shown in 和暦 or 西暦 as the reader chose, ``None`` is "—".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

Cell = str | int | date | None


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    numeric: bool = False  # right-aligned, thousands separators
    weight: float = 1.0  # share of the table's width (PDF) / column width (xlsx)


@dataclass(frozen=True, slots=True)
class Table:
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    title: str = ""
    total_row: bool = False  # the last row is a total (drawn bold, ruled above)
    empty_text: str = "該当する記録はありません。"
    # Many one-line rows meant to fit one page (e.g. every initiative): the PDF draws them
    # with a tighter line height and padding.
    dense: bool = False


@dataclass(frozen=True, slots=True)
class Facts:
    """Label → value pairs (a profile, a plan path, a summary of figures)."""

    items: tuple[tuple[str, Cell], ...]
    title: str = ""


@dataclass(frozen=True, slots=True)
class Text:
    """A paragraph of plain text (line breaks kept), e.g. the plan's wording or a summary."""

    text: str
    title: str = ""


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: tuple[int, ...]  # one per category


@dataclass(frozen=True, slots=True)
class Chart:
    """A bar or line chart; categories along the x axis (months, channels …)."""

    kind: Literal["bar", "line"]
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    title: str = ""
    unit: str = "件"  # shown on the value axis ("件", "円", "回")


Block = Table | Facts | Text | Chart


@dataclass(frozen=True, slots=True)
class Section:
    heading: str
    blocks: tuple[Block, ...]
    new_page: bool = False  # start the section on a new page (PDF) / its own sheet (xlsx)


@dataclass(frozen=True, slots=True)
class Document:
    """One report as the reader sees it."""

    kind: str  # "monthly", "fiscal_year", "business", "initiative", "initiative_overview"
    title: str  # e.g. "月次報告"
    subject: str  # what it is about: "令和8年10月", a business's name, an initiative
    period_from: date | None
    period_to: date | None
    sections: tuple[Section, ...]
    landscape: bool = False  # wide month-by-month tables


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """What a rendering depends on besides the document: fixed, so output is reproducible."""

    generated_at: datetime  # local (JST) time, shown in the footer
    generated_by: str  # the signed-in member of staff's name
    western_dates: bool = False  # 西暦 instead of 和暦
    confidential_mark: str = "取扱注意"
