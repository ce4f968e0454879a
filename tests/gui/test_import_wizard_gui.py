"""取り込み in the window: the wizard driven through its real buttons, lists and keys (the
fixtures of tests/data/import), the history with 取り消す, and who gets the entries."""

from __future__ import annotations

import csv
import shutil
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QWizard

from consult_desk import app as app_module
from consult_desk.db.engine import Database
from consult_desk.db.models import Business, Consultation, ImportBatch, Staff
from consult_desk.domain.import_values import IGNORE, ImportKind
from consult_desk.domain.permissions import Principal, Role
from consult_desk.services.imports import ImportOptions, ImportService
from consult_desk.ui.dialogs import import_batches as batches_module
from consult_desk.ui.dialogs.import_batches import ImportBatchesDialog
from consult_desk.ui.dialogs.import_wizard import ImportWizard, import_kinds
from consult_desk.ui.drafts import DraftStore
from consult_desk.ui.messages import text_for

pytestmark = pytest.mark.gui
DATA = Path(__file__).resolve().parent.parent / "data" / "import"
TODAY = date(2026, 11, 30)  # after every date of the fixtures
WAIT_MS = 20_000
NEXT = QWizard.WizardButton.NextButton
BACK = QWizard.WizardButton.BackButton
CANCEL = QWizard.WizardButton.CancelButton
FINISH = QWizard.WizardButton.FinishButton


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """The fixtures copied (a rejected-rows file is written beside its input)."""
    folder = tmp_path / "files"
    shutil.copytree(DATA, folder)
    return folder


@pytest.fixture
def service(db: Database, admin: Principal, staff_id: int) -> ImportService:
    return ImportService(db, admin)


def count(db: Database, model: type) -> int:
    with db.read() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def principal_with(db: Database, role: Role) -> Principal:
    with db.write() as session:
        member = Staff(login=f"r-{role.value}", name=f"{role.label} 職員", name_kana="ショクイン")
        session.add(member)
        session.flush()
        return Principal(member.id, member.login, member.name, frozenset({role}))


def open_wizard(qtbot, service: ImportService, principal: Principal) -> ImportWizard:
    wizard = ImportWizard(service, principal, today=TODAY)
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitExposed(wizard)
    return wizard


def click(qtbot, wizard: ImportWizard, which: QWizard.WizardButton) -> None:
    button = wizard.button(which)
    assert button.isVisible() and button.isEnabled(), which
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def to_preview(qtbot, wizard: ImportWizard, path: Path, kind: ImportKind) -> None:
    """File page: the kind's button, the file typed in, 次へ; then wait for the check."""
    page = wizard.file_page
    page.kind_buttons[kind].click()
    page.path_edit.setText(str(path))
    click(qtbot, wizard, NEXT)
    preview = wizard.preview_page
    qtbot.waitUntil(lambda: not preview.busy() and bool(preview.preview or preview.failure))


def wait_checked(qtbot, wizard: ImportWizard) -> None:
    preview = wizard.preview_page
    qtbot.waitUntil(lambda: not preview.busy() and preview.preview is not None, timeout=WAIT_MS)


def error_rows(wizard: ImportWizard) -> list[tuple[str, str, str, str]]:
    table = wizard.preview_page.errors
    return [
        (
            table.item(row, 0).text(),
            table.item(row, 1).text(),
            table.item(row, 2).text(),
            table.item(row, 3).text(),
        )
        for row in range(table.rowCount())
    ]


def import_now(qtbot, wizard: ImportWizard) -> None:
    """確認 → 取り込む, then wait for the result page."""
    assert wizard.currentPage() is wizard.confirm_page
    click(qtbot, wizard, NEXT)
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.summary_page, timeout=WAIT_MS)


