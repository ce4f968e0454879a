"""The xlsx renderer: a sheet per section, real numbers and dates with their formats, a header
block, charts as tables, safe sheet names, reproducible bytes."""

import io
from dataclasses import replace
from datetime import date, datetime, timedelta

from openpyxl import load_workbook
from openpyxl.styles.numbers import is_date_format
from openpyxl.worksheet.worksheet import Worksheet

from consult_desk.domain.fiscal import JST
from consult_desk.reports.document import (
    Chart,
    Column,
    Document,
    Facts,
    RenderOptions,
    Section,
    Series,
    Table,
    Text,
)
from consult_desk.reports.xlsx_report import (
    NUMBER_FORMAT,
    WAREKI_DATE_FORMAT,
    WESTERN_DATE_FORMAT,
    render_xlsx,
)

OPTIONS = RenderOptions(
    generated_at=datetime(2026, 11, 2, 9, 5, tzinfo=JST), generated_by="山田 花子"
)


def _document(*sections: Section) -> Document:
    return Document(
        kind="monthly",
        title="月次報告",
        subject="令和8年10月",
        period_from=date(2026, 10, 1),
        period_to=date(2026, 10, 31),
        sections=sections,
    )


LOANS = Section(
    "融資あっせん",
    (
        Table(
            (Column("受付日"), Column("事業者名", weight=3), Column("金額（円）", numeric=True)),
            (
                (date(2026, 10, 1), "神田商事", 1_234_567),
                (date(2026, 10, 2), '=HYPERLINK("x")', None),
                ("合計", "", 1_234_567),
            ),
            title="一覧",
            total_row=True,
        ),
    ),
)
SUMMARY = Section(
    "概要",
    (
        Facts((("相談件数", 42), ("所管", "商工振興係")), title="主な数値"),
        Text("一行目\n二行目"),
        Chart("bar", ("窓口", "電話"), (Series("当月", (3, 4)), Series("前年同月", (1, 0)))),
    ),
)


def _read(doc: Document, options: RenderOptions = OPTIONS) -> list[Worksheet]:
    workbook = load_workbook(io.BytesIO(render_xlsx(doc, options)))
    return list(workbook.worksheets)


def _rows(sheet: Worksheet) -> list[tuple[object, ...]]:
    return [tuple(c for c in row) for row in sheet.iter_rows(values_only=True)]


def _find(sheet: Worksheet, value: object) -> tuple[int, int]:
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value == value:
                return cell.row, cell.column
    raise AssertionError(f"{value!r} not on {sheet.title}")


def test_one_sheet_per_section_with_the_header_block() -> None:
    summary, loans = _read(_document(SUMMARY, LOANS))

    assert (summary.title, loans.title) == ("概要", "融資あっせん")
    values = [v for row in _rows(loans)[:6] for v in row if v is not None]
    assert values == [
        "月次報告　令和8年10月",
        "対象期間　令和8年10月1日〜令和8年10月31日",
        "取扱注意",
        "作成: 令和8年11月2日 9:05　山田 花子",
        "融資あっせん",
    ]


def test_figures_are_numbers_and_dates_are_dates_with_their_formats() -> None:
    (loans,) = _read(_document(LOANS))
    row, column = _find(loans, "受付日")
    header = loans.cell(row, column)
    first = [loans.cell(row + 1, column + n) for n in range(3)]
    second = [loans.cell(row + 2, column + n) for n in range(3)]
    total = [loans.cell(row + 3, column + n) for n in range(3)]

    assert header.font.bold
    assert first[0].value == datetime(2026, 10, 1)
    assert first[0].number_format == WAREKI_DATE_FORMAT and is_date_format(WAREKI_DATE_FORMAT)
    assert first[2].value == 1_234_567 and first[2].number_format == NUMBER_FORMAT
    assert second[1].value == '=HYPERLINK("x")' and second[1].data_type == "s"  # no formula
    assert second[2].value == "—"
    assert total[2].font.bold and total[0].value == "合計"
    # The only table on the sheet keeps its header row in view.
    assert loans.freeze_panes == f"A{row + 1}"


def test_western_dates_use_a_plain_date_format() -> None:
    (loans,) = _read(_document(LOANS), replace(OPTIONS, western_dates=True))
    row, column = _find(loans, "受付日")

    assert loans.cell(row + 1, column).number_format == WESTERN_DATE_FORMAT
    assert "対象期間　2026/10/01〜2026/10/31" in [r[0] for r in _rows(loans)]


def test_facts_text_and_chart_data_appear_as_cells() -> None:
    (summary,) = _read(_document(SUMMARY))
    rows = _rows(summary)

    assert ("相談件数", 42) in [r[:2] for r in rows]
    assert ("一行目",) in [r[:1] for r in rows] and ("二行目",) in [r[:1] for r in rows]
    assert ("区分", "当月（件）", "前年同月（件）") in [r[:3] for r in rows]
    assert ("電話", 4, 0) in [r[:3] for r in rows]
    assert summary.freeze_panes == "A6"  # several blocks: the header block stays in view


def test_sheet_titles_are_valid_and_unique() -> None:
    long = "融資あっせん：制度融資／小規模企業向け[特別]の明細とその内訳のすべて"
    sheets = _read(_document(Section(long, ()), Section(long, ()), Section("概要", ())))

    titles = [s.title for s in sheets]
    assert len(set(titles)) == 3
    assert all(len(t) <= 31 and not set(t) & set("[]:*?/\\") for t in titles)
    assert titles[2] == "概要"


def test_the_same_input_gives_the_same_bytes() -> None:
    doc = _document(SUMMARY, LOANS)
    later = replace(OPTIONS, generated_at=OPTIONS.generated_at + timedelta(days=1))

    assert render_xlsx(doc, OPTIONS) == render_xlsx(doc, OPTIONS)
    assert render_xlsx(doc, later) != render_xlsx(doc, OPTIONS)
    workbook = load_workbook(io.BytesIO(render_xlsx(doc, OPTIONS)))
    assert workbook.properties.created == datetime(2026, 11, 2, 0, 5)  # UTC
    assert workbook.properties.creator == "山田 花子"


def test_control_characters_do_not_break_the_file() -> None:
    doc = _document(Section("メモ", (Table((Column("内容"),), (("改ページ\x0cあり",),)),)))

    (sheet,) = _read(doc)

    assert ("改ページあり",) in [r[:1] for r in _rows(sheet)]
