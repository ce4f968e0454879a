"""施策: the ward's industry plan, 基本方針 → 個別方針 → 主な取組み with 所管 and text, and what
each 主な取組み achieved over a chosen period (default: this 年度 to date).

- The figures come from ``ReportingService.initiative_overview`` (the 施策別実績一覧's own
  numbers), read off the GUI thread; the tree shows 相談件数 and 支援事業者数 per 主な取組み and
  the side panel every figure of the one selected.
- 「記録を見る」 lists the records counted (``ReportingService.initiative``); a double-click opens
  one, and 「相談記録の一覧で開く」 shows the consultations in the 相談記録 list. 「PDF を作成」
  asks the 帳票 page for the 施策別実績 of the initiative and period.
"""

from __future__ import annotations

import html
from datetime import date, timedelta

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidgetItem,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QTreeWidgetItemIterator,
    QVBoxLayout,
    QWidget,
)

from consult_desk.domain.errors import DomainError
from consult_desk.domain.fiscal import (
    fiscal_year,
    fiscal_year_range,
    format_date,
    format_yen,
    japan_today,
)
from consult_desk.domain.permissions import MASK
from consult_desk.domain.reference import BasicPolicyNode, InitiativeNode
from consult_desk.domain.report_records import (
    InitiativeFigures,
    InitiativeOverview,
    InitiativeReport,
)
from consult_desk.services.reference import ReferenceService
from consult_desk.services.reporting import ReportingService
from consult_desk.ui.messages import error_text, text_for
from consult_desk.ui.widgets.background import BackgroundRunner
from consult_desk.ui.widgets.facts import FactsPanel
from consult_desk.ui.widgets.inline_fields import ERROR_STYLE, DateEdit
from consult_desk.ui.widgets.tables import make_table_widget

TEXT_ROLE = Qt.ItemDataRole.UserRole
CODE_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_HEIGHT = 24
TITLE, CONSULTATIONS, BUSINESSES = range(3)
FIGURE_WIDTH = 62
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
CUSTOM = "custom"


def periods(today: date) -> list[tuple[str, tuple[date, date] | None]]:
    """The period choices: 年度 to date first (the default), then whole periods."""
    fy = fiscal_year(today)
    month_start = today.replace(day=1)
    last_month_end = month_start - timedelta(days=1)
    return [
        ("今年度（今日まで）", (fiscal_year_range(fy)[0], today)),
        ("前年度", fiscal_year_range(fy - 1)),
        ("今月（今日まで）", (month_start, today)),
        ("先月", (last_month_end.replace(day=1), last_month_end)),
        ("期間を指定", None),
    ]


def _count(value: int) -> str:
    return f"{value:,}"


def _yen(value: int | None) -> str:
    return MASK if value is None else format_yen(value)


def figure_rows(figures: InitiativeFigures) -> list[tuple[str, str]]:
    """Caption / value lines of the side panel (and of the records dialog's header)."""
    f = figures
    return [
        ("相談件数", f"{f.consultations:,} 件"),
        ("支援した事業者", f"{f.businesses:,} 者"),
        ("創業予定者", f"{f.prospects:,} 人"),
        ("融資あっせん", f"{f.loans_referred:,} 件　{_yen(f.loans_referred_amount)}"),
        ("融資実行", f"{f.loans_executed:,} 件　{_yen(f.loans_executed_amount)}"),
        ("専門家派遣（訪問）", f"{f.dispatch_visits:,} 回　謝金 {format_yen(f.dispatch_fees)}"),
        (
            "補助金の交付決定",
            f"{f.subsidies_granted:,} 件　{format_yen(f.subsidies_granted_amount)}",
        ),
        ("商店街支援", f"{f.street_supports:,} 件"),
        ("イベント", f"{f.events:,} 件　来場 {f.event_visitors:,} 人"),
    ]