def write_rows(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as out:
        csv.writer(out).writerows(rows)
    return path


# --- the wizard ---------------------------------------------------------------------------------


def test_clean_cp932_businesses_go_through_every_page(
    qtbot, service: ImportService, admin: Principal, files: Path, db: Database, monkeypatch
) -> None:
    wizard = open_wizard(qtbot, service, admin)
    source = files / "businesses_cp932.csv"
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(source), ""))
    )
    assert not wizard.button(NEXT).isEnabled()  # no file yet
    qtbot.mouseClick(wizard.file_page.browse_button, Qt.MouseButton.LeftButton)
    assert wizard.file_page.path_edit.text() == str(source)
    qtbot.keyClick(wizard.file_page.path_edit, Qt.Key.Key_Return)  # the keyboard's 次へ
    preview_page = wizard.preview_page
    assert wizard.currentPage() is preview_page
    wait_checked(qtbot, wizard)

    assert preview_page.encoding_label.text() == "文字コード: Shift_JIS（CP932）"
    assert "全 5 行" in preview_page.counts_label.text()
    assert "取り込める行 5" in preview_page.counts_label.text()
    combos = {c.title: c.combo.currentData() for c in preview_page._choices}
    assert combos["法人番号"] == "法人番号" and combos["設立日"] == "設立日"
    assert preview_page.required_label.text() == "必須の列: 事業者名"
    assert preview_page.sample.item(0, 0).text() == "株式会社神田青果"
    assert preview_page.no_errors.isVisibleTo(wizard) and not preview_page.errors.isVisibleTo(
        wizard
    )
    assert count(db, Business) == 0  # the preview wrote nothing

    click(qtbot, wizard, NEXT)
    confirm = wizard.confirm_page
    assert wizard.button(NEXT).text() == "取り込む"
    shown = confirm.shown
    assert shown["追加する行"] == "5 件"
    assert shown["文字コード"] == "Shift_JIS（CP932）"
    imported: list[Any] = []
    wizard.imported.connect(imported.append)

    import_now(qtbot, wizard)

    result = wizard.run_page.result
    assert result is not None and result.added == 5
    assert imported == [result]
    assert wizard.summary_page.headline.text() == (
        f"事業者を 5 件取り込みました（取込番号 {result.batch_id}）。"
    )
    assert not wizard.summary_page.rejected_box.isVisibleTo(wizard)
    assert not wizard.button(BACK).isEnabled()  # undoing is the history's job
    with db.read() as session:
        batches = session.scalars(select(Business.import_batch_id)).all()
    assert batches == [result.batch_id] * 5
    click(qtbot, wizard, FINISH)
    assert not wizard.isVisible()


def test_a_messy_file_lists_every_error_in_japanese_and_writes_nothing(
    qtbot, service: ImportService, admin: Principal, files: Path, db: Database
) -> None:
    wizard = open_wizard(qtbot, service, admin)
    to_preview(qtbot, wizard, files / "businesses_messy.csv", ImportKind.BUSINESSES)
    page = wizard.preview_page

    rows = error_rows(wizard)
    assert rows[0] == ("1", "代表者携帯", "代表者携帯", text_for("import.unknown_column"))
    assert ("3", "設立日", "2021-02-31", "存在しない日付です（2月31日など）。") in rows
    assert ("5", "事業者名", "", "入力してください。") in rows
    assert page.errors_box.title() == "誤り（5 件）"
    assert "代表者携帯" in page.problem_label.text()
    assert not page.skip_check.isVisibleTo(wizard)  # a header error is never skipped
    assert not wizard.button(NEXT).isEnabled()

    # 取り込まない for the unknown column (End picks the list's last entry): the header is
    # right now, the rows are still wrong, and skipping them leaves nothing to import.
    unknown = next(c for c in page._choices if c.title == "代表者携帯")
    unknown.combo.setFocus()
    qtbot.keyClick(unknown.combo, Qt.Key.Key_End)
    wait_checked(qtbot, wizard)
    assert wizard.mapping == {"代表者携帯": IGNORE}
    assert all(row[0] != "1" for row in error_rows(wizard))
    assert page.skip_check.isVisibleTo(wizard)
    assert "このままでは何も取り込めません" in page.problem_label.text()
    assert not wizard.button(NEXT).isEnabled()
    page.skip_check.setChecked(True)
    assert page.problem_label.text() == "取り込む行がありません。"
    assert not wizard.button(NEXT).isEnabled()
    assert (count(db, Business), count(db, ImportBatch)) == (0, 0)


