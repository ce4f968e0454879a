"""Layouts of the record reports: 事業者カルテ, 施策別実績 and 施策別実績一覧 as ``Document``s.

Pure functions of the report data (``domain.report_records``): no database, no formatting of
numbers or dates (cells keep their type; the renderer formats them, so PDF and xlsx agree).
Amounts the reader may not see arrive as ``None`` and print as 「—」.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from consult_desk.domain.fiscal import wareki_month
from consult_desk.domain.report_records import (
    BusinessProfile,
    BusinessReport,
    ConsultationEntry,
    DispatchEntry,
    InitiativeFigures,
    InitiativeOverview,
    InitiativeReport,
    LoanEntry,
    MonthFigures,
)
from consult_desk.reports.document import (
    Block,
    Cell,
    Chart,
    Column,
    Document,
    Facts,
    Section,
    Series,
    Table,
    Text,
)

__all__ = [
    "business_document",
    "initiative_document",
    "overview_document",
    "overview_section",
    "overview_table",
]

AMOUNTS_HIDDEN = "融資の金額・売上高は、閲覧の権限がないため「—」で示しています。"
PERSONAL_HIDDEN = "代表者の住所・電話は個人情報のため伏せています。"
NOTES_INCLUDED = (
    "内部メモ（完了メモ・備考・融資案件のメモと面談記録）を含みます。取扱いに注意してください。"
)
NOTES_LEFT_OUT = "内部メモ（完了メモ・備考・融資案件のメモと面談記録）は載せていません。"
FIGURES_NOTE = (
    "各実績は、期間内の日付の記録を数えています: 相談は相談日、融資あっせんはあっせん書の交付日、"
    "融資実行は実行日、専門家派遣は訪問日、補助金は交付決定日、商店街支援は支援日、イベントは開始日。"
    "相談は結び付いたすべての施策に数えます。"
)
OVERVIEW_HEADING = (
    "施策別実績（件数は期間内の記録、事業者は実数、合計では各記録・各事業者を1回と数える）"
)
OVERVIEW_NOTE = (
    "件数は期間内の日付の記録（あっせんは交付日、実行は実行日、訪問は訪問日、補助金は交付決定日）。"
    "事業者は実数。合計は各記録・各事業者を1回だけ数えます。"
)


def _text_or_none(value: str) -> Cell:
    return value or None


def _rate(value: Decimal | None) -> Cell:
    return f"{value.normalize():f}%" if value is not None else None


def _lines(*parts: tuple[str, str]) -> str:
    """「助言: …」 lines of the parts that have text."""
    return "\n".join(f"{label}: {text}" if label else text for label, text in parts if text)


# --- 事業者カルテ -------------------------------------------------------------------------------


def _profile_facts(p: BusinessProfile) -> Facts:
    postal = f"〒{p.postal_code[:3]}-{p.postal_code[3:]}" if len(p.postal_code) == 7 else ""
    address = " ".join(x for x in (postal, p.address) if x)
    place = "・".join(x for x in (p.town, p.area) if x)
    items: tuple[tuple[str, Cell], ...] = (
        ("事業者番号", str(p.id)),
        ("事業者名", p.name),
        ("フリガナ", _text_or_none(p.name_kana)),
        ("区分", p.kind),
        ("法人番号", _text_or_none(p.corporate_number)),
        ("業種", _text_or_none(p.industry)),
        ("中小企業者の区分", p.sme_status),
        ("所在地", _text_or_none(address)),
        ("町名・地域", _text_or_none(place)),
        ("電話番号", _text_or_none(p.phone)),
        ("メール", _text_or_none(p.email)),
        ("代表者", _text_or_none(p.representative_name)),
        ("代表者区分", _text_or_none(p.representative_residence)),
        ("代表者住所", _text_or_none(p.representative_address)),
        ("代表者電話", _text_or_none(p.representative_phone)),
        ("資本金（円）", p.capital),
        ("従業員数（人）", p.employees),
        ("設立日", p.founded_on),
        ("区内での営業開始日", p.in_ward_since),
        ("町会", _text_or_none(p.chokai_name)),
        ("商店街", _text_or_none(p.street_association)),
    )
    if p.archived:
        items += (("状態", "アーカイブ済み"),)
    return Facts(items)


def _about(r: BusinessReport) -> Text:
    notes = [NOTES_INCLUDED if r.notes_included else NOTES_LEFT_OUT]
    if not r.amounts_visible:
        notes.append(AMOUNTS_HIDDEN)
    if not r.personal_data_visible:
        notes.append(PERSONAL_HIDDEN)
    return Text("\n".join(notes), title="この帳票について")


def _entries_table(r: BusinessReport) -> Table:
    return Table(
        columns=(
            Column("日付", weight=1.1),
            Column("種類", weight=1.4),
            Column("件名", weight=2.2),
            Column("内容", weight=3.0),
            Column("担当", weight=1.0),
            Column("金額（円）", numeric=True, weight=1.2),
        ),
        rows=tuple(
            (e.on, e.kind_label, e.title, _text_or_none(e.detail), _text_or_none(e.staff), e.amount)
            for e in r.entries
        ),
    )


def _consultation_row(c: ConsultationEntry, notes: bool) -> tuple[Cell, ...]:
    content = _lines(("相談", c.summary), ("助言", c.advice), ("紹介先", c.referrals))
    follow = c.next_action + ("（対応済み）" if c.done and c.next_action else "")
    row: tuple[Cell, ...] = (
        c.on,
        "\n".join(x for x in (c.channel, c.staff) if x),
        _text_or_none("\n".join(c.topics)),
        _text_or_none(content),
        _text_or_none(follow),
        c.due_on,
    )
    if notes:
        row += (_text_or_none(c.done_note or ""),)
    return row


def _consultations_section(r: BusinessReport) -> Section:
    columns: tuple[Column, ...] = (
        Column("相談日", weight=1.1),
        Column("方法・担当", weight=1.35),
        Column("相談分野", weight=1.5),
        Column("相談内容・助言・紹介先", weight=3.75),
        Column("次回対応", weight=1.8),
        Column("期限", weight=1.0),
    )
    if r.notes_included:
        columns += (Column("完了メモ（内部）", weight=1.6),)
    rows = tuple(_consultation_row(c, r.notes_included) for c in r.consultations)
    return Section("経営相談", (Table(columns, rows),))


def _loan_blocks(loan: LoanEntry) -> tuple[Block, ...]:
    """The case's facts and its history (amounts arrive as None when not visible)."""
    term = (
        f"{loan.term_months}か月（据置{loan.grace_months or 0}か月）"
        if loan.term_months is not None
        else None
    )
    items: tuple[tuple[str, Cell], ...] = (
        ("状態", loan.status),
        ("この状態になった日", loan.status_since),
        ("受付日", loan.received_on),
        ("受付番号", _text_or_none(loan.receipt_number)),
        ("融資担当", _text_or_none(loan.officer)),
        ("面談した診断士", _text_or_none(loan.interviewer)),
        ("資金使途", _text_or_none(loan.purpose)),
        ("金融機関", _text_or_none(loan.bank)),
        ("希望額（円）", loan.requested_amount),
        ("あっせん書番号", _text_or_none(loan.referral_number)),
        ("あっせん日", loan.referred_on),
        ("あっせん額（円）", loan.referral_amount),
        ("承諾額（円）", loan.approved_amount),
        ("信用保証料（円）", loan.guarantee_fee),
        ("実行日", loan.executed_on),
        ("実行額（円）", loan.executed_amount),
        ("融資期間", term),
        ("名目利率", _rate(loan.nominal_rate)),
        ("本人負担率", _rate(loan.borrower_rate)),
        ("施策", loan.initiative),
    )
    if loan.closed_on is not None:
        items += (("終了日", loan.closed_on), ("終了の理由", _text_or_none(loan.close_reason)))
    if loan.subsidy_stopped_on is not None:
        items += (
            ("利子補給の停止日", loan.subsidy_stopped_on),
            ("停止の理由", _text_or_none(loan.subsidy_stop_reason)),
        )
    history = Table(
        columns=(
            Column("日付", weight=1.1),
            Column("手続き", weight=1.8),
            Column("状態", weight=1.3),
            Column("理由・メモ", weight=3.0),
            Column("担当", weight=1.0),
            Column("金額（円）", numeric=True, weight=1.2),
        ),
        rows=tuple(
            (
                h.on,
                h.label + ("（取消済）" if h.undone else ""),
                h.state,
                "（内部メモ）" if h.reason is None else _text_or_none(h.reason),
                _text_or_none(h.staff),
                h.amount,
            )
            for h in loan.history
        ),
        title="経過",
    )
    return (Facts(items, title=f"{loan.program}（No.{loan.id}）"), history)


