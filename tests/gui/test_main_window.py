"""The main window as a user meets it: navigation, the business list, font and translations."""

from pathlib import Path

import pytest

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontInfo, QFontMetrics
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox

from consult_desk import app as app_module
from consult_desk.db.engine import Database
from consult_desk.domain.businesses import BusinessInput
from consult_desk.domain.permissions import Principal
from consult_desk.services.businesses import BusinessService
from consult_desk.ui.drafts import DraftStore
from consult_desk.ui.main_window import PAGE_ORDER, MainWindow
from consult_desk.ui.pages.pending import PendingPage
from tests.gui.helpers import commit_text

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, db: Database, admin: Principal, tmp_path: Path) -> MainWindow:
    service = BusinessService(db, admin)
    for name, kana, cn in [
        ("チヨダ物産", "チヨダブッサン", "7000012050002"),
        ("株式会社ちよだ商会", "チヨダショウカイ", ""),
        ("神田書店", "カンダショテン", ""),
    ]:
        service.add(BusinessInput(name=name, name_kana=kana, corporate_number=cn))
    window = app_module.build_window(db, admin, DraftStore(tmp_path / "drafts"))
    qtbot.addWidget(window)
    window.show()
    window.show_page(window.page_names.index("事業者"))
    qtbot.waitExposed(window)
    return window


def _visible_names(window: MainWindow) -> list[str]:
    model = window.business_list.model
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def _wait_for_rows(qtbot, window: MainWindow, count: int) -> None:
    # The view asks for the first page when it lays itself out again after a reload.
    qtbot.waitUntil(lambda: window.business_list.model.rowCount() == count)


def test_navigation_lists_every_area_and_every_page_is_built(window: MainWindow) -> None:
    names = [window.navigation.item(i).text() for i in range(window.navigation.count())]

    assert names == list(PAGE_ORDER)  # an administrator sees every area
    for name in names:
        assert not isinstance(window.page_named(name), PendingPage)
    assert window.page_named("帳票") is window.reports_page


def test_the_day_starts_with_todays_follow_ups(qtbot, db: Database, admin: Principal, tmp_path):
    window = app_module.build_window(db, admin, DraftStore(tmp_path / "drafts"))
    qtbot.addWidget(window)

    assert window.pages.currentWidget() is window.dashboard_tabs
    assert window.dashboard_tabs.currentWidget() is window.today_page  # 概況 is one tab away


def test_keyboard_shortcut_opens_the_plan_page(qtbot, window: MainWindow) -> None:
    qtbot.keyClick(window, Qt.Key.Key_7, Qt.KeyboardModifier.ControlModifier)

    assert window.pages.currentWidget() is window.plan_page
    assert window.plan_page.tree.topLevelItemCount() == 4


def test_business_list_shows_rows_and_total(qtbot, window: MainWindow) -> None:
    _wait_for_rows(qtbot, window, 3)
    assert sorted(_visible_names(window)) == sorted(
        ["チヨダ物産", "株式会社ちよだ商会", "神田書店"]
    )
    assert window.business_list.count_label.text() == "3 件"


@pytest.mark.parametrize("typed", ["ちよだ", "ﾁﾖﾀﾞ", "チヨダ"])
def test_typing_in_the_search_box_filters_the_list(qtbot, window: MainWindow, typed: str) -> None:
    page = window.business_list
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert page.search_edit.hasFocus()

    commit_text(page.search_edit, typed)

    qtbot.waitUntil(lambda: page.count_label.text() == "2 件")
    _wait_for_rows(qtbot, window, 2)
    assert sorted(_visible_names(window)) == ["チヨダ物産", "株式会社ちよだ商会"]


def test_search_by_corporate_number_with_full_width_digits(qtbot, window: MainWindow) -> None:
    page = window.business_list
    commit_text(page.search_edit, "７０００－０１２０")
    page.search_edit.returnPressed.emit()

    _wait_for_rows(qtbot, window, 1)
    assert _visible_names(window) == ["チヨダ物産"]


def test_bundled_font_is_used_and_draws_kanji(window: MainWindow) -> None:
    font = QApplication.font()

    assert "BIZ UDPGothic" in QFontInfo(font).family()
    assert all(QFontMetrics(font).inFontUcs4(ord(ch)) for ch in "千代田区神田錦町ﾁﾖﾀﾞ")


def test_standard_buttons_are_japanese(qtbot) -> None:
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
    )
    qtbot.addWidget(buttons)

    assert buttons.button(QDialogButtonBox.StandardButton.Save).text() == "保存"
    assert buttons.button(QDialogButtonBox.StandardButton.Cancel).text() == "キャンセル"


def test_a_database_from_a_newer_build_is_refused_with_a_message(
    db: Database, admin: Principal, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda _p, _t, text: shown.append(text))

    status = app_module.run_gui(f"sqlite:///{db_path}")

    assert status == 1
    assert shown and "新しい版" in shown[0]