def test_consultation_errors_name_the_row_the_column_and_what_was_accepted(
    qtbot, service: ImportService, admin: Principal, files: Path
) -> None:
    wizard = open_wizard(qtbot, service, admin)
    to_preview(qtbot, wizard, files / "consultations_messy.csv", ImportKind.CONSULTATIONS)

    assert wizard.preview_page.encoding_label.text() == "文字コード: UTF-8"
    fax = next(row for row in error_rows(wizard) if row[2] == "FAX")
    assert fax[:2] == ("4", "相談方法")
    assert fax[3].startswith("登録されていない相談方法です。（指定できるのは 窓口")


def test_a_file_changed_after_its_check_is_refused_whole(
    qtbot, service: ImportService, admin: Principal, files: Path, db: Database
) -> None:
    source = files / "businesses_cp932.csv"
    wizard = open_wizard(qtbot, service, admin)
    to_preview(qtbot, wizard, source, ImportKind.BUSINESSES)
    click(qtbot, wizard, NEXT)
    # Someone saves the file again, with a wrong 法人番号, before 取り込む is pressed.
    text = source.read_bytes().decode("cp932").replace("8010001034567", "8010001034568")
    source.write_bytes(text.encode("cp932"))

    click(qtbot, wizard, NEXT)
    run = wizard.run_page
    qtbot.waitUntil(lambda: bool(run.outcome), timeout=WAIT_MS)

    assert run.outcome.startswith(text_for("import.rejected"))
    assert run.errors.isVisibleTo(wizard) and run.errors.item(0, 1).text() == "法人番号"
    assert wizard.currentPage() is run and wizard.button(BACK).isEnabled()
    assert (count(db, Business), count(db, ImportBatch)) == (0, 0)
    click(qtbot, wizard, BACK)
    click(qtbot, wizard, BACK)  # the check again shows the error
    wait_checked(qtbot, wizard)
    assert "法人番号" in [row[1] for row in error_rows(wizard)]


def test_mapping_unknown_columns_makes_the_file_importable(
    qtbot, service: ImportService, admin: Principal, tmp_path: Path, db: Database
) -> None:
    source = write_rows(
        tmp_path / "会社一覧.csv",
        [
            ["会社名", "電話", "担当メモ"],
            ["株式会社神田テスト", "03-1111-2222", "10/1 来所"],
            ["丸の内テスト商会", "03-3333-4444", ""],
        ],
    )
    wizard = open_wizard(qtbot, service, admin)
    to_preview(qtbot, wizard, source, ImportKind.BUSINESSES)
    page = wizard.preview_page
    preview = page.preview
    assert preview is not None
    assert preview.unknown_columns == ("会社名", "担当メモ")
    assert preview.missing_columns == ("事業者名",)
    assert "必須の列がありません: 事業者名" in page.problem_label.text()
    assert page.required_label.text() == "必須の列: 事業者名（ありません）"
    assert not wizard.button(NEXT).isEnabled()

    page.choose("会社名", "事業者名")
    wait_checked(qtbot, wizard)
    assert page.preview is not None and page.preview.unknown_columns == ("担当メモ",)
    memo = next(c for c in page._choices if c.title == "担当メモ")
    memo.combo.setFocus()
    qtbot.keyClick(memo.combo, Qt.Key.Key_End)  # 取り込まない
    wait_checked(qtbot, wizard)

    assert page.preview is not None and page.preview.ok
    assert wizard.mapping == {"会社名": "事業者名", "担当メモ": IGNORE}
    assert not page.problem_label.isVisibleTo(wizard)
    click(qtbot, wizard, NEXT)
    import_now(qtbot, wizard)
    with db.read() as session:
        names = sorted(session.scalars(select(Business.name)))
    assert names == ["丸の内テスト商会", "株式会社神田テスト"]


