"""相談記録: every consultation, filtered and searched in SQL, a page at a time."""

from dataclasses import replace
from datetime import date, timedelta

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from consult_desk.domain.businesses import Area
from consult_desk.domain.consultations import ConsultationQuery
from consult_desk.domain.fiscal import fiscal_year, fiscal_year_range, japan_today
from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.services.consultations import ConsultationService
from consult_desk.services.exports import ExportService
from consult_desk.services.reference import ReferenceService
from consult_desk.ui.models.consultation_table import ConsultationTableModel
from consult_desk.ui.models.paged_table import reload_in_place
from consult_desk.ui.widgets.list_export import ListExport
from consult_desk.ui.widgets.tables import COUNT_CAP, count_text, make_table_view, selected_row

SEARCH_DELAY_MS = 250
WIDTHS = (125, 190, 75, 120, 80, 250, 125)


def _periods(today: date) -> list[tuple[str, tuple[date | None, date | None]]]:
    fy = fiscal_year(today)
    month_start = today.replace(day=1)
    last_month_end = month_start - timedelta(days=1)
    return [
        ("今年度", fiscal_year_range(fy)),
        ("前年度", fiscal_year_range(fy - 1)),
        ("今月", (month_start, today)),
        ("先月", (last_month_end.replace(day=1), last_month_end)),
        ("すべての期間", (None, None)),
    ]


def _combo(first: str, items: list[tuple[str, object]]) -> QComboBox:
    combo = QComboBox()
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(6)
    combo.addItem(first, None)
    for text, value in items:
        combo.addItem(text, value)
    return combo


