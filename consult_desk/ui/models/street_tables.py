"""Shopping streets (商店街) and their support records as paged table models."""

from dataclasses import replace

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QBrush, QColor

from consult_desk.domain.fiscal import format_date, wareki_fiscal_year
from consult_desk.domain.streets import AssociationQuery, AssociationRow, SupportQuery, SupportRow
from consult_desk.services.streets import StreetService
from consult_desk.ui.models.paged_table import Index, PagedTableModel

ARCHIVED_COLOUR = QBrush(QColor("#8a8a8a"))
ASSOCIATION_TITLES = ("商店街名", "法人格", "地域", "区域（町名）", "連合会", "会員数", "法人番号")
MEMBERS_COLUMN = 5
SUPPORT_TITLES = ("支援日", "商店街", "支援の種類", "件名", "施策", "担当")
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def members_text(row: AssociationRow) -> str:
    """正会員・賛助会員 of the latest 年度 entered: 「89人（正79・賛10）R7年度」."""
    if row.members_fiscal_year is None:
        return ""
    full, supporting = row.full_members or 0, row.supporting_members or 0
    year = wareki_fiscal_year(row.members_fiscal_year).replace("令和", "R")
    return f"{full + supporting:,}人（正{full}・賛{supporting}）{year}"


class AssociationTableModel(PagedTableModel[AssociationRow]):
    """Associations in reading order; the name column sorts (both ways) in SQL."""

    def __init__(self, streets: StreetService, parent: QObject | None = None) -> None:
        super().__init__(ASSOCIATION_TITLES, parent)
        self._streets = streets
        self.query = AssociationQuery()

    def reload(self, query: AssociationQuery | None = None) -> None:
        def change() -> None:
            self.query = query or self.query

        self.reset_rows(change)

    def fetch_page(self, after: AssociationRow | None, limit: int) -> list[AssociationRow]:
        return self._streets.page(self.query, after=after, limit=limit)

    def format_row(self, row: AssociationRow) -> tuple[str, ...]:
        return (
            row.name + ("（アーカイブ）" if row.archived else ""),
            row.legal_form,
            row.area,
            "、".join(row.town_names),
            "加盟" if row.federation_member else "",
            members_text(row),
            row.corporate_number,
        )

    def foreground(self, row: AssociationRow) -> QBrush | None:
        return ARCHIVED_COLOUR if row.archived else None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if (
            index.isValid()
            and role == Qt.ItemDataRole.ToolTipRole
            and index.column() in (0, 3)
            and (text := super().data(index))
        ):
            return text  # long names and town lists are cut at the column's edge
        return super().data(index, role)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        descending = order == Qt.SortOrder.DescendingOrder
        if column == 0 and descending != self.query.descending:
            self.reload(replace(self.query, descending=descending))


class SupportTableModel(PagedTableModel[SupportRow]):
    """Support records of every association, newest first."""

    def __init__(self, streets: StreetService, parent: QObject | None = None) -> None:
        super().__init__(SUPPORT_TITLES, parent)
        self._streets = streets
        self.query = SupportQuery()

    def reload(self, query: SupportQuery | None = None) -> None:
        def change() -> None:
            self.query = query or self.query

        self.reset_rows(change)

    def fetch_page(self, after: SupportRow | None, limit: int) -> list[SupportRow]:
        if self.query.errors():  # a reversed period: the page says so, the list stays empty
            return []
        return self._streets.page_supports(self.query, after=after, limit=limit)

    def format_row(self, row: SupportRow) -> tuple[str, ...]:
        return (
            format_date(row.supported_on),
            row.association_name,
            row.kind_name,
            row.title,
            row.initiative_code,
            row.staff_name,
        )

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if (
            index.isValid()
            and role == Qt.ItemDataRole.ToolTipRole
            and index.column() in (1, 3)
            and (text := super().data(index))
        ):
            return text
        return super().data(index, role)
