"""書き出し… on the lists: the list as filtered now, to CSV (UTF-8 with BOM) or Excel, through
the save dialog's choice, with the rows written or a Japanese error as the answer."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from consult_desk import app as app_module
from consult_desk.db.engine import Database
from consult_desk.db.models import Staff
from consult_desk.domain.businesses import BusinessInput
from consult_desk.domain.permissions import Principal, Role
from consult_desk.services.businesses import BusinessService
from consult_desk.services.exports import ExportFormat, ExportService
from consult_desk.services.history import HistoryService
from consult_desk.services.reference import ReferenceService
from consult_desk.ui.drafts import DraftStore
from consult_desk.ui.main_window import MainWindow
from consult_desk.ui.messages import text_for
from consult_desk.ui.pages.business_list import BusinessListPage
from consult_desk.ui.widgets.list_export import FILTERS, ListExport
from tests.gui.helpers import commit_text

pytestmark = pytest.mark.gui
WAIT_MS = 20_000
NAMES = ("チヨダ物産", "神田書店", "株式会社神田青果", "麹町食堂")


class Dialogs:
    """The save dialog's answer, and the messages shown."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.answer: tuple[str, str] = ("", "")
        self.titles: list[str] = []
        self.information: list[str] = []
        self.warnings: list[str] = []
        self.questions: list[str] = []
        self.replace = False

        def save(_parent: object, title: str, *_a: object, **_k: object) -> tuple[str, str]:
            self.titles.append(title)
            return self.answer

        def question(_parent: object, _title: str, text: str, *_a: object) -> object:
            self.questions.append(text)
            yes, no = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
            return yes if self.replace else no

        monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(save))
        monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
        for name, kept in (("information", self.information), ("warning", self.warnings)):
            monkeypatch.setattr(
                QMessageBox,
                name,
                staticmethod(lambda _p, _t, text, *a, kept=kept, **k: kept.append(text)),
            )


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch) -> Dialogs:
    return Dialogs(monkeypatch)


@pytest.fixture
def page(qtbot, db: Database, admin: Principal) -> BusinessListPage:
    businesses = BusinessService(db, admin)
    for name in NAMES:
        businesses.add(BusinessInput(name=name))
    page = BusinessListPage(
        businesses,
        ReferenceService(db),
        HistoryService(db, admin),
        admin,
        exports=ExportService(db, admin),
    )
    qtbot.addWidget(page, before_close_func=lambda p: p.export.runner.wait())
    page.show()
    qtbot.waitExposed(page)
    return page


def exported(qtbot, export: ListExport) -> None:
    qtbot.waitUntil(lambda: not export.runner.busy(), timeout=WAIT_MS)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as file:
        return list(csv.DictReader(file))


def test_the_business_list_writes_only_its_filtered_rows_to_csv_with_bom(
    qtbot, page: BusinessListPage, dialogs: Dialogs, tmp_path: Path
) -> None:
    export = page.export
    assert export is not None and export.button.isVisibleTo(page)
    commit_text(page.search_edit, "神田")  # and 書き出し at once, before the search runs
    dialogs.answer = (str(tmp_path / "神田の事業者"), FILTERS[ExportFormat.CSV])

    qtbot.mouseClick(export.button, Qt.MouseButton.LeftButton)
    exported(qtbot, export)

    target = tmp_path / "神田の事業者.csv"
    assert dialogs.titles == ["書き出し: 事業者"]
    assert export.result is not None and export.result.path == target
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = read_csv(target)
    assert sorted(row["事業者名"] for row in rows) == ["株式会社神田青果", "神田書店"]
    assert dialogs.information == [f"事業者を 2 件書き出しました。\n{target}"]
    assert page.model.query.text == "神田"  # the list shows what was written