def _safety_net_table(r: BusinessReport) -> Table:
    columns: tuple[Column, ...] = (
        Column("申請日", weight=1.1),
        Column("区分・判定", weight=1.0),
        Column("減少率", numeric=True, weight=0.8),
        Column("最近の売上高（円）", numeric=True, weight=1.4),
        Column("前年同期（円）", numeric=True, weight=1.4),
        Column("認定番号", weight=1.0),
        Column("有効期限", weight=1.1),
    )
    if r.notes_included:
        columns += (Column("備考（内部）", weight=1.6),)
    rows = []
    for s in r.safety_net:
        row: tuple[Cell, ...] = (
            s.applied_on,
            f"{s.kind}\n{s.decision}",
            _rate(s.decline_rate),
            s.sales_current,
            s.sales_previous,
            _text_or_none(s.certificate_number),
            s.valid_until,
        )
        if r.notes_included:
            row += (_text_or_none(s.notes or ""),)
        rows.append(row)
    return Table(columns, tuple(rows))


def _dispatch_blocks(d: DispatchEntry) -> tuple[Block, ...]:
    items: tuple[tuple[str, Cell], ...] = (
        ("制度", d.program),
        ("状態", d.status),
        ("申請日", d.applied_on),
        ("派遣決定日", d.decided_on),
        ("決定回数", d.approved_visits),
        ("専門家", _text_or_none(d.expert)),
        ("担当", _text_or_none(d.staff)),
        ("年度", f"{d.fiscal_year}年度"),
        ("完了日", d.completed_on),
        ("謝金の合計（円）", d.fees),
        ("施策", d.initiative),
    )
    if d.cancelled_on is not None:
        items += (("中止日", d.cancelled_on), ("中止の理由", _text_or_none(d.cancel_reason)))
    if d.notes is not None:
        items += (("備考（内部）", _text_or_none(d.notes)),)
    visits = Table(
        columns=(
            Column("回", numeric=True, weight=0.5),
            Column("訪問日", weight=1.1),
            Column("時間・場所", weight=1.5),
            Column("専門家", weight=1.0),
            Column("課題", weight=2.2),
            Column("助言・宿題", weight=2.6),
            Column("謝金（円）", numeric=True, weight=1.0),
        ),
        rows=tuple(
            (
                v.number,
                v.visited_on,
                "\n".join(
                    x
                    for x in (
                        f"{v.start_time:%H:%M}〜{v.end_time:%H:%M}"
                        if v.start_time and v.end_time
                        else "",
                        v.place,
                    )
                    if x
                )
                or None,
                _text_or_none(v.expert),
                _text_or_none(v.issues),
                _text_or_none(_lines(("", v.advice), ("宿題", v.homework))),
                v.fee,
            )
            for v in d.visits
        ),
        title="訪問",
        empty_text="訪問の記録はまだありません。",
    )
    return (Facts(items, title=f"{d.theme}（No.{d.id}）"), visits)