def test_skipping_invalid_rows_saves_them_beside_the_file_with_a_folder_button(
    qtbot, service: ImportService, admin: Principal, tmp_path: Path, db: Database, monkeypatch
) -> None:
    source = write_rows(
        tmp_path / "businesses.csv",
        [["事業者名", "設立日"], ["株式会社正しい", "2020-04-01"], ["株式会社二月", "2021-02-31"]],
    )
    wizard = open_wizard(qtbot, service, admin)
    to_preview(qtbot, wizard, source, ImportKind.BUSINESSES)
    page = wizard.preview_page
    assert not wizard.button(NEXT).isEnabled()
    page.skip_check.setChecked(True)
    assert wizard.button(NEXT).isEnabled()
    opened: list[str] = []
    monkeypatch.setattr(
        "consult_desk.ui.dialogs.import_wizard.QDesktopServices.openUrl",
        lambda url: opened.append(url.toLocalFile()) or True,
    )
    click(qtbot, wizard, NEXT)
    import_now(qtbot, wizard)

    summary = wizard.summary_page
    result = wizard.run_page.result
    assert result is not None and (result.added, result.rejected) == (1, 1)
    assert result.rejected_path is not None and result.rejected_path.parent == tmp_path
    assert summary.rejected_box.isVisibleTo(wizard)
    assert str(result.rejected_path) in summary.rejected_label.text()
    assert summary.errors.item(0, 1).text() == "設立日"
    qtbot.mouseClick(summary.open_button, Qt.MouseButton.LeftButton)
    assert opened == [str(tmp_path)]
    assert count(db, Business) == 1


def _gated_run(service: ImportService, monkeypatch) -> tuple[threading.Event, threading.Event]:
    """The import stops in its first progress call until the test lets it go on."""
    reached, proceed = threading.Event(), threading.Event()
    original = service.run

    def run(
        kind: str, path: Path, options: ImportOptions, progress: Callable[[int, int], None]
    ) -> Any:
        def gated(done: int, total: int) -> None:
            reached.set()
            proceed.wait(WAIT_MS / 1000)
            progress(done, total)

        return original(kind, path, options, gated)

    monkeypatch.setattr(service, "run", run)
    return reached, proceed


def test_cancelling_mid_run_writes_nothing_and_the_import_can_be_run_again(
    qtbot, service: ImportService, admin: Principal, files: Path, db: Database, monkeypatch
) -> None:
    wizard = open_wizard(qtbot, service, admin)
    to_preview(qtbot, wizard, files / "businesses_cp932.csv", ImportKind.BUSINESSES)
    click(qtbot, wizard, NEXT)
    reached, proceed = _gated_run(service, monkeypatch)
    click(qtbot, wizard, NEXT)
    run = wizard.run_page
    qtbot.waitUntil(reached.is_set, timeout=WAIT_MS)
    assert run.running() and run.progress.isVisibleTo(wizard)
    assert not wizard.button(BACK).isEnabled() and not wizard.button(CANCEL).isEnabled()

    qtbot.mouseClick(run.cancel_button, Qt.MouseButton.LeftButton)
    assert run.status_label.text() == "中止しています…"
    proceed.set()
    qtbot.waitUntil(lambda: not run.running(), timeout=WAIT_MS)

    assert run.outcome == text_for("import.cancelled")
    assert wizard.currentPage() is run and run.result is None
    assert (count(db, Business), count(db, ImportBatch)) == (0, 0)
    assert wizard.button(BACK).isEnabled()

    click(qtbot, wizard, BACK)  # 確認 again, and this time it runs through
    import_now(qtbot, wizard)
    assert count(db, Business) == 5