def test_excel_is_chosen_by_the_dialogs_filter_and_ctrl_e_asks_too(
    qtbot, page: BusinessListPage, dialogs: Dialogs, tmp_path: Path
) -> None:
    dialogs.answer = (str(tmp_path / "全件"), FILTERS[ExportFormat.XLSX])
    page.search_edit.setFocus()
    page.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is page)

    qtbot.keyClick(page.search_edit, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert page.export is not None
    exported(qtbot, page.export)

    workbook = openpyxl.load_workbook(tmp_path / "全件.xlsx", read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    assert rows[0][0] == "事業者名"
    assert sorted(str(row[0]) for row in rows[1:]) == sorted(NAMES)


def test_a_folder_that_does_not_exist_is_a_japanese_error_and_no_file(
    qtbot, page: BusinessListPage, dialogs: Dialogs, tmp_path: Path
) -> None:
    dialogs.answer = (str(tmp_path / "ない" / "事業者.csv"), FILTERS[ExportFormat.CSV])
    assert page.export is not None

    page.export.run()
    exported(qtbot, page.export)

    assert dialogs.warnings == [text_for("export.target_unwritable")]
    assert page.export.error == text_for("export.target_unwritable")
    assert page.export.result is None and dialogs.information == []
    assert not (tmp_path / "ない").exists()


def test_a_file_the_dialog_did_not_ask_about_is_replaced_only_when_confirmed(
    qtbot, page: BusinessListPage, dialogs: Dialogs, tmp_path: Path
) -> None:
    kept = tmp_path / "一覧.csv"
    kept.write_text("大事なファイル", encoding="utf-8")
    dialogs.answer = (str(tmp_path / "一覧"), FILTERS[ExportFormat.CSV])  # the suffix is ours
    assert page.export is not None

    page.export.run()
    assert dialogs.questions == ["一覧.csv はすでにあります。置き換えますか？"]
    assert kept.read_text(encoding="utf-8") == "大事なファイル" and not page.export.runner.busy()

    dialogs.replace = True
    page.export.run()
    exported(qtbot, page.export)
    assert len(read_csv(kept)) == len(NAMES)


def test_cancelling_the_dialog_writes_nothing(
    qtbot, page: BusinessListPage, dialogs: Dialogs, tmp_path: Path
) -> None:
    assert page.export is not None
    page.export.run()
    assert dialogs.titles == ["書き出し: 事業者"]
    assert not page.export.runner.busy() and page.export.result is None
    assert [*tmp_path.glob("*.csv"), *tmp_path.glob("*.xlsx")] == []


# --- every list in the window -------------------------------------------------------------------


def _window(qtbot, db: Database, principal: Principal, tmp_path: Path) -> MainWindow:
    window = app_module.build_window(db, principal, DraftStore(tmp_path / "drafts"))
    qtbot.addWidget(window, before_close_func=lambda w: w.wait_for_background_work())
    window.show()
    window.activateWindow()  # shortcuts work in the active window
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    return window


def test_ctrl_e_exports_the_list_on_screen_on_every_page(
    qtbot, db: Database, admin: Principal, dialogs: Dialogs, tmp_path: Path
) -> None:
    window = _window(qtbot, db, admin, tmp_path)
    expected = {
        "事業者": "事業者",
        "相談記録": "相談記録",
        "融資あっせん": "融資あっせん案件",
        "専門家派遣": "専門家派遣",
    }
    for page, label in expected.items():
        window.show_page_named(page)
        qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
        assert dialogs.titles[-1] == f"書き出し: {label}", page
    streets = window.streets_page
    window.show_page_named("商店街支援")
    asked = len(dialogs.titles)
    qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert len(dialogs.titles) == asked  # the 商店街 register has no export
    for tab, label in ((1, "商店街支援記録"), (2, "補助金申請")):
        streets.tabs.setCurrentIndex(tab)
        shown = [e for e in streets.list_exports() if e.button.isVisibleTo(window)]
        assert [e.source.label for e in shown] == [label]
        qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
        assert dialogs.titles[-1] == f"書き出し: {label}"

    # And the written file holds the list's filter: the support list of one period.
    streets.tabs.setCurrentIndex(1)
    dialogs.answer = (str(tmp_path / "支援.csv"), FILTERS[ExportFormat.CSV])
    export = streets.support_export
    assert export is not None
    qtbot.mouseClick(export.button, Qt.MouseButton.LeftButton)
    exported(qtbot, export)
    assert export.result is not None and export.result.rows == 0
    assert next(csv.reader((tmp_path / "支援.csv").open(encoding="utf-8-sig")))[0] == "記録番号"


def test_a_wrong_period_in_the_support_list_is_refused_in_japanese(
    qtbot, db: Database, admin: Principal, dialogs: Dialogs, tmp_path: Path
) -> None:
    window = _window(qtbot, db, admin, tmp_path)
    streets = window.streets_page
    window.show_page_named("商店街支援")
    streets.tabs.setCurrentIndex(1)
    streets.from_edit.setText("2026-10-01")
    streets.to_edit.setText("2026-04-01")  # before the start
    dialogs.answer = (str(tmp_path / "支援.csv"), FILTERS[ExportFormat.CSV])
    export = streets.support_export
    assert export is not None

    export.run()
    exported(qtbot, export)

    assert export.result is None and len(dialogs.warnings) == 1
    assert dialogs.warnings[0].startswith(text_for("validation"))
    assert not (tmp_path / "支援.csv").exists()


def _member(db: Database, role: Role) -> Principal:
    with db.write() as session:
        member = Staff(login=f"x-{role.value}", name=f"{role.label} 職員", name_kana="ショクイン")
        session.add(member)
        session.flush()
        return Principal(member.id, member.login, member.name, frozenset({role}))


def test_only_roles_that_may_export_a_kind_get_its_button(
    qtbot, db: Database, dialogs: Dialogs, tmp_path: Path
) -> None:
    consultant = _window(qtbot, db, _member(db, Role.CONSULTANT), tmp_path / "a")
    assert consultant.business_list.export is not None
    assert not consultant.business_list.export.button.isHidden()
    loans = consultant.loan_page.export
    assert loans is not None and not loans.allowed  # consultants only read loan cases
    assert loans.button.isHidden()
    consultant.show_page_named("融資あっせん")
    qtbot.keyClick(consultant, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert dialogs.titles == []

    auditor = _window(qtbot, db, _member(db, Role.AUDITOR), tmp_path / "b")
    for export in auditor.findChildren(ListExport):
        assert not export.allowed and export.button.isHidden()
