"""The paged business model: Qt's model tester, paging, and sorting in SQL."""

import pytest

from PySide6.QtCore import QModelIndex, Qt

from consult_desk.db.engine import Database
from consult_desk.domain.businesses import BusinessInput, BusinessQuery
from consult_desk.domain.permissions import Principal
from consult_desk.services.businesses import BusinessService
from consult_desk.ui.models import paged_table
from consult_desk.ui.models.business_table import COLUMNS, BusinessTableModel

pytestmark = pytest.mark.gui


@pytest.fixture
def businesses(db: Database, admin: Principal) -> BusinessService:
    service = BusinessService(db, admin)
    for i, (name, kana) in enumerate(
        [
            ("神田青果", "カンダセイカ"),
            ("秋葉原電機", "アキハバラデンキ"),
            ("九段書店", "クダンショテン"),
            ("麹町食堂", "コウジマチショクドウ"),
            ("丸の内商事", "マルノウチショウジ"),
            ("錦印刷", "ニシキインサツ"),
            ("有楽珈琲店", "ユウラクコーヒーテン"),
        ]
    ):
        service.add(BusinessInput(name=name, name_kana=kana, area="区外" if i % 2 else "未設定"))
    return service


def _all_names(model: BusinessTableModel) -> list[str]:
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def test_sorted_model_passes_the_model_tester(
    businesses: BusinessService, qtmodeltester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(paged_table.PagedTableModel, "page_size", 3)
    model = BusinessTableModel(businesses)
    model.sort(0, Qt.SortOrder.DescendingOrder)  # reset first ...

    qtmodeltester.check(model)  # ... then attach the tester, which fetches pages itself

    names = _all_names(model)
    assert len(names) == 7
    assert names[0] == "有楽珈琲店"


def test_filtered_model_passes_the_model_tester(
    businesses: BusinessService, qtmodeltester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(paged_table.PagedTableModel, "page_size", 2)
    model = BusinessTableModel(businesses)
    model.reload(BusinessQuery(area="区外"))

    qtmodeltester.check(model)

    assert _all_names(model) == ["秋葉原電機", "麹町食堂", "錦印刷"]


def test_pages_arrive_as_the_view_asks(
    businesses: BusinessService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(paged_table.PagedTableModel, "page_size", 3)
    model = BusinessTableModel(businesses)

    model.fetchMore(QModelIndex())
    first = model.rowCount()
    names = _all_names(model)

    assert first == 3
    assert names == [
        "秋葉原電機",
        "神田青果",
        "九段書店",
        "麹町食堂",
        "錦印刷",
        "丸の内商事",
        "有楽珈琲店",
    ]
    assert not model.canFetchMore(QModelIndex())


def test_unsortable_column_keeps_the_order(businesses: BusinessService) -> None:
    model = BusinessTableModel(businesses)
    unsortable = next(i for i, c in enumerate(COLUMNS) if c.sort is None)

    model.sort(unsortable, Qt.SortOrder.DescendingOrder)

    assert model.sort_column() == 0
    assert _all_names(model)[0] == "秋葉原電機"


def test_data_answers_none_for_unused_roles(businesses: BusinessService) -> None:
    model = BusinessTableModel(businesses)
    model.fetchMore(QModelIndex())

    assert model.index(0, 0).data(Qt.ItemDataRole.DecorationRole) is None
    assert model.headerData(0, Qt.Orientation.Horizontal) == "事業者名"


def test_audit_model_passes_the_model_tester(
    db: Database,
    admin: Principal,
    businesses: BusinessService,
    qtmodeltester,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from consult_desk.services.audit_log import AuditLogService, AuditQuery
    from consult_desk.ui.pages.settings import AuditTableModel

    monkeypatch.setattr(paged_table.PagedTableModel, "page_size", 2)
    model = AuditTableModel(AuditLogService(db, admin))
    model.reload(AuditQuery(action="create"))

    qtmodeltester.check(model)

    model.fetch_all()
    assert model.rowCount() == 7  # the seven businesses of the fixture
    assert model.index(0, 2).data() == "登録"


def test_the_sort_arrow_stays_on_the_clicked_reading_column(businesses: BusinessService) -> None:
    model = BusinessTableModel(businesses)

    model.sort(1, Qt.SortOrder.DescendingOrder)  # フリガナ: the same order as 事業者名

    assert model.sort_column() == 1
    assert _all_names(model)[0] == "有楽珈琲店"