class ConsultationListPage(QWidget):
    open_requested = Signal(int)  # a consultation to edit
    new_requested = Signal()

    def __init__(
        self,
        consultations: ConsultationService,
        reference: ReferenceService,
        principal: Principal,
        parent: QWidget | None = None,
        *,
        exports: ExportService | None = None,
    ) -> None:
        super().__init__(parent)
        self._consultations = consultations
        self.model = ConsultationTableModel(consultations, parent=self)
        title = QLabel(self.tr("相談記録"))
        title.setObjectName("pageTitle")
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(self.tr("相談内容・助言内容で検索（Ctrl+F）"))
        self.search_edit.setClearButtonEnabled(True)
        self.period_combo = QComboBox()
        for text, period in _periods(japan_today()):
            self.period_combo.addItem(text, period)
        self.staff_combo = _combo(
            self.tr("担当: すべて"), [(m.name, m.id) for m in reference.staff()]
        )
        self.channel_combo = _combo(
            self.tr("方法: すべて"), [(c.name, c.id) for c in reference.channels()]
        )
        self.topic_combo = _combo(
            self.tr("分野: すべて"), [(t.name, t.id) for t in reference.topics()]
        )
        self.area_combo = _combo(self.tr("地域: すべて"), [(a.value, a.value) for a in Area])
        self.initiative_combo = _combo(
            self.tr("施策: すべて"),
            [(f"{i.code} {i.title}", i.id) for i in reference.initiatives()],
        )
        self.open_check = QCheckBox(self.tr("未対応のフォローアップのみ"))
        self.count_label = QLabel()
        self.count_label.setObjectName("count")
        self.new_button = QPushButton(self.tr("新しい相談（Ctrl+N）"))
        self.new_button.setVisible(principal.can(Kind.CONSULTATION, Action.CREATE))
        self.new_button.clicked.connect(self.new_requested)
        self.table = make_table_view(self.model, WIDTHS)
        self.table.doubleClicked.connect(lambda index: self._open(index.row()))

        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.count_label)
        self.export: ListExport | None = None
        if exports is not None:  # 書き出し…（Ctrl+E）: the list as filtered now
            self.export = ListExport(exports, "consultations", self.shown_query, self, principal)
            top.addWidget(self.export.button)
        top.addWidget(self.new_button)
        first = QHBoxLayout()
        first.addWidget(self.search_edit, 1)
        first.addWidget(self.period_combo)
        first.addWidget(self.open_check)
        second = QHBoxLayout()
        for combo in (
            self.staff_combo,
            self.channel_combo,
            self.topic_combo,
            self.area_combo,
            self.initiative_combo,
        ):
            second.addWidget(combo)
        second.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(first)
        layout.addLayout(second)
        layout.addWidget(self.table, 1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.apply_filters)
        self.search_edit.textChanged.connect(self._timer.start)
        self.search_edit.returnPressed.connect(self.apply_filters)
        combos = (
            self.period_combo,
            self.staff_combo,
            self.channel_combo,
            self.topic_combo,
            self.area_combo,
            self.initiative_combo,
        )
        for combo in combos:
            combo.currentIndexChanged.connect(self.apply_filters)
        self.open_check.toggled.connect(self.apply_filters)
        QShortcut(QKeySequence.StandardKey.Find, self, self.focus_search)
        # Others save too (PostgreSQL, several PCs): F5 reads the list again in place.
        QShortcut(QKeySequence(Qt.Key.Key_F5), self, self.refresh)
        QShortcut(QKeySequence(Qt.Key.Key_Return), self.table, self._open_selected)
        QShortcut(QKeySequence(Qt.Key.Key_Enter), self.table, self._open_selected)
        self.model.modelReset.connect(self._update_count)
        self.apply_filters(force=True)

    def current_query(self) -> ConsultationQuery:
        date_from, date_to = self.period_combo.currentData()
        return replace(
            self.model.query,
            text=self.search_edit.text(),
            date_from=date_from,
            date_to=date_to,
            staff_id=self.staff_combo.currentData(),
            channel_id=self.channel_combo.currentData(),
            topic_id=self.topic_combo.currentData(),
            area=self.area_combo.currentData(),
            initiative_id=self.initiative_combo.currentData(),
            open_follow_ups=self.open_check.isChecked(),
        )

    def shown_query(self) -> ConsultationQuery:
        """The filter of the rows shown, a search still being typed included."""
        self.apply_filters()
        return self.model.query

    def apply_filters(self, *_: object, force: bool = False) -> None:
        self._timer.stop()
        query = self.current_query()
        if force or query != self.model.query:
            self.model.reload(query)

    def show_filtered(
        self,
        first: date | None,
        last: date | None,
        label: str,
        *,
        channel_id: int | None = None,
        initiative_id: int | None = None,
        open_follow_ups: bool = False,
    ) -> None:
        """Show exactly the consultations behind a figure (the dashboard's, a plan's): the
        period (added to the period choices as ``label`` when none matches), the channel,
        initiative and follow-up filters as given, every other filter cleared."""
        period = (first, last)
        choices = range(self.period_combo.count())
        index = next((i for i in choices if self.period_combo.itemData(i) == period), -1)
        if index < 0:
            self.period_combo.addItem(label, period)
            index = self.period_combo.count() - 1
        combos = (
            self.period_combo,
            self.staff_combo,
            self.channel_combo,
            self.topic_combo,
            self.area_combo,
            self.initiative_combo,
        )
        for widget in (*combos, self.open_check, self.search_edit):
            widget.blockSignals(True)
        try:
            self.search_edit.clear()
            self.period_combo.setCurrentIndex(index)
            for combo, value in (
                (self.staff_combo, None),
                (self.topic_combo, None),
                (self.area_combo, None),
                (self.channel_combo, channel_id),
                (self.initiative_combo, initiative_id),
            ):
                found = 0 if value is None else combo.findData(value)
                combo.setCurrentIndex(max(found, 0))
            self.open_check.setChecked(open_follow_ups)
        finally:
            for widget in (*combos, self.open_check, self.search_edit):
                widget.blockSignals(False)
        self.apply_filters(force=True)

    def refresh(self) -> None:
        """Read the list again, keeping the selected record and the scroll position."""
        reload_in_place(self.table, self.model, self.model.reload)

    def focus_search(self) -> None:
        self.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_edit.selectAll()

    def _update_count(self) -> None:
        self.count_label.setText(count_text(self._consultations.count(self.model.query, COUNT_CAP)))

    def _open_selected(self) -> None:
        row = selected_row(self.table)
        if row is not None:
            self._open(row)

    def _open(self, row: int) -> None:
        self.open_requested.emit(self.model.row_at(row).id)
