"""セーフティネット認定: the applications the loan desk certifies, filtered by kind, decision and
application period; a tab of the 融資あっせん page."""

from dataclasses import replace
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from consult_desk.domain.permissions import Action, Kind, Principal
from consult_desk.domain.safety_net import SafetyNetDecision, SafetyNetKind, SafetyNetQuery
from consult_desk.services.safety_net import SafetyNetService
from consult_desk.ui.models.safety_net_table import SafetyNetTableModel
from consult_desk.ui.widgets.period import period_edit, read_period
from consult_desk.ui.widgets.tables import COUNT_CAP, count_text, make_table_view, selected_row

# 申請日 and 交付日 are 和暦 (「令和8年11月16日」); 有効期限 adds 「（期限切れ）」 and stretches.
WIDTHS = (128, 220, 74, 76, 64, 200, 128, 180)
ERROR_STYLE = "color: #b00020;"


def _combo(first: str, items: list[tuple[str, object]]) -> QComboBox:
    combo = QComboBox()
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    combo.addItem(first, None)
    for text, value in items:
        combo.addItem(text, value)
    return combo


class SafetyNetPanel(QWidget):
    """The list of applications, newest first; Enter or a double click opens one."""

    open_requested = Signal(int)
    new_requested = Signal()

    def __init__(
        self, service: SafetyNetService, principal: Principal, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._shown = False
        self.model = SafetyNetTableModel(service, principal.sees_loan_amounts, parent=self)

        title = QLabel(self.tr("セーフティネット保証 認定"))
        title.setObjectName("pageTitle")
        self.count_label = QLabel()
        self.count_label.setObjectName("count")
        self.new_button = QPushButton(self.tr("新規申請（Ctrl+N）"))
        self.new_button.setVisible(principal.can(Kind.LOAN, Action.CREATE))
        self.new_button.clicked.connect(self.new_requested)
        self.open_button = QPushButton(self.tr("開く（Enter）"))
        self.open_button.clicked.connect(self.open_selected)

        self.kind_combo = _combo(self.tr("区分: すべて"), [(k.value, k) for k in SafetyNetKind])
        self.decision_combo = _combo(
            self.tr("判定: すべて"), [(d.label, d) for d in SafetyNetDecision]
        )
        self.from_edit = period_edit(self.tr("例: 2026-04-01"))
        self.to_edit = period_edit(self.tr("例: R9.3.31"))
        for edit in (self.from_edit, self.to_edit):
            edit.editingFinished.connect(self.apply_filters)
        self.period_error = QLabel()
        self.period_error.setStyleSheet(ERROR_STYLE)
        self.period_error.hide()
        self.table = make_table_view(self.model, WIDTHS)
        self.table.doubleClicked.connect(lambda index: self._open(index.row()))
        hint = QLabel(
            self.tr("有効期限は交付日を含む30日間です。期限を過ぎた認定は灰色で表示します。")
        )
        hint.setStyleSheet("color: #555555;")

        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.count_label)
        top.addWidget(self.open_button)
        top.addWidget(self.new_button)
        filters = QHBoxLayout()
        filters.addWidget(self.kind_combo)
        filters.addWidget(self.decision_combo)
        filters.addWidget(QLabel(self.tr("申請日")))
        filters.addWidget(self.from_edit)
        filters.addWidget(QLabel("〜"))
        filters.addWidget(self.to_edit)
        filters.addWidget(self.period_error)
        filters.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(hint)

        for combo in (self.kind_combo, self.decision_combo):
            combo.currentIndexChanged.connect(self.apply_filters)
        QShortcut(QKeySequence(Qt.Key.Key_Return), self.table, self.open_selected)
        QShortcut(QKeySequence(Qt.Key.Key_Enter), self.table, self.open_selected)
        self.model.modelReset.connect(self._update_count)
        self.refresh()

    # --- filters --------------------------------------------------------------------------

    def _period(self) -> tuple[date | None, date | None, str]:
        return read_period((self.from_edit, self.to_edit))

    def current_query(self) -> SafetyNetQuery:
        applied_from, applied_to, error = self._period()
        self.period_error.setText(error)
        self.period_error.setVisible(bool(error))
        # Item data comes back as plain str (Qt keeps no enum type): convert it back.
        kind, decision = self.kind_combo.currentData(), self.decision_combo.currentData()
        return replace(
            self.model.query,
            kind=SafetyNetKind(kind) if kind else None,
            decision=SafetyNetDecision(decision) if decision else None,
            applied_from=applied_from,
            applied_to=applied_to,
        )

    def apply_filters(self, *_: object) -> None:
        query = self.current_query()
        if query != self.model.query:
            self.model.reload(query)

    def refresh(self) -> None:
        """Read again (after an application changed, or when shown: validity runs out)."""
        self.model.reload(self.current_query())

    def showEvent(self, event: QShowEvent) -> None:
        if self._shown:
            self.refresh()
        self._shown = True
        super().showEvent(event)

    def _update_count(self) -> None:
        self.count_label.setText(count_text(self._service.count(self.model.query, COUNT_CAP)))

    # --- opening --------------------------------------------------------------------------

    def open_selected(self) -> None:
        row = selected_row(self.table)
        if row is not None:
            self._open(row)

    def _open(self, row: int) -> None:
        self.open_requested.emit(self.model.row_at(row).id)
