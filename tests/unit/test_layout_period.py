"""The 月次報告 and 年度報告 layouts, from hand-built figures in which every number is distinct:
each figure must land in its own column, 増減 must be the difference, hidden rows only zeros."""

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from itertools import count
from typing import Any

from consult_desk.domain.report_figures import (
    NO_BUSINESS,
    BankLoans,
    ConsultationFigures,
    DispatchFigures,
    Executed,
    FiscalYearReport,
    LoanFigures,
    PeriodFigures,
    PeriodReport,
    ProgramLoans,
    ProgramSubsidies,
    StreetFigures,
    SubsidyFigures,
    Tally,
)
from consult_desk.domain.report_records import InitiativeFigures, InitiativeOverview, OverviewRow
from consult_desk.reports.document import Chart, Document, Table, Text
from consult_desk.reports.layout_period import (
    MASKED_NOTE,
    MONTHS,
    fiscal_year_document,
    monthly_document,
)
from consult_desk.reports.layout_records import overview_section
from consult_desk.services.reporting import OPEN_STATES, month_range, to_json

CHANNELS = ("窓口", "訪問", "オンライン", "電話", "メール")
JSIC = ("A 農業，林業", "E 製造業", "I 卸売業，小売業")


def _figures(first: date, last: date, n: Iterator[int], *, amounts: bool = True) -> PeriodFigures:
    def counts(labels: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
        return tuple((label, next(n)) for label in labels)

    def executed() -> Executed:
        found = Executed(next(n), next(n) * 1_000_003)
        return found if amounts else replace(found, amount=None)

    return PeriodFigures(
        period_from=first,
        period_to=last,
        consultations=ConsultationFigures(
            total=next(n),
            by_channel=counts(CHANNELS),
            by_topic=counts(("資金繰り・融資", "創業")),
            by_area=counts(("麹町地域", "神田地域", NO_BUSINESS)),
            by_jsic=counts(JSIC),
        ),
        loans=LoanFigures(
            received=next(n),
            referred=next(n),
            executed=executed(),
            declined=next(n),
            withdrawn=next(n),
            by_program=(
                ("営業資金", ProgramLoans(next(n), next(n), executed())),
                ("起業資金", ProgramLoans(next(n), next(n), executed())),
            ),
            by_bank=(("みずほ銀行", BankLoans(next(n), executed())),),
            pipeline=counts(tuple(s.label for s in OPEN_STATES)),
        ),
        dispatch=DispatchFigures(
            visits=next(n), fees=next(n) * 11_001, decided=next(n), completed=next(n)
        ),
        streets=StreetFigures(
            supports=next(n),
            by_kind=counts(("イベント開催支援", "大学連携")),
            events=next(n),
            visitors=next(n) * 101,
            university=next(n),
            students=next(n),
        ),
        subsidies=SubsidyFigures(
            received=next(n),
            granted=Tally(next(n), next(n) * 10_007),
            paid=Tally(next(n), next(n) * 10_009),
            by_program=(
                (
                    "販路拡大",
                    ProgramSubsidies(
                        next(n), Tally(next(n), next(n) * 997), Tally(next(n), next(n) * 991)
                    ),
                ),
            ),
        ),
    )


def _monthly(*, amounts: bool = True) -> PeriodReport:
    n = count(1)
    now = _figures(*month_range(2026, 11), n, amounts=amounts)
    return PeriodReport(
        **{f: getattr(now, f) for f in PeriodFigures.__dataclass_fields__},
        same_month_last_year=_figures(*month_range(2025, 11), n, amounts=amounts),
        fiscal_year_to_date=_figures(date(2026, 4, 1), date(2026, 11, 30), n, amounts=amounts),
    )


def _initiative_figures(n: Iterator[int]) -> InitiativeFigures:
    return InitiativeFigures(*(next(n) for _ in range(14)))


def _yearly() -> FiscalYearReport:
    n = count(1)
    months = tuple(
        _figures(*month_range(2026 + (m > 12), (m - 1) % 12 + 1), n) for m in range(4, 16)
    )
    rows = tuple(
        OverviewRow(code, title, ("商工観光課",), _initiative_figures(n))
        for code, title in (("1-1-1", "経営相談の充実"), ("2-2-1", "イベント開催支援"))
    )
    overview = InitiativeOverview(
        date(2026, 4, 1), date(2027, 3, 31), rows, _initiative_figures(n), True
    )
    totals = _figures(date(2026, 4, 1), date(2027, 3, 31), n)
    return FiscalYearReport(2026, date(2026, 4, 1), date(2027, 3, 31), months, totals, overview)


def _tables(doc: Document) -> list[Table]:
    return [b for s in doc.sections for b in s.blocks if isinstance(b, Table)]


def _column(doc: Document, titles: tuple[str, ...]) -> set[Any]:
    """Every cell under a column with one of ``titles``, over every table."""
    found: set[Any] = set()
    for table in _tables(doc):
        for index, column in enumerate(table.columns):
            if column.title in titles:
                found.update(row[index] for row in table.rows)
    return found


def _leaves(data: object) -> list[object]:
    if isinstance(data, dict):
        return [leaf for key, v in data.items() if key != "period" for leaf in _leaves(v)]
    return [data]


def _period_json(f: PeriodFigures) -> dict[str, Any]:
    months = _yearly()
    data = to_json(replace(months, totals=f))
    return {
        k: v for k, v in data.items() if k not in ("report", "fiscal_year", "months", "initiatives")
    }


def test_monthly_document_names_the_month_and_its_sections() -> None:
    doc = monthly_document(_monthly())

    assert (doc.kind, doc.title, doc.subject) == ("monthly", "月次報告", "令和8年11月")
    assert (doc.period_from, doc.period_to) == (date(2026, 11, 1), date(2026, 11, 30))
    assert not doc.landscape
    assert [s.heading for s in doc.sections] == [
        "概況",
        "経営相談",
        "融資あっせん",
        "専門家派遣",
        "商店街支援",
        "補助金",
    ]


def test_every_monthly_figure_is_in_its_own_column() -> None:
    report = _monthly()
    doc = monthly_document(report)
    data = to_json(report)

    now = {
        k: v
        for k, v in data.items()
        if k not in ("report", "same_month_last_year", "fiscal_year_to_date")
    }
    last_year, to_date = data["same_month_last_year"], data["fiscal_year_to_date"]
    stock_now = set(dict(report.loans.pipeline).values())
    assert set(_leaves(now)) - stock_now <= _column(doc, ("当月",))
    assert stock_now <= _column(doc, ("当月末",))
    stock_before = set(_leaves(last_year["loans"]["pipeline"]))
    assert set(_leaves(last_year)) - stock_before <= _column(doc, ("前年同月",))
    assert stock_before <= _column(doc, ("前年同月末",))
    del to_date["loans"]["pipeline"]  # the stock at the same month end: shown once
    assert set(_leaves(to_date)) <= _column(doc, ("年度累計",))
    # Category names and yen labels are in the first columns.
    labels = {row[0] for t in _tables(doc) for row in t.rows} | {
        row[1] for t in _tables(doc) for row in t.rows
    }
    assert {*CHANNELS, *JSIC, "営業資金", "みずほ銀行", "販路拡大", "融資実行額（円）"} <= labels


def test_differences_are_this_month_less_the_same_month_last_year() -> None:
    doc = monthly_document(_monthly())

    checked = 0
    for table in _tables(doc):
        titles = [c.title for c in table.columns]
        now, before = ("当月末", "前年同月末") if "当月末" in titles else ("当月", "前年同月")
        if now not in titles:
            continue
        i, j, k = titles.index(now), titles.index(before), titles.index("増減")
        for row in table.rows:
            assert row[k] == row[i] - row[j]  # type: ignore[operator]
            checked += 1
    assert checked > 60


def test_totals_rows_carry_the_period_total_not_a_recount() -> None:
    report = _monthly()
    doc = monthly_document(report)

    channels = next(t for t in _tables(doc) if t.title == "相談方法別")
    assert channels.total_row
    assert channels.rows[-1][:2] == ("合計", report.consultations.total)
    assert [row[0] for row in channels.rows[:-1]] == list(CHANNELS)


def test_long_breakdowns_leave_out_rows_that_are_zero_everywhere() -> None:
    report = _monthly()
    zero_jsic = tuple(
        (label, 0 if label.startswith("A") else n) for label, n in report.consultations.by_jsic
    )
    zero_channel = tuple(
        (label, 0 if label == "メール" else n) for label, n in report.consultations.by_channel
    )

    def without(f: PeriodFigures) -> PeriodFigures:
        return replace(
            f,
            consultations=replace(f.consultations, by_jsic=zero_jsic, by_channel=zero_channel),
            loans=replace(
                f.loans,
                by_program=(
                    f.loans.by_program[0],
                    ("起業資金", ProgramLoans(0, 0, Executed(0, 0))),
                ),
            ),
        )

    now = without(report)
    report = PeriodReport(
        **{f: getattr(now, f) for f in PeriodFigures.__dataclass_fields__},
        same_month_last_year=without(report.same_month_last_year),
        fiscal_year_to_date=without(report.fiscal_year_to_date),
    )

    doc = monthly_document(report)

    tables = {t.title: t for t in _tables(doc)}
    assert [r[0] for r in tables["業種別（日本標準産業分類 大分類）"].rows] == [*JSIC[1:], "合計"]
    assert "メール" in [r[0] for r in tables["相談方法別"].rows]  # short lists keep zeros
    assert [r[0] for r in tables["資金種別"].rows if r[0]] == ["営業資金"]


def test_masked_loan_amounts_stay_empty_cells_with_a_note() -> None:
    doc = monthly_document(_monthly(amounts=False))

    figures = next(t for t in _tables(doc) if t.title == "件数と金額" and "謝絶" in str(t.rows))
    amount_row = next(r for r in figures.rows if r[0] == "融資実行額（円）")
    assert amount_row[1:] == (None, None, None, None)
    texts = [b.text for s in doc.sections for b in s.blocks if isinstance(b, Text)]
    assert MASKED_NOTE in texts
    assert MASKED_NOTE not in [
        b.text
        for s in monthly_document(_monthly()).sections
        for b in s.blocks
        if isinstance(b, Text)
    ]


def test_monthly_charts_compare_channels_and_the_pipeline_with_last_year() -> None:
    report = _monthly()
    charts = [
        b for s in monthly_document(report).sections for b in s.blocks if isinstance(b, Chart)
    ]

    channels, pipeline = charts
    assert channels.categories == CHANNELS
    assert [s.name for s in channels.series] == ["当月", "前年同月"]
    assert channels.series[1].values == tuple(
        n for _, n in report.same_month_last_year.consultations.by_channel
    )
    assert "融資実行" not in pipeline.categories and "相談" in pipeline.categories
    assert len(pipeline.series[0].values) == len(pipeline.categories)


def test_fiscal_year_document_is_landscape_month_by_month() -> None:
    report = _yearly()
    doc = fiscal_year_document(report)

    assert (doc.kind, doc.title, doc.subject, doc.landscape) == (
        "fiscal_year",
        "年度報告",
        "令和8年度",
        True,
    )
    tables = _tables(doc)
    whole = [t for t in tables if [c.title for c in t.columns][-13:] == [*MONTHS, "合計"]]
    assert {"相談方法別", "業種別（日本標準産業分類 大分類）", "支援の種類別"} <= {
        t.title for t in whole
    }
    assert not any(_has_yen(t) for t in whole)
    pipeline = next(t for t in tables if t.title == "月末の案件数（状態別）")
    assert [c.title for c in pipeline.columns] == ["状態", *MONTHS]
    # Every month's figures in that month's column, the 年度's in 合計.
    for month, title in zip(report.months, MONTHS, strict=True):
        assert set(_leaves(_period_json(month))) <= _column(doc, (title,)), title
    totals = _period_json(report.totals)
    del totals["loans"]["pipeline"]
    assert set(_leaves(totals)) <= _column(doc, ("合計",))


def _has_yen(table: Table) -> bool:
    return any(str(cell).endswith("（円）") for row in table.rows for cell in row[:2])


def test_fiscal_year_tables_with_amounts_come_in_two_halves_with_the_same_rows() -> None:
    doc = fiscal_year_document(_yearly())

    tables = _tables(doc)
    first = [t for t in tables if t.title.endswith("（4月〜9月）")]
    second = [t for t in tables if t.title.endswith("（10月〜3月・合計）")]
    assert [t.title.removesuffix("（4月〜9月）") for t in first] == [
        t.title.removesuffix("（10月〜3月・合計）") for t in second
    ]
    assert {t.title for t in first} >= {"件数と金額（4月〜9月）", "資金種別（4月〜9月）"}
    for a, b in zip(first, second, strict=True):
        assert _has_yen(a)
        labels = len(a.columns) - 6
        assert [c.title for c in a.columns][labels:] == list(MONTHS[:6])
        assert [c.title for c in b.columns][labels:] == [*MONTHS[6:], "合計"]
        assert [row[:labels] for row in a.rows] == [row[:labels] for row in b.rows]
    # Every other table of twelve months carries no amount.
    split = {id(t) for t in first + second}
    monthly = [t for t in tables if "4月" in [c.title for c in t.columns] and id(t) not in split]
    assert monthly and not any(_has_yen(t) for t in monthly)


def test_the_fiscal_year_opens_with_the_halves_and_the_year_of_the_key_figures() -> None:
    report = _yearly()
    masked = replace(
        report,
        months=(
            replace(
                report.months[0], loans=replace(report.months[0].loans, executed=Executed(1, None))
            ),
            *report.months[1:],
        ),
    )

    first = fiscal_year_document(report).sections[0]
    hidden = fiscal_year_document(masked).sections[0]

    assert first.heading == "概況"
    table = first.blocks[0]
    assert isinstance(table, Table) and table.title == "主な数値"
    assert [c.title for c in table.columns] == [
        "分野",
        "項目",
        "上期（4〜9月）",
        "下期（10〜3月）",
        "年度合計",
    ]
    rows = {row[1]: row[2:] for row in table.rows}
    months = report.months
    assert rows["相談件数"] == (
        sum(m.consultations.total for m in months[:6]),
        sum(m.consultations.total for m in months[6:]),
        report.totals.consultations.total,
    )
    executed = [m.loans.executed.amount or 0 for m in months]
    assert rows["融資実行額（円）"] == (
        sum(executed[:6]),
        sum(executed[6:]),
        report.totals.loans.executed.amount,
    )
    hidden_table = hidden.blocks[0]
    assert isinstance(hidden_table, Table)
    amount = next(row for row in hidden_table.rows if row[1] == "融資実行額（円）")
    assert amount[2] is None and amount[3] == sum(executed[6:])  # only 4月 was withheld


def test_fiscal_year_charts_and_the_initiative_overview_page() -> None:
    report = _yearly()
    doc = fiscal_year_document(report)

    charts = {b.title: b for s in doc.sections for b in s.blocks if isinstance(b, Chart)}
    consultations = charts["月別の相談件数"]
    assert consultations.categories == MONTHS
    assert consultations.series[0].values == tuple(m.consultations.total for m in report.months)
    executed = charts["月別のあっせん・融資実行件数"].series[1]
    assert executed.values == tuple(m.loans.executed.count for m in report.months)
    assert charts["月別の融資実行額"].unit == "円"

    # The 施策別実績一覧's own table and notes, on a page of its own.
    last = doc.sections[-1]
    assert last == overview_section(report.initiatives)
    assert (last.heading, last.new_page) == ("施策別実績", True)
    table = last.blocks[0]
    assert isinstance(table, Table) and table.total_row
    assert [row[:2] for row in table.rows] == [
        ("1-1-1", "経営相談の充実"),
        ("2-2-1", "イベント開催支援"),
        ("", "合計"),
    ]
    consultations = [c.title for c in table.columns].index("相談")
    assert [row[consultations] for row in table.rows] == [
        *(row.figures.consultations for row in report.initiatives.rows),
        report.initiatives.totals.consultations,
    ]


def test_fiscal_year_without_loan_amounts_draws_no_amount_chart() -> None:
    report = _yearly()
    masked = replace(
        report,
        months=tuple(
            replace(m, loans=replace(m.loans, executed=Executed(1, None))) for m in report.months
        ),
    )

    doc = fiscal_year_document(masked)

    titles = [b.title for s in doc.sections for b in s.blocks if isinstance(b, Chart)]
    assert "月別の融資実行額" not in titles
    assert MASKED_NOTE in [b.text for s in doc.sections for b in s.blocks if isinstance(b, Text)]