def test_closing_the_wizard_while_importing_stops_the_import(
    qtbot, service: ImportService, admin: Principal, files: Path, db: Database, monkeypatch
) -> None:
    wizard = open_wizard(qtbot, service, admin)
    to_preview(qtbot, wizard, files / "businesses_cp932.csv", ImportKind.BUSINESSES)
    click(qtbot, wizard, NEXT)
    reached, proceed = _gated_run(service, monkeypatch)
    click(qtbot, wizard, NEXT)
    qtbot.waitUntil(reached.is_set, timeout=WAIT_MS)

    qtbot.keyClick(wizard, Qt.Key.Key_Escape)
    assert wizard.isVisible()  # it waits for the import to stop
    proceed.set()
    qtbot.waitUntil(lambda: not wizard.run_page.running(), timeout=WAIT_MS)
    assert wizard.run_page.outcome == text_for("import.cancelled")
    assert count(db, Business) == 0
    click(qtbot, wizard, CANCEL)
    assert not wizard.isVisible()


def test_options_follow_the_kind_and_the_role(db: Database, admin: Principal, qtbot) -> None:
    consultant = principal_with(db, Role.CONSULTANT)
    assert import_kinds(consultant) == [ImportKind.BUSINESSES, ImportKind.CONSULTATIONS]
    assert import_kinds(principal_with(db, Role.MANAGER)) == []
    assert import_kinds(principal_with(db, Role.AUDITOR)) == []

    wizard = open_wizard(qtbot, ImportService(db, consultant), consultant)
    page = wizard.file_page
    assert list(page.kind_buttons) == [ImportKind.BUSINESSES, ImportKind.CONSULTATIONS]
    assert page.update_check.isVisibleTo(wizard)  # consultants may edit businesses
    page.kind_buttons[ImportKind.CONSULTATIONS].click()
    assert not page.create_check.isVisibleTo(wizard)  # adding staff is the administrator's
    assert page.no_options.isVisibleTo(wizard)

    admin_wizard = open_wizard(qtbot, ImportService(db, admin), admin)
    admin_page = admin_wizard.file_page
    admin_page.kind_buttons[ImportKind.LOANS].click()
    assert admin_page.create_check.isVisibleTo(admin_wizard)
    assert admin_page.create_check.text() == "未登録の金融機関・資金種別を新しく登録する"


def test_a_file_that_is_no_table_is_named_in_japanese(
    qtbot, service: ImportService, admin: Principal, tmp_path: Path
) -> None:
    wizard = open_wizard(qtbot, service, admin)
    old_excel = tmp_path / "old.xls"
    old_excel.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 64)
    to_preview(qtbot, wizard, old_excel, ImportKind.BUSINESSES)
    assert wizard.preview_page.failure == text_for("import.xls")
    assert wizard.preview_page.problem_label.isVisibleTo(wizard)
    assert not wizard.button(NEXT).isEnabled()

    click(qtbot, wizard, BACK)
    wizard.file_page.path_edit.setText(str(tmp_path / "nowhere.csv"))
    click(qtbot, wizard, NEXT)
    assert wizard.currentPage() is wizard.file_page
    assert wizard.file_page.path_error.text() == (
        "ファイルが見つかりません。場所を確認してください。"
    )


# --- the history and 取り消す --------------------------------------------------------------------


@pytest.fixture
def yes(monkeypatch) -> list[str]:
    """Answer 「はい」 to the question, and keep its text."""
    asked: list[str] = []

    def question(_parent: object, _title: str, text: str, *_a: object) -> object:
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    return asked


def test_undo_from_the_history_removes_the_batch(
    qtbot, service: ImportService, admin: Principal, files: Path, db: Database, yes: list[str]
) -> None:
    result = service.run("businesses", files / "businesses_cp932.csv", ImportOptions(today=TODAY))
    dialog = ImportBatchesDialog(service, admin)
    qtbot.addWidget(dialog)
    dialog.show()
    table = dialog.table
    assert table.rowCount() == 1
    assert [table.item(0, c).text() for c in (0, 2, 3, 4)] == [
        str(result.batch_id),
        "事業者",
        "5",
        "businesses_cp932.csv",
    ]
    assert not dialog.undo_button.isEnabled()  # nothing selected
    table.selectRow(0)

    qtbot.mouseClick(dialog.undo_button, Qt.MouseButton.LeftButton)

    assert yes and f"取込番号 {result.batch_id}（事業者 5 件" in yes[0]
    assert count(db, Business) == 0
    assert dialog.message_label.text().startswith(f"取込番号 {result.batch_id} を取り消しました")
    assert table.item(0, 6).text().startswith("取消済み")
    assert not dialog.undo_button.isEnabled()  # once is enough