class RecordsDialog(QDialog):
    """The records an initiative's figures count, newest last; double-click opens one."""

    open_record = Signal(str, int)  # LinkedRecord.kind, record_id
    consultations_requested = Signal()

    def __init__(self, report: InitiativeReport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report = report
        path = report.initiative
        self.setWindowTitle(self.tr("{0} {1} の記録").format(path.code, path.title))
        self.resize(1000, 560)
        heading = QLabel(
            self.tr("{0}　{1}〜{2}").format(
                path.title, format_date(report.period_from), format_date(report.period_to)
            )
        )
        heading.setObjectName("pageTitle")
        heading.setWordWrap(True)
        self.table = make_table_widget(
            [
                self.tr("日付"),
                self.tr("種類"),
                self.tr("事業者・商店街"),
                self.tr("内容"),
                self.tr("金額"),
            ],
            (125, 110, 200, 320, 110),
            row_height=24,
        )
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)  # 内容 takes the rest
        self.table.setRowCount(len(report.records))
        for row, record in enumerate(report.records):
            amount = "" if record.amount is None else format_yen(record.amount)
            cells = [
                format_date(record.on),
                record.kind_label,
                record.name,
                record.title,
                amount,
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 4:
                    item.setTextAlignment(_RIGHT)
                if column in (2, 3):
                    item.setToolTip(text)
                self.table.setItem(row, column, item)
        self.table.cellDoubleClicked.connect(lambda row, _c: self._open(row))
        self.table.activated.connect(lambda index: self._open(index.row()))  # Enter
        more = QLabel(
            self.tr(
                "ほかに {0} 件あります（一覧には {1} 件まで載せます。期間を短くしてください）。"
            ).format(report.more, len(report.records))
        )
        more.setVisible(report.more > 0)
        count = QLabel(self.tr("{0} 件").format(len(report.records) + report.more))
        count.setObjectName("count")
        self.list_button = QPushButton(self.tr("相談記録の一覧で開く(&L)"))
        self.list_button.clicked.connect(self.consultations_requested)
        self.list_button.clicked.connect(self.accept)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.addButton(self.list_button, QDialogButtonBox.ButtonRole.ActionRole)
        top = QHBoxLayout()
        top.addWidget(heading, 1)
        top.addWidget(count)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(more)
        layout.addWidget(buttons)
        if report.records:
            self.table.selectRow(0)
        self.table.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Enter on the list opened a row (``activated``): it must not also close the dialog.
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and self.focusWidget() is self.table:
            event.accept()
            return
        super().keyPressEvent(event)

    def _open(self, row: int) -> None:
        record = self.report.records[row]
        self.open_record.emit(record.kind, record.record_id)


class PlanPage(QWidget):
    pdf_requested = Signal(str, object, object)  # initiative code, first, last
    # initiative id, first, last, the period's label
    consultations_requested = Signal(int, object, object, str)
    open_record = Signal(str, int)  # a record of the records dialog: kind, id

    def __init__(
        self,
        reference: ReferenceService,
        reporting: ReportingService | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._reporting = reporting
        self.overview: InitiativeOverview | None = None
        self._initiatives: dict[str, InitiativeNode] = {}
        self._shown = False
        title = QLabel(self.tr("施策（千代田区産業振興基本計画）"))
        title.setObjectName("pageTitle")
        note = QLabel(self.tr("すべての記録は、いずれかの「主な取組み」に結び付けて集計されます。"))
        note.setObjectName("notice")
        self.tree = QTreeWidget()
        # 所管 is in the text beside the tree (and each row's tooltip): the room goes to the
        # titles and the figures.
        self.tree.setHeaderLabels([self.tr("施策"), self.tr("相談"), self.tr("事業者")])
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(TITLE, QHeaderView.ResizeMode.Stretch)
        for column in (CONSULTATIONS, BUSINESSES):
            self.tree.headerItem().setTextAlignment(column, _RIGHT)
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            self.tree.setColumnWidth(column, FIGURE_WIDTH)
        self.tree.headerItem().setToolTip(CONSULTATIONS, self.tr("期間中の相談件数"))
        self.tree.headerItem().setToolTip(BUSINESSES, self.tr("期間中に支援した事業者の数"))
        self.tree.setUniformRowHeights(True)
        self.detail = QTextBrowser()
        self.tree.currentItemChanged.connect(self._show)

        self.period_combo = QComboBox()
        self.from_edit = DateEdit()
        self.to_edit = DateEdit()
        for edit in (self.from_edit, self.to_edit):
            edit.setMaximumWidth(130)
            edit.returnPressed.connect(self.refresh_figures)
        self.update_button = QPushButton(self.tr("集計(&U)"))
        self.update_button.clicked.connect(self.refresh_figures)
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setMaximumWidth(100)
        self.busy_bar.hide()
        self.period_error = QLabel()
        self.period_error.setStyleSheet(ERROR_STYLE)
        self.period_error.hide()

        self.figures_box = QFrame()
        self.figures_box.setObjectName("figuresBox")
        self.figures_box.setStyleSheet(
            "QFrame#figuresBox { border: 1px solid #d0d8e4; background: #f7f9fc; }"
        )
        self.figures_title = QLabel(self.tr("期間中の実績"))
        self.figures_title.setStyleSheet("font-weight: bold; color: #1f3a5f;")
        self.figures_title.setWordWrap(True)
        self.figures = FactsPanel()
        self.figures_hint = QLabel(self.tr("主な取組みを選ぶと、その実績を表示します。"))
        self.figures_hint.setObjectName("notice")
        self.figures_hint.setWordWrap(True)
        self.records_button = QPushButton(self.tr("記録を見る(&R)…"))
        self.pdf_button = QPushButton(self.tr("PDF を作成(&P)"))
        self.records_button.clicked.connect(self.show_records)
        self.pdf_button.clicked.connect(self._request_pdf)
        box = QVBoxLayout(self.figures_box)
        box.addWidget(self.figures_title)
        box.addWidget(self.figures_hint)
        box.addWidget(self.figures)
        buttons = QHBoxLayout()
        buttons.addWidget(self.records_button)
        buttons.addWidget(self.pdf_button)
        buttons.addStretch(1)
        box.addLayout(buttons)
        self.figures_box.setVisible(reporting is not None)

        self._fill(reference.plan())
        right = QWidget()
        side = QVBoxLayout(right)
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self.figures_box)
        side.addWidget(self.detail, 1)
        splitter = QSplitter()
        splitter.addWidget(self.tree)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([640, 460])
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        period = QHBoxLayout()
        period_label = QLabel(self.tr("期間(&D)"))
        period_label.setBuddy(self.period_combo)
        period.addWidget(period_label)
        period.addWidget(self.period_combo)
        period.addWidget(self.from_edit)
        period.addWidget(QLabel("〜"))
        period.addWidget(self.to_edit)
        period.addWidget(self.update_button)
        period.addWidget(self.busy_bar)
        period.addWidget(self.period_error)
        period.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(note)
        if reporting is not None:
            layout.addLayout(period)
        layout.addWidget(splitter, 1)

        self.runner = BackgroundRunner(self)
        self.runner.finished.connect(self._figures_read)
        self.runner.failed.connect(self._figures_failed)
        self.runner.busy_changed.connect(self.busy_bar.setVisible)
        for text, span in periods(japan_today()):
            self.period_combo.addItem(self.tr(text), span or CUSTOM)
        self.period_combo.currentIndexChanged.connect(self._period_chosen)
        self._period_chosen()
        self._update_buttons()

    def _fill(self, plan: list[BasicPolicyNode]) -> None:
        for basic in plan:
            basic_item = QTreeWidgetItem([f"基本方針{basic.code}　{basic.title}", "", ""])
            basic_item.setData(0, TEXT_ROLE, (basic.title, "", basic.description))
            self.tree.addTopLevelItem(basic_item)
            for policy in basic.policies:
                policy_item = QTreeWidgetItem([f"個別方針{policy.code}　{policy.title}", "", ""])
                policy_item.setToolTip(TITLE, policy.title)
                policy_item.setData(0, TEXT_ROLE, (policy.title, "", policy.description))
                basic_item.addChild(policy_item)
                for initiative in policy.initiatives:
                    owners = "、".join(
                        (*initiative.owners, *filter(None, [initiative.owners_note]))
                    )
                    item = QTreeWidgetItem([f"{initiative.code}　{initiative.title}", "", ""])
                    item.setToolTip(TITLE, f"{initiative.title}\n{self.tr('所管')}: {owners}")
                    item.setData(0, TEXT_ROLE, (initiative.title, owners, initiative.description))
                    item.setData(0, CODE_ROLE, initiative.code)
                    for column in (CONSULTATIONS, BUSINESSES):
                        item.setTextAlignment(column, _RIGHT)
                    self._initiatives[initiative.code] = initiative
                    policy_item.addChild(item)
        # Rows as tall as the list's, so the small kana stay readable.
        iterator = QTreeWidgetItemIterator(self.tree)
        while item := iterator.value():
            item.setSizeHint(0, QSize(0, ROW_HEIGHT))
            iterator += 1
        self.tree.expandAll()
        first = self.tree.topLevelItem(0)
        if first is not None:
            self.tree.setCurrentItem(first)

    # --- period and figures ----------------------------------------------------------------

    def _period_chosen(self, *_: object) -> None:
        span = self.period_combo.currentData()
        custom = span == CUSTOM
        for edit in (self.from_edit, self.to_edit):
            edit.setReadOnly(not custom)
        if not custom:
            first, last = span
            self.from_edit.set_date(first)
            self.to_edit.set_date(last)
            if self._shown:
                self.refresh_figures()
        else:
            self.from_edit.setFocus()

    def period(self) -> tuple[date, date]:
        """The chosen period; ValueError (with the text to show) when it is not one."""
        try:
            first = self.from_edit.date_value()
            last = self.to_edit.date_value()
        except ValueError:
            raise ValueError(text_for("date.format")) from None
        if first is None or last is None:
            raise ValueError(self.tr("期間の開始と終了を入力してください。"))
        if first > last:
            raise ValueError(text_for("period.reversed"))
        return first, last

    def set_period(self, first: date, last: date) -> None:
        """Choose a period by its dates (the 期間を指定 choice), and read its figures."""
        self.period_combo.blockSignals(True)
        self.period_combo.setCurrentIndex(self.period_combo.findData(CUSTOM))
        self.period_combo.blockSignals(False)
        for edit in (self.from_edit, self.to_edit):
            edit.setReadOnly(False)
        self.from_edit.set_date(first)
        self.to_edit.set_date(last)
        self.refresh_figures()

    def refresh_figures(self) -> None:
        if self._reporting is None:
            return
        try:
            first, last = self.period()
        except ValueError as error:
            self.period_error.setText(str(error))
            self.period_error.show()
            return
        self.period_error.hide()
        reporting = self._reporting
        self.runner.start(lambda: reporting.initiative_overview(first, last))

    def showEvent(self, event: QShowEvent) -> None:
        if not self._shown:
            self._shown = True
            self.refresh_figures()
        super().showEvent(event)

    def _figures_read(self, overview: object) -> None:
        assert isinstance(overview, InitiativeOverview)
        self.overview = overview
        rows = {row.code: row.figures for row in overview.rows}
        iterator = QTreeWidgetItemIterator(self.tree)
        while item := iterator.value():
            code = item.data(0, CODE_ROLE)
            figures = rows.get(code) if code else None
            item.setText(CONSULTATIONS, _count(figures.consultations) if figures else "")
            item.setText(BUSINESSES, _count(figures.businesses) if figures else "")
            iterator += 1
        self._show(self.tree.currentItem(), None)

    def _figures_failed(self, error: object) -> None:
        text = error_text(error) if isinstance(error, DomainError) else text_for("report.failed")
        self.period_error.setText(text)
        self.period_error.show()

    def figures_for(self, code: str) -> InitiativeFigures | None:
        if self.overview is None:
            return None
        return next((row.figures for row in self.overview.rows if row.code == code), None)

    def selected_code(self) -> str | None:
        item = self.tree.currentItem()
        code = item.data(0, CODE_ROLE) if item is not None else None
        return code or None

    def select_initiative(self, code: str) -> None:
        iterator = QTreeWidgetItemIterator(self.tree)
        while item := iterator.value():
            if item.data(0, CODE_ROLE) == code:
                self.tree.setCurrentItem(item)
                return
            iterator += 1

    # --- the selected node -----------------------------------------------------------------

    def _show(self, item: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None) -> None:
        if item is None:
            return
        heading, owners, text = item.data(0, TEXT_ROLE)
        self.detail.clear()
        # The texts are editable master data: escape them before they become HTML.
        self.detail.append(f"<h3>{html.escape(heading)}</h3>")
        if owners:
            self.detail.append(f"<p><b>{self.tr('所管')}:</b> {html.escape(owners)}</p>")
        for paragraph in text.split("\n"):
            self.detail.append(f"<p>{html.escape(paragraph)}</p>")
        self.detail.moveCursor(self.detail.textCursor().MoveOperation.Start)
        code = item.data(0, CODE_ROLE)
        figures = self.figures_for(code) if code else None
        if figures is not None and self.overview is not None:
            self.figures_title.setText(
                self.tr("{0} の実績（{1}〜{2}）").format(
                    code,
                    format_date(self.overview.period_from),
                    format_date(self.overview.period_to),
                )
            )
            self.figures.set_rows([(self.tr(c), v) for c, v in figure_rows(figures)])
        else:
            self.figures_title.setText(self.tr("期間中の実績"))
            self.figures.set_rows([])
        self.figures.setVisible(figures is not None)
        self.figures_hint.setVisible(figures is None)
        self._update_buttons()

    def _update_buttons(self) -> None:
        chosen = self.selected_code() is not None and self._reporting is not None
        self.records_button.setEnabled(chosen)
        self.pdf_button.setEnabled(chosen)

    def show_records(self) -> RecordsDialog | None:
        code = self.selected_code()
        if code is None or self._reporting is None:
            return None
        try:
            first, last = self.period()
        except ValueError as error:
            QMessageBox.warning(self, self.tr("施策"), str(error))
            return None
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            report = self._reporting.initiative(code, first, last)
        except DomainError as error:
            QMessageBox.warning(self, self.tr("施策"), error_text(error))
            return None
        finally:
            QApplication.restoreOverrideCursor()
        dialog = RecordsDialog(report, self)
        dialog.open_record.connect(self.open_record)
        label = self.tr("{0}〜{1}").format(format_date(first), format_date(last))
        initiative_id = report.initiative.id
        dialog.consultations_requested.connect(
            lambda: self.consultations_requested.emit(initiative_id, first, last, label)
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def _request_pdf(self) -> None:
        code = self.selected_code()
        if code is None:
            return
        try:
            first, last = self.period()
        except ValueError as error:
            QMessageBox.warning(self, self.tr("施策"), str(error))
            return
        self.pdf_requested.emit(code, first, last)
