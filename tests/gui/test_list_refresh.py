"""Lists read again (F5, or after a save) keep the user's place: others may have saved
meanwhile on another PC, and the user must not lose the record they were looking at."""

from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractItemView

from consult_desk import app as app_module
from consult_desk.db.engine import Database
from consult_desk.domain.businesses import BusinessInput
from consult_desk.domain.permissions import Principal
from consult_desk.services.businesses import BusinessService


def test_a_refreshed_list_keeps_the_selected_record_and_the_scroll_position(
    qtbot: Any, db: Database, admin: Principal
) -> None:
    service = BusinessService(db, admin)
    for n in range(260):  # more than one page of 200
        service.add(BusinessInput(name=f"事業者{n:03d}", name_kana=f"ジギョウシャ{n:03d}"))
    window = app_module.build_window(db, admin)
    qtbot.addWidget(window)
    window.resize(1100, 700)
    window.show()
    window.show_page_named("事業者")
    page = window.business_list
    table, model = page.table, page.model
    model.fetch_all()
    assert model.rowCount() == 260
    table.scrollTo(model.index(230, 0), QAbstractItemView.ScrollHint.PositionAtTop)
    table.selectionModel().setCurrentIndex(
        model.index(235, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    top_id = model.row_at(table.rowAt(0)).id
    selected_id = model.row_at(235).id
    # Someone at another desk adds two businesses that sort before everything shown.
    service.add(BusinessInput(name="あ商店", name_kana="アアア"))
    service.add(BusinessInput(name="い商店", name_kana="アアイ"))

    page.refresh()  # what F5 does

    assert model.rowCount() >= 260
    assert model.row_at(0).name == "あ商店"  # the new rows are there
    [selected] = table.selectionModel().selectedRows()
    assert model.row_at(selected.row()).id == selected_id  # row 237 now
    assert model.row_at(table.currentIndex().row()).id == selected_id
    assert model.row_at(table.rowAt(0)).id == top_id


def test_a_record_that_went_away_leaves_the_view_where_it_was(
    qtbot: Any, db: Database, admin: Principal
) -> None:
    service = BusinessService(db, admin)
    ids = [
        service.add(BusinessInput(name=f"店{n:02d}", name_kana=f"ミセ{n:02d}")) for n in range(40)
    ]
    window = app_module.build_window(db, admin)
    qtbot.addWidget(window)
    window.resize(1100, 500)
    window.show()
    window.show_page_named("事業者")
    page = window.business_list
    table, model = page.table, page.model
    model.fetch_all()
    table.scrollTo(model.index(20, 0), QAbstractItemView.ScrollHint.PositionAtTop)
    top_row = table.rowAt(0)
    gone = model.row_at(top_row).id
    service.delete(gone, service.get(gone).version)  # into the trash: no longer listed

    page.refresh()

    assert gone not in {model.row_at(r).id for r in range(model.rowCount())}
    assert table.rowAt(0) == top_row
    assert len(ids) - 1 == model.rowCount()


def test_f5_reads_the_list_again(qtbot: Any, db: Database, admin: Principal) -> None:
    window = app_module.build_window(db, admin)
    qtbot.addWidget(window)
    page = window.business_list
    shortcuts = [s for s in page.findChildren(QShortcut) if s.key() == QKeySequence(Qt.Key.Key_F5)]
    assert len(shortcuts) == 1
    page.model.fetch_all()  # the list as first shown: everything loaded, nothing more to ask
    BusinessService(db, admin).add(BusinessInput(name="新しい事業者"))
    assert "新しい事業者" not in _names(page)

    shortcuts[0].activated.emit()

    assert "新しい事業者" in _names(page)


def _names(page: Any) -> list[str]:
    page.model.fetch_all()
    return [page.model.row_at(r).name for r in range(page.model.rowCount())]