def test_undo_refused_while_later_records_use_the_batch(
    qtbot, service: ImportService, admin: Principal, files: Path, db: Database, yes: list[str]
) -> None:
    first = service.run("businesses", files / "businesses_cp932.csv", ImportOptions(today=TODAY))
    service.run("consultations", files / "consultations_utf8_bom.csv", ImportOptions(today=TODAY))
    dialog = ImportBatchesDialog(service, admin)
    qtbot.addWidget(dialog)
    assert [dialog.table.item(r, 2).text() for r in range(2)] == ["相談記録", "事業者"]  # newest
    dialog.select_batch(first.batch_id or 0)

    qtbot.mouseClick(dialog.undo_button, Qt.MouseButton.LeftButton)

    text = dialog.message_label.text()
    assert text.startswith(text_for("import.undo_dependents"))
    assert "相談記録" in text
    assert count(db, Business) == 5 and count(db, Consultation) > 0


def test_the_history_is_read_a_page_at_a_time(
    qtbot, service: ImportService, admin: Principal, files: Path, monkeypatch
) -> None:
    monkeypatch.setattr(batches_module, "PAGE_SIZE", 1)
    service.run("businesses", files / "businesses_cp932.csv", ImportOptions(today=TODAY))
    service.run("consultations", files / "consultations_utf8_bom.csv", ImportOptions(today=TODAY))
    dialog = ImportBatchesDialog(service, admin)
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == 1 and dialog.more_button.isEnabled()
    qtbot.mouseClick(dialog.more_button, Qt.MouseButton.LeftButton)
    assert [dialog.table.item(r, 2).text() for r in range(2)] == ["相談記録", "事業者"]
    qtbot.mouseClick(dialog.more_button, Qt.MouseButton.LeftButton)
    assert dialog.table.rowCount() == 2 and not dialog.more_button.isEnabled()
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findText("事業者"))
    assert dialog.table.rowCount() == 1 and dialog.table.item(0, 2).text() == "事業者"


def test_an_auditor_sees_the_history_but_may_not_undo(
    qtbot, db: Database, service: ImportService, files: Path
) -> None:
    service.run("businesses", files / "businesses_cp932.csv", ImportOptions(today=TODAY))
    auditor = principal_with(db, Role.AUDITOR)  # reads everything, deletes nothing
    dialog = ImportBatchesDialog(ImportService(db, auditor), auditor)
    qtbot.addWidget(dialog)
    dialog.table.selectRow(0)
    assert dialog.table.rowCount() == 1 and not dialog.undo_button.isEnabled()


# --- the window's entries -----------------------------------------------------------------------


def test_the_window_offers_import_and_history_to_roles_that_may(
    qtbot, db: Database, admin: Principal, tmp_path: Path, monkeypatch
) -> None:
    window = app_module.build_window(db, admin, DraftStore(tmp_path / "drafts"))
    qtbot.addWidget(window, before_close_func=lambda w: w.wait_for_background_work())
    window.show()
    window.activateWindow()  # shortcuts work in the active window
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    assert window.import_button is not None and window.import_history_button is not None
    shown: list[object] = []
    monkeypatch.setattr(ImportWizard, "exec", lambda self: shown.append(self) or 0)
    monkeypatch.setattr(ImportBatchesDialog, "exec", lambda self: shown.append(self) or 0)

    qtbot.keyClick(window, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    qtbot.mouseClick(window.import_history_button, Qt.MouseButton.LeftButton)

    assert [type(w) for w in shown] == [ImportWizard, ImportBatchesDialog]

    manager = principal_with(db, Role.MANAGER)
    other = app_module.build_window(db, manager, DraftStore(tmp_path / "drafts2"))
    qtbot.addWidget(other, before_close_func=lambda w: w.wait_for_background_work())
    assert other.import_button is None  # managers import nothing
    assert other.import_history_button is not None