def _subsidies_table(r: BusinessReport) -> Table:
    columns: tuple[Column, ...] = (
        Column("申請日", weight=1.1),
        Column("補助金・件名", weight=2.4),
        Column("状態", weight=1.0),
        Column("申請額（円）", numeric=True, weight=1.2),
        Column("交付決定額（円）", numeric=True, weight=1.3),
        Column("確定額（円）", numeric=True, weight=1.2),
        Column("支払額（円）", numeric=True, weight=1.2),
    )
    if r.notes_included:
        columns += (Column("備考（内部）", weight=1.6),)
    rows = []
    for s in r.subsidies:
        row: tuple[Cell, ...] = (
            s.applied_on,
            "\n".join(x for x in (s.program, s.title) if x),
            s.status,
            s.requested_amount,
            s.granted_amount,
            s.confirmed_amount,
            s.paid_amount,
        )
        if r.notes_included:
            row += (_text_or_none(s.notes or ""),)
        rows.append(row)
    return Table(columns, tuple(rows))


def _street_table(r: BusinessReport) -> Table:
    columns: tuple[Column, ...] = (
        Column("日付", weight=1.1),
        Column("種類", weight=1.4),
        Column("件名", weight=2.4),
        Column("内容", weight=2.4),
        Column("担当", weight=1.0),
    )
    if r.notes_included:
        columns += (Column("備考（内部）", weight=1.8),)
    rows = []
    for s in r.street:
        row: tuple[Cell, ...] = (
            s.on,
            s.kind,
            s.title,
            _text_or_none(s.detail),
            _text_or_none(s.staff),
        )
        if r.notes_included:
            row += (_text_or_none(s.notes or ""),)
        rows.append(row)
    return Table(columns, tuple(rows))


