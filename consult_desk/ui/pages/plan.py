"""施策: the ward's industry plan, 基本方針 → 個別方針 → 主な取組み with 所管 and text."""

import html

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSplitter,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QTreeWidgetItemIterator,
    QVBoxLayout,
    QWidget,
)

from consult_desk.domain.reference import BasicPolicyNode
from consult_desk.services.reference import ReferenceService

TEXT_ROLE = Qt.ItemDataRole.UserRole
ROW_HEIGHT = 24


class PlanPage(QWidget):
    def __init__(self, reference: ReferenceService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel(self.tr("施策（千代田区産業振興基本計画）"))
        title.setObjectName("pageTitle")
        note = QLabel(self.tr("すべての記録は、いずれかの「主な取組み」に結び付けて集計されます。"))
        note.setObjectName("notice")
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels([self.tr("施策"), self.tr("所管")])
        self.tree.setColumnWidth(0, 470)
        self.tree.setUniformRowHeights(True)
        self.detail = QTextBrowser()
        self.tree.currentItemChanged.connect(self._show)
        self._fill(reference.plan())

        splitter = QSplitter()
        splitter.addWidget(self.tree)
        splitter.addWidget(self.detail)
        splitter.setSizes([780, 320])
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(note)
        layout.addWidget(splitter, 1)

    def _fill(self, plan: list[BasicPolicyNode]) -> None:
        for basic in plan:
            basic_item = QTreeWidgetItem([f"基本方針{basic.code}　{basic.title}", ""])
            basic_item.setData(0, TEXT_ROLE, (basic.title, "", basic.description))
            self.tree.addTopLevelItem(basic_item)
            for policy in basic.policies:
                policy_item = QTreeWidgetItem([f"個別方針{policy.code}　{policy.title}", ""])
                policy_item.setData(0, TEXT_ROLE, (policy.title, "", policy.description))
                basic_item.addChild(policy_item)
                for initiative in policy.initiatives:
                    owners = "、".join(
                        (*initiative.owners, *filter(None, [initiative.owners_note]))
                    )
                    item = QTreeWidgetItem([f"{initiative.code}　{initiative.title}", owners])
                    item.setToolTip(1, owners)
                    item.setData(0, TEXT_ROLE, (initiative.title, owners, initiative.description))
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
