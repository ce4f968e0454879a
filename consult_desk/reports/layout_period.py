"""Layouts of the 月次報告 and the 年度報告: report figures → ``Document`` (pure functions).

- 月次報告 (A4 portrait): every figure in four columns — 当月, 前年同月, 増減 (当月 − 前年同月)
  and 年度累計 (1 April to the month's end); the month-end pipeline in 当月末 / 前年同月末 / 増減.
- 年度報告 (A4 landscape): first the key figures of 上期, 下期 and the 年度 at a glance; then
  the same figures as the 月次報告 month by month, 4月 … 3月 and 合計 (the whole
  年度's own aggregate, which equals the sum of the months); the pipeline at each month's end;
  the initiative overview (``layout_records.overview_section``, the same table as the
  施策別実績一覧) on its own page. A table holding a yen amount comes in two halves
  (4月〜9月, 10月〜3月・合計) with the same rows: thirteen columns of amounts do not fit across
  the page.
- Both draw the same sections from the same row definitions, so a figure added to one appears in
  the other. Long breakdowns (業種, 資金種別, 金融機関, 補助金) leave out rows that are zero in
  every column; short ones (相談方法, 分野, 地域, 支援の種類) keep them.
- Cells stay ints (the renderer formats them); amounts a reader may not see stay ``None``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from consult_desk.domain.fiscal import wareki_fiscal_year, wareki_month
from consult_desk.domain.loans import BEFORE_EXECUTION
from consult_desk.domain.report_figures import (
    BankLoans,
    Executed,
    FiscalYearReport,
    Labelled,
    PeriodFigures,
    PeriodReport,
    ProgramLoans,
    ProgramSubsidies,
    Tally,
)
from consult_desk.reports.document import (
    Chart,
    Column,
    Document,
    Section,
    Series,
    Table,
    Text,
)
from consult_desk.reports.layout_records import overview_section

T = TypeVar("T")
Value = int | None
Getter = Callable[[PeriodFigures], Value]
Rows = Sequence[tuple[str, Getter]]

TOTAL = "合計"
MASKED_NOTE = "融資額は、閲覧の権限がないため「—」で示しています。"
MONTHS = ("4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月", "1月", "2月", "3月")
# The pipeline chart shows the cases still on their way to a loan; the table shows every open
# state (also the loans paid out and being repaid).
_BEFORE_EXECUTION_LABELS = frozenset(s.label for s in BEFORE_EXECUTION)


# -- the two frames: which columns a figure is shown in ----------------------------------------


Values = Callable[[Getter], tuple[Value, ...]]


@dataclass(frozen=True, slots=True)
class _Frame:
    """How one figure becomes cells: the value columns of a flow (counted over the period) and
    of a stock (held at the period's end), and every period shown (for labels and zero rows).

    ``halves``: for the 年度報告, the same columns in two parts (4月〜9月, 10月〜3月・合計). Twelve
    months of yen amounts and their total do not fit across an A4 page, so a table holding an
    amount is drawn as two tables with the same rows; tables of counts stay whole.
    """

    columns: tuple[Column, ...]
    values: Values
    stock_columns: tuple[Column, ...]
    stock_values: Values
    periods: tuple[PeriodFigures, ...]
    label_weight: float
    halves: tuple[tuple[str, tuple[Column, ...], Values], ...] = ()


def _difference(now: Value, before: Value) -> Value:
    return None if now is None or before is None else now - before


def _monthly_frame(report: PeriodReport) -> _Frame:
    last, to_date = report.same_month_last_year, report.fiscal_year_to_date

    def values(get: Getter) -> tuple[Value, ...]:
        now, before = get(report), get(last)
        return (now, before, _difference(now, before), get(to_date))

    def stock(get: Getter) -> tuple[Value, ...]:
        now, before = get(report), get(last)
        return (now, before, _difference(now, before))

    return _Frame(
        columns=tuple(Column(t, numeric=True) for t in ("当月", "前年同月", "増減", "年度累計")),
        values=values,
        stock_columns=tuple(Column(t, numeric=True) for t in ("当月末", "前年同月末", "増減")),
        stock_values=stock,
        periods=(report, last, to_date),
        label_weight=2.6,
    )


def _year_frame(report: FiscalYearReport) -> _Frame:
    months = tuple(Column(m, numeric=True) for m in MONTHS)
    total = Column(TOTAL, numeric=True, weight=1.2)

    def values(get: Getter) -> tuple[Value, ...]:
        return (*(get(m) for m in report.months), get(report.totals))

    def stock(get: Getter) -> tuple[Value, ...]:
        return tuple(get(m) for m in report.months)

    def first_half(get: Getter) -> tuple[Value, ...]:
        return tuple(get(m) for m in report.months[:6])

    def second_half(get: Getter) -> tuple[Value, ...]:
        return (*(get(m) for m in report.months[6:]), get(report.totals))

    return _Frame(
        columns=(*months, total),
        values=values,
        stock_columns=months,
        stock_values=stock,
        periods=(*report.months, report.totals),
        label_weight=4.5,
        halves=(
            ("4月〜9月", months[:6], first_half),
            ("10月〜3月・合計", (*months[6:], total), second_half),
        ),
    )


def _summed(values: Iterable[Value]) -> Value:
    """The sum of a figure over several months (None when an amount is withheld)."""
    total = 0
    for value in values:
        if value is None:
            return None
        total += value
    return total


def _year_summary_frame(report: FiscalYearReport) -> _Frame:
    """The 年度's key figures at a glance: 上期 (April–September), 下期 and the 年度."""
    columns = (
        Column("上期（4〜9月）", numeric=True),
        Column("下期（10〜3月）", numeric=True),
        Column("年度合計", numeric=True),
    )

    def values(get: Getter) -> tuple[Value, ...]:
        months = report.months
        return (
            _summed(get(m) for m in months[:6]),
            _summed(get(m) for m in months[6:]),
            get(report.totals),
        )

    return _Frame(
        columns=columns,
        values=values,
        stock_columns=columns,
        stock_values=values,
        periods=(*report.months, report.totals),
        label_weight=1.6,
    )


# -- tables -------------------------------------------------------------------------------------

Spec = tuple[tuple[str, ...], Getter]  # a row's label cells, and its figure


def _blank(values: Iterable[Value]) -> bool:
    return all(v is None or v == 0 for v in values)


def _is_yen(labels: tuple[str, ...]) -> bool:
    return any(label.endswith("（円）") for label in labels)


def _emit(
    frame: _Frame,
    title: str,
    labels: tuple[Column, ...],
    specs: Sequence[Spec],
    *,
    total_row: bool = False,
    stock: bool = False,
) -> list[Table]:
    """The table of ``specs`` in ``frame``'s columns; in its halves when it holds an amount."""
    if stock:
        parts = [("", frame.stock_columns, frame.stock_values)]
    elif frame.halves and any(_is_yen(names) for names, _ in specs):
        parts = list(frame.halves)
    else:
        parts = [("", frame.columns, frame.values)]

    def narrowed(columns: tuple[Column, ...]) -> tuple[Column, ...]:
        # A half has fewer figures beside its labels: keep the labels' share of the width.
        share = len(columns) / len(frame.columns)
        if share >= 1 or stock:
            return labels
        return tuple(replace(c, weight=round(c.weight * share, 2)) for c in labels)

    return [
        Table(
            columns=(*narrowed(columns), *columns),
            rows=tuple((*names, *values(get)) for names, get in specs),
            title=f"{title}（{suffix}）" if suffix else title,
            total_row=total_row and bool(specs),
        )
        for suffix, columns, values in parts
    ]


def _table(
    frame: _Frame,
    title: str,
    label: str,
    rows: Rows,
    *,
    total: Getter | None = None,
    hide_zero: bool = False,
    stock: bool = False,
) -> list[Table]:
    """One row per figure; ``total`` adds a 合計 row (the period's own figure, not a sum).
    With ``hide_zero``, a row that is zero in every column of the whole frame is left out."""
    values = frame.stock_values if stock else frame.values
    specs: list[Spec] = [
        ((name,), get) for name, get in rows if not (hide_zero and _blank(values(get)))
    ]
    if total is not None and specs:
        specs.append(((TOTAL,), total))
    column = Column(label, weight=frame.label_weight)
    return _emit(frame, title, (column,), specs, total_row=total is not None, stock=stock)


def _grouped_table(
    frame: _Frame,
    title: str,
    label: str,
    groups: Sequence[tuple[str, Rows]],
    *,
    hide_zero: bool = True,
) -> list[Table]:
    """Rows of several figures per group (a fund, a bank): the group's name on its first row
    only; with ``hide_zero``, a group whose figures are all zero is left out."""
    specs: list[Spec] = []
    for group, rows in groups:
        if hide_zero and all(_blank(frame.values(get)) for _, get in rows):
            continue
        specs += [((group if n == 0 else "", name), get) for n, (name, get) in enumerate(rows)]
    columns = (
        Column(label, weight=frame.label_weight * 0.62),
        Column("項目", weight=frame.label_weight * 0.58),
    )
    return _emit(frame, title, columns, specs)


def _labels(
    periods: Iterable[PeriodFigures], pick: Callable[[PeriodFigures], Labelled[object]]
) -> list[str]:
    """Every label any period shows, in the order they first appear."""
    seen: dict[str, None] = {}
    for period in periods:
        for name, _ in pick(period):
            seen.setdefault(name, None)
    return list(seen)


def _count_rows(
    frame: _Frame, pick: Callable[[PeriodFigures], Labelled[int]]
) -> list[tuple[str, Getter]]:
    def getter(name: str) -> Getter:
        return lambda f: dict(pick(f)).get(name, 0)

    return [(name, getter(name)) for name in _labels(frame.periods, pick)]


def _groups(
    frame: _Frame,
    pick: Callable[[PeriodFigures], Labelled[T]],
    figures: Sequence[tuple[str, Callable[[T], Value]]],
    empty: Callable[[], T],
) -> list[tuple[str, Rows]]:
    def getter(name: str, measure: Callable[[T], Value]) -> Getter:
        def get(f: PeriodFigures) -> Value:
            found = dict(pick(f))
            return measure(found[name]) if name in found else measure(empty())

        return get

    return [
        (name, [(label, getter(name, measure)) for label, measure in figures])
        for name in _labels(frame.periods, pick)
    ]


# -- the figures, by section --------------------------------------------------------------------


def _loan_amount(f: PeriodFigures) -> Value:
    return f.loans.executed.amount


KEY_FIGURES: tuple[tuple[str, Rows], ...] = (
    ("経営相談", (("相談件数", lambda f: f.consultations.total),)),
    (
        "融資あっせん",
        (
            ("受付", lambda f: f.loans.received),
            ("あっせん書交付", lambda f: f.loans.referred),
            ("融資実行 件数", lambda f: f.loans.executed.count),
            ("融資実行額（円）", _loan_amount),
        ),
    ),
    (
        "専門家派遣",
        (
            ("派遣決定", lambda f: f.dispatch.decided),
            ("訪問回数", lambda f: f.dispatch.visits),
        ),
    ),
    (
        "商店街支援",
        (
            ("支援件数", lambda f: f.streets.supports),
            ("イベント開催", lambda f: f.streets.events),
        ),
    ),
    (
        "補助金",
        (
            ("申請受付", lambda f: f.subsidies.received),
            ("交付決定 件数", lambda f: f.subsidies.granted.count),
            ("交付決定額（円）", lambda f: f.subsidies.granted.amount),
        ),
    ),
)

LOAN_FIGURES: tuple[tuple[str, Getter], ...] = (
    ("受付", lambda f: f.loans.received),
    ("あっせん書交付", lambda f: f.loans.referred),
    ("融資実行 件数", lambda f: f.loans.executed.count),
    ("融資実行額（円）", _loan_amount),
    ("謝絶・あっせん不可", lambda f: f.loans.declined),
    ("取下げ", lambda f: f.loans.withdrawn),
)

DISPATCH_FIGURES: tuple[tuple[str, Getter], ...] = (
    ("派遣決定", lambda f: f.dispatch.decided),
    ("派遣完了", lambda f: f.dispatch.completed),
    ("訪問回数", lambda f: f.dispatch.visits),
    ("謝金（円）", lambda f: f.dispatch.fees),
)

STREET_FIGURES: tuple[tuple[str, Getter], ...] = (
    ("イベント開催", lambda f: f.streets.events),
    ("イベント来場者数（人）", lambda f: f.streets.visitors),
    ("大学連携", lambda f: f.streets.university),
    ("大学連携 参加学生数（人）", lambda f: f.streets.students),
)

SUBSIDY_FIGURES: tuple[tuple[str, Getter], ...] = (
    ("申請受付", lambda f: f.subsidies.received),
    ("交付決定 件数", lambda f: f.subsidies.granted.count),
    ("交付決定額（円）", lambda f: f.subsidies.granted.amount),
    ("支払 件数", lambda f: f.subsidies.paid.count),
    ("支払額（円）", lambda f: f.subsidies.paid.amount),
)


def _consultation_tables(frame: _Frame) -> list[Table]:
    def total(f: PeriodFigures) -> Value:
        return f.consultations.total

    return [
        *_table(
            frame,
            "相談方法別",
            "相談方法",
            _count_rows(frame, lambda f: f.consultations.by_channel),
            total=total,
        ),
        *_table(
            frame,
            "相談分野別（主な分野）",
            "分野",
            _count_rows(frame, lambda f: f.consultations.by_topic),
            total=total,
        ),
        *_table(
            frame,
            "地域別",
            "地域",
            _count_rows(frame, lambda f: f.consultations.by_area),
            total=total,
        ),
        *_table(
            frame,
            "業種別（日本標準産業分類 大分類）",
            "業種",
            _count_rows(frame, lambda f: f.consultations.by_jsic),
            total=total,
            hide_zero=True,
        ),
    ]


def _loan_tables(frame: _Frame) -> list[Table]:
    program_figures: Sequence[tuple[str, Callable[[ProgramLoans], Value]]] = (
        ("受付", lambda p: p.received),
        ("あっせん書交付", lambda p: p.referred),
        ("融資実行 件数", lambda p: p.executed.count),
        ("融資実行額（円）", lambda p: p.executed.amount),
    )
    bank_figures: Sequence[tuple[str, Callable[[BankLoans], Value]]] = (
        ("あっせん書交付", lambda b: b.referred),
        ("融資実行 件数", lambda b: b.executed.count),
        ("融資実行額（円）", lambda b: b.executed.amount),
    )
    return [
        *_table(frame, "件数と金額", "項目", LOAN_FIGURES),
        *_grouped_table(
            frame,
            "資金種別",
            "資金種別",
            _groups(
                frame,
                lambda f: f.loans.by_program,
                program_figures,
                lambda: ProgramLoans(0, 0, Executed(0, 0)),
            ),
        ),
        *_grouped_table(
            frame,
            "金融機関別",
            "金融機関",
            _groups(
                frame, lambda f: f.loans.by_bank, bank_figures, lambda: BankLoans(0, Executed(0, 0))
            ),
        ),
        *_table(
            frame,
            "月末の案件数（状態別）",
            "状態",
            _count_rows(frame, lambda f: f.loans.pipeline),
            total=lambda f: sum(n for _, n in f.loans.pipeline),
            stock=True,
        ),
    ]


def _street_tables(frame: _Frame) -> list[Table]:
    return [
        *_table(
            frame,
            "支援の種類別",
            "支援の種類",
            _count_rows(frame, lambda f: f.streets.by_kind),
            total=lambda f: f.streets.supports,
        ),
        *_table(frame, "イベント・大学連携", "項目", STREET_FIGURES),
    ]


def _subsidy_tables(frame: _Frame) -> list[Table]:
    figures: Sequence[tuple[str, Callable[[ProgramSubsidies], Value]]] = (
        ("申請受付", lambda p: p.received),
        ("交付決定 件数", lambda p: p.granted.count),
        ("交付決定額（円）", lambda p: p.granted.amount),
        ("支払 件数", lambda p: p.paid.count),
        ("支払額（円）", lambda p: p.paid.amount),
    )
    return [
        *_table(frame, "件数と金額", "項目", SUBSIDY_FIGURES),
        *_grouped_table(
            frame,
            "補助金別",
            "補助金",
            _groups(
                frame,
                lambda f: f.subsidies.by_program,
                figures,
                lambda: ProgramSubsidies(0, Tally(0, 0), Tally(0, 0)),
            ),
        ),
    ]


def _masked_note(frame: _Frame) -> list[Text]:
    """A line saying why the loan amounts are blank, for a reader who may not see them."""
    if any(f.loans.executed.amount is None for f in frame.periods):
        return [Text(MASKED_NOTE)]
    return []


# -- 月次報告 -----------------------------------------------------------------------------------


def monthly_document(report: PeriodReport) -> Document:
    """The 月次報告 of the month ``report`` covers."""
    frame = _monthly_frame(report)
    last = report.same_month_last_year
    channels = report.consultations.by_channel
    before = dict(last.consultations.by_channel)
    open_now = [(n, c) for n, c in report.loans.pipeline if n in _BEFORE_EXECUTION_LABELS]
    open_before = dict(last.loans.pipeline)
    loan_blocks: list[Table | Chart | Text] = [*_masked_note(frame), *_loan_tables(frame)]
    loan_blocks.append(
        Chart(
            kind="bar",
            categories=tuple(n for n, _ in open_now),
            series=(
                Series("当月末", tuple(c for _, c in open_now)),
                Series("前年同月末", tuple(open_before.get(n, 0) for n, _ in open_now)),
            ),
            title="実行前の案件数（月末）",
        )
    )
    consultation_blocks: list[Table | Chart] = [*_consultation_tables(frame)]
    consultation_blocks.insert(
        1,
        Chart(
            kind="bar",
            categories=tuple(n for n, _ in channels),
            series=(
                Series("当月", tuple(c for _, c in channels)),
                Series("前年同月", tuple(before.get(n, 0) for n, _ in channels)),
            ),
            title="相談方法別の件数",
        ),
    )
    sections = (
        Section(
            "概況",
            (
                *_grouped_table(frame, "主な数値", "分野", KEY_FIGURES, hide_zero=False),
                Text(
                    "増減は当月と前年同月の差、年度累計は4月1日から当月末までの合計です。"
                    "件数は各記録の日付（相談日、受付日、あっせん書交付日、実行日、訪問日、"
                    "支援日、イベント開始日、申請日、交付決定日、支払日）で数えています。"
                ),
            ),
        ),
        Section("経営相談", tuple(consultation_blocks)),
        Section("融資あっせん", tuple(loan_blocks), new_page=True),
        Section("専門家派遣", tuple(_table(frame, "", "項目", DISPATCH_FIGURES))),
        Section("商店街支援", tuple(_street_tables(frame))),
        Section("補助金", tuple(_subsidy_tables(frame))),
    )
    return Document(
        kind="monthly",
        title="月次報告",
        subject=wareki_month(report.period_from.year, report.period_from.month),
        period_from=report.period_from,
        period_to=report.period_to,
        sections=sections,
    )


# -- 年度報告 -----------------------------------------------------------------------------------


def fiscal_year_document(report: FiscalYearReport) -> Document:
    """The 年度報告: every figure month by month, April → March, with the 年度's totals."""
    frame = _year_frame(report)
    months = report.months
    loan_blocks: list[Table | Chart | Text] = [
        *_masked_note(frame),
        *_loan_tables(frame),
        Chart(
            kind="bar",
            categories=MONTHS,
            series=(
                Series("あっせん書交付", tuple(m.loans.referred for m in months)),
                Series("融資実行", tuple(m.loans.executed.count for m in months)),
            ),
            title="月別のあっせん・融資実行件数",
        ),
    ]
    amounts = [m.loans.executed.amount for m in months]
    if all(a is not None for a in amounts):
        loan_blocks.append(
            Chart(
                kind="line",
                categories=MONTHS,
                series=(Series("融資実行額", tuple(a or 0 for a in amounts)),),
                title="月別の融資実行額",
                unit="円",
            )
        )
    consultation_blocks: list[Table | Chart] = [*_consultation_tables(frame)]
    consultation_blocks.insert(  # under the table of channels, whose 合計 row it draws
        1,
        Chart(
            kind="bar",
            categories=MONTHS,
            series=(Series("経営相談", tuple(m.consultations.total for m in months)),),
            title="月別の相談件数",
        ),
    )
    summary = _year_summary_frame(report)
    sections = [
        Section(
            "概況",
            (
                *_grouped_table(summary, "主な数値", "分野", KEY_FIGURES, hide_zero=False),
                Text(
                    "件数は各記録の日付で数え、合計は年度（4月1日〜翌年3月31日）の件数です。"
                    "月別の数値は次ページ以降の各表にあります。月末の案件数は各月末時点の数"
                    "です。金額を含む月別の表は4月〜9月と10月〜3月に分けて示しています。"
                ),
            ),
        ),
        Section("経営相談", tuple(consultation_blocks), new_page=True),
        Section("融資あっせん", tuple(loan_blocks), new_page=True),
        Section(
            "専門家派遣・商店街支援・補助金",
            (
                *_table(frame, "専門家派遣", "項目", DISPATCH_FIGURES),
                *_street_tables(frame),
                *_subsidy_tables(frame),
            ),
            new_page=True,
        ),
    ]
    sections.append(overview_section(report.initiatives))
    return Document(
        kind="fiscal_year",
        title="年度報告",
        subject=wareki_fiscal_year(report.fiscal_year),
        period_from=report.period_from,
        period_to=report.period_to,
        sections=tuple(sections),
        landscape=True,
    )