def business_document(r: BusinessReport) -> Document:
    """事業者カルテ: the profile, the running summary, every record in date order, then each
    kind of record in detail (sections without records are left out)."""
    record_blocks: list[Block] = [_entries_table(r)]
    if r.omitted:
        left = "、".join(f"{label} {count:,}件" for label, count in r.omitted)
        record_blocks.append(
            Text(
                f"記録が多いため、古いものを省きました（{left}）。各種類とも新しい1,000件まで載せています。"
            )
        )
    sections = [
        Section("事業者の概要", (_profile_facts(r.profile), _about(r))),
        Section("相談の経過（引継ぎメモ）", (Text(r.summary or "（記入なし）"),)),
        Section("記録（日付順）", tuple(record_blocks)),
    ]
    if r.consultations:
        sections.append(_consultations_section(r))
    if r.loans:
        blocks: list[Block] = []
        for loan in r.loans:
            blocks += _loan_blocks(loan)
        sections.append(Section("融資あっせん", tuple(blocks)))
    if r.safety_net:
        sections.append(Section("セーフティネット認定", (_safety_net_table(r),)))
    if r.dispatches:
        blocks = []
        for d in r.dispatches:
            blocks += _dispatch_blocks(d)
        sections.append(Section("専門家派遣", tuple(blocks)))
    if r.subsidies:
        sections.append(Section("補助金", (_subsidies_table(r),)))
    if r.street:
        heading = f"商店街への支援（{r.profile.street_association}）"
        sections.append(Section(heading, (_street_table(r),)))
    return Document(
        kind="business",
        title="事業者カルテ",
        subject=r.profile.name,
        period_from=None,
        period_to=None,
        sections=tuple(sections),
    )


# --- 施策別実績 ---------------------------------------------------------------------------------

_SERIES: tuple[tuple[str, str], ...] = (  # MonthFigures field → label
    ("consultations", "経営相談"),
    ("loans_referred", "融資あっせん"),
    ("loans_executed", "融資実行"),
    ("dispatch_visits", "派遣訪問"),
    ("subsidies_granted", "補助金交付決定"),
    ("street_supports", "商店街支援"),
    ("events", "イベント"),
)


def _figures_rows(f: InitiativeFigures) -> tuple[tuple[Cell, ...], ...]:
    return (
        ("経営相談", f.consultations, "件", None),
        ("支援した事業者（実数）", f.businesses, "者", None),
        ("創業予定者など（事業者未登録）", f.prospects, "人", None),
        ("融資あっせん（あっせん書の交付）", f.loans_referred, "件", f.loans_referred_amount),
        ("融資実行", f.loans_executed, "件", f.loans_executed_amount),
        ("専門家派遣の訪問（謝金）", f.dispatch_visits, "回", f.dispatch_fees),
        ("補助金の交付決定", f.subsidies_granted, "件", f.subsidies_granted_amount),
        ("商店街支援", f.street_supports, "件", None),
        ("イベント", f.events, "件", None),
        ("イベントの来場者", f.event_visitors, "人", None),
    )


def _month_label(month: date, months: tuple[MonthFigures, ...]) -> str:
    if len(months) <= 12:
        return f"{month.month}月"
    return f"{month.year}/{month.month}"


def _month_row_label(month: date, months: tuple[MonthFigures, ...]) -> str:
    """「4月」 as in the chart (the period is in the page header); 「令和8年4月」 when the period
    runs longer than twelve months, in 和暦 like every other date of the report."""
    if len(months) <= 12:
        return f"{month.month}月"
    return wareki_month(month.year, month.month)


def initiative_document(r: InitiativeReport) -> Document:
    """施策別実績: where the initiative sits in the plan, its figures, the month-by-month
    chart, and the records counted."""
    p = r.initiative
    owners = "、".join(p.owners) + (f"、{p.owners_note}" if p.owners_note else "")
    place = Section(
        "施策の位置付け",
        (
            Facts(
                (
                    ("基本方針", f"{p.basic_policy_code} {p.basic_policy_title}"),
                    ("個別方針", f"{p.policy_code} {p.policy_title}"),
                    ("主な取組み", f"{p.code} {p.title}"),
                    ("所管", owners or None),
                )
            ),
            Text(p.description or "（計画に記載なし）", title="計画の記載"),
        ),
    )
    notes = [FIGURES_NOTE]
    if not r.amounts_visible:
        notes.append(AMOUNTS_HIDDEN)
    figures = Section(
        "実績",
        (
            Table(
                columns=(
                    Column("項目", weight=3.0),
                    Column("実績", numeric=True, weight=1.0),
                    Column("単位", weight=0.5),
                    Column("金額（円）", numeric=True, weight=1.6),
                ),
                rows=_figures_rows(r.figures),
            ),
            Text("\n".join(notes)),
        ),
    )
    shown = [
        (name, label)
        for name, label in _SERIES
        if any(getattr(m, name) for m in r.months) or name == "consultations"
    ]
    categories = tuple(_month_label(m.month, r.months) for m in r.months)
    chart = Chart(
        kind="bar",
        categories=categories,
        series=tuple(
            Series(label, tuple(getattr(m, name) for m in r.months)) for name, label in shown
        ),
        unit="件",
    )
    month_table = Table(
        columns=(
            Column("月", weight=1.0),
            *(Column(label, numeric=True, weight=1.0) for _, label in shown),
        ),
        rows=(
            *(
                (_month_row_label(m.month, r.months), *(getattr(m, n) for n, _ in shown))
                for m in r.months
            ),
            ("合計", *(sum(getattr(m, name) for m in r.months) for name, _ in shown)),
        ),
        total_row=True,
    )
    monthly = Section("月別の推移", (chart, month_table))
    list_blocks: list[Block] = [
        Table(
            columns=(
                Column("日付", weight=1.1),
                Column("種類", weight=1.2),
                Column("事業者・商店街", weight=2.0),
                Column("内容", weight=3.6),
                Column("金額（円）", numeric=True, weight=1.2),
            ),
            rows=tuple((x.on, x.kind_label, x.name or None, x.title, x.amount) for x in r.records),
        )
    ]
    if r.more:
        list_blocks.append(
            Text(f"ほかに {r.more:,}件あります（一覧は日付の早い順に{len(r.records):,}件まで）。")
        )
    records = Section("記録の一覧", tuple(list_blocks), new_page=True)
    return Document(
        kind="initiative",
        title="施策別実績",
        subject=f"{p.code} {p.title}",
        period_from=r.period_from,
        period_to=r.period_to,
        sections=(place, figures, monthly, records),
    )


# --- 施策別実績一覧 -----------------------------------------------------------------------------


def _overview_cells(f: InitiativeFigures) -> tuple[Cell, ...]:
    return (
        f.consultations,
        f.businesses,
        f.loans_referred,
        f.loans_executed_amount,
        f.dispatch_visits,
        f.subsidies_granted_amount,
        f.street_supports,
        f.events,
    )


def overview_table(o: InitiativeOverview) -> Table:
    """All initiatives and their 合計 in one table: few columns with one-line titles, wide
    enough for the longest initiative title, and dense rows, so 24 rows and the 合計 fit one
    A4 landscape page (with the notes, in the 年度報告)."""
    return Table(
        columns=(
            Column("番号", weight=0.75),
            Column("主な取組み", weight=5.35),
            Column("相談", numeric=True),
            Column("事業者", numeric=True),
            Column("あっせん", numeric=True),
            Column("融資実行額（円）", numeric=True, weight=1.9),
            Column("派遣訪問", numeric=True),
            Column("補助金交付決定額（円）", numeric=True, weight=2.15),
            Column("商店街支援", numeric=True, weight=1.15),
            Column("イベント", numeric=True),
        ),
        rows=(
            *((row.code, row.title, *_overview_cells(row.figures)) for row in o.rows),
            ("", "合計", *_overview_cells(o.totals)),
        ),
        total_row=True,
        dense=True,
    )


def overview_section(o: InitiativeOverview) -> Section:
    """The overview table with its notes (what each figure counts): the 年度報告's last
    section, on a page of its own."""
    notes = [OVERVIEW_NOTE]
    if not o.amounts_visible:
        notes.append(AMOUNTS_HIDDEN)
    return Section("施策別実績", (overview_table(o), Text("\n".join(notes))), new_page=True)


def overview_document(o: InitiativeOverview) -> Document:
    """施策別実績一覧: every initiative on one A4 landscape page. The notes would push the
    table onto a second page, so their gist goes in the heading and the subject."""
    subject = "千代田区産業振興基本計画 主な取組み"
    if not o.amounts_visible:
        subject += "（融資の金額は閲覧権限がないため—）"
    return Document(
        kind="initiative_overview",
        title="施策別実績一覧",
        subject=subject,
        period_from=o.period_from,
        period_to=o.period_to,
        sections=(Section(OVERVIEW_HEADING, (overview_table(o),)),),
        landscape=True,
    )
